"""The project's own StyleGAN2 generator (NVlabs stylegan2-ada-pytorch's 'skip' network)."""

from performer.models.stylegan2.config import ConfigError, StyleGAN2Config
from performer.models.stylegan2.generator import StyleGAN2Generator

__all__ = ["ConfigError", "StyleGAN2Config", "StyleGAN2Generator"]
