"""Audio features, hop by hop: level (RMS), three bands, onsets and beats.

The same `Analyzer` serves the live input (fed from the ring buffer on the analysis
thread) and `performer render --audio` (fed from the decoded file), so a rendered music
video moves exactly as the show would. Level and bands are our own numpy (an FFT per hop);
onsets and beats come from aubio (PyPI `aubio-ledfx`, the maintained fork), whose
spectral-flux onset detector and beat tracker are made for this job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RATE = 48000  # analysis sample rate; files are decoded to it, devices opened at it
HOP = 128  # samples per analysis step: 2.7 ms at 48 kHz
WINDOW = 1024  # FFT size for the bands and the beat tracker
# Onsets on a shorter window: measured on a click track, aubio's hfc at 512/128 reports an
# onset 9-10 ms after it (placed within 2 ms of it); at 1024/256, 20-22 ms after.
ONSET_WINDOW = 512
FLOOR_DB = -60.0  # level and bands map FLOOR_DB..0 dBFS onto 0..1
BAND_EVERY = 4  # bands are measured every 4 hops (10.7 ms, more often than frames)
BANDS = {"low": (20.0, 250.0), "mid": (250.0, 4000.0), "high": (4000.0, 20000.0)}
ONSET_METHOD = "hfc"
ONSET_THRESHOLD = 0.3
ONSET_MIN_GAP_S = 0.05
# aubio gates onsets by the loudness of the hop in which it reports them, a few hops after
# the sound: a click followed by silence would never count. We gate by the loudest hop of
# the last WINDOW samples instead.
SILENCE_DB = -50.0  # the loudest hop of the window must be above this
# aubio's peak picker finds nothing in exact digital silence (a rendered click track, a
# muted input): a fixed dither at -120 dBFS, inaudible to every measure here, keeps it
# working and the analysis repeatable.
DITHER = 1e-6


@dataclass(frozen=True)
class Features:
    """What one hop measured. `time` is the end of the hop, in seconds of input; an onset
    or beat found in this hop carries the time it places it at (a little earlier: the
    detector needs a few hops to be sure)."""

    time: float
    level: float
    low: float
    mid: float
    high: float
    onset: float | None
    beat: float | None


def to_unit(db: float) -> float:
    """dBFS -> 0..1 (FLOOR_DB and below is 0, full scale is 1)."""
    return min(max((db - FLOOR_DB) / -FLOOR_DB, 0.0), 1.0)


def decibels(power: float) -> float:
    return 10.0 * math.log10(power) if power > 1e-12 else -120.0


class Analyzer:
    """Mono float32 samples in (any block size), one `Features` per hop out."""

    def __init__(self, rate: int = RATE) -> None:
        import aubio  # loaded only when there is sound to analyse

        self.rate = rate
        self._history = np.zeros(WINDOW, dtype=np.float32)  # the newest WINDOW samples
        self._pending = np.zeros(0, dtype=np.float32)  # samples short of a whole hop
        self._hops = 0
        self._powers = [0.0] * (WINDOW // HOP)  # mean square of each hop in the window
        self._window = np.hanning(WINDOW).astype(np.float32)
        self._norm = 2.0 / (WINDOW * float(np.sum(self._window**2)))
        freqs = np.fft.rfftfreq(WINDOW, 1.0 / rate)
        self._bands = [(int(np.searchsorted(freqs, lo)), int(np.searchsorted(freqs, hi)))
                       for lo, hi in BANDS.values()]
        self._band_levels = (0.0, 0.0, 0.0)
        self._onset = aubio.onset(ONSET_METHOD, ONSET_WINDOW, HOP, rate)
        self._onset.set_threshold(ONSET_THRESHOLD)
        self._onset.set_silence(-1000.0)  # off: see SILENCE_DB
        self._onset.set_minioi_s(ONSET_MIN_GAP_S)
        self._dither = np.random.default_rng(0).normal(0.0, DITHER, HOP).astype(np.float32)
        self._tempo = aubio.tempo("default", WINDOW, HOP, rate)

    @property
    def time(self) -> float:
        """Seconds of input analysed (whole hops)."""
        return self._hops * HOP / self.rate

    @property
    def bpm(self) -> float:
        """The beat tracker's tempo estimate (0 before it has one)."""
        return float(self._tempo.get_bpm())

    def process(self, samples: np.ndarray) -> list[Features]:
        """Analyse `samples` (1-D float32, -1..1) after whatever came before."""
        data = np.concatenate((self._pending, np.asarray(samples, dtype=np.float32)))
        whole = len(data) // HOP * HOP
        self._pending = data[whole:].copy()
        return [self._hop(data[start:start + HOP]) for start in range(0, whole, HOP)]

    def _hop(self, hop: np.ndarray) -> Features:
        hop = np.ascontiguousarray(hop, dtype=np.float32)
        self._history[:-HOP] = self._history[HOP:]
        self._history[-HOP:] = hop
        self._powers[self._hops % len(self._powers)] = float(np.dot(hop, hop)) / HOP
        self._hops += 1
        level = to_unit(decibels(sum(self._powers) / len(self._powers)))
        if self._hops % BAND_EVERY == 0:  # the bands move slower than the hits
            spectrum = np.abs(np.fft.rfft(self._history * self._window)) ** 2
            low, mid, high = (to_unit(decibels(float(spectrum[a:b].sum()) * self._norm))
                              for a, b in self._bands)
            self._band_levels = (low, mid, high)
        dithered = hop + self._dither
        loud = decibels(max(self._powers)) > SILENCE_DB
        found = bool(self._onset(dithered)[0]) and loud
        onset = float(self._onset.get_last_s()) if found else None
        beat = float(self._tempo.get_last_s()) if self._tempo(dithered)[0] else None
        return Features(self.time, level, *self._band_levels, onset, beat)
