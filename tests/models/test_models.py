"""The built-in DCGAN: conversion fidelity, layout, shipped statistics, loading errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from performer.models import BUILTIN, ModelError, load_model
from performer.models.base import AblatableGenerator
from performer.models.loading import builtin_weights_dir
from performer.models.stats import ModelStats, stats_filename, weights_key

CPU = torch.device("cpu")
FIXTURES = Path(__file__).parents[1] / "fixtures"
WEIGHTS = builtin_weights_dir() / "dcgan_faces.safetensors"
CONFIG = builtin_weights_dir() / "dcgan_faces.json"

# Converted weights must reproduce the upstream checkpoint's images to this tolerance
# (same ops in the same order on the CPU; any renaming mistake shows up as O(1) errors).
CONVERSION_TOLERANCE = 1e-5


# --- conversion ---------------------------------------------------------------------


def test_converted_weights_reproduce_the_original_checkpoint(model: AblatableGenerator) -> None:
    reference = np.load(FIXTURES / "dcgan_reference.npz")
    z, expected = reference["z"], reference["images"]
    assert z.shape == (4, 100) and expected.shape == (4, 3, 64, 64)
    with torch.inference_mode():
        images = model(torch.from_numpy(z)).numpy()
    assert images.shape == expected.shape
    assert np.abs(images - expected).max() <= CONVERSION_TOLERANCE
    # The fixture is four different faces, not a constant: the comparison means something.
    assert np.abs(expected[0] - expected[1]).max() > 0.1


def test_a_wrongly_mapped_weight_breaks_the_reference(tmp_path: Path) -> None:
    """The fixture catches a conversion mix-up (two blocks' batch-norm scales swapped)."""
    state = load_file(str(WEIGHTS))
    scale = state["block1.norm.weight"].clone()
    state["block1.norm.weight"] = scale.flip(0).contiguous()
    weights = tmp_path / "swapped.safetensors"
    save_file(state, str(weights))
    shutil.copy(CONFIG, tmp_path / "swapped.json")
    model = load_model(str(weights), CPU)
    reference = np.load(FIXTURES / "dcgan_reference.npz")
    with torch.inference_mode():
        images = model(torch.from_numpy(reference["z"])).numpy()
    assert np.abs(images - reference["images"]).max() > 100 * CONVERSION_TOLERANCE


# --- the model's contract -----------------------------------------------------------


def test_layers_are_the_four_hidden_blocks(model: AblatableGenerator) -> None:
    assert [(la.name, la.channels, la.height) for la in model.layers] == [
        ("block0", 512, 4),
        ("block1", 256, 8),
        ("block2", 128, 16),
        ("block3", 64, 32),
    ]
    assert model.neuron_count == 960
    assert model.latent_size == 100 and model.resolution == 64


def test_loaded_for_inference(model: AblatableGenerator) -> None:
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    assert model.name == "dcgan_faces"


def test_images_are_in_range_and_differ_per_latent(model: AblatableGenerator) -> None:
    z = model.sample_latents(3, 11)
    with torch.inference_mode():
        images = model(z)
    assert images.shape == (3, 3, 64, 64)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert (images[0] - images[1]).abs().max() > 0.1


def test_sample_latents_is_seeded(model: AblatableGenerator) -> None:
    assert torch.equal(model.sample_latents(2, 5), model.sample_latents(2, 5))
    assert not torch.equal(model.sample_latents(2, 5), model.sample_latents(2, 6))
    assert model.sample_latents(4, 5).shape == (4, 100)


def test_load_by_explicit_path_equals_builtin(model: AblatableGenerator) -> None:
    other = load_model(str(WEIGHTS), CPU)
    z = model.sample_latents(2, 1)
    with torch.inference_mode():
        assert torch.equal(other(z), model(z))
    assert load_model(BUILTIN, CPU).neuron_count == 960


# --- shipped statistics --------------------------------------------------------------


def test_statistics_ship_under_the_weights_hash() -> None:
    name = stats_filename(WEIGHTS)
    assert name.startswith(weights_key(WEIGHTS))
    assert (WEIGHTS.parent / name).exists()


def test_statistics_fit_the_model(model: AblatableGenerator, stats: ModelStats) -> None:
    for layer in model.layers:
        mean = stats.mean[layer.name]
        assert mean.shape == (layer.channels, layer.height, layer.width)
        for kind in (stats.std, stats.magnitude, stats.importance):
            assert kind[layer.name].shape == (layer.channels,)
            assert torch.isfinite(kind[layer.name]).all()
        assert (stats.std[layer.name] >= 0).all()
        assert (stats.importance[layer.name] >= 0).all()
        assert stats.importance[layer.name].max() > 0
        # Activations are post-ReLU (non-negative), so the mean |activation| of a channel is
        # its mean map averaged over the pixels: the shipped numbers agree with each other.
        assert (mean >= 0).all()
        torch.testing.assert_close(mean.mean((1, 2)), stats.magnitude[layer.name],
                                   rtol=1e-4, atol=1e-6)


def test_statistics_round_trip_through_tensors(stats: ModelStats) -> None:
    again = ModelStats.from_tensors(stats.to_tensors())
    for kind in ("mean", "std", "magnitude", "importance"):
        ours, theirs = getattr(stats, kind), getattr(again, kind)
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[k], theirs[k]) for k in ours)


# --- loading errors: a ModelError that names the file ---------------------------------


def _expect_model_error(spec: Path, *fragments: str) -> ModelError:
    with pytest.raises(ModelError) as caught:
        load_model(str(spec), CPU)
    message = str(caught.value)
    assert str(spec) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return caught.value


def _beside_config(weights: Path) -> None:
    shutil.copy(CONFIG, weights.with_suffix(".json"))


def test_missing_file(tmp_path: Path) -> None:
    _expect_model_error(tmp_path / "nowhere.safetensors", "no such model file")


def test_corrupt_safetensors(tmp_path: Path) -> None:
    weights = tmp_path / "corrupt.safetensors"
    weights.write_bytes(b"\x07\x00\x00\x00\x00\x00\x00\x00{not json at all" + bytes(64))
    _beside_config(weights)
    error = _expect_model_error(weights, "not a readable safetensors file")
    assert error.__cause__ is not None  # the library's error is kept as the cause


def test_truncated_safetensors(tmp_path: Path) -> None:
    weights = tmp_path / "truncated.safetensors"
    weights.write_bytes(WEIGHTS.read_bytes()[: 1 << 16])
    _beside_config(weights)
    _expect_model_error(weights, "not a readable safetensors file")


def test_wrong_shaped_weight(tmp_path: Path) -> None:
    state = load_file(str(WEIGHTS))
    state["block2.conv.weight"] = torch.zeros(256, 100, 4, 4)
    weights = tmp_path / "wrong.safetensors"
    save_file(state, str(weights))
    _beside_config(weights)
    _expect_model_error(weights, "block2.conv.weight", "(256, 100, 4, 4)", "(256, 128, 4, 4)")


def test_missing_and_unexpected_weights_are_all_listed(tmp_path: Path) -> None:
    state = load_file(str(WEIGHTS))
    del state["to_rgb.weight"]
    del state["block0.norm.bias"]
    state["extra.weight"] = torch.zeros(1)
    weights = tmp_path / "partial.safetensors"
    save_file(state, str(weights))
    _beside_config(weights)
    _expect_model_error(
        weights, "missing to_rgb.weight", "missing block0.norm.bias", "unexpected extra.weight"
    )


@pytest.mark.parametrize("suffix", [".pkl", ".pt", ".pth"])
def test_unreadable_checkpoints_name_the_file(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    checkpoint = tmp_path / f"network-snapshot{suffix}"
    checkpoint.write_bytes(b"\x80\x04not to be unpickled")
    _expect_model_error(checkpoint, "not a readable")


def test_unknown_format(tmp_path: Path) -> None:
    weights = tmp_path / "model.onnx"
    weights.write_bytes(b"\x00")
    _expect_model_error(weights, ".onnx")


def test_missing_config(tmp_path: Path) -> None:
    weights = tmp_path / "lonely.safetensors"
    shutil.copy(WEIGHTS, weights)
    _expect_model_error(weights, "lonely.json")


def test_unknown_family(tmp_path: Path) -> None:
    weights = tmp_path / "gan.safetensors"
    shutil.copy(WEIGHTS, weights)
    config = json.loads(CONFIG.read_text())
    config["family"] = "stylegan4"
    weights.with_suffix(".json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="stylegan4") as caught:
        load_model(str(weights), CPU)
    assert "gan.json" in str(caught.value)


def test_unreadable_config(tmp_path: Path) -> None:
    weights = tmp_path / "broken.safetensors"
    shutil.copy(WEIGHTS, weights)
    weights.with_suffix(".json").write_text("{ this is not json")
    with pytest.raises(ModelError, match=r"broken\.json"):
        load_model(str(weights), CPU)


def test_bad_config_entry(tmp_path: Path) -> None:
    weights = tmp_path / "odd.safetensors"
    shutil.copy(WEIGHTS, weights)
    config = json.loads(CONFIG.read_text())
    del config["feature_maps"]
    weights.with_suffix(".json").write_text(json.dumps(config))
    _expect_model_error(weights, "feature_maps")
