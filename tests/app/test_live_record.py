"""The live recording from the real window (Xvfb): the lossless recording holds exactly the
pictures the outputs were handed, and `performer run --record` records at the output size."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from performer.engine.session import open_session
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.outputs.recording import RecordingOutput
from performer.render.window import Display
from tests.video import decode

pytestmark = pytest.mark.usefixtures("x_display", "raise_glfw_errors")


def test_the_lossless_recording_is_the_output_picture_bit_for_bit(tmp_path: Path) -> None:
    session = open_session(device="cpu")
    session.registry.set("drift.speed", 1.0)
    session.registry.set("output.map", True)
    display = Display((640, 480), vsync=False, output_size=(330, 186))  # any size: FFV1
    output = RecordingOutput(tmp_path / "take.mkv")
    shown: list[np.ndarray] = []
    indices: list[tuple[int, float]] = []
    try:
        display.capturing = True
        mailbox: Mailbox[Frame] = Mailbox()
        output.open((330, 186), display.refresh_hz)
        for _ in range(12):
            mailbox.post(session.engine.step())
            display.refresh(mailbox)
            time.sleep(1 / display.refresh_hz)  # the show's pace: a picture every refresh
            picture = display.capture()
            if picture is not None:
                output.send(picture)
                shown.append(picture.pixels[..., :3].copy())
                indices.append((picture.index, picture.time))
    finally:
        output.close()
        display.close()
    meta, recorded = decode(tmp_path / "take.mkv")
    assert meta["size"] == (330, 186)
    assert len(recorded) == len(shown) == 12 - max(display.output.readback.depth - 1, 0)
    for got, want in zip(recorded, shown, strict=True):
        np.testing.assert_array_equal(got, want)
    assert len({f.tobytes() for f in recorded}) > 1  # the face moved: distinct pictures
    # Beside the video: which engine frame (index, show time) each picture shows.
    rows = (tmp_path / "take.mkv.frames.tsv").read_text().splitlines()
    assert rows[0] == "picture\tframe\ttime"
    listed = [(int(frame), float(time)) for _, frame, time in (r.split("\t") for r in rows[1:])]
    assert [int(r.split("\t")[0]) for r in rows[1:]] == list(range(len(shown)))
    assert listed == indices


def test_performer_run_record_writes_the_output_picture(tmp_path: Path) -> None:
    path = tmp_path / "show.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "performer", "run", "--seconds", "4", "--size", "322x240",
         "--no-vsync", "--no-midi", "--osc-port", "0", "--oscquery-port", "0",
         "--osc-out", "none", "--record", str(path)],
        capture_output=True, text=True, timeout=120, env={**os.environ})
    assert result.returncode == 0, result.stderr
    meta, frames = decode(path)
    assert meta["size"] == (320, 240)  # the window's size, in multiples of 4
    assert len(frames) > 10 and np.mean(frames[-1]) > 20
    assert f"recorded {path}" in result.stderr
