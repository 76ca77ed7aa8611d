"""The latent walk: continuity, constant radius, glides to new faces, freeze, determinism."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

from performer.engine.drift import Drift, Glide, slerp, smoothstep
from performer.engine.engine import Engine, to_rgb8
from performer.frame import Frame
from performer.models.base import AblatableGenerator

EngineFactory = Callable[..., Engine]
RunFrames = Callable[[Engine, int], list[Frame]]

LATENT = 100


def face(seed: int) -> np.ndarray:
    """Seed -> Gaussian latent, like a model's `sample_latents` (float32 values)."""
    return np.random.default_rng(seed).standard_normal(LATENT).astype(np.float32)


def angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between two vectors, accurate for tiny angles (unlike acos of a dot product)."""
    ua, ub = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return 2.0 * math.asin(min(1.0, float(np.linalg.norm(ua - ub)) / 2.0))


def walk(drift: Drift, steps: int, dt: float, speed: float) -> list[np.ndarray]:
    return [drift.step(dt, speed, drift.seed, 2.0, False).copy() for _ in range(steps)]


# --- helpers ----------------------------------------------------------------------------


def test_slerp_endpoints_and_radius() -> None:
    a, b = face(1).astype(np.float64), face(2).astype(np.float64) * 2.0
    np.testing.assert_allclose(slerp(a, b, 0.0), a, rtol=1e-12)
    np.testing.assert_allclose(slerp(a, b, 1.0), b, rtol=1e-12, atol=1e-12)
    middle = slerp(a, b, 0.5)
    assert np.linalg.norm(middle) == pytest.approx(
        (np.linalg.norm(a) + np.linalg.norm(b)) / 2, rel=1e-12
    )
    assert angle(a, middle) == pytest.approx(angle(a, b) / 2, rel=1e-9)
    np.testing.assert_allclose(slerp(a, a, 0.3), a, rtol=1e-12)  # no division by sin(0)


def test_smoothstep() -> None:
    assert smoothstep(-1.0) == 0.0 and smoothstep(0.0) == 0.0
    assert smoothstep(0.5) == 0.5
    assert smoothstep(1.0) == 1.0 and smoothstep(3.0) == 1.0


def test_zero_length_glide_jumps() -> None:
    glide = Glide(face(1).astype(np.float64), face(2).astype(np.float64), duration=0.0)
    assert glide.done
    np.testing.assert_array_equal(glide.position(), face(2))


# --- the walk -----------------------------------------------------------------------------


def test_walk_is_continuous_and_keeps_its_radius() -> None:
    speed, dt = 1.3, 1 / 60
    drift = Drift(face, seed=5)
    radius = float(np.linalg.norm(drift.z))
    path = [drift.z.copy(), *walk(drift, 1200, dt, speed)]
    steps = [angle(a, b) for a, b in itertools.pairwise(path)]
    assert max(steps) <= speed * dt + 1e-9  # never a jump
    assert min(steps) >= 0.99 * speed * dt  # and it does move, at the speed asked
    radii = np.linalg.norm(np.array(path), axis=1)
    np.testing.assert_allclose(radii, radius, rtol=1e-9)
    assert angle(path[0], path[-1]) > 0.1  # it went somewhere


def test_step_size_follows_speed_and_dt() -> None:
    drift = Drift(face, seed=3)
    schedule = [(1 / 30, 0.2), (1 / 144, 2.0), (0.25, 0.5), (1 / 60, 0.0), (1 / 24, 1.0)] * 20
    previous = drift.z.copy()
    for dt, speed in schedule:
        z = drift.step(dt, speed, 3, 2.0, False).copy()
        assert angle(previous, z) <= speed * dt + 1e-9
        if speed == 0.0:
            np.testing.assert_array_equal(z, previous)
        previous = z


def test_walk_progress_does_not_depend_on_frame_rate() -> None:
    """The same speed for the same time covers about as much of face space at any fps.

    A direction that wanders at WANDER rad/√s keeps the walk going one way for a while;
    after 5 s at 0.5 rad/s (2.5 rad of path) the face is well over a radian away, at 30 fps
    as at 240 fps.
    """

    def covered(fps: int) -> float:
        total = 0.0
        for seed in range(8):
            drift = Drift(face, seed)
            start = drift.z.copy()
            end = walk(drift, 5 * fps, 1 / fps, 0.5)[-1]
            total += angle(start, end)
        return total / 8

    slow, fast = covered(30), covered(240)
    assert 0.8 < slow / fast < 1.25, (slow, fast)
    assert min(slow, fast) > 0.3 * 2.5, (slow, fast)


def test_freeze_holds_the_latent() -> None:
    drift = Drift(face, seed=2)
    walk(drift, 10, 1 / 30, 1.0)
    held = drift.z.copy()
    for _ in range(30):
        np.testing.assert_array_equal(drift.step(1 / 30, 1.0, 2, 2.0, frozen=True), held)
    assert angle(held, drift.step(1 / 30, 1.0, 2, 2.0, frozen=False)) > 0  # and moves again


def test_walk_is_deterministic() -> None:
    schedule = [(1 / 30, 0.4, 7, False)] * 30 + [(1 / 30, 0.4, 8, False)] * 20
    schedule += [(1 / 30, 0.4, 8, True)] * 5 + [(1 / 60, 1.5, 8, False)] * 30

    def play(seed: int) -> np.ndarray:
        drift = Drift(face, seed)
        return np.array([drift.step(dt, s, seed + (f - 7), 0.5, fr).copy()
                         for dt, s, f, fr in schedule])

    first, second = play(7), play(7)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(play(7), play(9))


# --- glides --------------------------------------------------------------------------------


def test_changing_seed_glides_there_exactly_in_the_glide_time() -> None:
    dt, glide_s = 1 / 32, 0.5  # 16 steps, exact in binary
    drift = Drift(face, seed=0)
    walk(drift, 10, dt, 0.8)  # wander off the seed's face first
    start = drift.z.copy()
    path = [start]
    for _ in range(16):
        path.append(drift.step(dt, 0.8, 1, glide_s, False).copy())
    target = face(1).astype(np.float64)
    assert not np.allclose(path[-2], target)
    np.testing.assert_allclose(path[-1], target, rtol=1e-12, atol=1e-12)
    assert drift.glide is None
    # A glide has no jumps: smoothstep's slope is at most 1.5, so each step turns at most
    # 1.5 × total angle × dt / duration.
    total = angle(start, target)
    for a, b in itertools.pairwise(path):
        assert angle(a, b) <= 1.5 * total * dt / glide_s + 1e-9
    # After the glide the walk goes on from the new face, at the new face's radius.
    after = walk(drift, 20, dt, 0.8)
    np.testing.assert_allclose(np.linalg.norm(after, axis=1), np.linalg.norm(target), rtol=1e-9)


def test_freeze_pauses_a_glide() -> None:
    dt = 1 / 32
    drift = Drift(face, seed=0)
    for _ in range(4):
        drift.step(dt, 0.0, 5, 0.5, False)
    paused = drift.z.copy()
    for _ in range(40):
        np.testing.assert_array_equal(drift.step(dt, 0.0, 5, 0.5, True), paused)
    for _ in range(12):
        last = drift.step(dt, 0.0, 5, 0.5, False)
    np.testing.assert_allclose(last, face(5), rtol=1e-12, atol=1e-12)


# --- drift on the engine, through the registry -----------------------------------------------


def face_image(model: AblatableGenerator, seed: int) -> np.ndarray:
    with torch.inference_mode():
        return to_rgb8(model(model.sample_latents(1, seed)))


def test_drift_new_reaches_the_next_face_after_the_glide(
    model: AblatableGenerator, engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    engine = engine_factory({"drift.glide": 0.5, "drift.seed": 4}, fps=32)
    first = run_frames(engine, 2)
    assert np.array_equal(first[-1].image, face_image(model, 4))
    engine.registry.set("drift.new", True, source="keyboard")
    gliding = run_frames(engine, 16)  # the trigger's frame is the glide's first step
    assert engine.registry.value("drift.seed") == 5  # feedback sees the new face's seed
    target = face_image(model, 5)
    assert not np.array_equal(gliding[0].image, first[-1].image)  # it starts moving at once
    assert not np.array_equal(gliding[-2].image, target)
    assert np.array_equal(gliding[-1].image, target)  # there exactly after 0.5 s
    assert all(np.array_equal(f.image, target) for f in run_frames(engine, 5))  # and stays


def test_drift_new_from_the_last_seed_still_changes_the_face(
    model: AblatableGenerator, engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    last = 2**31 - 1
    engine = engine_factory({"drift.glide": 0.0, "drift.seed": last})
    before = run_frames(engine, 1)[0]
    engine.registry.set("drift.new", True)
    after = run_frames(engine, 2)[-1]
    assert engine.registry.value("drift.seed") != last
    assert not np.array_equal(after.image, before.image)


def test_setting_drift_seed_glides_to_that_face(
    model: AblatableGenerator, engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    engine = engine_factory({"drift.glide": 0.25}, fps=32)
    run_frames(engine, 1)
    engine.registry.set("drift.seed", 42, source="osc")
    frames = run_frames(engine, 8)
    assert np.array_equal(frames[-1].image, face_image(model, 42))


def test_freeze_holds_the_face_on_the_engine(
    engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    engine = engine_factory({"drift.speed": 1.0})
    moving = run_frames(engine, 3)
    assert not np.array_equal(moving[1].image, moving[2].image)
    engine.registry.set("drift.freeze", True)
    frozen = run_frames(engine, 6)
    assert all(np.array_equal(f.image, frozen[0].image) for f in frozen)
    engine.registry.set("drift.new", True)  # a glide waits while frozen
    assert np.array_equal(run_frames(engine, 3)[-1].image, frozen[0].image)
