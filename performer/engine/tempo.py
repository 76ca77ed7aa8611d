"""Tap tempo: the median of the last few tap intervals, so one late tap does not throw the
tempo off. The engine feeds it every tap of a frame's snapshot, timed when the registry
applied it (`Snapshot.fired_at`), so a slow frame neither quantises nor merges taps.
"""

from __future__ import annotations

import itertools
import statistics
from collections import deque

TAP_RESET_S = 2.0  # a pause longer than this starts a new tap sequence
TAPS = 5  # the last this many taps count


class TapTempo:
    """Taps -> BPM (median interval of the last few taps)."""

    def __init__(self) -> None:
        self._taps: deque[float] = deque(maxlen=TAPS)

    def tap(self, when: float) -> float | None:
        if self._taps and when - self._taps[-1] > TAP_RESET_S:
            self._taps.clear()
        self._taps.append(when)
        if len(self._taps) < 2:
            return None
        times = list(self._taps)
        interval = statistics.median(b - a for a, b in itertools.pairwise(times))
        return 60.0 / interval if interval > 0 else None
