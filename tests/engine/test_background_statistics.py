"""A model's first start: the face at once, statistics measured in the background; until
importance is measured its order falls back to magnitude, and the frames say so."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from performer.controls import make_registry
from performer.engine import measurement
from performer.engine.clock import FixedClock
from performer.engine.engine import Engine
from performer.engine.session import open_session
from performer.engine.slot import MEASURING, READY, Update
from performer.models.base import AblatableGenerator
from performer.models.stats import ModelStats, stats_filename
from tests.helpers import layer_names
from tests.models import nvlabs_fixtures as fixtures


@pytest.fixture
def unmeasured(model: AblatableGenerator) -> Engine:
    registry = make_registry(layer_names(model))
    registry.set("ablation.order", "importance")
    registry.set("ablation.dead", 0.5)
    return Engine(model, None, registry, FixedClock(30.0))


def test_the_face_shows_before_anything_is_measured(unmeasured: Engine,
                                                    model: AblatableGenerator) -> None:
    frame = unmeasured.step()
    assert frame.model.statistics == MEASURING
    assert frame.neurons.alive_count == model.neuron_count - model.neuron_count // 2
    ablation = unmeasured.ablation
    assert np.array_equal(ablation.order("all", "importance", 0),
                          ablation.order("all", "magnitude", 0))


def test_importance_falls_back_to_magnitude_until_it_is_measured(
        unmeasured: Engine, stats: ModelStats, model: AblatableGenerator) -> None:
    unmeasured.step()
    partial = ModelStats(stats.mean, stats.std, stats.magnitude, {})
    unmeasured.slot.offer(Update(partial))
    frame = unmeasured.step()
    ablation = unmeasured.ablation
    by_magnitude = ablation.order("all", "magnitude", 0)
    assert frame.model.statistics == MEASURING
    assert np.array_equal(ablation.order("all", "importance", 0), by_magnitude)
    dead = np.flatnonzero(~frame.neurons.alive)
    assert set(dead) == set(by_magnitude[: len(dead)])

    unmeasured.slot.offer(Update(stats, statistics=READY))
    frame = unmeasured.step()
    by_importance = unmeasured.ablation.order("all", "importance", 0)
    assert frame.model.statistics == READY
    assert not np.array_equal(by_importance, by_magnitude)
    assert set(np.flatnonzero(~frame.neurons.alive)) == set(by_importance[: len(dead)])


def test_a_new_model_shows_at_once_and_caches_what_it_measured(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    fixtures.write_nvlabs_pickle(tmp_path / "new.pkl", seed=8)

    def first_frame() -> tuple[str, Callable[[], bool], Engine]:
        session = open_session(str(tmp_path / "new.pkl"), "cpu", FixedClock(30.0))
        frame = session.engine.step()
        return frame.model.statistics, lambda: session.settle(300.0), session.engine

    statistics, settle, engine = first_frame()
    assert statistics == MEASURING  # the face came first
    assert settle()
    assert engine.step().model.statistics == READY
    assert engine.slot.knobs.ready
    weights = engine.model.weights_path
    assert weights is not None
    assert (tmp_path / "cache" / "performer" / stats_filename(weights)).exists()
    statistics, settle, engine = first_frame()
    assert statistics == READY and engine.slot.knobs.ready  # read from the cache
    settle()


def test_a_failing_measurement_is_one_line_and_the_show_goes_on(
        unmeasured: Engine, model: AblatableGenerator, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_args: object) -> None:
        raise MemoryError("out of memory")

    monkeypatch.setattr(measurement, "measure_activity", broken)
    weights = model.weights_path
    assert weights is not None
    twin = measurement.measuring_copy(model)
    with caplog.at_level(logging.ERROR):
        measurement.measure_missing(unmeasured.slot, twin, weights, Update())
    assert [r.getMessage() for r in caplog.records] == [
        f"measuring {model.name} failed (out of memory); its statistics stay as they are"]
    frame = unmeasured.step()
    assert frame.model.statistics == "failed (MemoryError)"
    assert frame.image.shape == (64, 64, 3)
