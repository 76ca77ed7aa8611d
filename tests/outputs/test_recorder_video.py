"""Video files written through the bundled ffmpeg and decoded back with it."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from performer.outputs.recorder import Recorder, RecorderError, codec_for, encodable_size
from tests.video import decode

SIZE = (96, 64)


def frames(count: int) -> list[np.ndarray]:
    """Distinct, smooth frames (codecs keep smooth content well): a moving gradient."""
    y, x = np.mgrid[0:SIZE[1], 0:SIZE[0]].astype(np.float64)
    out = []
    for i in range(count):
        r = 40 + 170 * x / SIZE[0]
        g = np.full_like(x, 30 + 180 * i / max(count - 1, 1))
        b = 40 + 170 * y / SIZE[1]
        out.append(np.stack([r, g, b], axis=-1).astype(np.uint8))
    return out


def stream_line(path: Path) -> str:
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
                           capture_output=True, text=True, check=False)
    return next(line for line in probe.stderr.splitlines() if "Video:" in line)


@pytest.mark.parametrize(("name", "codec", "tolerance"), [
    ("out.mp4", "h264", 4.0),
    ("out.mov", "hap", 8.0),  # DXT1: 5-6-5 bit endpoints, 4x4 blocks
])
def test_video_decodes_back_with_count_size_fps_and_content(tmp_path, name, codec,
                                                            tolerance) -> None:
    path = tmp_path / name
    written = frames(12)
    with Recorder(path, SIZE, 24, codec) as recorder:
        assert recorder.codec == codec
        for frame in written:
            assert recorder.write(frame)
    meta, decoded = decode(path)
    assert meta["size"] == SIZE
    assert meta["fps"] == pytest.approx(24)
    assert len(decoded) == len(written)
    for got, want in zip(decoded, written, strict=True):
        assert np.abs(got.astype(float) - want).mean() <= tolerance
    # Frame order is kept: the green channel rises through the clip.
    greens = [f[..., 1].mean() for f in decoded]
    assert greens == sorted(greens) and greens[-1] - greens[0] > 150
    assert ("h264" if codec == "h264" else "hap") in stream_line(path).lower()


def test_h264_mp4_is_yuv420p_with_faststart(tmp_path) -> None:
    path = tmp_path / "clip.mp4"
    with Recorder(path, SIZE, 30) as recorder:
        for frame in frames(3):
            recorder.write(frame)
    assert "yuv420p" in stream_line(path)
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # playable while still downloading


def test_non_integer_frame_rate(tmp_path) -> None:
    path = tmp_path / "ntsc.mp4"
    with Recorder(path, SIZE, 30000 / 1001) as recorder:
        for frame in frames(5):
            recorder.write(frame)
    meta, decoded = decode(path)
    assert meta["fps"] == pytest.approx(29.97, abs=0.01)
    assert len(decoded) == 5


def test_dropping_mode_writes_exactly_the_frames_it_accepted(tmp_path) -> None:
    path = tmp_path / "live.mp4"
    with Recorder(path, SIZE, 30, queue_frames=1, on_full="drop") as recorder:
        accepted = sum(recorder.write(frame) for frame in frames(40))
    assert accepted == recorder.frames_written
    assert recorder.frames_written + recorder.dropped == 40
    assert len(decode(path)[1]) == accepted


def test_codec_from_extension_and_container_checks() -> None:
    assert codec_for("a.mp4") == "h264"
    assert codec_for("a.MOV") == "hap"
    assert codec_for("a.mov", "h264") == "h264"
    with pytest.raises(RecorderError, match=r"^hap cannot go in a \.mp4 file: use \.mov$"):
        codec_for("a.mp4", "hap")
    with pytest.raises(RecorderError, match=r"^unknown codec 'prores': choose h264, hap, ffv1$"):
        codec_for("a.mov", "prores")
    with pytest.raises(RecorderError, match="cannot tell the codec"):
        codec_for("a.gif")
    assert encodable_size((1921, 1081), "h264") == (1920, 1080)
    assert encodable_size((1922, 1082), "hap") == (1920, 1080)


def test_sizes_the_codec_cannot_take_are_refused_up_front(tmp_path) -> None:
    odd_h264 = r"h264 needs .* multiples of 2, got 95x64 \(try 94x64\)"
    with pytest.raises(RecorderError, match=odd_h264):
        Recorder(tmp_path / "odd.mp4", (95, 64), 30)
    odd_hap = r"hap needs .* multiples of 4, got 98x64 \(try 96x64\)"
    with pytest.raises(RecorderError, match=odd_hap):
        Recorder(tmp_path / "odd.mov", (98, 64), 30)


def test_wrong_frame_shape_is_refused(tmp_path) -> None:
    with Recorder(tmp_path / "x.mp4", SIZE, 30) as recorder:
        with pytest.raises(RecorderError, match=r"expected \(64, 96, 3\) uint8"):
            recorder.write(np.zeros((96, 64, 3), np.uint8))
        recorder.write(frames(1)[0])


def test_ffmpeg_failure_is_one_line_with_its_reason(tmp_path) -> None:
    path = tmp_path / "no-such-dir" / "x.mp4"
    recorder = Recorder(path, SIZE, 30)
    with pytest.raises(RecorderError) as caught:
        for frame in frames(200):
            recorder.write(frame)
        recorder.close()
    message = str(caught.value)
    assert "\n" not in message
    assert re.match(r"^ffmpeg failed \((exit \d+|stopped taking frames)\) writing ", message)
    assert str(path) in message
    assert "no such file or directory" in message.lower()
    recorder.close()  # closing again after a failure does not hang or raise twice


def test_ffv1_mkv_keeps_every_rgb_value_exactly(tmp_path) -> None:
    path = tmp_path / "archive.mkv"
    rng = np.random.default_rng(7)
    written = [rng.integers(0, 256, (SIZE[1], SIZE[0], 4), dtype=np.uint8) for _ in range(5)]
    with Recorder(path, SIZE, 30, channels=4) as recorder:
        assert recorder.codec == "ffv1"
        for frame in written:
            recorder.write(frame)
    assert "ffv1" in stream_line(path) and "bgr0" in stream_line(path)
    _meta, decoded = decode(path)
    assert len(decoded) == len(written)
    for got, want in zip(decoded, written, strict=True):
        np.testing.assert_array_equal(got, want[..., :3])


FRAGMENT_MARKS = {".mp4": b"moof", ".mov": b"moof", ".mkv": bytes.fromhex("1f43b675")}


@pytest.mark.parametrize("name", ["live.mp4", "live.mkv", "live.mov"])
def test_crash_safe_files_survive_a_killed_ffmpeg(tmp_path, name) -> None:
    """ffmpeg killed mid-recording (SIGKILL: no trailer, no index written): what reached
    the disk decodes, frames in order."""
    path = tmp_path / name
    recorder = Recorder(path, SIZE, 10, crash_safe=True)
    mark = FRAGMENT_MARKS[path.suffix]
    for written, frame in enumerate(frames(400), start=1):
        recorder.write(frame)
        time.sleep(0.01)
        if written >= 30 and path.read_bytes().count(mark) >= 2:
            break
    recorder._proc.kill()  # ffmpeg dies as under kill -9
    recorder._proc.wait()
    with pytest.raises(RecorderError):
        recorder.close()
    _meta, decoded = decode(path)
    assert len(decoded) >= 10  # a keyframe a second (10 frames) at least got out
    greens = np.array([f[..., 1].mean() for f in decoded])
    assert (np.diff(greens) > -1.0).all() and greens[-1] > greens[0] + 5  # in order
