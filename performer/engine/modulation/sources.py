"""The stateful sources: LFOs and envelopes (an audio hit is an envelope
with no attack).

Each is stepped once per frame by the frame's dt; none reads a clock of its own, so a fixed
clock renders the same modulation every time.
"""

from __future__ import annotations

from dataclasses import dataclass

from performer.engine.modulation.shapes import wave


@dataclass
class Lfo:
    """One LFO: free-running at a rate in Hz, or a beat division of the beat clock."""

    seed: int
    cycles: float = 0.0

    def step(self, dt: float, shape: str, rate_hz: float, beats_per_cycle: float,
             phase: float, beats: float) -> float:
        if beats_per_cycle > 0.0:
            self.cycles = beats / beats_per_cycle  # locked to the beat clock
        else:
            self.cycles += rate_hz * dt
        return wave(shape, self.cycles + phase, self.seed)


@dataclass
class Envelope:
    """Attack-decay envelope: a hit rises linearly to its velocity over `attack` seconds,
    then falls linearly to 0 over `decay` seconds (a new hit restarts it from where it is)."""

    level: float = 0.0
    peak: float = 0.0
    rising: bool = False

    def hit(self, velocity: float) -> None:
        self.peak = max(0.0, min(velocity, 1.0))
        self.rising = True

    def step(self, dt: float, attack: float, decay: float) -> float:
        if self.rising:
            self.level = self.peak if attack <= 0.0 else self.level + dt / attack * self.peak
            if self.level >= self.peak:
                self.level, self.rising = self.peak, False
            return self.level
        fall = self.peak * dt / decay if decay > 0.0 else self.level
        self.level = max(0.0, self.level - fall)
        return self.level
