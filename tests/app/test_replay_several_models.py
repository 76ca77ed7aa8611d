"""A show with several models (`--model` repeated) logs them all and when each loaded, and
its log replays the switches between them frame for frame, waits for a loading model
included."""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from performer.app.replay import open_replay
from performer.app.show_log import start_show_log
from performer.engine import session as session_module
from performer.engine.clock import FixedClock
from performer.engine.session import open_session
from performer.models.base import AblatableGenerator
from performer.showlog.format import ShowLogError
from tests.helpers import wait_until

FIRST, SECOND = "dcgan_faces", "dcgan_faces-2"  # the built-in model twice, named apart


def live_show(log: Path) -> list[np.ndarray]:
    """Two models; the first half dead, a switch to the second (fresh, then a quarter dead),
    and back: every switch changes the picture."""
    session = open_session([None, None], "cpu", FixedClock(30.0))
    try:
        assert session.settle(120.0)
        writer = start_show_log(log, session, (64, 64), "face.frag", None)
        assert writer is not None
        registry, engine = session.registry, session.engine
        images = [engine.step().image]
        for name, value in (("ablation.dead", 0.5), ("model.select", SECOND),
                            ("ablation.dead", 0.25), ("model.select", FIRST),
                            ("model.select", SECOND)):
            registry.set(name, value)
            images += [engine.step().image for _ in range(3)]
        writer.close()
    finally:
        session.close()
    return images


def replayed(log: Path) -> list[tuple[str, np.ndarray]]:
    """(model shown, image) for every step of the log's replay."""
    replay = open_replay(log, [], "cpu")
    try:
        engine = replay.session.engine
        shown = []
        for logged in replay.log.steps():
            replay.step(logged)
            frame = engine.step()
            shown.append((frame.model.name, frame.image))
    finally:
        replay.log.close()
        replay.session.close()
    return shown


def test_a_show_with_two_models_replays_its_switches_frame_for_frame(tmp_path: Path) -> None:
    log = tmp_path / "show.jsonl.gz"
    live = live_show(log)
    with gzip.open(log, "rt") as lines:
        header = json.loads(lines.readline())
    assert [model["name"] for model in header["models"]] == [FIRST, SECOND]
    shown = replayed(log)
    assert len(shown) == len(live)
    assert [name for name, _ in shown[::3]] == [FIRST, FIRST, SECOND, SECOND, FIRST, SECOND]
    for index, ((_, image), expected) in enumerate(zip(shown, live, strict=True)):
        assert np.array_equal(image, expected), f"step {index} differs from the live show"
    assert not np.array_equal(live[3], live[6]), "a switch changes the picture"


def test_a_model_selected_while_it_loads_is_waited_for_in_the_replay_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second model's load is held back while the show selects it (and moves to another
    face): the show waits on the first model; the replay, which loads every model first,
    waits for exactly as many steps, and the walk the second model starts on is the one
    the show had when it first showed it."""
    gate = threading.Event()
    load_model = session_module.load_model

    def slow_second_load(spec: str | None, device: object) -> AblatableGenerator:
        if threading.current_thread() is not threading.main_thread():
            gate.wait(60.0)  # the background thread: the second model
        return load_model(spec, device)  # type: ignore[arg-type]

    log = tmp_path / "show.jsonl.gz"
    monkeypatch.setattr(session_module, "load_model", slow_second_load)
    session = open_session([None, None], "cpu", FixedClock(30.0))
    try:
        writer = start_show_log(log, session, (64, 64), "face.frag", None)
        assert writer is not None
        registry, engine = session.registry, session.engine
        registry.set("drift.seed", 7)
        live = [engine.step() for _ in range(2)]
        registry.set("model.select", SECOND)
        live += [engine.step() for _ in range(3)]
        assert all(frame.model.name == FIRST for frame in live), "it waits for the load"
        gate.set()
        wait_until(lambda: session.settle(0.1), what="the second model loaded")
        live += [engine.step() for _ in range(4)]
        writer.close()
    finally:
        gate.set()
        session.close()
    monkeypatch.undo()
    assert live[-1].model.name == SECOND
    shown = replayed(log)
    assert [name for name, _ in shown] == [frame.model.name for frame in live]
    for index, ((_, image), frame) in enumerate(zip(shown, live, strict=True)):
        assert np.array_equal(image, frame.image), f"step {index} differs from the live show"


def test_a_replay_given_fewer_models_than_the_show_had_says_so(tmp_path: Path) -> None:
    log = tmp_path / "show.jsonl.gz"
    live_show(log)
    with pytest.raises(ShowLogError, match=r"the show had 2 model\(s\) \(dcgan_faces, "
                                           r"dcgan_faces-2\): give --model once for each"):
        open_replay(log, ["dcgan-faces"], "cpu")
