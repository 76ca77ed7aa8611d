"""Tempo: MIDI clock -> BPM, tap tempo, and the engine following the beat."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from performer.controls import make_registry
from performer.engine import Engine
from performer.tempo import PPQN, ClockFollower, TapTempo, attach_tap

EngineFactory = Callable[..., Engine]


def pulses(follower: ClockFollower, bpm: float, beats: float, start: float = 0.0,
           jitter: float = 0.0) -> tuple[float | None, float]:
    """Feed `beats` beats of clock at `bpm`; returns the last estimate and the end time."""
    interval = 60.0 / bpm / PPQN
    estimate, when = None, start
    for i in range(int(beats * PPQN)):
        when = start + i * interval
        wobble = jitter * (1 if i % 2 else -1)  # alternating early and late pulses
        estimate = follower.message("clock", when + wobble)
    return estimate, when


@pytest.mark.parametrize("bpm", [60.0, 120.0, 174.0, 93.5])
def test_clock_gives_the_tempo(bpm: float) -> None:
    follower = ClockFollower()
    follower.message("start", 0.0)
    estimate, _ = pulses(follower, bpm, beats=4)
    assert estimate == pytest.approx(bpm, rel=1e-6)
    assert follower.running


def test_clock_jitter_is_smoothed() -> None:
    follower = ClockFollower()
    estimate, _ = pulses(follower, 128.0, beats=4, jitter=0.002)  # ±2 ms on 20 ms pulses
    assert estimate == pytest.approx(128.0, rel=0.01)


def test_clock_follows_a_tempo_change_within_two_beats() -> None:
    follower = ClockFollower()
    _, end = pulses(follower, 100.0, beats=4)
    estimate, _ = pulses(follower, 140.0, beats=2.1, start=end + 60.0 / 140 / PPQN)
    assert estimate == pytest.approx(140.0, rel=1e-3)


def test_start_stop_continue_and_a_pause() -> None:
    follower = ClockFollower()
    assert follower.message("start", 0.0) is None
    assert follower.message("clock", 0.0) is None  # one pulse is no tempo yet
    _, end = pulses(follower, 90.0, beats=2, start=0.0)
    follower.message("stop", end)
    assert not follower.running
    follower.message("continue", end + 5.0)
    assert follower.running
    # after a 5 s gap the old pulses no longer count
    estimate, _ = pulses(follower, 150.0, beats=1, start=end + 5.0)
    assert estimate == pytest.approx(150.0, rel=1e-6)


def test_tap_tempo_median_and_reset() -> None:
    taps = TapTempo()
    assert taps.tap(10.0) is None
    assert taps.tap(10.5) == pytest.approx(120.0)
    assert taps.tap(11.0) == pytest.approx(120.0)
    assert taps.tap(11.62) == pytest.approx(120.0)  # one late tap: the median holds
    assert taps.tap(20.0) is None  # a long pause starts over
    assert taps.tap(20.4) == pytest.approx(150.0)


def test_tap_trigger_sets_bpm_from_any_source() -> None:
    registry = make_registry(["block0"])
    times = iter([1.0, 1.4, 1.8])
    attach_tap(registry, clock=lambda: next(times))
    for _ in range(3):
        registry.set("tempo.tap", True, "keyboard")
    assert registry.value("tempo.bpm") == pytest.approx(150.0)


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
