"""The show-state uniforms come from the frame: performer_beat follows the engine's beat
clock (the one the LFOs follow), not a count of its own."""

from __future__ import annotations

import pytest

from performer.controls import make_registry
from performer.engine.clock import FixedClock
from performer.engine.engine import Engine
from performer.models.base import AblatableGenerator
from performer.models.stats import ModelStats
from performer.render.fx.show_state import show_uniforms
from tests.helpers import layer_names

FPS = 30.0


def test_the_beat_restarts_on_a_downbeat_as_the_engines_clock_does(
        model: AblatableGenerator, stats: ModelStats) -> None:
    registry = make_registry(layer_names(model))
    registry.set("tempo.bpm", 120.0)  # two beats a second
    engine = Engine(model, stats, registry, FixedClock(FPS))
    for _ in range(10):
        frame = engine.step()
    assert show_uniforms(frame, frame.time)["performer_beat"] == pytest.approx(
        frame.sources["show.beat"])
    registry.set("tempo.downbeat", True)
    frame = engine.step()  # the clock restarts at this frame, a third of a second in
    uniforms = show_uniforms(frame, frame.time)
    assert uniforms["performer_beat"] == pytest.approx(0.0, abs=1e-9)
    assert frame.time > 0.3
    half_a_beat_on = show_uniforms(frame, frame.time + 0.25)  # the window refreshes between
    assert half_a_beat_on["performer_beat"] == pytest.approx(0.5)
    assert uniforms["performer_bpm"] == 120.0
    assert uniforms["performer_alive"] + uniforms["performer_lost"] == pytest.approx(1.0)
