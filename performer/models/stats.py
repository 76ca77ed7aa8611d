"""Per-neuron statistics a model needs for ablation, measured once and cached on disk.

- `mean[layer]`  (C, H, W): each channel's mean activation map over many latents; dead
  neurons show it with the "mean" fill, so a fully ablated model ends at its average.
- `std[layer]`   (C,): spread of each channel, the scale of the "noise" fill.
- `magnitude[layer]` (C,): mean absolute activation, for the "magnitude" death order.
- `importance[layer]` (C,): mean absolute change of the output image when that channel
  alone is replaced by its mean, for the "importance" death order.

Files are `<weights sha256 prefix>.stats.safetensors`, looked up beside the weights first
(the built-in model ships its own) and then in the user cache directory.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from performer.env import cache_dir
from performer.models.base import AblatableGenerator

log = logging.getLogger(__name__)

STATS_VERSION = "1"
SAMPLE_SEED = 1234
MEAN_SAMPLES = 512
IMPORTANCE_SAMPLES = 8


@dataclass(frozen=True)
class ModelStats:
    mean: dict[str, torch.Tensor]
    std: dict[str, torch.Tensor]
    magnitude: dict[str, torch.Tensor]
    importance: dict[str, torch.Tensor]

    def to_tensors(self) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for kind in ("mean", "std", "magnitude", "importance"):
            for layer, tensor in getattr(self, kind).items():
                out[f"{kind}.{layer}"] = tensor.contiguous()
        return out

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor]) -> ModelStats:
        parts: dict[str, dict[str, torch.Tensor]] = {
            k: {} for k in ("mean", "std", "magnitude", "importance")
        }
        for key, tensor in tensors.items():
            kind, layer = key.split(".", 1)
            parts[kind][layer] = tensor
        return cls(**parts)


def weights_key(weights: Path) -> str:
    digest = hashlib.sha256()
    with weights.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


@contextmanager
def _capture(model: AblatableGenerator) -> Iterator[dict[str, torch.Tensor]]:
    """Record each mask's output during forward passes (load-time only; hooks removed after)."""
    seen: dict[str, torch.Tensor] = {}
    handles = []
    for mask in model.channel_masks():

        def hook(_module: torch.nn.Module, _inputs: object, output: torch.Tensor,
                 name: str = mask.info.name) -> None:
            seen[name] = output.detach().clone()

        handles.append(mask.register_forward_hook(hook))
    try:
        yield seen
    finally:
        for handle in handles:
            handle.remove()


def measure(model: AblatableGenerator, batch: int = 64) -> ModelStats:
    """Measure all statistics with every neuron alive (masks must be in their reset state)."""
    device = next(model.parameters()).device
    sums: dict[str, torch.Tensor] = {}
    squares: dict[str, torch.Tensor] = {}
    absolute: dict[str, torch.Tensor] = {}
    latents = model.sample_latents(MEAN_SAMPLES, SAMPLE_SEED).to(device)
    with torch.inference_mode(), _capture(model) as seen:
        for start in range(0, MEAN_SAMPLES, batch):
            model(latents[start : start + batch])
            for name, act in seen.items():  # act: (N, C, H, W)
                act64 = act.cpu().double()  # float64 sums; MPS has no float64
                sums[name] = sums.get(name, 0) + act64.sum(0)
                squares[name] = squares.get(name, 0) + (act64 * act64).sum((0, 2, 3))
                absolute[name] = absolute.get(name, 0) + act64.abs().sum((0, 2, 3))
    mean, std, magnitude = {}, {}, {}
    for layer in model.layers:
        pixels = MEAN_SAMPLES * layer.height * layer.width
        mean[layer.name] = (sums[layer.name] / MEAN_SAMPLES).float().cpu()
        channel_mean = sums[layer.name].sum((1, 2)) / pixels
        variance = squares[layer.name] / pixels - channel_mean**2
        std[layer.name] = variance.clamp_min(0).sqrt().float().cpu()
        magnitude[layer.name] = (absolute[layer.name] / pixels).float().cpu()
    importance = measure_importance(model, mean)
    return ModelStats(mean, std, magnitude, importance)


def measure_importance(
    model: AblatableGenerator, mean: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Output change when each channel alone is replaced by its mean map (one pass each)."""
    device = next(model.parameters()).device
    z = model.sample_latents(IMPORTANCE_SAMPLES, SAMPLE_SEED + 1).to(device)
    importance: dict[str, torch.Tensor] = {}
    with torch.inference_mode():
        reference = model(z).clone()
        for mask in model.channel_masks():
            name = mask.info.name
            layer_mean = mean[name].to(device)
            scores = torch.empty(mask.info.channels)
            for channel in range(mask.info.channels):
                mask.keep[0, channel] = 0.0
                mask.fill[0, channel] = layer_mean[channel]
                scores[channel] = (model(z) - reference).abs().mean()
                mask.keep[0, channel] = 1.0
                mask.fill[0, channel] = 0.0
            importance[name] = scores
    return importance


def stats_filename(weights: Path) -> str:
    return f"{weights_key(weights)}.stats.v{STATS_VERSION}.safetensors"


def load_or_measure(
    model: AblatableGenerator, weights: Path, save_dir: Path | None = None
) -> ModelStats:
    """Cached statistics for these weights, measured and saved (to `save_dir`, default the
    user cache) on first use."""
    filename = stats_filename(weights)
    for folder in (weights.parent, cache_dir()):
        candidate = folder / filename
        if candidate.exists():
            try:
                return ModelStats.from_tensors(load_file(str(candidate)))
            except Exception as err:  # a damaged cache is remeasured, never fatal
                log.warning("ignoring unreadable statistics %s (%s)", candidate, err)
    log.info("measuring neuron statistics for %s (once; cached afterwards)", weights.name)
    started = time.perf_counter()
    stats = measure(model)
    log.info("measured in %.1f s", time.perf_counter() - started)
    try:
        target = (save_dir or cache_dir()) / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        save_file(stats.to_tensors(), str(target))
    except OSError as err:
        log.warning("could not cache statistics (%s); they will be measured again", err)
    return stats
