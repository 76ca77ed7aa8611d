"""What every model family implements so ablation, drift and the display can drive it."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from performer.params import Param, Value


class ModelError(Exception):
    """A model file could not be read or does not describe a model performer can run."""


@dataclass(frozen=True)
class LayerInfo:
    """One ablatable layer: its channels are the neurons the performer switches off."""

    name: str
    channels: int
    height: int
    width: int


class ChannelMask(nn.Module):
    """Switches channels of one layer's post-activation output off, in place.

    `keep` is 1 for a live channel and 0 for a dead one; `fill` holds what a dead channel
    shows instead (already multiplied by 1 - keep). Both are buffers changed in place by
    the ablation controller and never replaced, so the forward pass is branch-free and the
    module can be captured in a CUDA graph.
    """

    keep: torch.Tensor
    fill: torch.Tensor

    def __init__(self, info: LayerInfo) -> None:
        super().__init__()
        self.info = info
        # keep: (1, C, 1, 1); fill: (1, C, H, W)
        self.register_buffer("keep", torch.ones(1, info.channels, 1, 1), persistent=False)
        self.register_buffer(
            "fill", torch.zeros(1, info.channels, info.height, info.width), persistent=False
        )

    def lay_out(self, memory_format: torch.memory_format) -> None:
        """Hold `fill` in the memory order the layer's output has (at placement, before any
        frame: the buffer is replaced once here, never while running)."""
        self.fill = self.fill.contiguous(memory_format=memory_format)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # One fused pass, in place: x = fill + x * keep (one kernel instead of mul_ + add_).
        # A live channel computes x * 1 + 0, which is exactly x, so revived neurons restore
        # the image bit for bit.
        if x.requires_grad:  # only while statistics are estimated by gradient, at load
            return torch.addcmul(self.fill, x, self.keep)
        return torch.addcmul(self.fill, x, self.keep, out=x)


@dataclass(frozen=True)
class DirectionBasis:
    """What a family's semantic directions are derived from, in closed form (SeFa): the
    rows of `weight` are the linear maps the network first applies to its latent (StyleGAN's
    style affines, DCGAN's first layer), and `space` names that latent: 'z' (the Gaussian
    input) or 'w' (after a mapping network; then the model has a W space, `has_w_space`)."""

    weight: torch.Tensor  # (outputs, latent dimension)
    space: str  # "z" or "w"


@dataclass(frozen=True)
class ModelControls:
    """A model family's own controls as typed values; each family subclasses it next to the
    declaration of its parameters (e.g. models/stylegan2/params.py)."""


class AblatableGenerator(nn.Module):
    """Base class for a generator whose hidden channels can be switched off.

    Subclasses build their layers, wrap each ablatable activation in a ChannelMask listed
    in `self.masks` (in the order the layers run), and implement `synthesize`. Families
    that derive buffers from their weights override `prepare`: it runs after every
    `load_state_dict` by itself (a post-hook), so no caller has to remember it.
    """

    latent_size: int
    resolution: int
    masks: nn.ModuleList
    class_count: int = 0  # labels of a class-conditional model; 0 = unconditional
    name: str = "model"  # set by the loader: the weights file's stem
    weights_path: Path | None = None  # set by the loader; keys the statistics cache

    def __init__(self) -> None:
        super().__init__()
        self.register_load_state_dict_post_hook(_prepare_after_load)

    def prepare(self) -> None:
        """Derive what the loaded weights imply; called after every load_state_dict."""

    def channel_masks(self) -> list[ChannelMask]:
        """The masks, typed, in the order the layers run."""
        return [mask for mask in self.masks if isinstance(mask, ChannelMask)]

    @property
    def layers(self) -> tuple[LayerInfo, ...]:
        return tuple(mask.info for mask in self.channel_masks())

    @property
    def neuron_count(self) -> int:
        return sum(layer.channels for layer in self.layers)

    def place(self, device: torch.device) -> AblatableGenerator:
        """Move the loaded model to `device`; families that derive buffers from their weights
        (or pick a precision per device) override this."""
        return self.to(device)

    def direction_basis(self) -> DirectionBasis | None:
        """The weights whose top eigenvectors are this model's semantic directions
        (models/directions.py); None: the family offers none."""
        return None

    def memory_bytes(self) -> int:
        """Bytes held by the weights and buffers (what one more model in a show costs)."""
        tensors = [*self.parameters(), *self.buffers()]
        return sum(t.numel() * t.element_size() for t in tensors)

    def extra_params(self) -> list[Param]:
        """Controls this model adds to the registry (truncation, noise...); none by default."""
        return []

    def read_controls(self, values: Mapping[str, Value]) -> ModelControls:
        """This family's typed controls from a frame's resolved values (the adapter between
        registry names and the network)."""
        return ModelControls()

    def apply_controls(self, controls: ModelControls, frame: int) -> None:
        """Per frame (index `frame`), before the forward pass: follow this model's own
        controls. Must be cheap when nothing changed."""

    def set_class_weights(self, weights: np.ndarray) -> None:
        """The label of a class-conditional model, (class_count,) weights (a one-hot, or a
        blend while the engine glides between classes)."""

    def sample_latents(self, count: int, seed: int) -> torch.Tensor:
        """Gaussian latents for `seed`, identical on every device: (count, latent_size)."""
        rng = torch.Generator().manual_seed(seed)
        return torch.randn(count, self.latent_size, generator=rng)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Latents (N, latent_size) -> images (N, 3, H, W) in [-1, 1]."""
        assert z.ndim == 2 and z.shape[1] == self.latent_size, tuple(z.shape)
        return self.synthesize(z)

    def synthesize(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def one_hot(index: int, count: int) -> np.ndarray:
    """The label of class `index` (clamped) among `count`: float64, (count,)."""
    vector = np.zeros(count)
    if count:
        vector[min(max(index, 0), count - 1)] = 1.0
    return vector


def has_w_space(model: object) -> bool:
    """True for models with a mapping network (z -> w): drift can move in W."""
    return all(hasattr(model, name) for name in ("map", "w_center", "synthesize_w"))


def _prepare_after_load(module: nn.Module, _incompatible: Any) -> None:
    assert isinstance(module, AblatableGenerator)
    module.prepare()


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks: names caches after their source."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def state_problems(expected: Mapping[str, torch.Tensor], state: Mapping[str, torch.Tensor],
                   allow_missing: Collection[str] = ()) -> list[str]:
    """Every missing, unexpected and wrongly shaped tensor, as short phrases."""
    problems = [f"missing {k}" for k in expected if k not in state and k not in allow_missing]
    problems += [f"unexpected {k}" for k in state if k not in expected]
    problems += [
        f"{k}: shape {tuple(state[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    return problems
