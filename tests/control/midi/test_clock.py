"""MIDI clock -> BPM."""

from __future__ import annotations

import pytest

from performer.control.midi.clock import PPQN, ClockFollower


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
