"""A live show under Xvfb, played with OSC and keys, rendered again from its show log.

What the show put out is read two ways: its lossless recording (`--record` to FFV1), and
Xvfb's own screen, which Xvfb writes to a file (`-fbdir`), read from outside the show.
Every recorded frame, in order, and every picture captured from the screen must be, pixel
for pixel, a frame of the video `render --replay` makes from the log.
"""

from __future__ import annotations

import bisect
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from performer.app.replay import open_replay, replay_frames
from performer.controls import SCENE_NONE
from performer.showlog.reader import ShowLog
from tests.helpers import wait_until

SIZE = (320, 240)
SHOW_FILE = '''# Friday's set
[[scene]]
name = "calm"  # the whole face
ablation.dead = 0.0
drift.seed = 1

[[scene]]
name = "storm"
ablation.dead = 0.6
ablation.order = "random"
ablation.fill = "zero"
drift.seed = 5
'''


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Projector:
    """An Xvfb screen the size of the window, its framebuffer readable as a file."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
            pytest.fail("Xvfb and xdotool are needed: run scripts/system_deps.sh")
        read_fd, write_fd = os.pipe()
        self.server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24",
             "-fbdir", str(folder), "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            self.display = f":{pipe.readline().strip()}"
        self.screen = folder / "Xvfb_screen0"

    def picture(self) -> np.ndarray:
        """The screen as RGB: the XWD file Xvfb keeps (32-bit BGRX pixels after the header
        and the colour map)."""
        data = np.fromfile(self.screen, dtype=np.uint8)
        header = data[:100].view(">u4")
        header_size, width, height, bytes_per_line, colours = (
            int(header[0]), int(header[4]), int(header[5]), int(header[12]), int(header[19]))
        start = header_size + 12 * colours
        rows = data[start:start + bytes_per_line * height].reshape(height, bytes_per_line)
        return np.ascontiguousarray(rows[:, : width * 4].reshape(height, width, 4)[..., 2::-1])

    def steady_picture(self, unlike: np.ndarray | None = None) -> np.ndarray:
        """A picture that stayed the same for a moment (the show is between changes), and
        differs from `unlike` (the picture before the change waited for)."""
        last = self.picture()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.4)
            now = self.picture()
            changed = unlike is None or not np.array_equal(now, unlike)
            if np.array_equal(now, last) and now.any() and changed:
                return now
            last = now
        pytest.fail("the picture never changed and settled")

    def keys(self, *keys: str) -> None:
        subprocess.run(["xdotool", "mousemove", "5", "5", "key", "--delay", "50", *keys],
                       env={**os.environ, "DISPLAY": self.display}, check=True)

    def close(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=10)


@pytest.fixture
def projector(tmp_path: Path) -> Iterator[Projector]:
    folder = tmp_path / "fb"
    folder.mkdir()
    screen = Projector(folder)
    yield screen
    screen.close()


class LiveShow:
    """`performer run` in the projector's screen, its log lines collected."""

    def __init__(self, projector: Projector, tmp_path: Path, *extra: str) -> None:
        self.osc_port = free_port()
        self.show_file = tmp_path / "show.toml"
        self.log = tmp_path / "show.jsonl.gz"
        self.lines: list[str] = []
        env = {**os.environ, "DISPLAY": projector.display,
               "XDG_STATE_HOME": str(tmp_path / "state"),
               "XDG_CONFIG_HOME": str(tmp_path / "config")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "performer", "run", "--size", f"{SIZE[0]}x{SIZE[1]}",
             "--no-vsync", "--osc-port", str(self.osc_port), "--oscquery-port", "0",
             "--show", str(self.show_file), "--show-log", str(self.log), "--midi-api", "jack",
             *extra],
            stderr=subprocess.PIPE, text=True, env=env)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_until(lambda: any("first frame" in line for line in self.lines), timeout=120)
        self.osc = SimpleUDPClient("127.0.0.1", self.osc_port)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def finish(self) -> int:
        code = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        return code


def in_order(pictures: list[np.ndarray], frames: list[np.ndarray]) -> list[int | None]:
    """For each picture, the first frame at or after the last one matched that equals it
    (None: no such frame): a picture may repeat a frame, never go back before it."""
    where: dict[bytes, list[int]] = {}
    for index, frame in enumerate(frames):
        where.setdefault(frame.tobytes(), []).append(index)
    positions: list[int | None] = []
    last = 0
    for picture in pictures:
        found = where.get(picture.tobytes(), [])
        at = bisect.bisect_left(found, last)
        if at == len(found):
            positions.append(None)
            continue
        last = found[at]
        positions.append(last)
    return positions


def decoded(video: Path) -> list[np.ndarray]:
    """Every frame of a video file as RGB, decoded by ffmpeg."""
    reader = imageio_ffmpeg.read_frames(str(video), pix_fmt="rgb24")
    meta = next(reader)
    width, height = meta["size"]
    return [np.frombuffer(data, np.uint8).reshape(height, width, 3) for data in reader]


def replayed_steps(log: Path) -> int:
    show_log = ShowLog(log)
    try:
        return sum(1 for _ in show_log.steps())
    finally:
        show_log.close()


def logged(log: Path, name: str, value: object) -> bool:
    """Whether the log, as flushed so far, holds a step that set `name` to `value`."""
    show_log = ShowLog(log)
    try:
        return any(step.changes.get(name) == value for step in show_log.steps())
    finally:
        show_log.close()


def replayed(log: Path) -> list[np.ndarray]:
    replay = open_replay(log, [], "cpu")
    try:
        return [rgb for _, rgb in replay_frames(replay, SIZE)]
    finally:
        replay.log.close()


def contains(frames: list[np.ndarray], picture: np.ndarray) -> bool:
    return any(np.array_equal(frame, picture) for frame in frames)


def test_a_show_played_with_osc_and_keys_replays_pixel_exact(projector: Projector,
                                                             tmp_path: Path) -> None:
    (tmp_path / "show.toml").write_text(SHOW_FILE)
    recording = tmp_path / "live.mkv"
    show = LiveShow(projector, tmp_path, "--set", "drift.glide=0", "--record", str(recording))
    try:
        captures = {"start": projector.steady_picture()}
        show.osc.send_message("/performer/scene/recall", "storm")
        time.sleep(0.5)
        captures["storm by OSC"] = projector.steady_picture(captures["start"])
        projector.keys("1")  # the first scene, calm
        time.sleep(0.5)
        captures["calm by key"] = projector.steady_picture(captures["storm by OSC"])
        show.osc.send_message("/performer/raw/ablation/dead", 0.35)
        projector.keys("m")  # the neural memory map
        time.sleep(0.5)
        captures["edited"] = projector.steady_picture(captures["calm by key"])
        projector.keys("shift+3")  # store it into the third slot
        time.sleep(0.5)
        projector.keys("2")
        time.sleep(0.5)
        captures["storm by key"] = projector.steady_picture(captures["edited"])
        show.osc.send_message("/performer/scene/recall", 3)  # the stored one, by number
        time.sleep(0.5)
        captures["stored, recalled"] = projector.steady_picture(captures["storm by key"])
        projector.keys("q")
        assert show.finish() == 0, "".join(show.lines)
    finally:
        show.process.kill()
    assert f"performer: show log: {show.log}\n" in show.lines
    pictures = list(captures.values())
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(pictures)), \
        "every action changed the picture"
    assert np.array_equal(captures["stored, recalled"], captures["edited"])

    again = tmp_path / "again.mkv"
    result = subprocess.run([sys.executable, "-m", "performer", "render", "--replay",
                             str(show.log), "--out", str(again)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    frames = decoded(again)
    assert len(frames) == replayed_steps(show.log), "one video frame per engine step"
    recorded = decoded(recording)
    assert len(recorded) > 20
    positions = in_order(recorded, frames)
    assert None not in positions, \
        "every recorded frame is a frame of the replay, in the order the show made them"
    assert len(set(positions)) > 5
    for name, picture in captures.items():
        assert contains(frames, picture), f"{name}: the projector showed a frame the replay lacks"
    stored = show.show_file.read_text()
    assert stored.startswith("# Friday's set\n") and 'name = "calm"  # the whole face' in stored
    assert 'name = "scene 3"' in stored


def test_kill_9_mid_show_leaves_a_log_that_replays_up_to_the_kill(projector: Projector,
                                                                 tmp_path: Path) -> None:
    broken = tmp_path / "show.toml"  # a bad entry costs that entry only: the show runs
    broken.write_text('[[scene]]\nname = "a"\nablation.dead = "lots"\n\n'
                      '[[scene]]\nname = "b"\nablation.dead = 0.9\n')
    recording = tmp_path / "live.mkv"
    show = LiveShow(projector, tmp_path, "--set", "drift.speed=0.5", "--record", str(recording))
    assert any(f"{broken}:3: ablation.dead: expected a number, got 'lots' (entry skipped)"
               in line for line in show.lines), show.lines
    show.osc.send_message("/performer/scene/recall", "b")
    wait_until(lambda: logged(show.log, "scene.recall", "b"), timeout=60)
    show.osc.send_message("/performer/raw/ablation/dead", 0.5)
    wait_until(lambda: logged(show.log, "ablation.dead", 0.5), timeout=60)  # flushed
    os.kill(show.process.pid, signal.SIGKILL)
    show.finish()
    replay = open_replay(show.log, [], "cpu")
    try:
        frames = [rgb for _, rgb in replay_frames(replay, SIZE)]
        assert replay.log.problem is not None and "cut short" in replay.log.problem
    finally:
        replay.log.close()
    assert len(frames) > 10
    values = replay.session.registry.values()
    assert values["ablation.dead"] == 0.5, "the change made a second before the kill is there"
    assert values["scene.recall"] == SCENE_NONE, "scene b was recalled, then edited"
    show_log = ShowLog(show.log)
    recalls = [step.changes.get("scene.recall") for step in show_log.steps()]
    show_log.close()
    assert "b" in recalls, "the scene after the broken one loaded and was recalled"
    recorded = decoded(recording)
    assert len(recorded) > 10, "the recording plays after the kill too"
    positions = in_order(recorded, frames)
    cut = positions.index(None) if None in positions else len(positions)
    assert cut > 10 and set(positions[cut:]) <= {None}, \
        "it shows what the replay makes, up to where the log ends (the recording may go on " \
        "a little: each keeps its own last second)"


@pytest.mark.usefixtures("x_display")
def test_every_run_writes_a_show_log_in_the_state_folder_and_says_where(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "performer", "run", "--seconds", "3", "--size", "160x120",
         "--no-vsync", "--no-osc", "--no-midi"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "performer" / "logs"
    logs = list(folder.iterdir())
    assert len(logs) == 1 and logs[0].name.startswith("show-")
    assert f"performer: show log: {logs[0]}\n" in result.stderr
    show_log = ShowLog(logs[0])
    steps = list(show_log.steps())
    show_log.close()
    assert show_log.problem is None and len(steps) > 0
    assert show_log.header.size == (160, 120) and show_log.header.shader == "face.frag"
