"""Tempo: follow incoming MIDI clock, or tap it; both write `tempo.bpm` to the registry.

MIDI clock is 24 pulses per quarter note. The estimate is the slope of pulse times over
the last two beats (a least-squares line), which smooths the jitter of USB and software
clocks without lagging behind a tempo change by more than two beats. Tap tempo takes the
median of the last few intervals, so one late tap does not throw the tempo off.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable

from performer.params import ParamChange, Registry

PPQN = 24  # MIDI clock pulses per quarter note
WINDOW = 2 * PPQN + 1  # pulses used for the estimate: two beats
TAP_RESET_S = 2.0  # a pause longer than this starts a new tap sequence
TAPS = 5  # the last this many taps count


class ClockFollower:
    """MIDI clock pulses (with their arrival times) -> BPM."""

    def __init__(self) -> None:
        self.running = False
        self._pulses: deque[float] = deque(maxlen=WINDOW)

    def message(self, kind: str, when: float) -> float | None:
        """Feed one realtime message ('clock', 'start', 'stop', 'continue'); returns the
        current BPM estimate after a clock pulse, once there is one."""
        if kind == "start":
            self.running = True
            self._pulses.clear()
            return None
        if kind == "continue":
            self.running = True
            return None
        if kind == "stop":
            self.running = False
            return None
        if kind != "clock":
            return None
        if self._pulses and when - self._pulses[-1] > 1.0:
            self._pulses.clear()  # the clock paused (a stopped sequencer): start over
        self._pulses.append(when)
        return self.bpm()

    def bpm(self) -> float | None:
        """Least-squares tempo over the pulses held, or None before a quarter of a beat."""
        count = len(self._pulses)
        if count < PPQN // 4 + 1:
            return None
        times = list(self._pulses)
        mean_i = (count - 1) / 2
        mean_t = sum(times) / count
        num = sum((i - mean_i) * (t - mean_t) for i, t in enumerate(times))
        den = sum((i - mean_i) ** 2 for i in range(count))
        seconds_per_pulse = num / den
        if seconds_per_pulse <= 0:
            return None
        return 60.0 / (seconds_per_pulse * PPQN)


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


def attach_tap(registry: Registry, clock: Callable[[], float] = time.perf_counter) -> Callable[
        [], None]:
    """Make `tempo.tap` (from any source) set `tempo.bpm`; returns an unsubscribe function.

    The tap is timed when it is applied: at once for keys, at the next registry drain for
    OSC and MIDI (within one display refresh).
    """
    taps = TapTempo()
    lock = threading.Lock()

    def listen(change: ParamChange) -> None:
        if change.name != "tempo.tap" or not change.value:
            return
        with lock:
            bpm = taps.tap(clock())
        if bpm is not None:
            registry.set("tempo.bpm", bpm, source="tempo")

    return registry.subscribe(listen)
