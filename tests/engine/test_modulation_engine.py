"""The engine applies modulation per frame on top of the base values: frames carry the
modulated values and the sources, the registry keeps the base."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from performer.controls import fill_routes, parse_route
from performer.engine.engine import Engine


def test_frames_carry_modulated_values_and_the_registry_the_base(
        engine_factory: Callable[..., Engine]) -> None:
    engine = engine_factory({"output.blackout": 0.2, "env.1.attack": 0.0, "env.1.decay": 0.1})
    fill_routes(engine.registry, [parse_route("env1:output.blackout:0.5")], "cli")
    assert engine.step().values.float("output.blackout") == 0.2  # nothing fired yet
    engine.registry.set("env.1.hit", True, "midi")
    hit = engine.step()
    assert hit.sources["env1"] == 1.0
    assert hit.values.float("output.blackout") == pytest.approx(0.7)
    assert hit.blackout == pytest.approx(0.7)  # what the display draws
    assert engine.registry.value("output.blackout") == 0.2  # the knob stays
    later = [engine.step() for _ in range(3)]  # 30 fps: the decay is over after 0.1 s
    assert later[-1].values.float("output.blackout") == pytest.approx(0.2)


def test_audio_hits_are_one_frame_pulses(engine_factory: Callable[..., Engine]) -> None:
    engine = engine_factory({"audio.decay": 0.01})
    fill_routes(engine.registry, [("audio.onset", "drift.glide", -0.1)], "cli")
    engine.registry.set("audio.onset", True, "audio")
    assert engine.step().values.float("drift.glide") == pytest.approx(1.0)  # 2 - 0.1 × 10
    assert engine.step().values.float("drift.glide") == 2.0


def test_bad_routes_are_one_clear_error(engine_factory: Callable[..., Engine]) -> None:
    registry = engine_factory().registry
    with pytest.raises(ValueError, match="SOURCE:PARAM:DEPTH"):
        parse_route("lfo1:drift.speed")
    with pytest.raises(ValueError, match="unknown source 'lfo9'"):
        fill_routes(registry, [("lfo9", "drift.speed", 1.0)], "cli")
    with pytest.raises(ValueError, match=r"'ablation\.layer' is not a parameter a route"):
        fill_routes(registry, [("lfo1", "ablation.layer", 1.0)], "cli")
    with pytest.raises(ValueError, match="9 routes given, 8 route slots free"):
        fill_routes(registry, [("lfo1", "drift.speed", 0.1)] * 9, "cli")
