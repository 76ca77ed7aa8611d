"""The show log: every step's changes written off the engine thread, read back bit for bit,
and a replay that makes the same frames; damaged logs end in one line."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from performer.app.replay import open_replay
from performer.controls import make_registry
from performer.engine.engine import Engine
from performer.models.base import AblatableGenerator
from performer.models.stats import ModelStats
from performer.params import Registry, Value
from performer.scenes.book import Scene, SceneBook
from performer.showlog.format import LoggedModel, ShowLogError
from performer.showlog.reader import ShowLog
from performer.showlog.writer import ShowLogWriter, default_log_path, new_header, prune
from tests.helpers import LAYERS, wait_until

SCENES = [Scene("storm", {"ablation.dead": 0.7, "ablation.order": "random", "drift.seed": 4})]
# step -> changes made before it, as keys, OSC and MIDI would
TIMELINE: dict[int, Mapping[str, Value]] = {
    0: {"drift.speed": 0.4, "ablation.rate": 60.0, "drift.glide": 0.3},
    3: {"tempo.tap": True},
    5: {"tempo.tap": True, "scene.morph": 0.4},
    7: {"tempo.tap": True, "scene.recall": "storm"},
    12: {"ablation.fill": "noise", "drift.new": True},
    15: {"scene.store": "scene 2", "output.map": True},
    18: {"ablation.reset": True},
    20: {"scene.recall": "scene 2"},
}
STEPS = 26


class UnevenClock:
    """A wall clock's uneven steps, repeatably."""

    def __init__(self) -> None:
        self.ticks = 0

    def tick(self) -> float:
        self.ticks += 1
        return 0.0 if self.ticks == 1 else 0.02 + 0.013 * (self.ticks % 5)


class TapClock:
    """When the registry applied a trigger: tap tempo reads the intervals."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 0.25 + 0.001 * (self.now % 3)
        return self.now


def header_for(registry: Registry, model: AblatableGenerator) -> object:
    assert model.weights_path is not None
    return new_header(registry, [LoggedModel.of(model.name, model.weights_path)], (64, 64),
                      "face.frag", None, {s.name: s.values for s in SCENES})


def live_show(builtin: tuple[AblatableGenerator, ModelStats], path: Path,
              **writer_options: object) -> tuple[list[np.ndarray], ShowLogWriter]:
    model, stats = builtin
    registry = Registry(make_registry(LAYERS, scene_names=[s.name for s in SCENES]).params(),
                        clock=TapClock())
    engine = Engine(model, stats, registry, UnevenClock(), scenes=SceneBook(SCENES))
    writer = ShowLogWriter(path, header_for(registry, model), **writer_options)  # type: ignore[arg-type]
    registry.subscribe(writer.heard)
    engine.observe(writer.observe)
    images = []
    for index in range(STEPS):
        for name, value in TIMELINE.get(index, {}).items():
            registry.set(name, value, "osc")
        images.append(engine.step().image)
    return images, writer


@pytest.fixture
def fresh(fresh_builtin: object) -> tuple[AblatableGenerator, ModelStats]:
    return fresh_builtin()  # type: ignore[operator, no-any-return]


def test_a_replay_of_the_log_makes_the_same_frames(fresh: tuple[AblatableGenerator, ModelStats],
                                                   tmp_path: Path) -> None:
    path = tmp_path / "show.jsonl.gz"
    live, writer = live_show(fresh, path)
    writer.close()
    replay = open_replay(path, [], "cpu")
    engine = replay.session.engine
    again = []
    for logged in replay.log.steps():
        replay.step(logged)
        again.append(engine.step().image)
    replay.log.close()
    assert replay.log.problem is None
    assert len(again) == STEPS
    for index, (a, b) in enumerate(zip(live, again, strict=True)):
        assert np.array_equal(a, b), f"step {index} differs"
    values = replay.session.registry.values()
    assert values["tempo.bpm"] != 120.0, "tap tempo replayed from the logged tap times"
    assert engine.scenes.book.get("scene 2") is not None, "the store happened again"


def test_a_version_1_log_with_one_model_still_replays(
        fresh: tuple[AblatableGenerator, ModelStats], tmp_path: Path) -> None:
    """Logs written before several models were logged name one `model`, at version 1."""
    path = tmp_path / "show.jsonl.gz"
    live, writer = live_show(fresh, path)
    writer.close()
    header_line, rest = gzip.decompress(path.read_bytes()).split(b"\n", 1)
    header = json.loads(header_line)
    assert header["performer-show-log"] == 2 and len(header["models"]) == 1
    header["performer-show-log"] = 1
    header["model"] = header.pop("models")[0]
    path.write_bytes(gzip.compress(json.dumps(header).encode() + b"\n" + rest))
    replay = open_replay(path, [], "cpu")
    try:
        again = []
        for logged in replay.log.steps():
            replay.step(logged)
            again.append(replay.session.engine.step().image)
    finally:
        replay.log.close()
    assert len(again) == len(live) and all(
        np.array_equal(a, b) for a, b in zip(live, again, strict=True))


def test_each_change_is_one_line_with_step_time_name_value_and_source(
        fresh: tuple[AblatableGenerator, ModelStats], tmp_path: Path) -> None:
    path = tmp_path / "show.jsonl.gz"
    _, writer = live_show(fresh, path)
    writer.close()
    show_log = ShowLog(path)
    steps = list(show_log.steps())
    show_log.close()
    assert steps[0].changes == {"drift.speed": 0.4, "ablation.rate": 60.0, "drift.glide": 0.3}
    assert steps[0].sources["drift.speed"] == "osc"
    assert set(steps[3].fired) == {"tempo.tap"} and len(steps[3].fired["tempo.tap"]) == 1
    assert steps[1].changes == {}, "the engine's own automation is not logged"
    assert show_log.header.scenes[0][0] == "storm"


def test_a_log_is_readable_within_a_second_while_the_show_runs(
        fresh: tuple[AblatableGenerator, ModelStats], tmp_path: Path) -> None:
    path = tmp_path / "show.jsonl.gz"
    _, writer = live_show(fresh, path)

    def steps_on_disk() -> int:
        show_log = ShowLog(path)  # as after a kill: no gzip trailer yet
        try:
            return len(list(show_log.steps()))
        finally:
            show_log.close()

    started = time.monotonic()
    wait_until(lambda: steps_on_disk() == STEPS)
    assert time.monotonic() - started < 2.0
    writer.close()


def test_a_truncated_log_replays_up_to_where_it_ends(
        fresh: tuple[AblatableGenerator, ModelStats], tmp_path: Path) -> None:
    path = tmp_path / "show.jsonl.gz"
    _, writer = live_show(fresh, path, flush_s=0.0)  # a flush per step, as a slow show has
    writer.close()
    data = path.read_bytes()
    path.write_bytes(data[:-100])  # the end cut off (the header, every parameter, is most)
    show_log = ShowLog(path)
    steps = list(show_log.steps())
    show_log.close()
    assert 0 < len(steps) < STEPS
    assert show_log.problem == (f"{path}: cut short (Compressed file ended before the "
                                f"end-of-stream marker was reached); it replays its first "
                                f"{len(steps)} steps")


def test_a_garbage_line_ends_the_replay_there_naming_file_and_line(
        fresh: tuple[AblatableGenerator, ModelStats], tmp_path: Path) -> None:
    path = tmp_path / "show.jsonl.gz"
    _, writer = live_show(fresh, path)
    writer.close()
    lines = gzip.decompress(path.read_bytes()).split(b"\n")
    lines[6] = b"\x00garbage{"
    path.write_bytes(gzip.compress(b"\n".join(lines)))
    show_log = ShowLog(path)
    steps = list(show_log.steps())
    show_log.close()
    assert show_log.problem is not None
    assert show_log.problem.startswith(f"{path}:7: a damaged line")
    assert show_log.problem.endswith(f"it replays its first {len(steps)} steps")


@pytest.mark.parametrize(("content", "why"), [
    (b"not gzip at all", "not a performer show log"),
    (gzip.compress(b"{\"a\": 1}\n"), ":1: not a performer show log"),
    (gzip.compress(b"\xff\xfe\n"), ":1: not a performer show log"),
    (b"", "not a performer show log"),
])
def test_a_file_that_is_no_show_log_is_one_line(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "x.jsonl.gz"
    path.write_bytes(content)
    with pytest.raises(ShowLogError, match=f"^{path}.*{why}"):
        ShowLog(path)


def test_a_log_of_another_model_is_refused_in_one_line(
        fresh: tuple[AblatableGenerator, ModelStats], tmp_path: Path) -> None:
    path = tmp_path / "show.jsonl.gz"
    _, writer = live_show(fresh, path)
    writer.close()
    text = gzip.decompress(path.read_bytes()).replace(b'"sha256": "', b'"sha256": "ff', 1)
    path.write_bytes(gzip.compress(text))
    with pytest.raises(ShowLogError, match=r"the show used model dcgan_faces .*pass --model"):
        open_replay(path, [], "cpu")


def test_render_replay_writes_the_video_sampled_at_another_fps(
        fresh: tuple[AblatableGenerator, ModelStats], tmp_path: Path) -> None:
    import imageio_ffmpeg

    path = tmp_path / "show.jsonl.gz"
    _, writer = live_show(fresh, path)
    writer.close()
    out = tmp_path / "again.mp4"
    result = subprocess.run([sys.executable, "-m", "performer", "render", "--replay", str(path),
                             "--fps", "10", "--size", "96x64", "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    frames = sum(1 for _ in reader)
    assert meta["size"] == (96, 64)
    show_log = ShowLog(path)
    last = list(show_log.steps())[-1]
    show_log.close()
    assert frames == int(last.time * 10) + 1, "one frame per tenth of a second of the show"


def test_render_replay_of_a_damaged_log_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl.gz"
    path.write_bytes(b"garbage")
    result = subprocess.run([sys.executable, "-m", "performer", "render", "--replay", str(path),
                             "--out", str(tmp_path / "x.mp4")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"performer: {path}: not a performer show log (Not a gzipped file (b'ga'))"]


def test_a_log_stops_at_its_size_limit(fresh: tuple[AblatableGenerator, ModelStats],
                                       tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    whole = tmp_path / "whole.jsonl.gz"
    _, writer = live_show(fresh, whole, flush_s=0.0)
    writer.close()
    # The header alone (every parameter's value) is most of a short show's log: a limit a
    # little above it lets some steps in, and not all.
    limit = whole.stat().st_size - 200
    path = tmp_path / "show.jsonl.gz"
    _, writer = live_show(fresh, path, max_bytes=limit, flush_s=0.0)
    writer.close()
    assert "reached its limit" in caplog.text
    show_log = ShowLog(path)
    steps = list(show_log.steps())
    show_log.close()
    assert 0 < len(steps) < STEPS and path.stat().st_size < whole.stat().st_size
    assert show_log.problem == (f"{path}: the log stopped there: it reached its limit of "
                                f"{limit / 1e6:g} MB; it replays its first {len(steps)} steps")


def test_old_logs_are_pruned_to_the_newest(tmp_path: Path) -> None:
    """By time written, not by name (logs made in one second get -2, -3... suffixes, which
    sort before the plain name)."""
    logs = []
    for second in range(5):
        log = default_log_path(tmp_path)
        log.write_bytes(b"")
        os.utime(log, (second, second))
        logs.append(log)
    deleted = prune(tmp_path, keep=2)
    assert sorted(deleted) == sorted(logs[:3])
    assert sorted(tmp_path.iterdir()) == sorted(logs[3:])
