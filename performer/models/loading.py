"""Find and load a model by name or path, with errors that name the file and the problem."""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from performer.models.base import AblatableGenerator, ModelError
from performer.models.dcgan import DCGANGenerator

log = logging.getLogger(__name__)

BUILTIN = "dcgan-faces"
"""The face model shipped inside the package (see performer/models/weights/)."""


def builtin_weights_dir() -> Path:
    return Path(str(resources.files("performer.models.weights")))


def resolve(spec: str | None) -> Path:
    """A model name or path -> the .safetensors file to load."""
    if spec in (None, "", BUILTIN):
        return builtin_weights_dir() / "dcgan_faces.safetensors"
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelError(f"{path}: no such model file (the built-in model is '{BUILTIN}')")
    if path.suffix in (".pkl", ".pt", ".pth"):
        raise ModelError(
            f"{path}: StyleGAN checkpoints are not supported yet; "
            "performer loads its own .safetensors models"
        )
    if path.suffix != ".safetensors":
        raise ModelError(f"{path}: unknown model format '{path.suffix}' (expected .safetensors)")
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
    if not isinstance(config, dict) or config.get("family") != "dcgan":
        raise ModelError(f"{config_path}: unknown model family {config.get('family')!r}")
    return config


def build(config: dict, source: Path) -> AblatableGenerator:
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
    problems = [f"missing {k}" for k in expected if k not in state]
    problems += [f"unexpected {k}" for k in state if k not in expected]
    problems += [
        f"{k}: shape {tuple(state[k].shape)} != {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if problems:
        raise ModelError(f"{weights}: weights do not fit the model: " + "; ".join(problems))
    model.load_state_dict(state, strict=False)  # num_batches_tracked is not stored


def load_model(spec: str | None, device: torch.device) -> AblatableGenerator:
    """Load a model for inference on `device` (eval mode, no gradients)."""
    weights = resolve(spec)
    config = read_config(weights)
    model = build(config, weights)
    load_state(model, weights)
    model.name = weights.stem
    model.weights_path = weights
    log.debug("loaded %s (%d neurons)", weights, model.neuron_count)
    return model.eval().requires_grad_(False).to(device)
