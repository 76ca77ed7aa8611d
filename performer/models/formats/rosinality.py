"""rosinality/stylegan2-pytorch checkpoints: `{'g_ema': state_dict, 'latent_avg': w}`.

The one place the two naming schemes meet. rosinality's `Generator` computes the same
network as NVlabs' 'skip' generator with [1, 3, 3, 1] resampling (same stride-2 transposed
convolution, same blur padding, same weight gains once demodulation cancels rosinality's
1/sqrt(fan_in) conv scale), so its tensors load into our implementation by renaming and
dropping size-1 axes:

| rosinality                          | NVlabs (ours)                          |
|-------------------------------------|----------------------------------------|
| style.{i+1}.weight / .bias          | mapping.fc{i}.weight / .bias (lr 0.01) |
| latent_avg (checkpoint key)         | mapping.w_avg                          |
| input.input (1, C, 4, 4)            | synthesis.b4.const (C, 4, 4)           |
| conv1.*                             | synthesis.b4.conv1.*                   |
| convs.{2j}.* / convs.{2j+1}.*       | synthesis.b{2^(j+3)}.conv0.* / .conv1.*|
|   .conv.weight (1, O, I, 3, 3)      |   .weight (O, I, 3, 3)                 |
|   .conv.modulation.weight / .bias   |   .affine.weight / .bias               |
|   .noise.weight (1,)                |   .noise_strength ()                   |
|   .activate.bias                    |   .bias                                |
| noises.noise_{n} (1, 1, R, R)       | noise_const (R, R) of the n-th conv    |
| to_rgb1.* / to_rgbs.{j}.*           | synthesis.b4.torgb.* / b{2^(j+3)}.torgb.* |
|   .conv.weight (1, 3, C, 1, 1)      |   .weight (3, C, 1, 1)                 |
|   .bias (1, 3, 1, 1)                |   .bias (3,)                           |
| *.blur.kernel, *.upsample.kernel    | (dropped: our FIR filter is rebuilt)   |

Checked: a checkpoint renamed this way loads into rosinality's own Generator with its
strict state-dict check, and its image (their CPU ops, fused modulated conv) equals ours
within 5e-6. Their demodulation adds its 1e-8 epsilon after their 1/sqrt(fan_in) scale,
NVlabs' (and ours) before it: a relative difference of about 1e-8, below float32 noise.

rosinality has no class labels, no conv_clamp and no float16 layers; its mapping lr
multiplier is a training argument: read from the checkpoint's `args` where train.py
stored them, else the default 0.01. Checkpoints without `latent_avg` (those written by
rosinality's own train.py) get w_avg estimated at load.
"""

from __future__ import annotations

import argparse
import math
import pickle
import re
import warnings
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import torch

from performer.models.base import ModelError
from performer.models.stylegan2.fir import filter_2d

_STYLE = re.compile(r"style\.(\d+)\.weight")
_DROPPED = re.compile(r".*\.(blur|upsample)\.kernel")


def read_rosinality(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Load a rosinality checkpoint as data (weights_only) -> (NVlabs init_kwargs, tensors)."""
    try:
        # rosinality's train.py also stores its argparse.Namespace: a plain attribute bag,
        # allowed by name (building one runs no code); everything else stays refused.
        with _allowing_namespace(), warnings.catch_warnings():
            # A file that is not a torch checkpoint makes torch warn about its pickle
            # protocol before failing; the error below says it in one line.
            warnings.filterwarnings("ignore", message=".*pickle protocol", category=UserWarning)
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ModelError(_refusal(path, err)) from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise ModelError(f"{path}: not a readable PyTorch checkpoint ({_first_line(err)})"
                         ) from err
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("g_ema"), dict):
        keys = ", ".join(map(str, checkpoint)) if isinstance(checkpoint, dict) else "not a dict"
        raise ModelError(f"{path}: no 'g_ema' generator state in this checkpoint ({keys}); "
                         "performer reads rosinality stylegan2-pytorch .pt files")
    state = checkpoint["g_ema"]
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise ModelError(f"{path}: 'g_ema' holds {key!r:.80}: {type(value).__name__}, "
                             "where a state dict has names and tensors")
    latent_avg = checkpoint.get("latent_avg")
    try:
        init_kwargs, tensors = to_nvlabs(
            state, latent_avg if torch.is_tensor(latent_avg) else None, path)
    except ModelError:
        raise
    except Exception as err:  # a hand-made state can have any shape
        raise ModelError(f"{path}: malformed 'g_ema' state ({_first_line(err)})") from err
    lr_mlp = getattr(checkpoint.get("args"), "lr_mlp", None)  # train.py's argument, if any
    if isinstance(lr_mlp, (int, float)):
        init_kwargs["mapping_kwargs"]["lr_multiplier"] = float(lr_mlp)
    return init_kwargs, tensors


_GLOBAL = re.compile(r"GLOBAL\s+([\w.]+)")
_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _refusal(path: Path, error: pickle.UnpicklingError) -> str:
    """torch's weights-only refusal as one line naming the file and what it refused.

    torch's own text suggests loading without the protection and (for the legacy format)
    carries terminal colour codes; neither belongs in performer's message.
    """
    text = _TERMINAL_CODES.sub("", str(error))
    found = _GLOBAL.search(text)
    if found is None:
        return f"{path}: not a readable PyTorch checkpoint ({_torch_reason(text)})"
    return (f"refused global '{found.group(1)}' in {path}: a rosinality checkpoint needs "
            "only tensors and plain data, and performer never runs code from a model file")


def _torch_reason(text: str) -> str:
    """The reason in torch's weights-only message, without its advice paragraphs."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    reasons = [p for p in paragraphs
               if not p.startswith(("Weights only load failed", "Check the documentation"))]
    return _first_line(ValueError(reasons[0] if reasons else "rejected in weights-only mode"))


def _first_line(error: Exception) -> str:
    """An exception as one short line, for a message that must stay on one line."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _allowing_namespace() -> AbstractContextManager[object]:
    """torch >= 2.5 can allow a named class in weights-only loads; older ones refuse it."""
    safe_globals = getattr(torch.serialization, "safe_globals", None)
    return safe_globals([argparse.Namespace]) if safe_globals else nullcontext()


def _layer_names(log_size: int) -> list[tuple[str, str]]:
    """(rosinality prefix, NVlabs prefix) of each styled conv, in noise order."""
    pairs = [("conv1", "synthesis.b4.conv1")]
    for j in range(log_size - 2):
        resolution = 2 ** (j + 3)
        pairs += [(f"convs.{2 * j}", f"synthesis.b{resolution}.conv0"),
                  (f"convs.{2 * j + 1}", f"synthesis.b{resolution}.conv1")]
    return pairs


def _rgb_names(log_size: int) -> list[tuple[str, str]]:
    pairs = [("to_rgb1", "synthesis.b4.torgb")]
    pairs += [(f"to_rgbs.{j}", f"synthesis.b{2 ** (j + 3)}.torgb") for j in range(log_size - 2)]
    return pairs


def name_map(log_size: int, mapping_layers: int) -> dict[str, str]:
    """rosinality tensor name -> NVlabs tensor name, for a network of 2**log_size px."""
    names = {f"style.{i + 1}.{p}": f"mapping.fc{i}.{p}"
             for i in range(mapping_layers) for p in ("weight", "bias")}
    names["input.input"] = "synthesis.b4.const"
    for n, (ros, nv) in enumerate(_layer_names(log_size)):
        names |= {f"{ros}.conv.weight": f"{nv}.weight",
                  f"{ros}.conv.modulation.weight": f"{nv}.affine.weight",
                  f"{ros}.conv.modulation.bias": f"{nv}.affine.bias",
                  f"{ros}.noise.weight": f"{nv}.noise_strength",
                  f"{ros}.activate.bias": f"{nv}.bias",
                  f"noises.noise_{n}": f"{nv}.noise_const"}
    for ros, nv in _rgb_names(log_size):
        names |= {f"{ros}.conv.weight": f"{nv}.weight",
                  f"{ros}.conv.modulation.weight": f"{nv}.affine.weight",
                  f"{ros}.conv.modulation.bias": f"{nv}.affine.bias",
                  f"{ros}.bias": f"{nv}.bias"}
    return names


def to_nvlabs(state: dict[str, torch.Tensor], latent_avg: torch.Tensor | None, source: Path,
              ) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    styles = sorted(int(m.group(1)) for k in state if (m := _STYLE.fullmatch(k)))
    if "input.input" not in state or not styles or "to_rgb1.conv.weight" not in state:
        raise ModelError(f"{source}: 'g_ema' is not a rosinality StyleGAN2 generator "
                         "(no input.input, style.N or to_rgb1 tensors)")
    log_size = 2 + sum(1 for k in state if re.fullmatch(r"to_rgbs\.\d+\.conv\.weight", k))
    w_dim = int(_ranked(state, f"style.{styles[0]}.weight", 2, source).shape[1])
    channels = {4: int(_ranked(state, "input.input", 4, source).shape[1])}
    for j in range(log_size - 2):
        if f"convs.{2 * j}.conv.weight" not in state:
            raise ModelError(f"{source}: missing convs.{2 * j}.conv.weight")
        channels[2 ** (j + 3)] = int(_ranked(state, f"convs.{2 * j}.conv.weight", 5, source)
                                     .shape[1])
    top = 2**log_size
    channel_max, channel_base = max(channels.values()), channels[top] * top
    if any(min(channel_base // r, channel_max) != c for r, c in channels.items()):
        raise ModelError(f"{source}: channel widths {channels} follow no "
                         "min(channel_base / resolution, channel_max) rule")
    init_kwargs: dict[str, Any] = {
        "z_dim": w_dim, "c_dim": 0, "w_dim": w_dim, "img_resolution": top, "img_channels": 3,
        "mapping_kwargs": {"num_layers": len(styles), "lr_multiplier": 0.01},
        "synthesis_kwargs": {"channel_base": channel_base, "channel_max": channel_max,
                             "num_fp16_res": 0, "conv_clamp": None},
    }
    names = name_map(log_size, len(styles))
    tensors: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        if _DROPPED.fullmatch(key):
            continue
        # Unknown names pass through under their own name: the strict check lists them.
        name = names.get(key, key)
        tensors[name] = _squeeze_leading(name, tensor)
    if latent_avg is not None:
        tensors["mapping.w_avg"] = latent_avg.reshape(-1)
    _add_filters(tensors, state, log_size, source)
    return init_kwargs, tensors


def _ranked(state: dict[str, torch.Tensor], key: str, rank: int, source: Path,
            ) -> torch.Tensor:
    """The tensor whose sizes tell the network's shape, with the axes rosinality gives it."""
    tensor = state[key]
    if tensor.ndim != rank:
        raise ModelError(f"{source}: {key} has shape {tuple(tensor.shape)}, not {rank} axes")
    return tensor


def _add_filters(tensors: dict[str, torch.Tensor], state: dict[str, torch.Tensor],
                 log_size: int, source: Path) -> None:
    """NVlabs keeps the FIR filter as buffers; rosinality's blur kernels must be that filter."""
    fir = filter_2d((1, 3, 3, 1))
    for key, tensor in state.items():
        if _DROPPED.fullmatch(key) and not torch.allclose(tensor.float(), fir * 4):
            raise ModelError(f"{source}: {key} is not the [1, 3, 3, 1] filter; "
                             "other resampling filters are not supported")
    tensors["synthesis.b4.resample_filter"] = fir
    tensors["synthesis.b4.conv1.resample_filter"] = fir
    for j in range(log_size - 2):
        block = f"synthesis.b{2 ** (j + 3)}"
        for name in ("resample_filter", "conv0.resample_filter", "conv1.resample_filter"):
            tensors[f"{block}.{name}"] = fir


def _squeeze_leading(name: str, tensor: torch.Tensor) -> torch.Tensor:
    """Drop rosinality's size-1 axes, by the NVlabs name the tensor goes to."""
    if name.endswith("noise_strength"):
        return tensor.reshape(())
    if name.endswith("noise_const"):
        return tensor.reshape(tensor.shape[-2:])
    if (name.endswith(".weight") and tensor.ndim == 5) or name == "synthesis.b4.const":
        return tensor[0]
    if name.endswith("torgb.bias"):
        return tensor.reshape(-1)
    return tensor


def from_nvlabs(tensors: dict[str, torch.Tensor], img_resolution: int,
                mapping_layers: int) -> dict[str, Any]:
    """The inverse renaming (with rosinality's shapes): writes test fixtures and documents it."""
    log_size = int(math.log2(img_resolution))
    inverse = {nv: ros for ros, nv in name_map(log_size, mapping_layers).items()}
    state: dict[str, Any] = {}
    for name, tensor in tensors.items():
        if name.endswith("resample_filter") or name == "mapping.w_avg":
            continue
        ros = inverse[name]
        if ros.endswith("conv.weight") or ros == "input.input":
            tensor = tensor[None]
        elif ros.startswith("noises."):
            tensor = tensor[None, None]
        elif ros.endswith("noise.weight"):
            tensor = tensor.reshape(1)
        elif ros.startswith("to_rgb") and ros.endswith(".bias") and "modulation" not in ros:
            tensor = tensor.reshape(1, -1, 1, 1)
        state[ros] = tensor.clone()
    kernel = filter_2d((1, 3, 3, 1)) * 4  # rosinality's blur and upsample buffers
    for j in range(log_size - 2):
        state[f"convs.{2 * j}.conv.blur.kernel"] = kernel.clone()
        state[f"to_rgbs.{j}.upsample.kernel"] = kernel.clone()
    return {"g_ema": state, "latent_avg": tensors["mapping.w_avg"].clone()}
