"""The latent walk: a face that slowly changes, and glides to new faces.

Gaussian latents live close to a hypersphere, so the walk moves along it: each step
rotates z by `speed × dt` radians towards a direction that itself wanders smoothly, which
keeps the step size bounded (no jumps) and the face always on-distribution. All randomness
comes from seeded generators, so the same timeline gives the same faces.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from performer.models.base import one_hot

WANDER = 1.5  # how fast the walking direction turns, radians per sqrt(second)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Great-circle interpolation, with the radius interpolated linearly."""
    ra, rb = np.linalg.norm(a), np.linalg.norm(b)
    ua, ub = a / ra, b / rb
    omega = math.acos(float(np.clip(ua @ ub, -1.0, 1.0)))
    if omega < 1e-6:
        direction = ua
    else:
        direction = (math.sin((1 - t) * omega) * ua + math.sin(t * omega) * ub) / math.sin(omega)
    return direction * ((1 - t) * ra + t * rb)


def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Straight-line interpolation: for labels and for blends between two spaces' latents."""
    return a + t * (b - a)


def smoothstep(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


@dataclass
class Glide:
    """A timed move from `start` to `end` along `path`, eased in and out (smoothstep).

    Every glide in performer is one of these: a new face (slerp in Z or W), a switch from
    W back to Z (lerp towards a moving end), a new class label (lerp of one-hots).
    """

    start: np.ndarray
    end: np.ndarray
    duration: float
    elapsed: float = 0.0
    path: Callable[[np.ndarray, np.ndarray, float], np.ndarray] = slerp

    def advance(self, dt: float) -> np.ndarray:
        self.elapsed += dt
        return self.position()

    def position(self) -> np.ndarray:
        if self.duration <= 0:
            return self.end.copy()
        return self.path(self.start, self.end, smoothstep(self.elapsed / self.duration))

    @property
    def done(self) -> bool:
        return self.elapsed >= self.duration


class Drift:
    """Owns the current latent. `face(seed)` says which latent a seed means."""

    def __init__(self, face: Callable[[int], np.ndarray], seed: int,
                 start: np.ndarray | None = None) -> None:
        self.face = face
        self.seed = seed
        self.z = (face(seed) if start is None else start).astype(np.float64)  # start: a handover
        self._rng = np.random.default_rng(seed)
        self._direction = self._tangent(self._rng.standard_normal(self.z.shape))
        self.glide: Glide | None = None

    def _tangent(self, vector: np.ndarray) -> np.ndarray:
        """The part of `vector` orthogonal to z, as a unit vector."""
        unit = self.z / np.linalg.norm(self.z)
        tangent = vector - (vector @ unit) * unit
        return tangent / max(float(np.linalg.norm(tangent)), 1e-12)

    def step(self, dt: float, speed: float, seed: int, glide_s: float, frozen: bool) -> np.ndarray:
        """Advance by dt seconds and return the latent for this frame."""
        if seed != self.seed:
            self.seed = seed
            self.glide = Glide(self.z.copy(), self.face(seed).astype(np.float64), glide_s)
        if frozen or dt <= 0:
            return self.z
        if self.glide is not None:
            self.z = self.glide.advance(dt)
            if self.glide.done:
                self.glide = None
                self._direction = self._tangent(self._direction)
            return self.z
        if speed > 0:
            self._walk(speed * dt, dt)
        return self.z

    def _walk(self, angle: float, dt: float) -> None:
        # Brownian turning: the whole turn vector (not each coordinate) has size
        # WANDER * sqrt(dt), so the path looks the same at any frame rate.
        turn = self._rng.standard_normal(self.z.shape) * (WANDER * math.sqrt(dt / self.z.size))
        direction = self._tangent(self._direction + turn)
        radius = np.linalg.norm(self.z)
        unit = self.z / radius
        self.z = radius * (math.cos(angle) * unit + math.sin(angle) * direction)
        # Carry the direction along the great circle so the path stays smooth.
        self._direction = self._tangent(-math.sin(angle) * unit + math.cos(angle) * direction)


class ClassBlend:
    """The label of a class-conditional model: a one-hot that glides to a new class over
    `drift.glide` seconds, so the face morphs instead of cutting."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.index: int | None = None
        self.weights = one_hot(0, count)
        self._glide: Glide | None = None

    def step(self, index: int, glide_s: float, dt: float) -> np.ndarray | None:
        """The label weights for this frame, or None when they did not change."""
        if index != self.index:
            first, self.index = self.index is None, index
            if first or glide_s <= 0.0:
                self._glide = None
                self.weights = one_hot(index, self.count)
                return self.weights
            self._glide = Glide(self.weights.copy(), one_hot(index, self.count), glide_s, path=lerp)
        if self._glide is None:
            return None
        self.weights = self._glide.advance(dt)
        if self._glide.done:
            self._glide = None
        return self.weights
