"""Our StyleGAN2 against NVlabs' own code: the same weights give the same image.

tests/fixtures/stylegan2_reference.npz was written by scripts/make_stylegan2_reference.py
from NVlabs' stylegan2-ada-pytorch (their Generator on the CPU, noise_mode='const',
force_fp32=True): random weights under their names, z, class labels, psi and the image.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from performer.models.base import ModelError, one_hot
from performer.models.stylegan2 import ConfigError, StyleGAN2Config, StyleGAN2Generator
from performer.models.stylegan2.checkpoint import build_generator

FIXTURE = Path(__file__).parents[1] / "fixtures" / "stylegan2_reference.npz"
TOLERANCE = 1e-3  # max abs, float32, CPU (measured: 7e-6 and 3e-6)
VARIANTS = ("plain", "clamp_cond")


def reference(variant: str) -> tuple[dict, dict[str, torch.Tensor], dict[str, np.ndarray]]:
    data = np.load(FIXTURE)
    prefix = f"{variant}/"
    kwargs = json.loads(str(data[prefix + "init_kwargs"]))
    extras = {"z", "c", "psi", "image", "init_kwargs"}
    tensors = {k[len(prefix):]: torch.from_numpy(data[k]) for k in data.files
               if k.startswith(prefix) and k[len(prefix):] not in extras}
    values = {k: data[prefix + k] for k in ("z", "c", "psi", "image")}
    return kwargs, tensors, values


def generate(model: StyleGAN2Generator, z: np.ndarray, c: np.ndarray, psi: float) -> np.ndarray:
    model.set_truncation(psi)
    images = []
    with torch.inference_mode():
        for i in range(len(z)):  # one sample at a time: the class is a model setting
            model.set_class_weights(one_hot(int(c[i].argmax()) if c.shape[1] else 0,
                                            model.class_count))
            images.append(model(torch.from_numpy(z[i : i + 1]))[0].numpy())
    return np.stack(images)


@pytest.mark.parametrize("styles_on", ["chosen", "weights", "maps"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_our_generator_reproduces_nvlabs_image(variant: str, styles_on: str) -> None:
    """Each layer puts its styles on the weights or on the maps, whichever costs less at its
    size; both ways, forced on every layer, give NVlabs' image."""
    kwargs, tensors, values = reference(variant)
    config = StyleGAN2Config.from_init_kwargs(kwargs)
    model = build_generator(config, tensors, FIXTURE).place(torch.device("cpu"))
    if styles_on != "chosen":
        for layer in model.synthesis.layers:
            layer.styles_on_maps = styles_on == "maps"
    images = generate(model, values["z"], values["c"], float(values["psi"]))
    expected = values["image"]
    assert images.shape == expected.shape == (3, 3, 32, 32)
    assert np.abs(images - expected).max() <= TOLERANCE
    # The samples differ from each other: the comparison is not against a flat image.
    assert np.abs(expected[0] - expected[1]).max() > 0.5


def test_the_reference_catches_a_swapped_weight() -> None:
    kwargs, tensors, values = reference("plain")
    tensors["synthesis.b16.conv0.weight"] = tensors["synthesis.b16.conv0.weight"].flip(0)
    model = build_generator(StyleGAN2Config.from_init_kwargs(kwargs), tensors, FIXTURE)
    model.place(torch.device("cpu"))
    images = generate(model, values["z"], values["c"], float(values["psi"]))
    assert np.abs(images - values["image"]).max() > 100 * TOLERANCE


def test_conv_clamp_and_fp16_flags_are_read_from_the_config() -> None:
    kwargs, _, _ = reference("clamp_cond")
    config = StyleGAN2Config.from_init_kwargs(kwargs)
    assert config.conv_clamp == 2.0 and config.c_dim == 3 and config.num_fp16_res == 2
    assert config.fp16_resolution == 16
    model = StyleGAN2Generator(config).place(torch.device("cpu"))
    # On the CPU every block computes in float32, fp16 flags or not.
    assert [b.use_fp16 for b in model.synthesis.blocks] == [False, False, True, True]
    assert {b.dtype for b in model.synthesis.blocks} == {torch.float32}


def test_every_misfit_is_listed_in_one_error() -> None:
    kwargs, tensors, _ = reference("plain")
    del tensors["mapping.fc1.bias"]
    tensors["synthesis.b8.conv0.weight"] = torch.zeros(3, 3, 3, 3)
    tensors["synthesis.extra"] = torch.zeros(1)
    with pytest.raises(ModelError) as caught:
        build_generator(StyleGAN2Config.from_init_kwargs(kwargs), tensors, Path("x.pkl"))
    message = str(caught.value)
    assert message.startswith("x.pkl: weights do not fit")
    assert "missing mapping.fc1.bias" in message
    assert "unexpected synthesis.extra" in message
    assert "synthesis.b8.conv0.weight: shape (3, 3, 3, 3) != (16, 16, 3, 3)" in message


@pytest.mark.parametrize("architecture", ["orig", "resnet"])
def test_other_architectures_are_refused_by_name(architecture: str) -> None:
    kwargs, _, _ = reference("plain")
    kwargs["synthesis_kwargs"]["architecture"] = architecture
    with pytest.raises(ConfigError, match=f"architecture '{architecture}' is not supported"):
        StyleGAN2Config.from_init_kwargs(kwargs)


def test_config_round_trips_through_json() -> None:
    kwargs, _, _ = reference("clamp_cond")
    config = StyleGAN2Config.from_init_kwargs(kwargs)
    again = StyleGAN2Config.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
