"""The analysis on literal sound (no device): bands, level, onsets, and the ring buffer."""

from __future__ import annotations

import numpy as np
import pytest

from performer.control.audio.analysis import HOP, RATE, Analyzer
from performer.control.audio.ring import Ring


def tone(hz: float, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize(("hz", "band"), [(80.0, "low"), (1000.0, "mid"), (8000.0, "high")])
def test_a_tone_lights_its_band(hz: float, band: str) -> None:
    last = Analyzer().process(tone(hz, 0.5))[-1]
    bands = {"low": last.low, "mid": last.mid, "high": last.high}
    assert bands[band] > 0.8
    assert all(value < bands[band] - 0.3 for name, value in bands.items() if name != band)
    assert last.level == pytest.approx(1 + 10 * np.log10(0.125) / 60, abs=0.01)  # -9 dBFS


def test_silence_is_zero_and_has_no_onsets() -> None:
    features = Analyzer().process(np.zeros(RATE, dtype=np.float32))
    assert len(features) == RATE // HOP
    assert all(f.level == 0.0 and f.onset is None for f in features)


def test_clicks_in_digital_silence_are_found_where_they_are() -> None:
    sound = np.zeros(2 * RATE, dtype=np.float32)
    click = tone(1000.0, 0.01, 1.0)
    for at in (0.4, 0.9, 1.3):
        sound[int(at * RATE):int(at * RATE) + len(click)] = click
    analyzer = Analyzer()
    onsets = [f.onset for f in analyzer.process(sound) if f.onset is not None]
    assert onsets == pytest.approx([0.4, 0.9, 1.3], abs=0.004)


def test_blocks_of_any_size_give_the_same_features() -> None:
    sound = tone(440.0, 0.3) * np.linspace(0, 1, int(0.3 * RATE), dtype=np.float32)
    whole = Analyzer().process(sound)
    pieces = Analyzer()
    parts = [pieces.process(block) for block in np.array_split(sound, 37)]
    assert [f.level for part in parts for f in part] == [f.level for f in whole]


def test_the_ring_hands_out_what_was_written_and_counts_what_it_lost() -> None:
    ring = Ring(8)
    ring.write(np.arange(5, dtype=np.float32))
    samples, at = ring.read(0)
    assert samples.tolist() == [0, 1, 2, 3, 4] and at == 5
    ring.write(np.arange(5, 11, dtype=np.float32))  # wraps around
    samples, at = ring.read(at)
    assert samples.tolist() == [5, 6, 7, 8, 9, 10] and at == 11
    ring.write(np.arange(11, 23, dtype=np.float32))  # more than it holds: the reader is lapped
    samples, at = ring.read(at)
    assert samples.tolist() == list(range(15, 23)) and ring.lost == 4 and at == 23
