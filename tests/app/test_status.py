"""The status line: read from the frame on screen, never from the engine or the registry."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from performer.app.status import status_text
from performer.engine.engine import Engine
from performer.engine.slot import MEASURING
from performer.frame import EngineFigures, ModelStatus

EngineFactory = Callable[..., Engine]


def test_status_line_names_the_key_figures_of_the_frame(engine_factory: EngineFactory) -> None:
    engine = engine_factory({"ablation.rate": 16.0, "drift.seed": 5})
    frame = dataclasses.replace(engine.step(), figures=EngineFigures(300.0, 2.5))
    engine.registry.set("ablation.layer", "block2")  # after the frame: not on screen yet
    text = status_text(frame, 59.9)
    assert "display  59.9 fps" in text and "gen 300.0 fps   2.5 ms" in text
    assert "rate 16.0/s" in text and "layer all" in text and "order importance" in text
    assert "face 5" in text and "alive 960/960" in text
    assert "scene" not in text


def test_status_line_names_the_scene_on_screen(engine_factory: EngineFactory) -> None:
    engine = engine_factory()
    engine.registry.set("scene.store", "scene 4")
    engine.step()
    assert status_text(engine.step(), 60.0).endswith(" | scene scene 4")


def test_status_line_before_the_first_frame() -> None:
    assert "waiting for the first frame" in status_text(None, 60.0)


def test_status_line_names_the_model_its_memory_and_what_is_still_measured(
        engine_factory: EngineFactory) -> None:
    frame = engine_factory().step()
    assert f"model dcgan_faces {frame.model.memory_mb:.0f} MB" in status_text(frame, 60.0)
    assert "statistics" not in status_text(frame, 60.0)  # the shipped ones: ready
    waiting = dataclasses.replace(frame, model=ModelStatus(
        "mine", 12.0, MEASURING, "theirs is loading; mine stays until it is ready"))
    text = status_text(waiting, 60.0)
    assert f"model mine 12 MB statistics {MEASURING}" in text
    assert text.endswith(" | theirs is loading; mine stays until it is ready")
