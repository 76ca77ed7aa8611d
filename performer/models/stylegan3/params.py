"""The controls a StyleGAN3 model adds to the registry, and their typed form for the network.

Truncation, the latent space and the class are StyleGAN2's (declared once, in
models/stylegan2/params.py); StyleGAN3 has no noise inputs, so the noise controls are left
out. What it adds is the input transform: a pan and a spin of the Fourier features, which
StyleGAN3 renders without texture sticking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from performer.models.base import ModelControls
from performer.models.stylegan2.params import stylegan2_params
from performer.params import Kind, Param, Value

_NOT_IN_STYLEGAN3 = ("model.noise", "model.noise_mode")

TRANSFORM_PARAMS = [
    Param("model.translate_x", Kind.FLOAT, 0.0,
          "StyleGAN3 only: moves the picture sideways, in image widths (the input's Fourier "
          "features move, so nothing sticks to the frame).", unit="widths", minimum=-1.0,
          maximum=1.0),
    Param("model.translate_y", Kind.FLOAT, 0.0,
          "StyleGAN3 only: moves the picture up or down, in image heights.", unit="heights",
          minimum=-1.0, maximum=1.0),
    Param("model.rotate", Kind.FLOAT, 0.0,
          "StyleGAN3 only: turns the picture, in degrees.", unit="degrees", minimum=-180.0,
          maximum=180.0),
]


def stylegan3_params(class_count: int) -> list[Param]:
    """StyleGAN2's truncation, latent space and class, plus the input transform."""
    shared = [p for p in stylegan2_params(class_count) if p.name not in _NOT_IN_STYLEGAN3]
    return shared + TRANSFORM_PARAMS


_DEFAULTS = {p.name: p.default for p in stylegan3_params(0)}


@dataclass(frozen=True)
class StyleGAN3Controls(ModelControls):
    truncation: float = 0.7  # psi
    translate_x: float = 0.0  # image widths
    translate_y: float = 0.0  # image heights
    rotate: float = 0.0  # degrees

    @classmethod
    def of(cls, values: Mapping[str, Value]) -> StyleGAN3Controls:
        """The controls from resolved values; names a registry lacks take their defaults."""
        def get(name: str) -> float:
            return float(values.get(name, _DEFAULTS[name]))

        return cls(get("model.truncation"), get("model.translate_x"), get("model.translate_y"),
                   get("model.rotate"))
