"""Find and load a model by name or path, with errors that name the file and the problem."""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from performer.env import cache_dir
from performer.models.base import AblatableGenerator, ModelError, file_sha256, state_problems
from performer.models.dcgan import DCGANGenerator
from performer.models.formats.nvlabs import read_nvlabs_pickle
from performer.models.formats.rosinality import read_rosinality
from performer.models.stylegan2 import StyleGAN2Config, StyleGAN2Generator
from performer.models.stylegan2.cache import cached_weights, write_cache
from performer.models.stylegan2.checkpoint import W_AVG, build_generator, config_from
from performer.models.stylegan3 import StyleGAN3Config, StyleGAN3Generator
from performer.models.stylegan3 import checkpoint as stylegan3_checkpoint

log = logging.getLogger(__name__)

BUILTIN = "dcgan-faces"
"""The face model shipped inside the package (see performer/models/weights/)."""

CHECKPOINT_SUFFIXES = (".pkl", ".pt", ".pth")
"""StyleGAN checkpoints: NVlabs pickles (.pkl; StyleGAN2 and StyleGAN3) and rosinality torch
files (.pt, .pth; StyleGAN2)."""
FAMILIES = ("dcgan", "stylegan2", "stylegan3")


def builtin_weights_dir() -> Path:
    return Path(str(resources.files("performer.models.weights")))


def resolve(spec: str | None) -> Path:
    """A model name or path -> the .safetensors file to load."""
    if spec in (None, "", BUILTIN):
        return builtin_weights_dir() / "dcgan_faces.safetensors"
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelError(f"{path}: no such model file (the built-in model is '{BUILTIN}')")
    if path.is_dir():
        raise ModelError(f"{path}: is a folder, not a model file")
    if path.suffix != ".safetensors" and path.suffix not in CHECKPOINT_SUFFIXES:
        raise ModelError(f"{path}: unknown model format '{path.suffix}' "
                         "(expected .safetensors, an NVlabs .pkl or a rosinality .pt)")
    return path


def read_config(weights: Path) -> dict:
    """The JSON beside the weights (`name.json` for `name.safetensors`) says how to build it."""
    config_path = weights.with_suffix(".json")
    try:
        config = json.loads(config_path.read_text())
    except FileNotFoundError as err:
        raise ModelError(f"{weights}: missing its config file {config_path.name}") from err
    except (OSError, ValueError) as err:
        raise ModelError(f"{config_path}: unreadable config ({err})") from err
    if not isinstance(config, dict) or config.get("family") not in FAMILIES:
        raise ModelError(f"{config_path}: unknown model family {config.get('family')!r}")
    return config


def build(config: dict, source: Path) -> AblatableGenerator:
    try:
        if config["family"] == "stylegan2":
            return StyleGAN2Generator(StyleGAN2Config.from_dict(config))
        if config["family"] == "stylegan3":
            return StyleGAN3Generator(StyleGAN3Config.from_dict(config))
    except ValueError as err:  # either family's ConfigError
        raise ModelError(f"{source}: {err}") from err
    try:
        return DCGANGenerator(
            latent_size=int(config["latent_size"]),
            feature_maps=int(config["feature_maps"]),
            image_channels=int(config["image_channels"]),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ModelError(f"{source}: bad config entry {err}") from err


def load_state(model: AblatableGenerator, weights: Path) -> None:
    """Strict name and shape check that lists every mismatch in one message."""
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as err:
        raise ModelError(f"{weights}: not a readable safetensors file ({err})") from err
    expected = {k: v for k, v in model.state_dict().items() if "num_batches_tracked" not in k}
    problems = state_problems(expected, state)
    if problems:
        raise ModelError(f"{weights}: weights do not fit the model: " + "; ".join(problems))
    model.load_state_dict(state, strict=False)  # num_batches_tracked is not stored


def import_checkpoint(path: Path) -> tuple[AblatableGenerator, Path]:
    """A StyleGAN checkpoint as our generator, and the weights file that keys its statistics.

    The first load converts it into the cache (safetensors + JSON, keyed by the file's
    sha256); later loads read that and never unpickle.
    """
    try:
        digest = file_sha256(path)
    except OSError as err:
        raise ModelError(f"{path}: cannot read ({err})") from err
    target = cached_weights(cache_dir() / "models", path, digest)
    if target.exists():
        try:
            model = build(read_config(target), target)
            load_state(model, target)
            log.debug("using the converted %s", target)
            return model, target
        except ModelError as err:  # a damaged cache is converted again, never fatal
            log.warning("ignoring the damaged converted model (%s)", err)
    converted = convert(path)
    written = write_cache(converted, converted.config.to_dict(), target, path, digest)
    return converted, target if written else path


def convert(path: Path) -> StyleGAN2Generator | StyleGAN3Generator:
    """Our generator from a checkpoint: an NVlabs pickle of either family, or rosinality's."""
    if path.suffix != ".pkl":
        init_kwargs, tensors = read_rosinality(path)
        return build_generator(config_from(init_kwargs, path), tensors, path, (W_AVG,))
    checkpoint = read_nvlabs_pickle(path)
    if checkpoint.family == "stylegan3":
        config = stylegan3_checkpoint.config_from(checkpoint.init_kwargs, path)
        return stylegan3_checkpoint.build_generator(config, checkpoint.tensors, path)
    return build_generator(config_from(checkpoint.init_kwargs, path), checkpoint.tensors, path)


def load_model(spec: str | None, device: torch.device) -> AblatableGenerator:
    """Load a model for inference on `device` (eval mode, no gradients)."""
    path = resolve(spec)
    if path.suffix in CHECKPOINT_SUFFIXES:
        model, weights = import_checkpoint(path)
    else:
        model, weights = build(read_config(path), path), path
        load_state(model, path)
    model.name = path.stem
    model.weights_path = weights
    log.debug("loaded %s (%d neurons)", path, model.neuron_count)
    return model.eval().requires_grad_(False).place(device)
