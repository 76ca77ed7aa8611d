"""Per-neuron statistics a model needs for ablation, measured once and cached on disk.

- `mean[layer]`  (C, H, W): each channel's mean activation map over many latents; dead
  neurons show it with the "mean" fill, so a fully ablated model ends at its average.
- `std[layer]`   (C,): spread of each channel, the scale of the "noise" fill.
- `magnitude[layer]` (C,): mean absolute activation, for the "magnitude" death order.
- `importance[layer]` (C,): mean absolute change of the output image when that channel
  alone is replaced by its mean, for the "importance" death order.

Files are `<weights sha256 prefix>.stats.safetensors`, looked up beside the weights first
(the built-in model ships its own) and then in the user cache directory.

Measuring stays affordable for big models (a 1024 px StyleGAN2 has ~6000 channels and
takes seconds per image on a CPU): batches are bounded by memory, and the number of
latents by the activation volume they make (a stand-in for time that, unlike a clock,
gives every machine the same statistics). Importance is measured exactly, one forward pass
per channel, only where those passes fit `EXACT_FLOPS` floating-point operations (torch
counts one pass, `forward_flops`); otherwise it is estimated from gradients, a few passes
for all channels at once (see `estimate_importance`). Activation volume alone chose the
exact passes for small models whose convolutions do thousands of operations per
activation: a 32 px, 768-channel StyleGAN2 spent 298 s on 6,144 of them.
`performer bench` times every stage on that model.
The measurement runs in two stages (`measure_activity`, then importance), so a show can
start at once and use the first stage while the second runs (engine/measurement.py).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch.utils.flop_counter import FlopCounterMode

from performer.env import cache_dir
from performer.models.base import AblatableGenerator, file_sha256

log = logging.getLogger(__name__)

STATS_VERSION = "1"
SAMPLE_SEED = 1234
MEAN_SAMPLES = 512
IMPORTANCE_SAMPLES = 8
MIN_MEAN_SAMPLES = 16
MEASURE_FLOATS = 1 << 31  # activation values the mean maps, or the gradient estimate, make
EXACT_FLOPS = 3e11  # operations the exact importance passes may take (~30 s on 2 cores)
CAPTURE_FLOATS = 1 << 24  # activations captured per batch (64 MB of float32)
PROJECTIONS = 4  # random output projections per sample for the gradient estimate


Layered = dict[str, torch.Tensor]  # one tensor per layer name


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
    def unmeasured(cls, model: AblatableGenerator) -> ModelStats:
        """What stands in before anything is measured: zero means and spreads, no order
        information (the magnitude order is then the channel order)."""
        layers = model.layers
        return cls({la.name: torch.zeros(la.channels, la.height, la.width) for la in layers},
                   {la.name: torch.zeros(la.channels) for la in layers},
                   {la.name: torch.zeros(la.channels) for la in layers}, {})

    @property
    def complete(self) -> bool:
        """False while importance is still being measured."""
        return bool(self.importance)

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
    return file_sha256(weights)[:16]


@contextmanager
def capture(model: AblatableGenerator) -> Iterator[dict[str, torch.Tensor]]:
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


def forward_flops(model: AblatableGenerator, z: torch.Tensor | None = None) -> int:
    """Floating-point operations of one forward pass on `z` (default: one sample of the
    model's own latents), as torch's FlopCounterMode counts them: the multiply-adds of
    convolutions and matmuls, 2 each (the zeros a transposed convolution inserts are not
    counted)."""
    if z is None:
        device = next(model.parameters()).device
        z = model.sample_latents(1, SAMPLE_SEED).to(device)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(z)
    return max(int(counter.get_total_flops()), 1)


def measure(model: AblatableGenerator, batch: int = 64) -> ModelStats:
    """Measure all statistics with every neuron alive (masks must be in their reset state)."""
    mean, std, magnitude = measure_activity(model, batch)
    return ModelStats(mean, std, magnitude,
                      measure_importance_within(model, mean, forward_flops(model)))


def measure_activity(model: AblatableGenerator, batch: int = 64,
                     ) -> tuple[Layered, Layered, Layered]:
    """Mean maps, spreads and magnitudes (what the fills and the magnitude order need), from
    MEAN_SAMPLES latents or as many as MEASURE_FLOATS pays for."""
    device = next(model.parameters()).device
    per_sample = sum(layer.channels * layer.height * layer.width for layer in model.layers)
    batch = max(1, min(batch, CAPTURE_FLOATS // per_sample))
    samples = MEAN_SAMPLES
    if per_sample * MEAN_SAMPLES > MEASURE_FLOATS:  # big models: fewer latents, said once
        samples = max(MIN_MEAN_SAMPLES, MEASURE_FLOATS // per_sample)
        log.info("a big model: mean maps from %d latents", samples)
    sums: dict[str, torch.Tensor] = {}
    squares: dict[str, torch.Tensor] = {}
    absolute: dict[str, torch.Tensor] = {}
    latents = model.sample_latents(samples, SAMPLE_SEED).to(device)
    with torch.inference_mode(), capture(model) as seen:
        for start in range(0, samples, batch):
            model(latents[start : start + batch])
            for name, act in seen.items():  # act: (N, C, H, W)
                act64 = act.cpu().double()  # float64 sums; MPS has no float64
                sums[name] = sums.get(name, 0) + act64.sum(0)
                squares[name] = squares.get(name, 0) + (act64 * act64).sum((0, 2, 3))
                absolute[name] = absolute.get(name, 0) + act64.abs().sum((0, 2, 3))
    mean, std, magnitude = {}, {}, {}
    for layer in model.layers:
        pixels = samples * layer.height * layer.width
        mean[layer.name] = (sums[layer.name] / samples).float().cpu()
        channel_mean = sums[layer.name].sum((1, 2)) / pixels
        variance = squares[layer.name] / pixels - channel_mean**2
        std[layer.name] = variance.clamp_min(0).sqrt().float().cpu()
        magnitude[layer.name] = (absolute[layer.name] / pixels).float().cpu()
    return mean, std, magnitude


def measure_importance_within(model: AblatableGenerator, mean: dict[str, torch.Tensor],
                              flops: int) -> dict[str, torch.Tensor]:
    """Importance exactly (one pass per channel) where EXACT_FLOPS pays for it, else
    estimated from gradients (a forward and a backward pass cost about three forward)."""
    if flops * IMPORTANCE_SAMPLES * model.neuron_count <= EXACT_FLOPS:
        return measure_importance(model, mean)
    log.info("importance of %d channels estimated from gradients", model.neuron_count)
    per_sample = sum(layer.channels * layer.height * layer.width for layer in model.layers)
    passes = MEASURE_FLOATS // (3 * PROJECTIONS * per_sample)
    return estimate_importance(model, mean, max(1, passes))


def estimate_importance(model: AblatableGenerator, mean: dict[str, torch.Tensor],
                        samples: int) -> dict[str, torch.Tensor]:
    """First-order estimate of `measure_importance`, for every channel from a few passes.

    Replacing channel c by its mean map changes the image by about J·d_c, with d_c = mean_c
    - a_c. A zero scalar e_c per channel and sample, added as a_c + e_c·d_c, has gradient
    v·(J·d_c) for the loss v·image; over Gaussian projections v, E[(v·J·d_c)²] = |J·d_c|².
    So each forward and backward pass gives all channels at once; the root mean square per
    pixel, times sqrt(2/pi), estimates the mean absolute change the exact measure reports.
    """
    device = next(model.parameters()).device
    samples = min(samples, IMPORTANCE_SAMPLES)
    z = model.sample_latents(samples, SAMPLE_SEED + 1).to(device)
    rng = torch.Generator(device=device).manual_seed(SAMPLE_SEED + 2)
    masks = model.channel_masks()
    squared = {m.info.name: torch.zeros(m.info.channels, dtype=torch.float64) for m in masks}
    pixels = 1
    for index in range(samples):
        scales = {m.info.name: torch.zeros(1, m.info.channels, 1, 1, device=device,
                                           requires_grad=True) for m in masks}
        handles = []
        for mask in masks:
            def perturb(_module: torch.nn.Module, _inputs: object, output: torch.Tensor,
                        name: str = mask.info.name,
                        scale: torch.Tensor = scales[mask.info.name]) -> torch.Tensor:
                change = mean[name].to(device)[None] - output.detach()
                return output + scale * change

            handles.append(mask.register_forward_hook(perturb))
        try:
            for _ in range(PROJECTIONS):
                with torch.enable_grad():
                    image = model(z[index : index + 1])
                    pixels = image.numel()
                    projection = torch.randn(image.shape, generator=rng, device=device)
                    grads = torch.autograd.grad((image * projection).sum(),
                                                list(scales.values()))
                for name, grad in zip(scales, grads, strict=True):
                    squared[name] += grad.detach().double().cpu().reshape(-1) ** 2
        finally:
            for handle in handles:
                handle.remove()
    scale = math.sqrt(2.0 / math.pi) / math.sqrt(pixels)
    return {name: (total / (samples * PROJECTIONS)).sqrt().mul(scale).float()
            for name, total in squared.items()}


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


def cached(weights: Path, filename: str) -> dict[str, torch.Tensor] | None:
    """Tensors cached for these weights under `filename`: beside the weights first (the
    built-in model ships its own), then in the user cache; None when there are none."""
    for folder in (weights.parent, cache_dir()):
        candidate = folder / filename
        if candidate.exists():
            try:
                return load_file(str(candidate))
            except Exception as err:  # a damaged cache is remeasured, never fatal
                log.warning("ignoring unreadable cache %s (%s)", candidate, err)
    return None


def save_cached(tensors: dict[str, torch.Tensor], filename: str,
                save_dir: Path | None = None) -> None:
    """Write to `save_dir` (default the user cache) atomically: a temp file, then a rename."""
    target = (save_dir or cache_dir()) / filename
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        save_file(tensors, str(partial))
        os.replace(partial, target)
    except OSError as err:
        log.warning("could not cache %s (%s); it will be measured again", filename, err)


def cached_stats(weights: Path) -> ModelStats | None:
    tensors = cached(weights, stats_filename(weights))
    if tensors is None:
        return None
    try:
        return ModelStats.from_tensors(tensors)
    except (KeyError, TypeError, ValueError) as err:
        log.warning("ignoring malformed statistics for %s (%s)", weights.name, err)
        return None


def load_or_measure(
    model: AblatableGenerator, weights: Path, save_dir: Path | None = None
) -> ModelStats:
    """Cached statistics for these weights, measured and saved (to `save_dir`, default the
    user cache) on first use."""
    stats = cached_stats(weights)
    if stats is not None:
        return stats
    log.info("measuring neuron statistics for %s (once; cached afterwards)", weights.name)
    started = time.perf_counter()
    stats = measure(model)
    log.info("measured in %.1f s", time.perf_counter() - started)
    save_cached(stats.to_tensors(), stats_filename(weights), save_dir)
    return stats
