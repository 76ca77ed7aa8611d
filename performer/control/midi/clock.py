"""MIDI clock -> tempo: 24 pulses per quarter note, estimated as the slope of pulse times
over the last two beats (a least-squares line), which smooths the jitter of USB and software
clocks without lagging behind a tempo change by more than two beats.
"""

from __future__ import annotations

from collections import deque

PPQN = 24  # MIDI clock pulses per quarter note
WINDOW = 2 * PPQN + 1  # pulses used for the estimate: two beats


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
