"""Building our StyleGAN3 generator from a checkpoint's tensors, with one error listing every
misfit."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from performer.models.base import ModelError, state_problems
from performer.models.stylegan3.config import ConfigError, StyleGAN3Config
from performer.models.stylegan3.generator import StyleGAN3Generator


def config_from(init_kwargs: Mapping[str, Any], source: Path) -> StyleGAN3Config:
    try:
        return StyleGAN3Config.from_init_kwargs(init_kwargs)
    except ConfigError as err:
        raise ModelError(f"{source}: {err}") from err


def build_generator(config: StyleGAN3Config, tensors: Mapping[str, torch.Tensor],
                    source: Path) -> StyleGAN3Generator:
    """A generator holding `tensors` (NVlabs names), checked strictly, ready to `place`.

    The shapes are compared on torch's meta device first, which allocates nothing: only a
    config whose every tensor the file really holds gets a network built in memory. The
    low-pass filters are the file's own (they are part of what the network was trained with).
    """
    try:
        with torch.device("meta"):
            shapes = StyleGAN3Generator(config).state_dict()
    except ConfigError as err:
        raise ModelError(f"{source}: {err}") from err
    problems = state_problems(shapes, tensors)
    if problems:
        shown = problems[:20] + ([f"... {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise ModelError(f"{source}: weights do not fit a StyleGAN3 generator with "
                         f"{_describe(config)}: " + "; ".join(shown))
    model = StyleGAN3Generator(config)
    model.load_state_dict({k: v.float() for k, v in tensors.items()})  # prepares
    return model


def _describe(config: StyleGAN3Config) -> str:
    kind = "R" if config.conv_kernel == 1 else "T"
    return (f"config {kind}, {config.img_resolution} px, z {config.z_dim}, w {config.w_dim}, "
            f"c {config.c_dim}, {config.num_layers} layers, channel_base "
            f"{config.channel_base}, channel_max {config.channel_max}")
