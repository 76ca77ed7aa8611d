"""Which neurons are dead, in what order they die, and what they show when dead.

The whole ablation state is a pure function of a few parameters (target layer, order,
seed, dead fraction, fill): the same values always give the same masks, so reviving
restores the original image exactly and offline renders repeat. The masks themselves are
the model's persistent `ChannelMask` buffers, rewritten in place only when that state
changes (or every frame for the noise fill).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from performer.controls import ALL_LAYERS, FILLS, ORDERS
from performer.frame import NeuronMap
from performer.models.base import AblatableGenerator, ChannelMask
from performer.models.stats import ModelStats

ORDER_CACHE_SIZE = 32  # death orders kept (each one int per neuron)


class AblationError(ValueError):
    """An ablation setting that names no layer, order or fill performer knows."""


@dataclass(frozen=True)
class AblationState:
    layer: str  # "all" or a layer name
    order: str  # one of controls.ORDERS
    seed: int
    dead: float  # fraction of the target neurons, 0..1
    fill: str  # one of controls.FILLS


def dead_count(fraction: float, target_size: int) -> int:
    """Neurons dead at `fraction`; the epsilon keeps rate × time sums from landing one short."""
    return min(target_size, max(0, math.floor(fraction * target_size + 1e-6)))


class Ablation:
    """Drives one model's masks from an AblationState."""

    def __init__(self, model: AblatableGenerator, stats: ModelStats) -> None:
        self.model = model
        self.masks: list[ChannelMask] = model.channel_masks()
        self.layer_names = tuple(m.info.name for m in self.masks)
        self.layer_sizes = tuple(m.info.channels for m in self.masks)
        self.offsets = np.cumsum((0, *self.layer_sizes))
        self.total = int(self.offsets[-1])
        device = self.masks[0].keep.device
        self._orders: dict[tuple[str, str, int], np.ndarray] = {}
        self._alive = np.ones(self.total, dtype=bool)
        self._applied: tuple[AblationState, int] | None = None
        self._noise = torch.Generator(device=device)
        self.use_stats(stats)

    def use_stats(self, stats: ModelStats) -> None:
        """Take (newly measured) statistics: orders are recomputed and the masks rewritten on
        the next `apply`. Statistics without importance (still being measured) make the
        importance order fall back to the magnitude order."""
        device = self.masks[0].keep.device
        # Per layer, on the model's device: mean maps (C, H, W) and std (C, 1, 1).
        self._mean = [stats.mean[n].to(device)[None] for n in self.layer_names]
        self._std = [stats.std[n].to(device)[None, :, None, None] for n in self.layer_names]
        self._magnitude = np.concatenate([stats.magnitude[n].numpy() for n in self.layer_names])
        self._importance: np.ndarray | None = None
        if stats.importance:
            self._importance = np.concatenate(
                [stats.importance[n].numpy() for n in self.layer_names])
        self._orders.clear()
        self._applied = None

    # --- order ----------------------------------------------------------------------
    def target(self, layer: str) -> np.ndarray:
        """Flat indices of the neurons `layer` names ('all' = every layer)."""
        if layer == ALL_LAYERS:
            return np.arange(self.total)
        i = self._layer_index(layer)
        return np.arange(self.offsets[i], self.offsets[i + 1])

    def _layer_index(self, layer: str) -> int:
        if layer not in self.layer_names:
            raise AblationError(f"unknown layer {layer!r}; layers: {', '.join(self.layer_names)}")
        return self.layer_names.index(layer)

    def order(self, layer: str, order: str, seed: int) -> np.ndarray:
        """Flat neuron indices of the target, first to die first. Cached per setting."""
        key = (layer, order, seed)
        cached = self._orders.pop(key, None)
        if cached is None:
            cached = self._compute_order(self.target(layer), order, seed)
            if len(self._orders) >= ORDER_CACHE_SIZE:  # a swept seed must not grow memory
                del self._orders[next(iter(self._orders))]
        self._orders[key] = cached  # most recently used last
        return cached

    def _compute_order(self, target: np.ndarray, order: str, seed: int) -> np.ndarray:
        if order == "index":
            return target
        if order == "random":
            return np.random.default_rng(seed).permutation(target)
        if order == "importance" and self._importance is not None:
            # measured effect on the image: comparable across layers
            return target[np.argsort(self._importance[target], kind="stable")]
        if order in ("magnitude", "importance"):  # importance: until it is measured
            # activation scales differ per layer: rank within the layer
            layer_of = np.searchsorted(self.offsets, target, side="right") - 1
            relative = np.empty(len(target))
            for layer in np.unique(layer_of):
                members = np.flatnonzero(layer_of == layer)
                ranks = np.argsort(np.argsort(self._magnitude[target[members]], kind="stable"))
                relative[members] = (ranks + 0.5) / len(members)
            return target[np.argsort(relative, kind="stable")]
        raise AblationError(f"unknown order {order!r}; orders: {', '.join(ORDERS)}")

    # --- state -> masks -------------------------------------------------------------
    def target_size(self, layer: str) -> int:
        """How many neurons `layer` names (per frame, so no array is built)."""
        if layer == ALL_LAYERS:
            return self.total
        return self.layer_sizes[self._layer_index(layer)]

    def apply(self, state: AblationState) -> None:
        """Make the masks show `state`. Cheap when nothing changed (except noise fill)."""
        if state.fill not in FILLS:
            raise AblationError(f"unknown fill {state.fill!r}; fills: {', '.join(FILLS)}")
        order = self.order(state.layer, state.order, state.seed)
        count = dead_count(state.dead, len(order))
        applied = (AblationState(state.layer, state.order, state.seed, 0.0, state.fill), count)
        if applied != self._applied:
            alive = np.ones(self.total, dtype=bool)
            alive[order[:count]] = False
            self._alive = alive
            self._write_masks(state.fill)
            self._applied = applied
        if state.fill == "noise" and count:
            self._write_noise()

    def _write_masks(self, fill: str) -> None:
        for i, mask in enumerate(self.masks):
            alive = torch.from_numpy(self._alive[self.offsets[i] : self.offsets[i + 1]])
            mask.keep.copy_(alive.to(mask.keep.dtype).view(1, -1, 1, 1))
            if fill == "mean":
                torch.mul(self._mean[i], 1.0 - mask.keep, out=mask.fill)
            else:  # zero; noise is written per frame on top of a zeroed fill
                mask.fill.zero_()

    def _write_noise(self) -> None:
        for i, mask in enumerate(self.masks):
            mask.fill.normal_(generator=self._noise)
            mask.fill.mul_(self._std[i]).add_(self._mean[i]).mul_(1.0 - mask.keep)

    def seed_noise(self, frame_seed: int) -> None:
        """Noise fill is seeded per frame, so renders of the same timeline repeat."""
        self._noise.manual_seed(frame_seed)

    # --- reading --------------------------------------------------------------------
    @property
    def cached_orders(self) -> int:
        """Death orders held in the cache (bounded by ORDER_CACHE_SIZE)."""
        return len(self._orders)

    @property
    def alive_count(self) -> int:
        return int(self._alive.sum())

    def neuron_map(self) -> NeuronMap:
        return NeuronMap(self._alive, self.layer_names, self.layer_sizes)
