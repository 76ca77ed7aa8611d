"""Building our generator from a checkpoint's tensors, with one error listing every misfit."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import torch

from performer.models.base import ModelError, state_problems
from performer.models.stylegan2.config import ConfigError, StyleGAN2Config
from performer.models.stylegan2.generator import StyleGAN2Generator

log = logging.getLogger(__name__)

W_AVG = "mapping.w_avg"
W_AVG_SAMPLES = 4096  # latents averaged when a checkpoint carries no w_avg
W_AVG_SEED = 9876


def config_from(init_kwargs: Mapping[str, Any], source: Path) -> StyleGAN2Config:
    try:
        return StyleGAN2Config.from_init_kwargs(init_kwargs)
    except ConfigError as err:
        raise ModelError(f"{source}: {err}") from err


def build_generator(config: StyleGAN2Config, tensors: Mapping[str, torch.Tensor], source: Path,
                    allow_missing: Collection[str] = ()) -> StyleGAN2Generator:
    """A generator holding `tensors` (NVlabs names), checked strictly, ready to `place`.

    The shapes are compared on torch's meta device first, which allocates nothing: only a
    config whose every tensor the file really holds gets a network built in memory.
    """
    try:
        with torch.device("meta"):
            shapes = StyleGAN2Generator(config).state_dict()
    except ConfigError as err:
        raise ModelError(f"{source}: {err}") from err
    problems = state_problems(shapes, tensors, allow_missing)
    if problems:
        shown = problems[:20] + ([f"... {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise ModelError(f"{source}: weights do not fit a StyleGAN2 generator with "
                         f"{_describe(config)}: " + "; ".join(shown))
    model = StyleGAN2Generator(config)
    expected = model.state_dict()
    for name, tensor in expected.items():
        if name.endswith("resample_filter") and not torch.allclose(tensors[name].float(), tensor):
            raise ModelError(f"{source}: {name} differs from the filter the config names "
                             f"({list(config.resample_filter)})")
    model.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=False)  # prepares
    if W_AVG in allow_missing and W_AVG not in tensors:
        estimate_w_avg(model)
    return model


def estimate_w_avg(model: StyleGAN2Generator) -> None:
    """Mean w over seeded latents: the truncation centre for checkpoints that lack one."""
    log.info("the checkpoint has no average latent; estimating it from %d samples", W_AVG_SAMPLES)
    z = torch.randn(W_AVG_SAMPLES, model.latent_size,
                    generator=torch.Generator().manual_seed(W_AVG_SEED))
    with torch.no_grad():
        w = model.mapping(z, torch.zeros(W_AVG_SAMPLES, model.class_count))
        model.mapping.w_avg.copy_(w.mean(dim=0))


def _describe(config: StyleGAN2Config) -> str:
    return (f"{config.img_resolution} px, z {config.z_dim}, w {config.w_dim}, "
            f"c {config.c_dim}, channel_base {config.channel_base}, "
            f"channel_max {config.channel_max}")
