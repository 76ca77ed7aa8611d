"""Timing helpers every benchmark shares: interleaved rounds, and the bare forward pass.

Each comparison interleaves its contenders in short rounds, so a noisy shared machine
slows both sides alike and the ratios stay meaningful.
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from performer.models.base import ChannelMask
from performer.models.device import synchronize

ROUNDS = 6


def _rate(step: Callable[[], object], seconds: float) -> float:
    """Calls per second of `step` over about `seconds`."""
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        step()
        count += 1
    return count / elapsed


def interleaved(contenders: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    """Median rate of each contender over ROUNDS alternating rounds."""
    for step in contenders.values():  # warm up caches and allocators
        _rate(step, 0.2)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(ROUNDS):
        for name, step in contenders.items():
            samples[name].append(_rate(step, seconds / ROUNDS))
    return {name: statistics.median(values) for name, values in samples.items()}


def without_masks(model: nn.Module) -> nn.Module:
    """A copy of the model whose ChannelMasks are plain identities: the bare forward pass."""
    bare = copy.deepcopy(model)
    for name, module in list(bare.named_modules()):
        if isinstance(module, ChannelMask):
            parent_name, _, attr = name.rpartition(".")
            setattr(bare.get_submodule(parent_name) if parent_name else bare, attr, nn.Identity())
    return bare


def timed_forward(net: nn.Module, z: torch.Tensor, device: torch.device) -> Callable[[], object]:
    """One forward pass of `net`, waited for on the device (so GPU time counts)."""
    def run() -> object:
        with torch.inference_mode():
            out = net(z)
        synchronize(device)
        return out

    return run
