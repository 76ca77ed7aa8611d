"""The project's own StyleGAN3 generator (NVlabs stylegan3's alias-free network, configs T, R)."""

from performer.models.stylegan3.config import ConfigError, StyleGAN3Config
from performer.models.stylegan3.generator import StyleGAN3Generator

__all__ = ["ConfigError", "StyleGAN3Config", "StyleGAN3Generator"]
