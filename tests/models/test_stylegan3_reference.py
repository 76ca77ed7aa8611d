"""Our StyleGAN3 against NVlabs' own code: the same weights, latent and transform give the
same image (configs T and R), and the pieces that make it so are pinned down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from performer.models.base import ModelError, one_hot
from performer.models.stylegan3 import ConfigError, StyleGAN3Config, StyleGAN3Generator
from performer.models.stylegan3.checkpoint import build_generator
from performer.models.stylegan3.synthesis_input import inverse_user_transform
from tests.models.stylegan3_fixtures import FIXTURE, VARIANTS, Reference, reference

TOLERANCE = 1e-3  # max abs, float32, CPU (measured: under 1e-6 for both)
CPU = torch.device("cpu")


def build(ref: Reference, tensors: dict[str, torch.Tensor] | None = None) -> StyleGAN3Generator:
    config = StyleGAN3Config.from_init_kwargs(ref.nested_kwargs)
    return build_generator(config, tensors or ref.tensors, FIXTURE).place(CPU)


def generate(model: StyleGAN3Generator, ref: Reference) -> torch.Tensor:
    model.set_truncation(ref.psi)
    images = []
    with torch.inference_mode():
        for i in range(len(ref.z)):  # one sample at a time: the class is a model setting
            label = int(ref.c[i].argmax()) if ref.c.shape[1] else 0
            model.set_class_weights(one_hot(label, model.class_count))
            images.append(model(ref.z[i : i + 1]))
    return torch.cat(images)


@pytest.mark.parametrize("variant", VARIANTS)
def test_our_generator_reproduces_nvlabs_image(variant: str) -> None:
    ref = reference(variant)
    model = build(ref)
    plain = generate(model, ref)
    assert plain.shape == ref.image_plain.shape == (2, 3, 32, 32)
    assert (plain - ref.image_plain).abs().max() <= TOLERANCE
    # The samples differ from each other: the comparison is not against a flat image.
    assert (ref.image_plain[0] - ref.image_plain[1]).abs().max() > 50 * TOLERANCE


@pytest.mark.parametrize("variant", VARIANTS)
def test_pan_and_spin_match_nvlabs_input_transform(variant: str) -> None:
    ref = reference(variant)
    model = build(ref)
    model.set_transform(*ref.transform)
    moved = generate(model, ref)
    assert (moved - ref.image).abs().max() <= TOLERANCE
    assert (ref.image - ref.image_plain).abs().max() > 20 * TOLERANCE  # the transform shows


def test_a_transform_stored_in_the_checkpoint_is_honoured() -> None:
    ref = reference("t")
    tensors = dict(ref.tensors)
    tensors["synthesis.input.transform"] = inverse_user_transform(*ref.transform)
    images = generate(build(ref, tensors), ref)
    assert (images - ref.image).abs().max() <= TOLERANCE


@pytest.mark.parametrize(("variant", "name"), [("t", "synthesis.L2_52_32.weight"),
                                               ("r", "synthesis.L1_36_64.weight")])
def test_the_reference_catches_a_flipped_weight(variant: str, name: str) -> None:
    ref = reference(variant)
    tensors = dict(ref.tensors)
    tensors[name] = tensors[name].flip(0)
    images = generate(build(ref, tensors), ref)
    assert (images - ref.image_plain).abs().max() > 20 * TOLERANCE


@pytest.mark.parametrize("variant", VARIANTS)
def test_designed_filters_equal_the_checkpoint_filters(variant: str) -> None:
    ref = reference(variant)
    designed = StyleGAN3Generator(StyleGAN3Config.from_init_kwargs(ref.nested_kwargs))
    filters = {k: v for k, v in designed.state_dict().items() if k.endswith("_filter")}
    assert any(v.ndim == 2 for v in filters.values()) == (variant == "r")  # R: radial
    for name, taps in filters.items():
        assert torch.allclose(taps, ref.tensors[name], atol=1e-7), name


def test_config_t_and_r_are_read_from_the_arguments() -> None:
    t = StyleGAN3Config.from_init_kwargs(reference("t").nested_kwargs)
    r = StyleGAN3Config.from_init_kwargs(reference("r").nested_kwargs)
    assert (t.conv_kernel, t.use_radial_filters, t.conv_clamp) == (3, False, 256.0)
    assert (r.conv_kernel, r.use_radial_filters, r.conv_clamp, r.c_dim) == (1, True, 1.0, 3)
    names = [spec.name for spec in t.layer_specs()]
    assert names == ["L0_36_32", "L1_36_32", "L2_52_32", "L3_52_27", "L4_52_16", "L5_32_16",
                     "L6_32_3"]
    model = StyleGAN3Generator(t).place(CPU)
    assert [layer.name for layer in model.layers] == names[:-1]  # ToRGB is not ablatable
    # On the CPU every layer computes in float32, fp16 flags or not.
    assert any(layer.use_fp16 for layer in model.synthesis.all_layers)
    assert {layer.dtype for layer in model.synthesis.all_layers} == {torch.float32}


def test_every_misfit_is_listed_in_one_error() -> None:
    ref = reference("t")
    tensors = dict(ref.tensors)
    del tensors["mapping.fc1.bias"]
    tensors["synthesis.L1_36_32.weight"] = torch.zeros(3, 3, 3, 3)
    tensors["synthesis.extra"] = torch.zeros(1)
    config = StyleGAN3Config.from_init_kwargs(ref.nested_kwargs)
    with pytest.raises(ModelError) as caught:
        build_generator(config, tensors, Path("x.pkl"))
    message = str(caught.value)
    assert message.startswith("x.pkl: weights do not fit a StyleGAN3 generator with config T")
    assert "missing mapping.fc1.bias" in message
    assert "unexpected synthesis.extra" in message
    assert "synthesis.L1_36_32.weight: shape (3, 3, 3, 3) != (32, 32, 3, 3)" in message


@pytest.mark.parametrize(("change", "error"), [
    ({"img_resolution": 48}, "img_resolution 48 is not a power of two"),
    ({"num_layers": 1000}, "num_layers 1000 is outside 1..64"),
    ({"channel_max": 10**9}, "channel_max 1000000000 is outside 1..8192"),
    ({"conv_kernel": 2}, "conv_kernel 2 must be odd"),
    ({"img_channels": 4}, "only 3-channel generators load"),
    ({"first_cutoff": float("nan")}, "first_cutoff nan must be a positive number"),
    ({"filter_size": 100}, "filter_size 100 is outside 1..32"),
])
def test_impossible_or_oversized_configs_are_refused_by_name(change: dict, error: str) -> None:
    kwargs = reference("t").nested_kwargs
    for key, value in change.items():
        if key in kwargs:
            kwargs[key] = value
        else:
            kwargs["synthesis_kwargs"][key] = value
    with pytest.raises(ConfigError, match=error):
        StyleGAN3Config.from_init_kwargs(kwargs)


def test_config_round_trips_through_json() -> None:
    config = StyleGAN3Config.from_init_kwargs(reference("r").nested_kwargs)
    again = StyleGAN3Config.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
