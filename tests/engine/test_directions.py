"""drift.direction.N through the engine: knob 0 is the unchanged face, a turned knob moves
it, and the knobs combine with drift and glides."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from performer.engine.directions import KNOBS
from performer.engine.engine import Engine
from performer.frame import Frame
from performer.models.base import AblatableGenerator
from performer.models.directions import find_directions

RunFrames = Callable[[Engine, int], list[Frame]]
EngineFactory = Callable[..., Engine]


@pytest.fixture
def engine_with_directions(engine_factory: EngineFactory,
                           model: AblatableGenerator) -> Callable[..., Engine]:
    directions = find_directions(model)

    def make(values: dict[str, float] | None = None) -> Engine:
        engine = engine_factory(values or {})
        engine.slot.knobs.use(directions)
        return engine

    return make


def test_eight_bipolar_knobs_are_declared(engine_factory: EngineFactory) -> None:
    registry = engine_factory().registry
    assert len(KNOBS) == 8
    for name in KNOBS:
        param = registry.param(name)
        assert (param.minimum, param.maximum, param.default) == (-1.0, 1.0, 0.0)
        assert param.from_normalized(0.5) == 0.0  # a centred knob is the unchanged face


def test_knob_zero_is_the_unchanged_face(engine_with_directions: Callable[..., Engine],
                                         engine_factory: EngineFactory,
                                         run_frames: RunFrames) -> None:
    values = {"drift.speed": 0.4, "drift.seed": 3}
    plain = run_frames(engine_factory(values), 5)
    knobs = engine_with_directions(values)
    turned = run_frames(knobs, 2)
    for name in KNOBS:
        knobs.registry.set(name, 0.0)
    back = run_frames(knobs, 3)
    for a, b in zip(plain, turned + back, strict=True):
        assert np.array_equal(a.image, b.image)


@pytest.mark.parametrize("knob", [1, 8])
def test_a_turned_knob_moves_the_face_both_ways(engine_with_directions: Callable[..., Engine],
                                                run_frames: RunFrames, knob: int) -> None:
    engine = engine_with_directions()
    still = run_frames(engine, 1)[0].image.astype(float)
    engine.registry.set(f"drift.direction.{knob}", 1.0)
    up = run_frames(engine, 1)[0].image.astype(float)
    engine.registry.set(f"drift.direction.{knob}", -1.0)
    down = run_frames(engine, 1)[0].image.astype(float)
    assert np.abs(up - still).mean() > 2.0 and np.abs(down - still).mean() > 2.0
    assert np.abs(up - down).mean() > np.abs(up - still).mean() * 0.5


def test_knobs_combine_with_drift_and_glides(engine_with_directions: Callable[..., Engine],
                                             engine_factory: EngineFactory,
                                             run_frames: RunFrames) -> None:
    values = {"drift.speed": 0.5, "drift.glide": 0.2}
    knobbed = engine_with_directions({**values, "drift.direction.1": 0.7})
    plain = engine_factory(values)
    for engine in (knobbed, plain):
        engine.registry.set("drift.seed", 9)  # a glide to a new face starts
    a, b = run_frames(knobbed, 12), run_frames(plain, 12)
    assert not np.array_equal(a[0].image, a[-1].image)  # the face still walks and glides
    for x, y in zip(a, b, strict=True):  # ... and the knob holds its offset all the way
        assert np.abs(x.image.astype(float) - y.image.astype(float)).mean() > 1.0
