"""StyleGAN3's mapping network: z (and an embedded class label) -> the intermediate latent w.

The same equalised layers as StyleGAN2's (NVlabs reuses them); what differs is the shape:
the label embeds to w_dim, every hidden layer is w_dim wide, and two layers are the norm.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from performer.models.stylegan2.equalized import EqualizedLinear
from performer.models.stylegan2.mapping import normalize_2nd_moment
from performer.models.stylegan3.config import StyleGAN3Config


class MappingNetwork(nn.Module):
    """`fc0 .. fc{n-1}` with the lr multiplier, `embed` for labels, and `w_avg`, the mean w
    that truncation pulls towards."""

    w_avg: Tensor

    def __init__(self, config: StyleGAN3Config) -> None:
        super().__init__()
        self.c_dim = config.c_dim
        widths = [config.z_dim + (config.w_dim if config.c_dim > 0 else 0)]
        widths += [config.w_dim] * config.mapping_layers
        if config.c_dim > 0:
            self.embed = EqualizedLinear(config.c_dim, config.w_dim)
        layers = []
        for i in range(config.mapping_layers):
            layer = EqualizedLinear(widths[i], widths[i + 1], "lrelu", config.lr_multiplier)
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
