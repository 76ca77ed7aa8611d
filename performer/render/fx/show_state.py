"""performer's show state as uniforms an effect may declare, so effects follow the death.

An ISF file that wants them declares them itself (`uniform float performer_alive;`); other
ISF hosts then compile it too and leave the value at 0. Values come from the frame.
"""

from __future__ import annotations

import math

from performer.frame import Frame

SHOW_UNIFORMS = {
    "performer_alive": "fraction of all the network's neurons alive (1 at the start, 0 when "
                       "every one is off)",
    "performer_lost": "1 - performer_alive: 0 at the start, 1 when every neuron is off (0 in "
                      "other ISF hosts, so an effect that follows it rests there)",
    "performer_dead": "ablation.dead: the fraction of the targeted neurons switched off",
    "performer_seed": "the face seed (drift.seed), as a float",
    "performer_beat": "beat phase 0..1 at tempo.bpm, counted from the timeline's start",
    "performer_bpm": "tempo.bpm",
}


def show_uniforms(frame: Frame, time: float) -> dict[str, float]:
    """The show-state uniform values for `frame`, shown at timeline `time`."""
    values = frame.values
    bpm = float(values.get("tempo.bpm", 120.0))
    return {
        "performer_alive": frame.neurons.alive_fraction,
        "performer_lost": 1.0 - frame.neurons.alive_fraction,
        "performer_dead": float(values.get("ablation.dead", 1.0 - frame.neurons.alive_fraction)),
        "performer_seed": float(values.get("drift.seed", 0)),
        "performer_beat": math.modf(max(time, 0.0) * bpm / 60.0)[0],
        "performer_bpm": bpm,
    }
