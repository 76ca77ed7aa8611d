"""The show's one beat clock: what drift.bars, quantized scene recalls, beat-synced LFOs
and the effects' `performer_beat` all count from.

Beats since the last downbeat at the tempo of each frame. A downbeat (a sequencer's
start, a tap) restarts the count; a bar line from a clock (MIDI clock, Link) pulls it to
the nearest whole bar, so everything stays locked to the clock without restarting long
cycles every bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BEATS_PER_BAR = 4
EPSILON = 1e-9  # beats summed frame by frame land just short of a whole one (0.2 × 60)


@dataclass
class BeatClock:
    beats: float = 0.0
    beat_started: bool = False  # a beat starts on the frame just counted
    bar_started: bool = False  # ... and a bar

    def step(self, dt: float, bpm: float, downbeat: bool = False, bar_line: bool = False,
             ) -> float:
        """Count one frame of `dt` seconds; returns the beats since the downbeat."""
        before = self.beats
        self.beats += dt * bpm / 60.0
        if downbeat:  # this frame is bar 1, beat 1
            self.beats = 0.0
            self.beat_started = self.bar_started = True
            return self.beats
        if bar_line:
            self.beats = round(self.beats / BEATS_PER_BAR) * BEATS_PER_BAR
        self.beat_started = _whole(self.beats) > _whole(before)
        self.bar_started = _whole(self.beats / BEATS_PER_BAR) > _whole(before / BEATS_PER_BAR)
        return self.beats

    @property
    def beat_phase(self) -> float:
        return self.beats % 1.0

    @property
    def bar_phase(self) -> float:
        return (self.beats % BEATS_PER_BAR) / BEATS_PER_BAR


def _whole(count: float) -> int:
    return math.floor(count + EPSILON)
