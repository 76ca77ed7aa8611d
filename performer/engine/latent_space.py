"""Drift in Z or in W for models with a mapping network, and switching without a jump.

In Z the walk moves the Gaussian latent and every frame maps it to w. In W it moves
v = w - w_avg on its own hypersphere around the average face (the same great-circle walk,
so speed means the same), and glides to new faces never pass through the mapping's
bends, which looks calmer.
Both walks advance every frame, so either space is live when switched to:
- Z -> W: the W walk starts at the w on screen, so nothing moves at the switch; a glide
  to a new face still under way goes on to that face, in W, for the rest of its time;
- W -> Z: the picture glides from the w on screen to the Z walk's w over `drift.glide`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from performer.engine.drift import Drift, Glide, lerp
from performer.models.base import AblatableGenerator, has_w_space


class MappedGenerator(Protocol):
    """What a W-space drift needs of a model (StyleGAN2Generator has it)."""

    latent_size: int
    w_dim: int

    def sample_latents(self, count: int, seed: int) -> torch.Tensor: ...
    def map(self, z: torch.Tensor) -> torch.Tensor: ...
    def w_center(self) -> torch.Tensor: ...
    def synthesize_w(self, w: torch.Tensor) -> torch.Tensor: ...


def face_z(model: AblatableGenerator, seed: int) -> np.ndarray:
    """The Gaussian latent a face seed means (float64, for the walk's geometry)."""
    return model.sample_latents(1, seed)[0].double().numpy()


class LatentPath(Protocol):
    """How a model's latent moves each frame, and how a latent becomes an image."""

    output_space: str  # the space of the latent `step` returns: "z" or "w"

    def step(self, dt: float, speed: float, seed: int, glide_s: float, frozen: bool,
             space: str) -> torch.Tensor: ...

    def draw(self, latent: torch.Tensor) -> torch.Tensor: ...


def latent_path(model: AblatableGenerator, seed: int, device: torch.device) -> LatentPath:
    """Models with a mapping network drift in Z or W (drift.space); others in Z."""
    if has_w_space(model):
        return SpaceDrift(model, seed, device)
    return ZDrift(model, seed, device)


class ZDrift:
    """The walk in Z for models without a mapping network; `space` is ignored."""

    output_space = "z"

    def __init__(self, model: AblatableGenerator, seed: int, device: torch.device) -> None:
        self.model = model
        self.z = Drift(lambda s: face_z(model, s), seed)
        self._latent = torch.empty(1, model.latent_size, device=device)

    def step(self, dt: float, speed: float, seed: int, glide_s: float, frozen: bool,
             space: str = "z") -> torch.Tensor:
        z = self.z.step(dt, speed, seed, glide_s, frozen)
        self._latent.copy_(torch.from_numpy(z[None].astype(np.float32)))  # MPS has no float64
        return self._latent

    def draw(self, latent: torch.Tensor) -> torch.Tensor:
        return self.model(latent)


class SpaceDrift:
    """Owns both walks; `step` returns the untruncated w to draw, (1, w_dim) on the device."""

    output_space = "w"

    def __init__(self, model: AblatableGenerator, seed: int, device: torch.device) -> None:
        assert has_w_space(model)
        self.model: MappedGenerator = model  # type: ignore[assignment]
        self.device = device
        self.z = Drift(lambda s: face_z(model, s), seed)
        self.w: Drift | None = None  # made at the first switch to W, from the w on screen
        self.space = "z"
        self._blend: Glide | None = None  # W -> Z handover
        self._shown: np.ndarray | None = None
        self._center_cache: np.ndarray | None = None
        self._latent = torch.empty(1, self.model.w_dim, device=device)
        self._z = torch.empty(1, self.model.latent_size, device=device)

    def draw(self, w: torch.Tensor) -> torch.Tensor:
        """The image for w (truncation applied by the model)."""
        return self.model.synthesize_w(w)

    # --- faces ----------------------------------------------------------------------
    def _map(self, z: np.ndarray) -> np.ndarray:
        self._z.copy_(torch.from_numpy(z[None].astype(np.float32)))
        with torch.inference_mode():
            return self.model.map(self._z)[0].cpu().double().numpy()

    def _center(self) -> np.ndarray:
        """The average w (a constant of the loaded weights), read from the device once."""
        if self._center_cache is None:
            self._center_cache = self.model.w_center().cpu().double().numpy()
        return self._center_cache

    def _face_w(self, seed: int) -> np.ndarray:
        """A seed's face in W, as the offset from the average face."""
        return self._map(self.z.face(seed)) - self._center()

    # --- per frame ------------------------------------------------------------------
    def step(self, dt: float, speed: float, seed: int, glide_s: float, frozen: bool,
             space: str) -> torch.Tensor:
        if space != self.space:
            self._switch(space, glide_s)
        z = self.z.step(dt, speed, seed, glide_s, frozen)
        if self.space == "w":
            assert self.w is not None
            w = self.w.step(dt, speed, seed, glide_s, frozen) + self._center()
        else:
            w = self._map(z)
            if self._blend is not None:
                self._blend.end = w  # the Z walk's w moves on during the blend
                w = self._blend.advance(0.0 if frozen else dt)
                if self._blend.done:
                    self._blend = None
        self._shown = w
        self._latent.copy_(torch.from_numpy(w[None].astype(np.float32)))
        return self._latent

    def _switch(self, space: str, glide_s: float) -> None:
        shown = self._shown if self._shown is not None else self._map(self.z.z)
        if space == "w":
            self.w = Drift(self._face_w, self.z.seed, start=shown - self._center())
            gliding = self.z.glide
            if gliding is not None:  # the face asked for is still ahead: W glides there
                remaining = max(gliding.duration - gliding.elapsed, 0.0)
                self.w.glide = Glide(self.w.z.copy(), self._face_w(self.z.seed), remaining)
            self._blend = None
        elif glide_s > 0:
            self._blend = Glide(shown.copy(), shown.copy(), glide_s, path=lerp)
        self.space = space
