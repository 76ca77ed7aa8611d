"""Tap tempo, and the engine following the beat."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from performer.controls import make_registry
from performer.engine.clock import FixedClock
from performer.engine.engine import Engine
from performer.engine.tempo import TapTempo
from performer.models.base import AblatableGenerator
from performer.models.stats import ModelStats
from performer.params import Registry
from tests.helpers import layer_names

EngineFactory = Callable[..., Engine]


def test_tap_tempo_median_and_reset() -> None:
    taps = TapTempo()
    assert taps.tap(10.0) is None
    assert taps.tap(10.5) == pytest.approx(120.0)
    assert taps.tap(11.0) == pytest.approx(120.0)
    assert taps.tap(11.62) == pytest.approx(120.0)  # one late tap: the median holds
    assert taps.tap(20.0) is None  # a long pause starts over
    assert taps.tap(20.4) == pytest.approx(150.0)


def test_tap_trigger_sets_bpm_timed_when_each_tap_arrived(
        model: AblatableGenerator, stats: ModelStats) -> None:
    """Taps are timed when the registry applied them, not when the next frame is made: a
    slow generator does not quantise the tempo."""
    times = iter([1.0, 1.4, 1.8])
    registry = Registry(make_registry(layer_names(model)).params(), clock=lambda: next(times))
    engine = Engine(model, stats, registry, FixedClock(2.0))  # a slow generator: 2 fps
    for source in ("keyboard", "osc", "midi"):
        registry.set("tempo.tap", True, source)
        frame = engine.step()
    assert frame.values.float("tempo.bpm") == pytest.approx(150.0)
    assert registry.value("tempo.bpm") == pytest.approx(150.0)  # written back for feedback


def test_sync_reads_the_rate_as_neurons_per_beat(engine_factory: EngineFactory) -> None:
    per_second = engine_factory({"ablation.rate": 48.0}, fps=30)
    per_beat = engine_factory({"ablation.rate": 24.0, "ablation.sync": True,
                               "tempo.bpm": 120.0}, fps=30)
    for engine in (per_second, per_beat):
        for _ in range(31):  # one second
            engine.step()
    dead = [float(e.registry.value("ablation.dead")) for e in (per_second, per_beat)]
    assert dead[0] == pytest.approx(48.0 / 960)
    assert dead[1] == pytest.approx(dead[0])  # 24 per beat at 2 beats per second


def test_drift_bars_glides_to_a_new_face_every_n_bars(engine_factory: EngineFactory) -> None:
    engine = engine_factory({"drift.bars": 1, "tempo.bpm": 120.0}, fps=10)  # a bar is 2 s
    seeds = []
    for _ in range(61):  # 6 s after the first frame
        engine.step()
        seeds.append(int(engine.registry.value("drift.seed")))
    changes = [i for i in range(1, len(seeds)) if seeds[i] != seeds[i - 1]]
    assert changes == [20, 40, 60]
    engine.registry.set("drift.bars", 0)
    for _ in range(30):
        engine.step()
    assert int(engine.registry.value("drift.seed")) == seeds[-1]


def test_downbeat_restarts_the_bar_count(engine_factory: EngineFactory) -> None:
    engine = engine_factory({"drift.bars": 1, "tempo.bpm": 120.0}, fps=10)
    seeds = []
    for frame in range(41):
        if frame == 15:  # 1.5 s in: a MIDI clock start
            engine.registry.set("tempo.downbeat", True, "midi")
        engine.step()
        seeds.append(int(engine.registry.value("drift.seed")))
    changes = [i for i in range(1, len(seeds)) if seeds[i] != seeds[i - 1]]
    assert changes == [35]  # two seconds after the downbeat, not at 20


def test_two_taps_before_one_slow_frame_both_count(
        model: AblatableGenerator, stats: ModelStats) -> None:
    times = iter([1.0, 1.5, 2.0, 2.5])
    registry = Registry(make_registry(layer_names(model)).params(), clock=lambda: next(times))
    engine = Engine(model, stats, registry, FixedClock(0.5))  # one frame every 2 s
    for _ in range(2):
        registry.set("tempo.tap", True, "keyboard")
        registry.set("tempo.tap", True, "keyboard")
        frame = engine.step()
    assert frame.values.float("tempo.bpm") == pytest.approx(120.0)


def test_a_new_face_does_not_stop_the_bar_count(engine_factory: EngineFactory) -> None:
    engine = engine_factory({"drift.bars": 1, "tempo.bpm": 120.0}, fps=10)  # a bar is 2 s
    seeds = []
    for index in range(21):
        if index == 5:
            engine.registry.set("drift.new", True, "keyboard")
        seeds.append(engine.step().face_seed)
    changes = [i for i in range(1, len(seeds)) if seeds[i] != seeds[i - 1]]
    assert changes == [5, 20]  # the key, then the bar on time
