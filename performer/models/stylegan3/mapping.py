"""StyleGAN3's mapping network: StyleGAN2's (NVlabs reuses its layers) in another shape: the
label embeds to w_dim, every hidden layer is w_dim wide, and two layers are the norm."""

from __future__ import annotations

from performer.models.stylegan2.mapping import MappingShape
from performer.models.stylegan3.config import StyleGAN3Config


def mapping_shape(config: StyleGAN3Config) -> MappingShape:
    return MappingShape(config.z_dim, config.c_dim, config.w_dim, config.w_dim, config.w_dim,
                        config.mapping_layers, "lrelu", config.lr_multiplier)
