"""Route evaluation: depth × curve(source) × span on top of the base, smoothed, clamped."""

from __future__ import annotations

import pytest

from performer.controls import make_registry
from performer.engine.modulation.routes import CURVES, Router, smoothing
from performer.params import Registry
from tests.helpers import LAYERS


def registry_with(**routes: object) -> Registry:
    registry = make_registry(LAYERS)
    for name, value in routes.items():
        registry.set(name.replace("_", "."), value)
    return registry


def router_for(registry: Registry) -> Router:
    return Router({p.name: p for p in registry.params()})


def test_a_route_adds_depth_times_source_times_span() -> None:
    registry = registry_with(**{"route.1.source": "lfo1", "route.1.target": "drift.speed",
                                "route.1.depth": 0.25, "drift.speed": 0.5})
    out = router_for(registry).step(registry.values(), {"lfo1": 0.5}, 1 / 60)
    assert out == {"drift.speed": pytest.approx(0.5 + 0.25 * 0.5 * 2.0)}  # span 0..2 rad/s


def test_negative_depth_pulls_down_and_the_sum_is_clamped() -> None:
    registry = registry_with(**{
        "route.1.source": "env1", "route.1.target": "output.blackout", "route.1.depth": -1.0,
        "route.2.source": "env2", "route.2.target": "output.blackout", "route.2.depth": -1.0,
        "output.blackout": 1.0})
    out = router_for(registry).step(registry.values(), {"env1": 0.75, "env2": 0.75}, 0.01)
    assert out == {"output.blackout": 0.0}  # 1 - 0.75 - 0.75, clamped


def test_routes_switched_off_move_nothing() -> None:
    registry = registry_with(**{"route.1.source": "lfo1", "route.1.depth": 1.0})  # no target
    assert router_for(registry).step(registry.values(), {"lfo1": 1.0}, 0.01) == {}


def test_an_int_target_gets_a_whole_number() -> None:
    registry = registry_with(**{"route.3.source": "audio.low", "route.3.target": "drift.seed",
                                "route.3.depth": 1e-9})
    out = router_for(registry).step(registry.values(), {"audio.low": 0.9}, 0.01)
    assert out == {"drift.seed": 2}  # 1e-9 × 0.9 × (2³¹ − 1) = 1.93


@pytest.mark.parametrize(("curve", "half"), [("linear", 0.5), ("in", 0.25), ("out", 0.75),
                                             ("smooth", 0.5), ("step", 1.0)])
def test_curves(curve: str, half: float) -> None:
    shape = CURVES[curve]
    assert shape(0.0) == 0.0 and shape(1.0) == 1.0 and shape(0.5) == pytest.approx(half)


def test_smoothing_approaches_the_target_with_its_time_constant() -> None:
    assert smoothing(0.0, 1.0, 0.1, 0.0) == 1.0
    assert smoothing(0.0, 1.0, 0.1, 0.1) == pytest.approx(1 - 0.36788, abs=1e-4)
    registry = registry_with(**{"route.1.source": "env1", "route.1.target": "output.blackout",
                                "route.1.depth": 1.0, "route.1.smooth": 0.1})
    router = router_for(registry)
    values = registry.values()
    assert router.step(values, {"env1": 0.0}, 0.1) == {"output.blackout": 0.0}
    first = router.step(values, {"env1": 1.0}, 0.1)["output.blackout"]
    second = router.step(values, {"env1": 1.0}, 0.1)["output.blackout"]
    assert 0.6 < first < 0.7 and first < second < 1.0


def test_what_is_read_before_the_routes_run_is_no_target() -> None:
    """The engine's automation and the modulation read these on the base values: a route on
    them would move nothing, so none is offered."""
    targets = registry_with().param("route.1.target").choices
    for name in ("ablation.rate", "drift.bars", "tempo.bpm", "scene.morph", "lfo.1.rate",
                 "env.1.decay", "audio.decay"):
        assert name not in targets
    for name in ("ablation.dead", "drift.speed", "drift.direction.1", "output.blackout"):
        assert name in targets
