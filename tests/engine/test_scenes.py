"""Scene recall, morph, quantize and store, as the engine applies them frame by frame."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pytest

from performer.controls import SCENE_NONE, make_registry
from performer.engine.beats import BeatClock
from performer.engine.clock import FixedClock
from performer.engine.engine import Engine, Step
from performer.engine.scenes import SceneDirector, morph_value
from performer.models.base import AblatableGenerator
from performer.models.stats import ModelStats
from performer.params import Registry, Value
from performer.scenes.book import Scene, SceneBook
from tests.helpers import LAYERS

FPS = 10.0
DARK = Scene("dark", {"ablation.dead": 0.8, "drift.speed": 0.5, "output.map": True,
                      "ablation.fill": "zero", "drift.seed": 7, "ablation.order": "random",
                      "drift.bars": 4})


class Show:
    """A registry and a scene director stepped like the engine does, without the model."""

    def __init__(self, *scenes: Scene, **values: Value) -> None:
        self.registry = make_registry(LAYERS, scene_names=[s.name for s in scenes])
        self.beats = BeatClock()
        self.director = SceneDirector(SceneBook(scenes),
                                      {p.name: p for p in self.registry.params()}, self.beats)
        self.previous: Mapping[str, Value] | None = None
        for name, value in values.items():
            self.registry.set(name.replace("__", "."), value)

    def step(self, dt: float = 1 / FPS) -> dict[str, Value]:
        snap = self.registry.snapshot()
        self.beats.step(dt, snap.float("tempo.bpm"), "tempo.downbeat" in snap.fired,
                        "tempo.bar" in snap.fired)
        writes = self.director.automate(snap, dt, self.previous)
        self.registry.write_back(writes, snap, "engine")
        self.previous = {**snap.data, **writes}
        return self.previous

    def run(self, frames: int) -> list[dict[str, Value]]:
        return [self.step() for _ in range(frames)]


def test_a_cut_sets_every_value_of_the_scene_on_the_frame_it_arrives() -> None:
    show = Show(DARK)
    show.step()
    show.registry.set("scene.recall", "dark")
    after = show.step()
    for name, value in DARK.values.items():
        assert after[name] == value, name
    assert after["scene.recall"] == "dark"


def test_floats_move_along_their_curve_and_the_others_switch_where_documented() -> None:
    show = Show(DARK, **{"scene.morph": 1.0})
    show.step()
    show.registry.set("scene.recall", "dark")
    frames = show.run(11)  # progress 0, 0.1, ..., 1.0
    dead = [f["ablation.dead"] for f in frames]
    assert dead[0] == 0.0 and dead[-1] == pytest.approx(0.8)
    assert all(b >= a for a, b in itertools.pairwise(dead)), "monotonic"
    assert dead[5] == pytest.approx(0.4), "smoothstep is half way at half the time"
    assert dead[1] < 0.1 * 0.8, "eased in"
    # drift.speed has a square curve: it travels its fader position, not its value
    speed_param = show.registry.param("drift.speed")
    positions = [speed_param.to_normalized(f["drift.speed"]) for f in frames]
    assert positions[5] == pytest.approx(speed_param.to_normalized(0.5) / 2)
    assert [f["drift.seed"] for f in frames] == [7] * 11, "the face glides from the start"
    assert [f["output.map"] for f in frames] == [False] * 5 + [True] * 6, "midpoint"
    assert [f["ablation.fill"] for f in frames] == ["mean"] * 5 + ["zero"] * 6
    assert [f["drift.bars"] for f in frames] == [0] * 5 + [4] * 6
    assert [f["ablation.order"] for f in frames] == ["importance"] * 10 + ["random"], \
        "the death order changes only at the end: the dead fraction scrubs along it"


@pytest.mark.parametrize("progress", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_morph_value_ends_exactly_at_the_ends(progress: float) -> None:
    param = make_registry(LAYERS).param("ablation.dead")
    value = morph_value(param, 0.25, 0.75, progress)
    assert 0.25 <= float(value) <= 0.75
    if progress in (0.0, 1.0):
        assert value == (0.25 if progress == 0.0 else 0.75)


def test_a_recall_during_a_morph_starts_from_where_the_picture_is() -> None:
    other = Scene("light", {"ablation.dead": 0.0})
    show = Show(DARK, other, **{"scene.morph": 1.0})
    show.step()
    show.registry.set("scene.recall", "dark")
    frames = show.run(6)
    halfway = frames[-1]["ablation.dead"]
    assert 0.3 < float(halfway) < 0.6
    show.registry.set("scene.recall", "light")
    frames = show.run(11)
    assert frames[0]["ablation.dead"] == halfway, "no jump when the second recall starts"
    assert frames[-1]["ablation.dead"] == 0.0


def test_a_value_moved_by_hand_during_a_morph_is_left_to_the_performer() -> None:
    show = Show(DARK, **{"scene.morph": 1.0})
    show.step()
    show.registry.set("scene.recall", "dark")
    show.run(3)
    show.registry.set("drift.speed", 0.05, "midi")
    frames = show.run(10)
    assert all(f["drift.speed"] == 0.05 for f in frames)
    assert frames[-1]["ablation.dead"] == pytest.approx(0.8)


def test_an_edit_of_a_value_the_scene_holds_clears_the_recall_so_it_can_be_pressed_again() -> None:
    show = Show(DARK)
    show.step()
    show.registry.set("scene.recall", "dark")
    show.step()
    show.registry.set("output.crossfade", 0.5)  # not in the scene: still that scene
    assert show.step()["scene.recall"] == "dark"
    show.registry.set("ablation.dead", 0.1)
    assert show.step()["scene.recall"] == SCENE_NONE
    show.registry.set("scene.recall", "dark")
    assert show.step()["ablation.dead"] == pytest.approx(0.8), "recalled again"


def test_an_empty_slot_recalls_nothing_and_reads_none_again() -> None:
    show = Show(DARK, **{"ablation.dead": 0.3})
    show.step()
    show.registry.set("scene.recall", "scene 2")
    after = show.step()
    assert after["scene.recall"] == SCENE_NONE and after["ablation.dead"] == 0.3


@pytest.mark.parametrize(("quantize", "frame"), [("now", 0), ("beat", 5), ("bar", 20)])
def test_quantize_holds_a_recall_until_the_next_beat_or_bar(quantize: str, frame: int) -> None:
    # 120 BPM at 10 fps: a beat every 5 frames, a bar every 20
    show = Show(DARK, **{"scene.quantize": quantize, "tempo.bpm": 120.0})
    show.registry.set("tempo.downbeat", True)
    show.step()  # beat 1 of bar 1
    show.run(2)  # two frames into the bar (0.4 beats)
    show.registry.set("scene.recall", "dark")
    frames = show.run(25)
    first = next(i for i, f in enumerate(frames) if f["ablation.dead"] == pytest.approx(0.8))
    assert first == max(frame - 3, 0)


def test_a_downbeat_lands_a_quantized_recall_at_once() -> None:
    show = Show(DARK, **{"scene.quantize": "bar"})
    show.run(3)
    show.registry.set("scene.recall", "dark")
    assert show.step()["ablation.dead"] == 0.0, "held for the bar"
    show.registry.set("tempo.downbeat", True)  # a MIDI clock start
    assert show.step()["ablation.dead"] == pytest.approx(0.8)


def test_a_clocks_bar_line_lands_a_quantized_recall_on_the_clocks_bar() -> None:
    """The recall waits for the bar of the one beat clock, which a MIDI clock or Link bar
    line pulls into place: here the count is at 3.6 beats when the clock says "bar"."""
    show = Show(DARK, **{"scene.quantize": "bar", "tempo.bpm": 120.0})  # 0.2 beat a frame
    show.run(17)
    show.registry.set("scene.recall", "dark")
    assert show.step()["ablation.dead"] == 0.0, "held for the bar"
    show.registry.set("tempo.bar", True, "midi")
    assert show.step()["ablation.dead"] == pytest.approx(0.8), "on the clock's bar"


def test_beat_clock_counts_beats_and_bars() -> None:
    clock = BeatClock()
    marks = []
    for _ in range(16):  # half a beat each
        clock.step(0.25, 120.0)
        marks.append((clock.beat_started, clock.bar_started))
    assert [i for i, (beat, _) in enumerate(marks) if beat] == [1, 3, 5, 7, 9, 11, 13, 15]
    assert [i for i, (_, bar) in enumerate(marks) if bar] == [7, 15]


def test_store_into_an_empty_slot_takes_every_storable_value_and_shows_that_scene() -> None:
    show = Show(**{"ablation.dead": 0.4, "drift.seed": 3})
    show.step()
    show.registry.set("scene.store", "scene 1")
    after = show.step()
    stored = show.director.book.get("scene 1")
    assert stored is not None and show.director.stored == [stored]
    assert stored.values["ablation.dead"] == 0.4 and stored.values["drift.seed"] == 3
    assert not {"scene.recall", "tempo.bpm", "midi.learn", "output.fullscreen", "output.record",
                "ablation.reset"} & stored.values.keys()
    assert after["scene.store"] == SCENE_NONE and after["scene.recall"] == "scene 1"
    show.registry.set("scene.store", "scene 1")  # the same slot again stores again
    show.step()
    assert len(show.director.stored) == 1


def test_store_into_a_scene_keeps_to_the_groups_it_holds() -> None:
    show = Show(Scene("face", {"drift.seed": 1, "tempo.bpm": 90.0}),
                **{"drift.seed": 9, "ablation.dead": 0.5, "tempo.bpm": 100.0})
    show.step()
    show.registry.set("scene.store", "face")
    show.step()
    stored = show.director.book.get("face")
    assert stored is not None
    assert stored.values["drift.seed"] == 9 and stored.values["tempo.bpm"] == 100.0
    assert "drift.speed" in stored.values and "ablation.dead" not in stored.values


# --- on the real engine -------------------------------------------------------------------


@pytest.fixture
def engine(builtin: tuple[AblatableGenerator, ModelStats],
           model: AblatableGenerator) -> Engine:
    registry: Registry = make_registry(LAYERS, scene_names=["dark"])
    return Engine(builtin[0], builtin[1], registry, FixedClock(FPS), scenes=SceneBook([DARK]))


def test_the_dead_fraction_morphs_along_the_death_order_on_screen(engine: Engine) -> None:
    engine.registry.set("ablation.dead", 0.1)
    engine.registry.set("scene.morph", 1.0)
    engine.step()
    engine.registry.set("scene.recall", "dark")
    dead_sets = []
    for _ in range(10):  # the order switches only on the last frame of the morph
        alive = engine.step().neurons.alive
        dead_sets.append(set(np.flatnonzero(~alive)))
    assert all(a <= b for a, b in itertools.pairwise(dead_sets)), \
        "neurons only die along the order: the face is scrubbed, never reshuffled"


def test_observers_see_every_step_with_what_it_consumed_and_stored(engine: Engine) -> None:
    steps: list[Step] = []
    engine.observe(steps.append)
    engine.registry.set("scene.store", "scene 2")
    engine.step()
    engine.step()
    assert [s.index for s in steps] == [0, 1]
    assert steps[0].snapshot["scene.store"] == "scene 2"
    assert steps[0].values["scene.store"] == SCENE_NONE
    assert [s.name for s in steps[0].stored] == ["scene 2"] and steps[1].stored == ()


def test_a_value_of_the_scene_moved_during_its_morph_shows_it_is_no_longer_that_scene() -> None:
    show = Show(DARK, **{"scene.morph": 1.0})
    show.step()
    show.registry.set("scene.recall", "dark")
    show.run(3)
    show.registry.set("ablation.dead", 0.1, "midi")
    frames = show.run(10)
    assert frames[0]["scene.recall"] == SCENE_NONE
    assert frames[-1]["output.map"] is True, "the rest of the morph goes on"
