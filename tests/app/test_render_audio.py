"""`performer render --audio`: the sound's onsets move the picture in step with the frames,
and the sound is in the file."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.sound import click_starts, click_track, read_sound
from tests.video import decode

FPS = 30.0
CLICKS = [0.49, 0.99, 1.49, 2.27]


def performer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "performer", *args],
                          capture_output=True, text=True, timeout=600)


def test_clicks_black_out_their_frames_and_the_sound_is_muxed(tmp_path: Path) -> None:
    sound = click_track(tmp_path / "clicks.wav", CLICKS, seconds=2.6)
    out = tmp_path / "video.mp4"
    result = performer("render", "--audio", str(sound), "--fps", str(FPS), "--size", "64x64",
                       "--out", str(out), "--rate", "0",
                       "--route", "audio.onset:output.blackout:1",
                       "--set", "audio.decay=0.02")  # one frame at 30 fps: 1, then 0
    assert result.returncode == 0, result.stderr
    _, frames = decode(out)
    assert len(frames) == math.ceil(2.6 * FPS)  # the length of the sound
    dark = [i for i, f in enumerate(frames) if f.mean() < 10]
    expected = [math.ceil(t * FPS) for t in CLICKS]  # the first frame at or after each click
    assert len(dark) == len(CLICKS), (dark, expected)
    assert all(abs(d - e) <= 1 for d, e in zip(dark, expected, strict=True)), (dark, expected)
    assert min(f.mean() for i, f in enumerate(frames) if i not in dark) > 20  # faces elsewhere
    muxed = read_sound(out)
    assert abs(len(muxed) / 48000 - 2.6) < 0.1
    assert click_starts(muxed) == pytest.approx(CLICKS, abs=0.005)


@pytest.mark.parametrize("suffix", [".flac", ".mp3"])
def test_other_formats_decode_to_the_same_onsets(tmp_path: Path, suffix: str) -> None:
    from performer.control.audio.track import Track

    track = Track.load(click_track(tmp_path / f"clicks{suffix}", CLICKS, seconds=2.6))
    assert track.duration == pytest.approx(2.6, abs=0.06)  # mp3 pads a little
    offset = 0.026 if suffix == ".mp3" else 0.0  # the mp3 encoder's delay
    assert track.onsets == pytest.approx([t + offset for t in CLICKS], abs=0.006)


def test_bad_sound_files_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.wav"
    result = performer("render", "--audio", str(missing), "--out", str(tmp_path / "x.mp4"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"performer: {missing}: no such file"]
    junk = tmp_path / "junk.wav"
    junk.write_bytes(np.arange(1000, dtype=np.uint8).tobytes())
    result = performer("render", "--audio", str(junk), "--out", str(tmp_path / "x.mp4"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"performer: {junk}: not a sound file")
