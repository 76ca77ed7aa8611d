"""performer's show state as uniforms an effect may declare, so effects follow the death.

An ISF file that wants them declares them itself (`uniform float performer_alive;`); other
ISF hosts then compile it too and leave the value at 0. Values come from the frame.
"""

from __future__ import annotations

from performer.frame import Frame

SHOW_UNIFORMS = {
    "performer_alive": "fraction of all the network's neurons alive (1 at the start)",
    "performer_lost": "1 − `performer_alive` (what `decay` follows)",
    "performer_dead": "`ablation.dead`: the fraction of the targeted neurons switched off",
    "performer_seed": "the face seed (`drift.seed`)",
    "performer_beat": "beat phase 0..1: the engine's beat clock, which the LFOs follow (a "
                      "`tempo.downbeat` restarts it, MIDI clock and Link bar lines lock it), "
                      "carried on at `tempo.bpm` between generated frames",
    "performer_bpm": "`tempo.bpm`",
}


def show_uniforms(frame: Frame, time: float) -> dict[str, float]:
    """The show-state uniform values for `frame`, shown at timeline `time` (at or after the
    frame's own time: the window refreshes between generated frames)."""
    values = frame.values
    bpm = values.float("tempo.bpm")
    alive = frame.neurons.alive_fraction
    since = max(time - frame.time, 0.0)
    return {
        "performer_alive": alive,
        "performer_lost": 1.0 - alive,
        "performer_dead": values.float("ablation.dead"),
        "performer_seed": float(values.int("drift.seed")),
        "performer_beat": (frame.sources.get("show.beat", 0.0) + since * bpm / 60.0) % 1.0,
        "performer_bpm": bpm,
    }
