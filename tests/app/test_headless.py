"""`performer run` with no display, end to end: the show drawn offscreen (EGL) feeds a real
NDI receiver and recordings; OSC starts a recording; a recording killed with -9 (performer
and ffmpeg alike) still plays; an output that raises is dropped while the show goes on."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from performer.app import live
from performer.app.cli import build_parser
from performer.bench.ndi_receiver import NdiReceiver
from performer.video import VideoFrame
from tests.video import decode

OUTPUT = (320, 180)
NO_CONTROLS = ["--no-midi", "--osc-port", "0", "--oscquery-port", "0", "--osc-out", "none"]


def no_display_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


def performer_run(*args: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "performer", "run", "--output-size", "x".join(map(str, OUTPUT)),
         *args], stderr=subprocess.PIPE, text=True, env=no_display_env(), **popen)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_with_no_display_and_ndi_the_show_runs_headless_and_a_receiver_gets_it() -> None:
    name = f"performer-headless-{uuid.uuid4().hex[:8]}"
    show = performer_run("--ndi", name, "--output-fps", "25", "--seconds", "40", *NO_CONTROLS)
    try:
        receiver = NdiReceiver(name, timeout=60)
        try:
            frames = receiver.receive(10, timeout=60)
        finally:
            receiver.close()
        show.send_signal(signal.SIGTERM)  # as a supervisor stops it: a clean end
        _, errors = show.communicate(timeout=60)
    finally:
        show.kill()
    assert show.returncode == 0, errors
    assert "no display: running headless for the outputs" in errors
    assert "ndi: " in errors and "pictures sent" in errors  # closed properly, and reported
    assert "Traceback" not in errors
    for frame in frames:
        assert frame.size == OUTPUT and frame.rate == (25, 1)
    face = frames[-1].pixels[..., :3].astype(float)
    assert face.mean() > 20 and face.std() > 20  # a face, not a flat or black picture


def test_osc_starts_a_headless_recording(tmp_path: Path) -> None:
    path = tmp_path / "take.mkv"
    port = free_udp_port()
    show = performer_run("--headless", "--record", str(path), "--seconds", "12", "--no-midi",
                         "--osc-port", str(port), "--oscquery-port", "0", "--osc-out", "none",
                         "--set", "output.record=off")
    try:
        client = SimpleUDPClient("127.0.0.1", port)
        deadline = time.monotonic() + 60
        while not path.exists() and time.monotonic() < deadline and show.poll() is None:
            client.send_message("/performer/output/record", 1)
            time.sleep(0.2)
        _, errors = show.communicate(timeout=60)
    finally:
        show.kill()
    assert show.returncode == 0, errors
    meta, frames = decode(path)
    assert meta["size"] == OUTPUT and meta["fps"] == pytest.approx(30)
    assert len(frames) > 10
    assert "recorded " in errors


FRAGMENTS = {".mkv": bytes.fromhex("1f43b675"), ".mp4": b"moof"}  # Matroska clusters, MP4 moofs


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_a_recording_killed_with_minus_9_still_plays(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"killed{suffix}"
    show = performer_run("--headless", "--record", str(path), "--seconds", "120", *NO_CONTROLS,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and show.poll() is None:
            if path.exists() and FRAGMENTS[suffix] in path.read_bytes():
                break
            time.sleep(0.2)
        time.sleep(4.0)  # about 120 pictures recorded; at most the last second is lost
        assert show.poll() is None, show.communicate()[1]
    finally:
        os.killpg(show.pid, signal.SIGKILL)  # performer and its ffmpeg: nothing gets to finish
        show.communicate(timeout=30)
    meta, frames = decode(path)
    assert meta["size"] == OUTPUT
    assert len(frames) >= 30  # at least the first second's fragments
    assert np.mean(frames[-1]) > 20  # the picture, not a black or broken frame


class Failing:
    """An output that raises once the show is under way."""

    name = "failing"

    def __init__(self) -> None:
        self.sent = 0

    def open(self, size: tuple[int, int], fps: float) -> None:
        pass

    def send(self, frame: VideoFrame) -> None:
        self.sent += 1
        if self.sent == 5:
            raise BrokenPipeError("the receiver hung up")

    def close(self) -> None:
        pass


def test_an_output_that_raises_is_dropped_and_the_show_and_recording_go_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    failing = Failing()
    monkeypatch.setattr(live, "streaming_outputs", lambda args: [failing])
    path = tmp_path / "goes-on.mkv"
    args = build_parser().parse_args(
        ["run", "--headless", "--output-size", "320x180", "--seconds", "4", "--record",
         str(path), *NO_CONTROLS])
    with caplog.at_level(logging.INFO):
        assert live.run_live(args) == 0
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == ["output failing failed and is closed, the show goes on: "
                        "BrokenPipeError: the receiver hung up"]
    assert failing.sent == 5
    _meta, frames = decode(path)
    assert len(frames) > 5 * 3  # the recording went on long after the failure


def test_a_recording_file_no_codec_fits_is_one_line_before_the_show() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "performer", "run", "--record", "show.gif", *NO_CONTROLS],
        capture_output=True, text=True, timeout=120, env=no_display_env())
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "performer: cannot tell the codec from 'show.gif': use .mp4 (H.264), .mov (HAP) or "
        ".mkv (lossless FFV1), or name the codec")
    assert "Traceback" not in result.stderr


def test_with_no_display_and_no_output_one_line_says_what_to_do() -> None:
    result = subprocess.run([sys.executable, "-m", "performer", "run", *NO_CONTROLS],
                            capture_output=True, text=True, timeout=120, env=no_display_env())
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert "no display" in last and "performer run --ndi" in last
