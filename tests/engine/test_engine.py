"""The engine: frame contract, repeatable timelines, reset, automation, and its thread."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Mapping

import numpy as np
import pytest
import torch

from performer.controls import declare
from performer.engine.clock import FixedClock, WallClock
from performer.engine.engine import Engine, to_rgb8
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.models.base import AblatableGenerator
from performer.models.stats import ModelStats
from performer.params import ParamChange, Registry, Value
from tests.helpers import wait_until

EngineFactory = Callable[..., Engine]
RunFrames = Callable[[Engine, int], list[Frame]]
TOTAL = 960

# frame index -> changes submitted before that frame (as OSC/MIDI listeners would)
TIMELINE: dict[int, Mapping[str, Value]] = {
    0: {"drift.speed": 0.6, "ablation.rate": 90.0, "ablation.order": "magnitude"},
    6: {"ablation.fill": "noise"},
    10: {"drift.new": True, "drift.glide": 0.2},
    16: {"ablation.layer": "block1", "ablation.fill": "mean"},
    22: {"ablation.revive": True},
    26: {"ablation.order": "random", "ablation.seed": 5, "ablation.revive": False},
    30: {"drift.freeze": True, "ablation.fill": "zero"},
    34: {"ablation.reset": True, "drift.freeze": False},
}
FRAMES = 40


def play(engine: Engine, timeline: Mapping[int, Mapping[str, Value]], frames: int) -> list[Frame]:
    out = []
    for index in range(frames):
        changes = timeline.get(index, {})
        if changes:
            batch = [ParamChange(n, v, source="osc") for n, v in changes.items()]
            assert engine.registry.submit(batch)
        out.append(engine.step())
    return out


# --- clocks --------------------------------------------------------------------------------


def test_fixed_clock() -> None:
    clock = FixedClock(25)
    assert [clock.tick() for _ in range(4)] == [0.0, 0.04, 0.04, 0.04]


def test_wall_clock_starts_at_zero_and_caps_stalls() -> None:
    clock = WallClock(max_step=0.0)
    assert clock.tick() == 0.0
    assert all(clock.tick() == 0.0 for _ in range(5))  # any stall counts as at most max_step
    clock = WallClock()
    assert clock.tick() == 0.0
    assert all(0.0 <= clock.tick() <= clock.max_step for _ in range(5))


# --- one frame -----------------------------------------------------------------------------


def test_to_rgb8() -> None:
    images = torch.tensor([[[[-1.0, 1.0, 0.0, 1.5]], [[0.5, -0.5, -2.0, 1.0]],
                            [[0.0, 0.0, 0.0, 0.0]]]])  # (1, 3, 1, 4)
    rgb = to_rgb8(images)
    assert rgb.shape == (1, 4, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    assert rgb[0, :, 0].tolist() == [0, 255, 128, 255]  # -1 -> 0, 1 -> 255, clamped above
    assert rgb[0, :, 1].tolist() == [191, 64, 0, 255]
    assert images[0, 0, 0, 0] == -1.0  # the model's output is left alone


def test_frame_contract(
    model: AblatableGenerator, engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    frames = run_frames(engine_factory(fps=20), 5)
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert [f.time for f in frames] == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2])
    for frame in frames:
        assert frame.image.shape == (64, 64, 3) and frame.image.dtype == np.uint8
        assert frame.image.flags.c_contiguous
        assert frame.neurons.total == TOTAL and frame.neurons.alive_count == TOTAL
        assert frame.generator_ms >= 0.0
    with torch.inference_mode():
        expected = to_rgb8(model(model.sample_latents(1, 0)))
    assert np.array_equal(frames[0].image, expected)  # drift.seed 0's face, unablated


# --- repeatability ---------------------------------------------------------------------------


def test_same_timeline_and_seed_give_identical_frames(engine_factory: EngineFactory) -> None:
    first = play(engine_factory(own_model=True), TIMELINE, FRAMES)
    second = play(engine_factory(own_model=True), TIMELINE, FRAMES)
    for a, b in zip(first, second, strict=True):
        assert (a.index, a.time) == (b.index, b.time)
        assert np.array_equal(a.image, b.image), a.index
        assert np.array_equal(a.neurons.alive, b.neurons.alive), a.index
    # The timeline really exercised the engine: faces moved, neurons died and came back.
    assert len({f.image.tobytes() for f in first}) > 25
    counts = [f.neurons.alive_count for f in first]
    assert min(counts) < TOTAL - 30 and counts[0] == TOTAL


def test_a_different_seed_gives_different_frames(engine_factory: EngineFactory) -> None:
    first = play(engine_factory(), TIMELINE, 12)
    other = play(engine_factory({"drift.seed": 1}), TIMELINE, 12)
    assert not any(np.array_equal(a.image, b.image) for a, b in zip(first, other, strict=True))


def test_random_order_seed_changes_which_neurons_die(engine_factory: EngineFactory) -> None:
    timeline = {0: {"ablation.rate": 300.0, "ablation.order": "random"}}
    first = play(engine_factory(), timeline, 10)[-1]
    other = play(engine_factory({"ablation.seed": 1}), timeline, 10)[-1]
    assert first.neurons.alive_count == other.neurons.alive_count
    assert not np.array_equal(first.neurons.alive, other.neurons.alive)


# --- automation and reset ----------------------------------------------------------------------


def test_automation_is_written_back_to_the_registry(
    engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    engine = engine_factory({"ablation.rate": 30.0})
    heard: list[ParamChange] = []
    engine.registry.subscribe(heard.append)
    frames = run_frames(engine, 31)  # 1 s
    assert frames[-1].neurons.alive_count == TOTAL - 30
    assert engine.registry.value("ablation.dead") == pytest.approx(30 / TOTAL)
    assert len(heard) == 30 and {c.source for c in heard} == {"engine"}
    assert {c.name for c in heard} == {"ablation.dead"}


def test_reset_brings_everyone_back(
    model: AblatableGenerator, engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    engine = engine_factory({"ablation.dead": 0.5, "ablation.fill": "mean"})
    before = run_frames(engine, 2)
    assert before[-1].neurons.alive_count == TOTAL // 2
    engine.registry.set("ablation.reset", True, source="midi")
    after = run_frames(engine, 2)
    assert all(f.neurons.alive.all() for f in after)
    assert engine.registry.value("ablation.dead") == 0.0
    with torch.inference_mode():
        expected = to_rgb8(model(model.sample_latents(1, 0)))
    assert np.array_equal(after[0].image, expected)


def test_reset_while_the_rate_runs_brings_everyone_back(
    engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    """The usual gesture: neurons are dying at 60/s and the performer hits reset."""
    engine = engine_factory({"ablation.rate": 60.0}, fps=30)
    dying = run_frames(engine, 16)
    assert dying[-1].neurons.alive_count == TOTAL - 30
    engine.registry.set("ablation.reset", True, source="midi")
    after = run_frames(engine, 3)
    assert engine.registry.value("ablation.rate") == 0.0
    assert [f.neurons.alive_count for f in after] == [TOTAL] * 3
    assert engine.registry.value("ablation.dead") == 0.0


# --- the thread ----------------------------------------------------------------------------------


def engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "performer-engine"]


def test_thread_posts_the_same_frames_as_stepping(
    engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    values = {"drift.speed": 0.7, "ablation.rate": 45.0}
    reference = run_frames(engine_factory(values, own_model=True), 40)
    engine = engine_factory(values)
    mailbox: Mailbox[Frame] = Mailbox()
    engine.start(mailbox)
    try:
        assert len(engine_threads()) == 1
        taken: list[Frame] = []
        while len(taken) < 8:
            frame = mailbox.take(timeout=10.0)
            assert frame is not None, "the engine thread posted nothing"
            if frame.index >= len(reference):
                break
            taken.append(frame)
    finally:
        engine.stop()
    assert not engine_threads()
    assert taken
    indices = [f.index for f in taken]
    assert indices == sorted(set(indices))  # newest first, never an old one again
    for frame in taken:
        assert np.array_equal(frame.image, reference[frame.index].image), frame.index
    assert engine.figures.fps > 0 and taken[-1].figures.generator_ms > 0


def test_thread_latest_frame_wins_when_nobody_takes(engine_factory: EngineFactory) -> None:
    engine = engine_factory({"drift.speed": 0.5})
    mailbox: Mailbox[Frame] = Mailbox()
    engine.start(mailbox, max_wait=0.005)
    try:
        wait_until(lambda: mailbox.posted >= 4)
    finally:
        engine.stop()
    assert not engine_threads()
    posted = mailbox.posted
    assert mailbox.dropped == posted - 1  # every frame but the newest was replaced unseen
    newest = mailbox.take()
    assert newest is not None and newest.index == posted - 1
    assert mailbox.take() is None


def test_a_failing_frame_keeps_the_show_up(
    model: AblatableGenerator, stats: ModelStats, caplog: pytest.LogCaptureFixture
) -> None:
    # A registry that offers a layer the model does not have: every frame fails until the
    # performer picks a real one.
    registry = Registry(declare(["block0", "nonexistent"]))
    registry.set("ablation.layer", "nonexistent")
    engine = Engine(model, stats, registry, FixedClock(30))
    mailbox: Mailbox[Frame] = Mailbox()
    with caplog.at_level(logging.ERROR, logger="performer.engine.engine"):
        engine.start(mailbox)
        try:
            wait_until(lambda: any("failed" in r.getMessage() for r in caplog.records))
            assert mailbox.posted == 0
            registry.submit(ParamChange("ablation.layer", "block0"))
            frame = mailbox.take(timeout=10.0)
        finally:
            engine.stop()
    # Failed frames use up their index and time together, so the two stay in step.
    assert frame is not None and frame.index > 0
    assert frame.time == pytest.approx(frame.index / 30)
    failures = [r for r in caplog.records if "frame 0 failed" in r.getMessage()]
    assert failures and failures[0].exc_info is not None


def test_blackout_still_answers_while_the_generator_fails(
    model: AblatableGenerator, stats: ModelStats, caplog: pytest.LogCaptureFixture
) -> None:
    registry = Registry(declare(["block0", "nonexistent"]))
    engine = Engine(model, stats, registry, FixedClock(30))
    mailbox: Mailbox[Frame] = Mailbox()
    good = engine.run_once(mailbox)
    assert good is not None and mailbox.take() is good
    registry.set("ablation.layer", "nonexistent")  # every frame fails from here
    registry.set("output.blackout", 1.0, "midi")  # the performer reaches for the fader
    with caplog.at_level(logging.ERROR, logger="performer.engine.engine"):
        assert engine.run_once(mailbox) is None
    shown = mailbox.take()
    assert shown is not None and shown.blackout == 1.0  # the change still reaches the screen
    assert shown.index == good.index and shown.image is good.image  # on the last good image
    assert any("frame 1 failed" in r.getMessage() for r in caplog.records)


def test_a_control_change_remakes_the_waiting_frame_once(engine_factory: EngineFactory) -> None:
    """Late latching, the thread's turns stepped directly: a frame nobody took yet is made
    again with a change from a control, once; the engine's own automation never causes a
    redo."""
    engine = engine_factory({})
    mailbox: Mailbox[Frame] = Mailbox()
    engine.attach(mailbox)
    try:
        assert engine.turn(redo=False, max_wait=0.0) is False  # frame 0, nobody takes it
        engine.registry.set("ablation.seed", 3, "engine")  # automation: not a control
        assert engine.turn(redo=False, max_wait=0.0) is False  # frame 1 after the wait only
        engine.registry.submit(ParamChange("ablation.dead", 0.5, "osc"))
        assert engine.turn(redo=False, max_wait=0.0) is True  # frame 2 remade it at once
        engine.registry.set("ablation.dead", 0.75, "midi")  # a second change
        assert engine.turn(redo=True, max_wait=0.0) is False  # after a redo: no second one
        assert mailbox.posted == 4
        frame = mailbox.take()
    finally:
        engine.detach()
    assert frame is not None and frame.index == 3
    assert frame.neurons.alive_count == TOTAL - TOTAL * 3 // 4


def test_output_changes_travel_with_frames_and_remake_the_waiting_one(
        engine_factory: EngineFactory) -> None:
    """The display reads blackout and map from frames, so a change to them is a control
    change like any other: the waiting frame is remade with it."""
    engine = engine_factory({})
    mailbox: Mailbox[Frame] = Mailbox()
    engine.attach(mailbox)
    try:
        engine.turn(redo=False, max_wait=0.0)
        engine.registry.set("output.map", True, "osc")
        assert engine.turn(redo=False, max_wait=0.0) is True
        frame = mailbox.take()
    finally:
        engine.detach()
    assert frame is not None and frame.show_map


def test_a_change_the_frame_already_has_causes_no_redo(engine_factory: EngineFactory) -> None:
    """A change drained by the engine's own snapshot is in that frame: no second step."""
    engine = engine_factory({})
    mailbox: Mailbox[Frame] = Mailbox()
    engine.attach(mailbox)
    try:
        engine.turn(redo=False, max_wait=0.0)
        engine.registry.submit(ParamChange("ablation.dead", 0.25, "osc"))
        assert engine.turn(redo=False, max_wait=0.0) is True  # the redo
        engine.registry.submit(ParamChange("ablation.dead", 0.5, "osc"))  # queued meanwhile
        assert mailbox.take() is not None  # the display takes the redo...
        assert engine.turn(redo=True, max_wait=0.0) is False  # ...one normal step drains it
        assert engine.turn(redo=False, max_wait=0.0) is False  # and it wakes nobody
        frame = mailbox.take()
    finally:
        engine.detach()
    assert frame is not None and frame.neurons.alive_count == TOTAL - TOTAL // 2


def test_the_fade_key_fades_to_black_and_back_in_the_engine(
        engine_factory: EngineFactory) -> None:
    engine = engine_factory({}, fps=20)  # 0.75 s is 15 frames
    engine.step()
    engine.registry.set("output.fade", True, "keyboard")
    frames = [engine.step() for _ in range(16)]
    blackouts = [f.blackout for f in frames]
    assert blackouts[0] == pytest.approx(1 / 15) and blackouts[-1] == 1.0
    assert all(b > a for a, b in itertools.pairwise(blackouts[:15]))
    assert frames[0].fade is not None and frames[-1].fade is None
    assert engine.registry.value("output.blackout") == 1.0  # written back for feedback
    # Between frames the display carries the fade on by its own clock.
    assert frames[0].blackout_after(0.05) == pytest.approx(2 / 15)
    assert frames[-1].blackout_after(5.0) == 1.0
    engine.registry.set("output.fade", True, "osc")  # mostly black: fades back
    assert [engine.step().blackout for _ in range(16)][-1] == 0.0


def test_a_fader_moved_while_the_engine_automates_wins(engine_factory: EngineFactory) -> None:
    """Automation is written back only where nobody changed the value since the snapshot."""
    engine = engine_factory({"ablation.rate": 96.0}, fps=10)
    snap = engine.registry.snapshot()
    engine.registry.set("ablation.dead", 0.5, "midi")  # lands while the frame is made
    written = engine.registry.write_back(engine.automate(snap, 0.1), snap, source="engine")
    assert written == [] and engine.registry.value("ablation.dead") == 0.5
    assert engine.step().dead == 0.5  # the clock's first tick is 0 s
    assert engine.step().dead == pytest.approx(0.5 + 96 * 0.1 / TOTAL)  # on from the fader
