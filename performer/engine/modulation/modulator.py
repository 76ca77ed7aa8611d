"""One frame of modulation: step every source, then the routes.

The engine calls `step` with the frame's values (base values plus its automation) and gets
back the source values (published with the frame) and the modulated values of the routed
parameters (the frame is made with them; the registry keeps the base values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from performer.controls import AUDIO_HITS, AUDIO_LEVELS, ENVELOPES, LFO_BEATS, LFOS
from performer.engine.modulation.routes import Router
from performer.engine.modulation.sources import BeatClock, Envelope, Lfo, Pulse
from performer.params import Param, Snapshot, Value


@dataclass(frozen=True)
class Modulation:
    sources: dict[str, float]  # every source's value this frame, 0..1
    values: dict[str, Value]  # the routed parameters' modulated values


class Modulator:
    def __init__(self, params: Mapping[str, Param]) -> None:
        self.clock = BeatClock()
        self.lfos = [Lfo(seed=i) for i in range(1, LFOS + 1)]
        self.envelopes = [Envelope() for _ in range(ENVELOPES)]
        self.pulses = {name: Pulse() for name in AUDIO_HITS}
        self.router = Router(params)

    def step(self, values: Snapshot, dt: float, alive: float) -> Modulation:
        fired = values.fired
        beats = self.clock.step(dt, values.float("tempo.bpm"), "tempo.downbeat" in fired,
                                "tempo.bar" in fired)
        sources: dict[str, float] = {}
        for i, lfo in enumerate(self.lfos, start=1):
            sources[f"lfo{i}"] = lfo.step(
                dt, values.str(f"lfo.{i}.shape"), values.float(f"lfo.{i}.rate"),
                LFO_BEATS[values.str(f"lfo.{i}.sync")], values.float(f"lfo.{i}.phase"), beats)
        for i, envelope in enumerate(self.envelopes, start=1):
            if f"env.{i}.hit" in fired:
                envelope.hit(values.float(f"env.{i}.velocity"))
            sources[f"env{i}"] = envelope.step(dt, values.float(f"env.{i}.attack"),
                                               values.float(f"env.{i}.decay"))
        sources["show.alive"] = alive
        sources["show.beat"] = self.clock.beat_phase
        sources["show.bar"] = self.clock.bar_phase
        for name in AUDIO_LEVELS:
            sources[name] = values.float(name)
        decay = values.float("audio.decay")
        for name, pulse in self.pulses.items():
            sources[name] = pulse.step(dt, name in fired, decay)
        return Modulation(sources, self.router.step(values, sources, dt))
