"""The mapping network: z (and an embedded class label) -> the intermediate latent w."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from performer.models.stylegan2.config import StyleGAN2Config
from performer.models.stylegan2.equalized import EqualizedLinear


def normalize_2nd_moment(x: Tensor, eps: float = 1e-8) -> Tensor:
    """Scale each row to unit root-mean-square (the pixel norm StyleGAN applies to inputs)."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


class MappingNetwork(nn.Module):
    """`fc0 .. fc{n-1}` with the lr multiplier, `embed` for labels, and `w_avg`, the mean w
    that truncation pulls towards (tracked during training, a constant here)."""

    w_avg: Tensor

    def __init__(self, config: StyleGAN2Config) -> None:
        super().__init__()
        self.c_dim = config.c_dim
        embed = config.embed_features if config.c_dim > 0 else 0
        widths = [config.z_dim + embed]
        widths += [config.layer_features] * (config.mapping_layers - 1) + [config.w_dim]
        if config.c_dim > 0:
            self.embed = EqualizedLinear(config.c_dim, embed)
        layers = []
        for i in range(config.mapping_layers):
            layer = EqualizedLinear(widths[i], widths[i + 1], config.mapping_activation,
                                    config.lr_multiplier)
            setattr(self, f"fc{i}", layer)  # NVlabs' names, so their state dict loads as is
            layers.append(layer)
        self.layers: tuple[EqualizedLinear, ...] = tuple(layers)
        self.register_buffer("w_avg", torch.zeros(config.w_dim))

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
