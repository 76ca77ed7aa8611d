"""A StyleGAN2 model on stage: ablation, truncation, noise, class and W/Z drift.

One small NVlabs-structured pickle per module (written by tests.models.nvlabs_fixtures),
loaded through `open_session` like `performer run --model x.pkl` does, engines on a
FixedClock.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from performer.controls import make_registry
from performer.engine.clock import FixedClock
from performer.engine.engine import Engine
from performer.engine.session import open_session
from performer.frame import Frame
from performer.models.stats import ModelStats
from performer.models.stylegan2 import StyleGAN2Generator
from performer.params import ParamError, Value
from tests.models import nvlabs_fixtures as fixtures


@pytest.fixture(scope="module")
def session_parts(tmp_path_factory: pytest.TempPathFactory,
                  ) -> Iterator[tuple[StyleGAN2Generator, ModelStats]]:
    root = tmp_path_factory.mktemp("stylegan2-controls")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        fixtures.write_nvlabs_pickle(root / "cond.pkl", c_dim=3, conv_clamp=256.0,
                                     num_fp16_res=2, seed=5)
        session = open_session(str(root / "cond.pkl"), "cpu", FixedClock(30.0))
        assert isinstance(session.model, StyleGAN2Generator)
        yield session.model, session.stats


def engine_for(parts: tuple[StyleGAN2Generator, ModelStats], **values: Value) -> Engine:
    model, stats = parts
    for mask in model.channel_masks():
        mask.keep.fill_(1.0)
        mask.fill.zero_()
    model.prepare()  # as loaded: a fresh engine sets every control again
    registry = make_registry([layer.name for layer in model.layers], model.extra_params())
    for name, value in values.items():
        registry.set(name, value)
    return Engine(model, stats, registry, FixedClock(30.0))


def image(engine: Engine) -> np.ndarray:
    return engine.step().image.astype(np.int16)


def differs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_registry_has_the_model_controls_and_dcgan_has_none(
    session_parts: tuple[StyleGAN2Generator, ModelStats], model: object
) -> None:
    registry = engine_for(session_parts).registry
    for name in ("model.truncation", "model.noise", "model.noise_mode", "drift.space",
                 "model.class"):
        assert name in registry
    assert registry.param("model.class").maximum == 2  # three classes
    assert registry.value("model.truncation") == 0.7
    with pytest.raises(ParamError):
        registry.set("model.class", "seven")
    from performer.models.base import AblatableGenerator
    assert isinstance(model, AblatableGenerator) and model.extra_params() == []


def test_killing_a_layer_changes_the_image_and_revive_restores_it_exactly(
    session_parts: tuple[StyleGAN2Generator, ModelStats],
) -> None:
    engine = engine_for(session_parts, **{"ablation.layer": "b16.conv0",
                                          "ablation.fill": "zero", "ablation.order": "index"})
    before = image(engine)
    engine.registry.set("ablation.dead", 1.0)
    dead = image(engine)
    assert engine.ablation.alive_count == engine.ablation.total - 32
    assert differs(before, dead) > 1.0
    engine.registry.set("ablation.dead", 0.0)
    assert np.array_equal(image(engine), before)


def test_truncation_zero_draws_the_average_face_for_every_seed(
    session_parts: tuple[StyleGAN2Generator, ModelStats],
) -> None:
    one = engine_for(session_parts, **{"model.truncation": 0.0, "drift.seed": 1})
    two = engine_for(session_parts, **{"model.truncation": 0.0, "drift.seed": 2})
    assert np.array_equal(image(one), image(two))
    far = engine_for(session_parts, **{"model.truncation": 1.0, "drift.seed": 1})
    near = engine_for(session_parts, **{"model.truncation": 0.5, "drift.seed": 1})
    assert differs(image(far), image(near)) > 1.0


def test_noise_strength_and_mode(session_parts: tuple[StyleGAN2Generator, ModelStats]) -> None:
    const = engine_for(session_parts, **{"model.noise": 1.0})
    a, b = image(const), image(const)
    assert np.array_equal(a, b)  # const noise: a still face stays still
    silent = image(engine_for(session_parts, **{"model.noise": 0.0}))
    assert differs(a, silent) > 0.5
    shimmer = engine_for(session_parts, **{"model.noise_mode": "random", "model.noise": 2.0})
    c, d = image(shimmer), image(shimmer)
    assert differs(c, d) > 0.5  # fresh noise every frame
    again = engine_for(session_parts, **{"model.noise_mode": "random", "model.noise": 2.0})
    assert np.array_equal(image(again), c)  # ... seeded by the frame: renders repeat


def test_class_parameter_changes_the_face(
    session_parts: tuple[StyleGAN2Generator, ModelStats],
) -> None:
    first = image(engine_for(session_parts, **{"model.class": 0}))
    other = image(engine_for(session_parts, **{"model.class": 2}))
    assert differs(first, other) > 1.0


def test_a_class_change_morphs_over_the_glide(
    session_parts: tuple[StyleGAN2Generator, ModelStats],
) -> None:
    engine = engine_for(session_parts, **{"model.class": 0, "drift.glide": 1.0})
    start = image(engine)
    engine.registry.set("model.class", 2)
    frames = walk(engine, 40)  # 1.33 s at 30 fps
    end = frames[-1].image.astype(np.int16)
    assert np.array_equal(end, image(engine_for(session_parts, **{"model.class": 2})))
    total = differs(start, end)
    assert total > 1.0
    assert steps(frames).max() < 0.25 * total  # many small steps, no cut
    cut = engine_for(session_parts, **{"model.class": 0, "drift.glide": 0.0})
    image(cut)
    cut.registry.set("model.class", 2)
    assert np.array_equal(image(cut), end)  # glide 0: at once


def walk(engine: Engine, frames: int) -> list[Frame]:
    return [engine.step() for _ in range(frames)]


def steps(frames: list[Frame]) -> np.ndarray:
    images = np.stack([f.image.astype(np.float64) for f in frames])
    return np.abs(np.diff(images, axis=0)).mean(axis=(1, 2, 3))


@pytest.mark.parametrize("space", ["z", "w"])
def test_drift_moves_smoothly_in_either_space(
    session_parts: tuple[StyleGAN2Generator, ModelStats], space: str
) -> None:
    engine = engine_for(session_parts, **{"drift.space": space, "drift.speed": 0.3})
    frames = walk(engine, 30)
    per_frame = steps(frames)
    assert per_frame.max() > 0  # it moves ...
    assert per_frame.max() < 4 * np.median(per_frame) + 0.5  # ... without a jump
    assert differs(frames[0].image.astype(np.int16), frames[-1].image.astype(np.int16)) > 1.0


def switch_back_and_forth(parts: tuple[StyleGAN2Generator, ModelStats], glide: float,
                          ) -> np.ndarray:
    engine = engine_for(parts, **{"drift.speed": 1.0, "drift.glide": glide})
    frames = walk(engine, 10)
    engine.registry.set("drift.space", "w")
    frames += walk(engine, 45)  # the two walks drift apart meanwhile
    engine.registry.set("drift.space", "z")
    frames += walk(engine, 45)
    return steps(frames)


def test_switching_space_never_jumps(session_parts: tuple[StyleGAN2Generator, ModelStats],
                                     ) -> None:
    per_frame = switch_back_and_forth(session_parts, glide=1.0)
    assert per_frame.max() < 4 * np.median(per_frame) + 0.5, per_frame.round(2)
    # Without a glide the same switch back to Z is a visible cut: the glide is what helps.
    cut = switch_back_and_forth(session_parts, glide=0.0)
    assert cut.max() > 4 * np.median(cut) + 0.5, cut.round(2)


def test_glide_to_a_new_face_in_w_is_smooth(
    session_parts: tuple[StyleGAN2Generator, ModelStats],
) -> None:
    engine = engine_for(session_parts, **{"drift.space": "w", "drift.glide": 1.0})
    start = image(engine)
    engine.registry.set("drift.seed", 9)
    frames = walk(engine, 40)
    per_frame = steps(frames)
    assert differs(start, frames[-1].image.astype(np.int16)) > 1.0  # a new face
    assert per_frame.max() < 0.25 * differs(start, frames[-1].image.astype(np.int16)) + 0.5


def test_a_new_face_asked_for_in_z_is_reached_after_switching_to_w(
    session_parts: tuple[StyleGAN2Generator, ModelStats],
) -> None:
    still = {"drift.speed": 0.0, "drift.glide": 1.0}
    engine = engine_for(session_parts, **still)
    before = walk(engine, 3)[-1].image.astype(np.int16)
    engine.registry.set("drift.new", True)
    walk(engine, 6)  # a fifth of the way to the new face, in Z
    seed = engine.registry.value("drift.seed")
    engine.registry.set("drift.space", "w")
    frames = walk(engine, 30)  # the glide's remaining 24 frames at 30 fps, and more
    target = image(engine_for(session_parts, **{**still, "drift.glide": 0.0, "drift.seed": seed}))
    distance = [differs(f.image.astype(np.int16), target) for f in frames]
    assert differs(before, target) > 1.0
    assert distance[22] > 0.05  # still on its way one frame before the glide ends ...
    assert max(distance[23:]) < 0.05  # ... there when it ends, now walking in W
    per_frame = steps(frames)
    assert per_frame.max() < 0.25 * differs(before, target) + 0.5  # and smoothly


def test_the_model_controls_get_osc_addresses(
    session_parts: tuple[StyleGAN2Generator, ModelStats],
) -> None:
    from performer.control.osc.routing import AddressTable, address_of, decode

    table = AddressTable(engine_for(session_parts).registry.params())
    route = table.route(address_of("model.truncation"))
    assert route is not None and address_of("model.truncation") == "/performer/model/truncation"
    change = decode(route, [0.5])  # normalised 0..1 -> psi 0..1.5
    assert change is not None and change.name == "model.truncation" and change.value == 0.75
    assert table.route(address_of("model.class")) is not None


def test_a_truncation_sweep_leaves_the_noise_alone(
    session_parts: tuple[StyleGAN2Generator, ModelStats], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Turning the truncation knob rewrites one scalar; the noise maps (a per-layer loop)
    are rebuilt only when the noise controls change."""
    model, _ = session_parts
    engine = engine_for(session_parts, **{"model.truncation": 0.5})
    first = image(engine)
    rebuilt: list[float] = []
    original = model.synthesis.set_noise
    monkeypatch.setattr(model.synthesis, "set_noise",
                        lambda level, *rest: rebuilt.append(level) or original(level, *rest))
    engine.registry.set("model.truncation", 0.9)
    swept = image(engine)
    assert rebuilt == [] and differs(first, swept) > 1.0
    engine.registry.set("model.noise", 0.0)
    image(engine)
    assert rebuilt == [0.0]
