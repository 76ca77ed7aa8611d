"""Scenes from a controller through real JACK MIDI ports: the APC mini's scene rows with
the active scene lit, and recalls held to the bar of a MIDI clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import mido
import pytest

from performer.control.midi.service import MidiService
from performer.controls import SCENE_NONE, make_registry
from performer.engine.clock import FixedClock
from performer.engine.engine import Engine
from performer.models.base import AblatableGenerator
from performer.models.stats import ModelStats
from performer.scenes.book import Scene, SceneBook
from tests.control.midi.test_service import Controller, LedReceiver, receive_until
from tests.helpers import LAYERS, drains_to, wait_until

SCENES = [Scene("intro", {"ablation.dead": 0.0}), Scene("storm", {"ablation.dead": 0.6})]
RECALL_ROW = 56  # APC mini: the top row of pads, scene 1 first
STORE_ROW = 48
GREEN = 1


@pytest.fixture
def engine(builtin: tuple[AblatableGenerator, ModelStats],
           model: AblatableGenerator) -> Engine:
    registry = make_registry(LAYERS, scene_names=[s.name for s in SCENES])
    return Engine(builtin[0], builtin[1], registry, FixedClock(30.0), scenes=SceneBook(SCENES))


@pytest.fixture
def service(jack: str, engine: Engine, tmp_path: Path) -> Iterator[MidiService]:
    started = MidiService(engine.registry, jack, user_path=tmp_path / "midi.toml")
    yield started
    started.stop()


def press(pads: Controller, note: int) -> None:
    pads.send(mido.Message("note_on", note=note, velocity=127))
    pads.send(mido.Message("note_off", note=note))


def lights_up(lights: LedReceiver, note: int, velocity: int) -> None:
    """Waits for the pad's LED message with `velocity` (earlier ones for it are passed)."""
    receive_until(lights, lambda m: m.type == "note_on" and m.note == note
                  and m.velocity == velocity)


def step_until(engine: Engine, name: str, value: object) -> int:
    """Steps until the frame's `name` is `value`; returns how many it took."""
    steps = 0

    def reached() -> bool:
        nonlocal steps
        steps += 1
        return bool(engine.step().values[name] == value)

    wait_until(reached, what=f"{name} == {value!r}")
    return steps


def test_apc_mini_pads_recall_and_store_scenes_and_light_the_one_on_screen(
        engine: Engine, service: MidiService) -> None:
    with Controller("APC MINI scenes test") as pads, \
            LedReceiver("APC MINI scenes test lights") as lights:
        service.start()
        wait_until(lambda: service.connected() != [])
        wait_until(lambda: service.led_output(service.connected()[0]) is not None)
        lights_up(lights, RECALL_ROW + 1, 0)  # connected: no scene on screen

        press(pads, RECALL_ROW + 1)  # scene 2: storm
        step_until(engine, "ablation.dead", 0.6)
        lights_up(lights, RECALL_ROW + 1, GREEN)

        engine.registry.set("ablation.dead", 0.2, "osc")  # an edit: no longer that scene
        step_until(engine, "scene.recall", SCENE_NONE)
        lights_up(lights, RECALL_ROW + 1, 0)

        press(pads, STORE_ROW + 2)  # store into scene 3
        step_until(engine, "scene.recall", "scene 3")
        stored = engine.scenes.book.get("scene 3")
        assert stored is not None and stored.values["ablation.dead"] == 0.2
        lights_up(lights, RECALL_ROW + 2, GREEN)

        press(pads, RECALL_ROW)  # scene 1, then the stored one again
        step_until(engine, "ablation.dead", 0.0)
        press(pads, RECALL_ROW + 2)
        step_until(engine, "ablation.dead", 0.2)


def test_a_quantized_recall_lands_on_the_midi_clocks_downbeat_then_on_its_beats(
        engine: Engine, service: MidiService) -> None:
    registry = engine.registry
    registry.set("scene.quantize", "bar")
    with Controller("APC MINI clock test") as sequencer:
        service.start()
        wait_until(lambda: service.connected() != [])
        for _ in range(10):
            engine.step()
        press(sequencer, RECALL_ROW + 1)
        wait_until(drains_to(registry, "scene.recall", "storm"))
        for _ in range(5):
            assert engine.step().values["ablation.dead"] == 0.0, "held for the next bar"
        sequencer.send(mido.Message("start"))  # the sequencer's bar 1, beat 1
        interval = 60.0 / 150.0 / 24
        started = time.perf_counter()
        for i in range(2 * 24):  # two beats of clock at 150 BPM
            time.sleep(max(0.0, started + i * interval - time.perf_counter()))
            sequencer.send(mido.Message("clock"))
        assert step_until(engine, "ablation.dead", 0.6) == 1, "on the downbeat's frame"
        wait_until(lambda: abs(float(registry.value("tempo.bpm")) - 150.0) < 5.0)

        registry.set("scene.quantize", "beat")
        engine.step()
        bpm = float(registry.value("tempo.bpm"))
        registry.set("scene.recall", "intro", "osc")
        frames = step_until(engine, "ablation.dead", 0.0)
        beat_frames = 30.0 * 60.0 / bpm
        assert 1 <= frames <= beat_frames + 1, "within a beat of the clock's tempo"
