"""A show with several models (`--model` repeated) logs them all, and its log replays the
switches between them frame for frame."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from performer.app.replay import open_replay
from performer.app.show_log import start_show_log
from performer.engine.clock import FixedClock
from performer.engine.session import open_session
from performer.showlog.format import ShowLogError

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


def test_a_show_with_two_models_replays_its_switches_frame_for_frame(tmp_path: Path) -> None:
    log = tmp_path / "show.jsonl.gz"
    live = live_show(log)
    with gzip.open(log, "rt") as lines:
        header = json.loads(lines.readline())
    assert [model["name"] for model in header["models"]] == [FIRST, SECOND]
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
    assert len(shown) == len(live)
    assert [name for name, _ in shown[::3]] == [FIRST, FIRST, SECOND, SECOND, FIRST, SECOND]
    for index, ((_, image), expected) in enumerate(zip(shown, live, strict=True)):
        assert np.array_equal(image, expected), f"step {index} differs from the live show"
    assert not np.array_equal(live[3], live[6]), "a switch changes the picture"


def test_a_replay_given_fewer_models_than_the_show_had_says_so(tmp_path: Path) -> None:
    log = tmp_path / "show.jsonl.gz"
    live_show(log)
    with pytest.raises(ShowLogError, match=r"the show had 2 model\(s\) \(dcgan_faces, "
                                           r"dcgan_faces-2\): give --model once for each"):
        open_replay(log, ["dcgan-faces"], "cpu")
