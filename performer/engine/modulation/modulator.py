"""One frame of modulation: step every source, then the routes.

The engine calls `step` with the frame's values (base values plus its automation) and gets
back the source values (published with the frame) and the modulated values of the routed
parameters (the frame is made with them; the registry keeps the base values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from performer.controls import AUDIO_HITS, AUDIO_LEVELS, ENVELOPES, LFO_BEATS, LFOS
from performer.engine.beats import BeatClock
from performer.engine.modulation.routes import Router
from performer.engine.modulation.sources import Envelope, Lfo
from performer.params import Param, Snapshot, Value


@dataclass(frozen=True)
class Modulation:
    sources: dict[str, float]  # every source's value this frame, 0..1
    values: dict[str, Value]  # the routed parameters' modulated values


class Modulator:
    def __init__(self, params: Mapping[str, Param], clock: BeatClock) -> None:
        self.clock = clock  # the engine's, stepped by it before the modulation
        self.lfos = [Lfo(seed=i) for i in range(1, LFOS + 1)]
        self.envelopes = [Envelope() for _ in range(ENVELOPES)]
        self.pulses = {name: Envelope() for name in AUDIO_HITS}  # full velocity, no attack
        self.router = Router(params)
        # The parameter names read every frame, built once.
        self._lfo_names = [(f"lfo{i}", f"lfo.{i}.shape", f"lfo.{i}.rate", f"lfo.{i}.sync",
                            f"lfo.{i}.phase") for i in range(1, LFOS + 1)]
        self._envelope_names = [(f"env{i}", f"env.{i}.hit", f"env.{i}.velocity",
                                 f"env.{i}.attack", f"env.{i}.decay")
                                for i in range(1, ENVELOPES + 1)]

    def step(self, values: Snapshot, dt: float, alive: float) -> Modulation:
        fired = values.fired
        beats = self.clock.beats
        sources: dict[str, float] = {}
        for lfo, (source, shape, rate, sync, phase) in zip(self.lfos, self._lfo_names,
                                                          strict=True):
            sources[source] = lfo.step(dt, values.str(shape), values.float(rate),
                                       LFO_BEATS[values.str(sync)], values.float(phase), beats)
        for envelope, (source, hit, velocity, attack, decay_name) in zip(
                self.envelopes, self._envelope_names, strict=True):
            if hit in fired:
                envelope.hit(values.float(velocity))
            sources[source] = envelope.step(dt, values.float(attack), values.float(decay_name))
        sources["show.alive"] = alive
        sources["show.beat"] = self.clock.beat_phase
        sources["show.bar"] = self.clock.bar_phase
        for name in AUDIO_LEVELS:
            sources[name] = values.float(name)
        decay = values.float("audio.decay")
        for name, pulse in self.pulses.items():
            if name in fired:
                pulse.hit(1.0)
            sources[name] = pulse.step(dt, 0.0, decay)
        return Modulation(sources, self.router.step(values, sources, dt))
