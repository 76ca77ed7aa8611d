"""Clocks that drive the engine: wall time for a show, fixed steps for offline renders.

Swappable so a MIDI clock or a render clock can drive the same engine.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def tick(self) -> float:
        """Seconds since the previous tick (0.0 on the first)."""
        ...


class WallClock:
    """Real time; a long stall (a dragged window, a swap) counts as at most `max_step`."""

    def __init__(self, max_step: float = 0.25) -> None:
        self.max_step = max_step
        self._last: float | None = None

    def tick(self) -> float:
        now = time.perf_counter()
        dt = 0.0 if self._last is None else min(now - self._last, self.max_step)
        self._last = now
        return dt


class FixedClock:
    """Exactly 1/fps per tick, whatever the wall time: renders and tests repeat exactly."""

    def __init__(self, fps: float) -> None:
        self.step = 1.0 / fps
        self._started = False

    def tick(self) -> float:
        if not self._started:
            self._started = True
            return 0.0
        return self.step
