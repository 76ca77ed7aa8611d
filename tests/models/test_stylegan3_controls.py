"""A StyleGAN3 model on stage: its controls through the engine, and `performer render`.

The reference snapshot of config T is loaded through `open_session` as
`performer run --model x.pkl` does. Its statistics are measured with a small budget (the
gradient estimate of importance), which also shows that path works through filtered
leaky ReLU; the cached statistics then serve the `performer render` run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from performer.controls import make_registry
from performer.engine.clock import FixedClock
from performer.engine.engine import Engine
from performer.engine.session import Session, open_session
from performer.models import stats
from performer.models.stylegan3 import StyleGAN3Generator
from performer.params import Value
from tests.models import stylegan3_fixtures as fixtures
from tests.video import decode


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stylegan3-controls") / "stylegan3-t.pkl"
    fixtures.write_stylegan3_pickle(path, "t")
    return path


@pytest.fixture(scope="module")
def session(checkpoint: Path) -> Iterator[Session]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(checkpoint.parent / "cache"))
        patch.setattr(stats, "MEASURE_FLOATS", 1 << 24)
        opened = open_session(str(checkpoint), "cpu", FixedClock(30.0))
        assert isinstance(opened.model, StyleGAN3Generator)
        assert opened.settle(600.0)  # measured in the background (small budget), and cached
        assert opened.model.weights_path is not None
        opened.stats = stats.cached_stats(opened.model.weights_path)
        yield opened


def engine_for(session: Session, **values: Value) -> Engine:
    model = session.model
    for mask in model.channel_masks():
        mask.keep.fill_(1.0)
        mask.fill.zero_()
    model.prepare()  # as loaded: a fresh engine sets every control again
    registry = make_registry([layer.name for layer in model.layers], model.extra_params())
    for name, value in values.items():
        registry.set(name, value)
    return Engine(model, session.stats, registry, FixedClock(30.0))


def image(engine: Engine) -> np.ndarray:
    return engine.step().image.astype(np.int16)


def differs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_the_registry_has_stylegan3_controls_and_no_noise(session: Session) -> None:
    registry = engine_for(session).registry
    for name in ("model.truncation", "model.translate_x", "model.translate_y", "model.rotate",
                 "drift.space"):
        assert name in registry
    for name in ("model.noise", "model.noise_mode", "model.class"):  # none in this model
        assert name not in registry
    assert registry.param("model.rotate").maximum == 180.0


@pytest.mark.parametrize("control", [{"model.rotate": 40.0}, {"model.translate_x": 0.25},
                                     {"model.translate_y": -0.25}])
def test_pan_and_spin_move_the_picture_and_come_back_exactly(session: Session,
                                                             control: dict[str, float]) -> None:
    engine = engine_for(session)
    still = image(engine)
    ((name, value),) = control.items()
    engine.registry.set(name, value)
    moved = image(engine)
    assert differs(still, moved) > 1.0
    engine.registry.set(name, 0.0)
    assert np.array_equal(image(engine), still)


def test_killing_a_layer_changes_the_image_and_revive_restores_it_exactly(
        session: Session) -> None:
    engine = engine_for(session, **{"ablation.layer": "L1_36_32", "ablation.fill": "zero",
                                    "ablation.order": "index"})
    before = image(engine)
    engine.registry.set("ablation.dead", 1.0)
    dead = image(engine)
    assert engine.ablation.alive_count == engine.ablation.total - 32
    assert differs(before, dead) > 1.0
    engine.registry.set("ablation.dead", 0.0)
    assert np.array_equal(image(engine), before)


def test_truncation_zero_draws_the_average_picture_for_every_seed(session: Session) -> None:
    one = engine_for(session, **{"model.truncation": 0.0, "drift.seed": 1})
    two = engine_for(session, **{"model.truncation": 0.0, "drift.seed": 2})
    assert np.array_equal(image(one), image(two))
    far = engine_for(session, **{"model.truncation": 1.0, "drift.seed": 1})
    assert differs(image(far), image(one)) > 1.0


def test_the_w_walk_drives_it(session: Session) -> None:
    walk = engine_for(session, **{"drift.space": "w", "drift.speed": 1.0})
    frames = [image(walk) for _ in range(15)]
    assert differs(frames[0], frames[-1]) > 0.5


def test_render_pans_spins_and_dies(session: Session, checkpoint: Path, tmp_path: Path,
                                    ) -> None:
    out = tmp_path / "sg3.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "performer", "render", "--model", str(checkpoint), "--device",
         "cpu", "--seconds", "1", "--fps", "8", "--size", "64x64", "--out", str(out),
         "--set", "model.rotate=30", "--set", "model.translate_x=0.1"],
        capture_output=True, text=True, timeout=600, env=dict(os.environ))  # the same cache
    assert result.returncode == 0, result.stderr
    assert "measuring neuron statistics" not in result.stderr  # cached by the session
    assert "0/155 neurons alive at the end" in result.stderr
    meta, frames = decode(out)
    assert len(frames) == 8 and tuple(meta["size"]) == (64, 64)
    assert frames[0].astype(float).std() > 3  # a picture, not a flat field
    assert np.abs(frames[0].astype(float) - frames[-1].astype(float)).mean() > 1
