"""The controls a StyleGAN2 model adds to the registry, and their typed form for the network.

The registry knows parameters by name; the network takes `StyleGAN2Controls`, a small frozen
value built from the resolved values by `StyleGAN2Controls.of`. `model.class` and
`drift.space` are declared here (this family has classes and a W space) and followed by the
engine: the class label glides like a face does, and the walk moves in Z or W.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from performer.models.base import ModelControls
from performer.params import Kind, Param, Value

NOISE_MODES = ("const", "random")
LATENT_SPACES = ("z", "w")


def stylegan2_params(class_count: int) -> list[Param]:
    """The controls a StyleGAN2 model adds (`model.class` only for class-conditional ones)."""
    params = [
        Param("model.truncation", Kind.FLOAT, 0.7,
              "Truncation psi: how far each face is from the average face (0 = the average, "
              "1 = as trained, above 1 = exaggerated).", minimum=0.0, maximum=1.5),
        Param("model.noise", Kind.FLOAT, 1.0,
              "Strength of the per-layer noise (fine detail: hair, skin); 1 = as trained.",
              minimum=0.0, maximum=2.0),
        Param("model.noise_mode", Kind.CHOICE, "const",
              "Noise that stays put (const) or is drawn anew every frame (random: shimmer).",
              choices=NOISE_MODES),
        Param("drift.space", Kind.CHOICE, "z",
              "Where the walk and glides move: the Gaussian latent z, or the intermediate "
              "latent w (more even, calmer); switching glides, never jumps.",
              choices=LATENT_SPACES),
    ]
    if class_count > 0:
        params.append(Param("model.class", Kind.INT, 0,
                            "Class of a class-conditional model (its label index); a new "
                            "class glides in over drift.glide.",
                            maximum=float(class_count - 1)))
    return params


_DEFAULTS = {p.name: p.default for p in stylegan2_params(0)}


@dataclass(frozen=True)
class StyleGAN2Controls(ModelControls):
    truncation: float = 0.7  # psi
    noise: float = 1.0  # strength of the per-layer noise
    random_noise: bool = False  # noise drawn anew every frame

    @classmethod
    def of(cls, values: Mapping[str, Value]) -> StyleGAN2Controls:
        """The controls from resolved values; names a registry lacks take their defaults."""
        def get(name: str) -> Value:
            return values.get(name, _DEFAULTS[name])

        return cls(float(get("model.truncation")), float(get("model.noise")),
                   str(get("model.noise_mode")) == "random")
