"""LFO waves: pure functions of the cycles run so far, each in 0..1.

Every wave is at 0 when a cycle starts except square (on for the first half), so a synced
LFO's cycle lines up with the beat. The random waves draw one value per cycle from a hash
of (seed, cycle), so the same timeline gives the same values (renders repeat exactly).
"""

from __future__ import annotations

import math

MASK64 = (1 << 64) - 1


def cycle_random(seed: int, cycle: int) -> float:
    """A repeatable value in [0, 1) for one cycle (splitmix64 of seed and cycle)."""
    x = (seed * 0x9E3779B97F4A7C15 + cycle) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    x ^= x >> 31
    return (x >> 11) / float(1 << 53)


def wave(shape: str, cycles: float, seed: int = 0) -> float:
    """The value of `shape` after `cycles` cycles (phase = the fractional part)."""
    whole = math.floor(cycles)
    phase = cycles - whole
    if shape == "sine":
        return 0.5 - 0.5 * math.cos(2.0 * math.pi * phase)
    if shape == "triangle":
        return 1.0 - abs(2.0 * phase - 1.0)
    if shape == "saw":
        return phase
    if shape == "square":
        return 1.0 if phase < 0.5 else 0.0
    if shape == "hold":
        return cycle_random(seed, whole)
    if shape == "smooth":  # cosine glide from this cycle's random value to the next one's
        start, end = cycle_random(seed, whole), cycle_random(seed, whole + 1)
        blend = 0.5 - 0.5 * math.cos(math.pi * phase)
        return start + (end - start) * blend
    raise ValueError(f"unknown LFO shape {shape!r}")
