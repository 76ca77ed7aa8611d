"""Neuron statistics and the neuron map stay affordable for big StyleGAN2 models."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from performer.bench.models import small_stylegan2
from performer.models import stats as model_stats
from performer.models.loading import load_model
from performer.models.stylegan2 import StyleGAN2Config, StyleGAN2Generator
from performer.render.layout import grid_layout, screen_layout
from tests.models import nvlabs_fixtures as fixtures


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StyleGAN2Generator]:
    root = tmp_path_factory.mktemp("stylegan2-stats")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        fixtures.write_nvlabs_pickle(root / "g.pkl", conv_clamp=256.0, seed=21)
        loaded = load_model(str(root / "g.pkl"), torch.device("cpu"))
        assert isinstance(loaded, StyleGAN2Generator)
        yield loaded


def ranks(values: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(values)).astype(float)


def test_gradient_estimate_agrees_with_the_exact_importance(model: StyleGAN2Generator) -> None:
    with torch.inference_mode(), model_stats.capture(model) as seen:
        model(model.sample_latents(64, model_stats.SAMPLE_SEED))
        mean = {name: act.mean(0) for name, act in seen.items()}
    exact = model_stats.measure_importance(model, mean)
    estimate = model_stats.estimate_importance(model, mean, samples=8)
    names = [la.name for la in model.layers]
    a = np.concatenate([exact[n].numpy() for n in names])
    b = np.concatenate([estimate[n].numpy() for n in names])
    assert np.corrcoef(ranks(a), ranks(b))[0, 1] > 0.8  # the same death order, mostly
    for name in names:  # and the same scale, so layers compare as they do exactly
        ratio = float(estimate[name].mean() / exact[name].mean())
        assert 0.5 < ratio < 3.0, (name, ratio)
    for mask in model.channel_masks():  # the estimate left the masks as it found them
        assert bool((mask.keep == 1).all()) and not mask.fill.any()


def test_measuring_a_slow_model_stays_within_budget(
    model: StyleGAN2Generator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A budget 1/64 of this model's default volume: fewer latents, importance by gradient."""
    per_sample = sum(la.channels * la.height * la.width for la in model.layers)
    monkeypatch.setattr(model_stats, "MEASURE_FLOATS", per_sample * 16)
    monkeypatch.setattr(model_stats, "EXACT_FLOPS", model_stats.forward_flops(model))
    caplog.set_level(logging.INFO, logger="performer.models.stats")
    measured = model_stats.measure(model)
    assert "a big model: mean maps from 16 latents" in caplog.text
    assert "estimated from gradients" in caplog.text
    for layer in model.layers:
        assert measured.mean[layer.name].shape == (layer.channels, layer.height, layer.width)
        for kind in (measured.std, measured.magnitude, measured.importance):
            assert kind[layer.name].shape == (layer.channels,)
            assert torch.isfinite(kind[layer.name]).all()
        assert measured.importance[layer.name].max() > 0


def test_a_small_model_with_many_channels_estimates_importance_from_gradients() -> None:
    """The 32 px, 768-neuron StyleGAN2 whose 6,144 exact passes once took 298 s."""
    model = small_stylegan2(torch.device("cpu"))
    exact = model_stats.forward_flops(model) * model_stats.IMPORTANCE_SAMPLES * model.neuron_count
    assert exact > model_stats.EXACT_FLOPS


def test_capture_batches_are_bounded_by_memory() -> None:
    config = StyleGAN2Config(img_resolution=1024)
    layers = StyleGAN2Generator(config).layers
    per_sample = sum(la.channels * la.height * la.width for la in layers)
    assert model_stats.CAPTURE_FLOATS // per_sample == 0  # a batch of one at 1024 px


@pytest.mark.parametrize("resolution", [256, 1024])
def test_neuron_map_fits_thousands_of_channels(resolution: int) -> None:
    layers = StyleGAN2Generator(StyleGAN2Config(img_resolution=resolution)).layers
    sizes = tuple(la.channels for la in layers)
    assert sum(sizes) > 5000
    panel = screen_layout((1280, 720), (resolution, resolution), show_map=True).map
    assert panel is not None
    grid = grid_layout(sizes, panel.w, panel.h)
    assert grid.total == sum(sizes)
    assert grid.cell >= 4  # still readable cells, one per neuron, layers in their own rows
