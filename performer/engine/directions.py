"""drift.direction.1 .. 8: the face moved along the model's semantic directions.

The offset is added to the latent the walk hands over (after drift and glides, before the
model's truncation), so knobs, drift and glides combine; every knob at 0 adds nothing at all,
and the face is exactly the one the walk shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from performer.models.directions import COUNT, REACH, Directions

KNOBS = tuple(f"drift.direction.{i}" for i in range(1, COUNT + 1))


class DirectionKnobs:
    """The directions of one model, on its device, scaled so a knob at ±1 moves REACH
    standard deviations of the model's own latents."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.space: str | None = None
        self._steps: torch.Tensor | None = None  # (k, D)

    @property
    def ready(self) -> bool:
        return self._steps is not None

    def use(self, directions: Directions | None) -> None:
        if directions is None:
            self.space, self._steps = None, None
            return
        steps = directions.vectors * (directions.scales * REACH)[:, None]
        self.space, self._steps = directions.space, steps.to(self.device)

    def apply(self, latent: torch.Tensor, knobs: Sequence[float], space: str) -> torch.Tensor:
        """`latent` (1, D) in `space`, moved by the knobs; the same tensor when none is
        turned, or when the directions are not (yet) there or live in another space."""
        steps = self._steps
        if steps is None or space != self.space or not any(knobs):
            return latent
        coefficients = torch.tensor([list(knobs[: len(steps)])], dtype=latent.dtype,
                                    device=latent.device)  # (1, k)
        return torch.addmm(latent, coefficients, steps[: coefficients.shape[1]].to(latent.dtype))
