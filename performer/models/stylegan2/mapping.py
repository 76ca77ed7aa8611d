"""The mapping network: z (and an embedded class label) -> the intermediate latent w."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from performer.models.stylegan2.config import StyleGAN2Config
from performer.models.stylegan2.equalized import EqualizedLinear


def normalize_2nd_moment(x: Tensor, eps: float = 1e-8) -> Tensor:
    """Scale each row to unit root-mean-square (the pixel norm StyleGAN applies to inputs)."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


@dataclass(frozen=True)
class MappingShape:
    """What a mapping network is made of: StyleGAN2 and StyleGAN3 differ only here."""

    z_dim: int
    c_dim: int  # 0: no class labels
    w_dim: int
    embed_features: int  # the label's embedding width (unused without labels)
    layer_features: int  # the hidden layers' width
    layers: int
    activation: str
    lr_multiplier: float

    @classmethod
    def of(cls, config: StyleGAN2Config) -> MappingShape:
        return cls(config.z_dim, config.c_dim, config.w_dim, config.embed_features,
                   config.layer_features, config.mapping_layers, config.mapping_activation,
                   config.lr_multiplier)


class MappingNetwork(nn.Module):
    """`fc0 .. fc{n-1}` with the lr multiplier, `embed` for labels, and `w_avg`, the mean w
    that truncation pulls towards (tracked during training, a constant here)."""

    w_avg: Tensor

    def __init__(self, shape: MappingShape) -> None:
        super().__init__()
        self.c_dim = shape.c_dim
        embed = shape.embed_features if shape.c_dim > 0 else 0
        widths = [shape.z_dim + embed]
        widths += [shape.layer_features] * (shape.layers - 1) + [shape.w_dim]
        if shape.c_dim > 0:
            self.embed = EqualizedLinear(shape.c_dim, embed)
        layers = []
        for i in range(shape.layers):
            layer = EqualizedLinear(widths[i], widths[i + 1], shape.activation,
                                    shape.lr_multiplier)
            setattr(self, f"fc{i}", layer)  # NVlabs' names, so their state dict loads as is
            layers.append(layer)
        self.layers: tuple[EqualizedLinear, ...] = tuple(layers)
        self.register_buffer("w_avg", torch.zeros(shape.w_dim))

    def prepare(self) -> None:
        for module in self.modules():
            if isinstance(module, EqualizedLinear):
                module.prepare()

    def forward(self, z: Tensor, c: Tensor) -> Tensor:
        """z (N, z_dim), c (N, c_dim) -> w (N, w_dim), untruncated."""
        x = normalize_2nd_moment(z.float())
        if self.c_dim > 0:
            y = normalize_2nd_moment(self.embed(c.float()))
            x = torch.cat([x, y], dim=1)
        for layer in self.layers:
            x = layer(x)
        return x
