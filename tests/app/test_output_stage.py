"""The output stage: `output.record` in the frames starts and stops the recording (each
start a new file), a bad file name is one line and the switch goes back off, and the
status line shows each output's fps and drops."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from performer.app.output_stage import OutputStage, numbered
from performer.engine.engine import Engine
from performer.frame import Frame
from performer.outputs.recorder import RecorderError
from performer.params import Snapshot
from performer.video import VideoFrame
from tests.video import decode

EngineFactory = Callable[..., Engine]
SIZE = (64, 48)


def recording(frame: Frame, on: bool) -> Frame:
    return dataclasses.replace(frame, values=Snapshot({**frame.values.data, "output.record": on}))


def pictures(count: int, start: int = 0) -> list[VideoFrame]:
    return [VideoFrame(np.full((SIZE[1], SIZE[0], 4), 10 * (i % 20), np.uint8), i, i / 30, 30.0)
            for i in range(start, start + count)]


def post_all(stage: OutputStage, frames: list[VideoFrame]) -> None:
    """Post each picture once the recording took the one before (none dropped)."""
    for sent, picture in enumerate(frames, start=1):
        stage.post(picture)
        deadline = time.monotonic() + 10
        while stage.figures()[0].sent < sent:
            assert time.monotonic() < deadline
            time.sleep(0.005)


def test_output_record_starts_and_stops_takes_in_numbered_files(
        engine_factory: EngineFactory, tmp_path: Path) -> None:
    engine = engine_factory()
    frame = engine.step()
    stage = OutputStage([], tmp_path / "show.mkv")
    assert not stage.active and stage.status_text() == ""
    for _take in (1, 2):
        stage.follow(recording(frame, True))
        assert stage.active
        post_all(stage, pictures(10))
        assert " | record " in stage.status_text() and "0 dropped" in stage.status_text()
        stage.follow(recording(frame, False))
        assert not stage.active
    stage.close()
    assert numbered(tmp_path / "show.mkv", 2) == tmp_path / "show-2.mkv"
    for path in (tmp_path / "show.mkv", tmp_path / "show-2.mkv"):
        meta, frames = decode(path)
        assert meta["size"] == SIZE and len(frames) == 10
        assert [int(f[0, 0, 0]) for f in frames] == [10 * i for i in range(10)]  # lossless


def test_a_file_the_codec_cannot_go_in_is_refused_before_the_show() -> None:
    with pytest.raises(RecorderError, match=r"^hap cannot go in a \.mkv file: use \.mov$"):
        OutputStage([], Path("show.mkv"), "hap")


def test_without_a_file_takes_are_named_by_the_show_start(
        engine_factory: EngineFactory, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    frame = engine_factory().step()
    stage = OutputStage([], None, "hap")
    stage.follow(recording(frame, True))
    post_all(stage, [VideoFrame(np.zeros((48, 64, 4), np.uint8), 0, 0.0, 30.0)])
    stage.close()
    made = sorted(p.name for p in tmp_path.iterdir())
    assert len(made) == 2 and made[0].startswith("performer-")
    assert made[0].endswith(".mov")  # HAP's container
    assert made[1] == made[0] + ".frames.tsv"


def test_when_the_encoder_lags_pictures_are_dropped_counted_and_reported(
        engine_factory: EngineFactory, tmp_path: Path, caplog) -> None:
    frame = engine_factory().step()
    stage = OutputStage([], tmp_path / "lag.mkv")
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (1080, 1920, 4), dtype=np.uint8)  # hard to encode
    stage.follow(recording(frame, True))
    posting = time.perf_counter()
    for index in range(40):  # far faster than FFV1 encodes 1080p noise
        stage.post(VideoFrame(noise, index, index / 30, 30.0))
    posting = time.perf_counter() - posting
    with caplog.at_level(logging.INFO):
        stage.follow(recording(frame, False))
    reports = [r.getMessage() for r in caplog.records if r.getMessage().startswith("record:")]
    sent, dropped = (int(n) for n in re.findall(r"(\d+) pictures sent, (\d+) dropped",
                                                 reports[0])[0])
    assert sent + dropped == 40 and dropped > 0
    assert posting < 0.5  # the show never waited for the encoder
    assert len(decode(tmp_path / "lag.mkv")[1]) == sent
    stage.close()
