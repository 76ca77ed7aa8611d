"""What StyleGAN2 and StyleGAN3 share around their synthesis networks: the mapping network,
the class label, truncation, and the W-space entry points the engine's walks and the
direction knobs use. A family builds its synthesis; this holds the rest once."""

from __future__ import annotations

from typing import Generic, TypeVar

import numpy as np
import torch
from torch import Tensor, nn

from performer.models.base import AblatableGenerator
from performer.models.stylegan2.mapping import MappingNetwork, MappingShape

Synthesis = TypeVar("Synthesis", bound=nn.Module)


class WSpaceGenerator(AblatableGenerator, Generic[Synthesis]):
    """A style-based generator: z -> w (mapping) -> truncation -> image (`synthesis`)."""

    psi: Tensor
    label: Tensor
    synthesis: Synthesis  # set by the family: w (N, w_dim) -> image (N, C, R, R)

    def __init__(self, mapping: MappingShape, resolution: int) -> None:
        super().__init__()
        self.latent_size = mapping.z_dim
        self.w_dim = mapping.w_dim
        self.resolution = resolution
        self.class_count = mapping.c_dim
        self.mapping = MappingNetwork(mapping)
        self.register_buffer("psi", torch.ones(()), persistent=False)  # truncation psi
        self.register_buffer("label", torch.zeros(1, mapping.c_dim), persistent=False)

    def set_truncation(self, psi: float) -> None:
        self.psi.fill_(psi)

    def set_class_weights(self, weights: np.ndarray) -> None:
        self.label.copy_(torch.from_numpy(np.asarray(weights, dtype=np.float32)[None]))

    def map(self, z: Tensor) -> Tensor:
        """z (N, z_dim) -> w (N, w_dim), untruncated, for the current class."""
        return self.mapping(z, self.label.expand(z.shape[0], -1))

    def w_center(self) -> Tensor:
        """The average w (the face truncation pulls towards): (w_dim,)."""
        return self.mapping.w_avg

    def truncate(self, w: Tensor) -> Tensor:
        return torch.lerp(self.mapping.w_avg, w, self.psi)

    def synthesize(self, z: Tensor) -> Tensor:
        return self.synthesis(self.truncate(self.map(z)))

    def synthesize_w(self, w: Tensor) -> Tensor:
        """Untruncated w (N, w_dim) -> image (N, C, R, R): the W-space entry point."""
        return self.synthesis(self.truncate(w))
