"""LFO waves, the beat clock, envelopes and pulses: pure, stepped by dt."""

from __future__ import annotations

import pytest

from performer.controls import LFO_SHAPES
from performer.engine.beats import BeatClock
from performer.engine.modulation.shapes import wave
from performer.engine.modulation.sources import Envelope, Lfo


@pytest.mark.parametrize("shape", LFO_SHAPES)
def test_every_wave_stays_in_0_1_and_moves(shape: str) -> None:
    values = [wave(shape, i / 97, seed=3) for i in range(500)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert len(set(values)) > 1  # not stuck on one value
    if shape not in ("hold", "smooth"):  # the periodic ones repeat every cycle
        assert wave(shape, 2.3) == pytest.approx(wave(shape, 3.3))


def test_periodic_waves_at_known_phases() -> None:
    assert wave("sine", 0.0) == pytest.approx(0.0) and wave("sine", 0.5) == pytest.approx(1.0)
    assert wave("triangle", 0.25) == pytest.approx(0.5) and wave("triangle", 1.5) == 1.0
    assert wave("saw", 3.75) == pytest.approx(0.75)
    assert wave("square", 0.49) == 1.0 and wave("square", 0.51) == 0.0


def test_random_waves_hold_per_cycle_and_glide_between() -> None:
    assert wave("hold", 4.1, 7) == wave("hold", 4.9, 7) != wave("hold", 5.1, 7)
    start, end = wave("hold", 4.0, 7), wave("hold", 5.0, 7)
    assert wave("smooth", 4.0, 7) == pytest.approx(start)
    assert wave("smooth", 4.999999, 7) == pytest.approx(end, abs=1e-6)  # no jump at the edge
    assert wave("hold", 4.5, 7) != wave("hold", 4.5, 8)  # each LFO its own sequence


def test_free_lfo_runs_at_its_rate_and_phase() -> None:
    lfo = Lfo(seed=1)
    values = [lfo.step(0.1, "saw", 2.0, 0.0, 0.0, beats=0.0) for _ in range(3)]
    assert values == pytest.approx([0.2, 0.4, 0.6])
    assert Lfo(seed=1).step(0.1, "saw", 2.0, 0.0, 0.5, beats=0.0) == pytest.approx(0.7)


def test_synced_lfo_follows_the_beat_clock() -> None:
    clock, lfo = BeatClock(), Lfo(seed=1)
    for _ in range(10):  # 10 frames of 50 ms at 120 BPM: one beat
        beats = clock.step(0.05, 120.0)
    assert beats == pytest.approx(1.0)
    assert lfo.step(0.05, "saw", 0.0, 4.0, 0.0, beats) == pytest.approx(0.25)  # 1-bar cycle
    clock.step(0.05, 120.0, downbeat=True)
    assert clock.beats == 0.0 and clock.bar_phase == 0.0


def test_bar_line_pulls_the_count_to_the_nearest_bar() -> None:
    clock = BeatClock(beats=7.8)
    clock.step(0.0, 120.0, bar_line=True)
    assert clock.beats == 8.0  # a 2-bar cycle keeps running: not back to 0
    clock = BeatClock(beats=4.15)
    clock.step(0.0, 120.0, bar_line=True)
    assert clock.beats == 4.0


def test_envelope_rises_then_falls_to_zero() -> None:
    env = Envelope()
    env.hit(0.8)
    assert env.step(0.05, attack=0.1, decay=0.4) == pytest.approx(0.4)
    assert env.step(0.05, attack=0.1, decay=0.4) == pytest.approx(0.8)
    assert env.step(0.2, attack=0.1, decay=0.4) == pytest.approx(0.4)
    assert env.step(1.0, attack=0.1, decay=0.4) == 0.0
    env.hit(1.0)
    assert env.step(0.01, attack=0.0, decay=0.4) == 1.0  # no attack: at the peak at once


def test_an_audio_hit_is_one_on_its_frame_then_decays() -> None:
    """The audio onset and beat sources: envelopes hit at full velocity, with no attack."""
    pulse = Envelope()
    pulse.hit(1.0)
    assert pulse.step(0.05, 0.0, 0.1) == 1.0
    assert pulse.step(0.05, 0.0, 0.1) == pytest.approx(0.5)
    assert pulse.step(0.05, 0.0, 0.1) == pytest.approx(0.0)
