"""The OSC state publisher reads the newest frame, and only it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from performer.control.osc.state import STATE, FrameState, state_nodes
from performer.engine.engine import Engine
from performer.frame import EngineFigures, Frame
from performer.video import OutputFigures
from tests.helpers import LAYERS

EngineFactory = Callable[..., Engine]


def test_nothing_is_published_before_the_first_frame() -> None:
    assert FrameState(LAYERS, lambda: None).read() == {}


def test_every_value_comes_from_the_frame(engine_factory: EngineFactory) -> None:
    engine = engine_factory({"ablation.layer": "block1", "ablation.dead": 0.5, "drift.seed": 9})
    frame = dataclasses.replace(engine.step(), figures=EngineFigures(42.0, 3.5))
    latest: list[Frame] = [frame]
    state = FrameState(LAYERS, lambda: latest[-1])
    engine.registry.set("drift.seed", 11)  # after the frame: not what the frame shows
    values = state.read()
    assert set(values) == {node.address for node in state.nodes}
    assert values[f"{STATE}/fps"] == 42.0 and values[f"{STATE}/generator_ms"] == 3.5
    assert values[f"{STATE}/face"] == 9
    assert values[f"{STATE}/alive/block1"] == 0.5 and values[f"{STATE}/alive/block0"] == 1.0
    assert values[f"{STATE}/alive/all"] == pytest.approx(1 - 128 / 960)  # block1: 256 neurons
    latest.append(engine.step())  # the next frame has the new face
    assert state.read()[f"{STATE}/face"] == 11


def test_nodes_cover_every_layer() -> None:
    addresses = [node.address for node in state_nodes(LAYERS)]
    assert addresses[:3] == [f"{STATE}/fps", f"{STATE}/generator_ms", f"{STATE}/alive/all"]
    face = addresses.index(f"{STATE}/face")
    assert [f"{STATE}/alive/{name}" for name in LAYERS] == addresses[3:face]


def test_sources_and_modulated_values_come_from_the_frame(
        engine_factory: EngineFactory) -> None:
    engine = engine_factory({"route.1.source": "lfo1", "route.1.target": "drift.speed",
                             "route.1.depth": 0.5, "lfo.1.shape": "square"})
    frame = engine.step()
    state = FrameState(LAYERS, lambda: frame, targets=("off", "drift.speed", "output.blackout"))
    values = state.read()
    assert values[f"{STATE}/source/lfo1"] == 1.0  # square: on for the first half cycle
    assert values[f"{STATE}/source/show/alive"] == 1.0
    assert values[f"{STATE}/modulated/drift/speed"] == pytest.approx(1.0)  # 0 + 0.5 × 2
    assert f"{STATE}/modulated/output/blackout" not in values  # no route moves it
    assert engine.registry.value("drift.speed") == 0.0  # the base stays


def test_each_outputs_fps_and_drops_are_published(engine_factory: EngineFactory) -> None:
    figures = [OutputFigures("ndi", 29.5, 300, 2), OutputFigures("record", 30.0, 310, 0)]
    now: list[list[OutputFigures]] = [figures[:1]]
    frame = engine_factory().step()
    state = FrameState(LAYERS, lambda: frame, lambda: now[-1])
    listed = [node.address for node in state.nodes]
    assert listed[-2:] == [f"{STATE}/output/ndi/fps", f"{STATE}/output/ndi/dropped"]
    values = state.read()
    assert values[f"{STATE}/output/ndi/fps"] == 29.5
    assert values[f"{STATE}/output/ndi/dropped"] == 2
    now.append(figures)  # a recording started during the show is sent too
    assert state.read()[f"{STATE}/output/record/fps"] == 30.0
