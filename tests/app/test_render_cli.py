"""`performer render` end to end: real EGL, real ffmpeg, the video decoded back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from tests.video import decode


def performer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "performer", *args],
                          capture_output=True, text=True, timeout=600)


def test_render_writes_the_requested_video(tmp_path: Path) -> None:
    out = tmp_path / "short.mp4"
    result = performer("render", "--seconds", "2", "--fps", "12", "--size", "160x96",
                       "--out", str(out), "--seed", "3")
    assert result.returncode == 0, result.stderr
    meta, frames = decode(out)
    assert len(frames) == 24
    assert tuple(meta["size"]) == (160, 96)
    assert abs(meta["fps"] - 12) < 0.01
    assert frames[0].mean() > 20  # a face, not black


def test_default_render_ends_with_every_neuron_dead(tmp_path: Path) -> None:
    out = tmp_path / "darkness.mp4"
    # The default 60 s schedule, at a low frame rate and size to keep the test short.
    result = performer("render", "--fps", "4", "--size", "128x128", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "0/960 neurons alive at the end" in result.stderr
    _, frames = decode(out)
    assert len(frames) == 240
    first, last = frames[0].astype(float), frames[-1].astype(float)
    assert np.abs(first - last).mean() > 10  # the face is gone
    # ... and what is left is the blurry average: far smoother than the face was.
    assert np.abs(np.diff(last, axis=1)).mean() < 0.5 * np.abs(np.diff(first, axis=1)).mean()


def test_hap_mov_for_vj_software(tmp_path: Path) -> None:
    out = tmp_path / "loop.mov"
    result = performer("render", "--seconds", "1", "--fps", "8", "--size", "128x64",
                       "--out", str(out))
    assert result.returncode == 0, result.stderr
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(out)],
                           capture_output=True, text=True)
    assert "Video: hap" in probe.stderr
    _, frames = decode(out)
    assert len(frames) == 8


def test_unreadable_model_is_one_line_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x00garbage")
    (tmp_path / "broken.json").write_text('{"family": "dcgan", "latent_size": 100, '
                                          '"feature_maps": 64, "image_channels": 3}')
    result = performer("render", "--model", str(broken), "--seconds", "1",
                       "--out", str(tmp_path / "x.mp4"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert str(broken) in lines[-1] and "safetensors" in lines[-1]
    assert [line for line in lines if str(broken) in line] == lines[-1:]  # said once


def test_set_starts_with_a_parameter_and_rejects_unknown_names(tmp_path: Path) -> None:
    out = tmp_path / "black.mp4"
    result = performer("render", "--seconds", "0.5", "--fps", "8", "--size", "64x64",
                       "--out", str(out), "--set", "output.blackout=1")
    assert result.returncode == 0, result.stderr
    _, frames = decode(out)
    assert len(frames) == 4 and max(int(f.max()) for f in frames) <= 20  # black (codec noise)
    bad = performer("render", "--seconds", "0.5", "--out", str(tmp_path / "x.mp4"),
                    "--set", "ablation.nothing=1")
    assert bad.returncode == 2 and "unknown parameter 'ablation.nothing'" in bad.stderr


def test_shader_option_picks_a_user_face_shader(tmp_path: Path) -> None:
    shaders = tmp_path / "shaders"
    shaders.mkdir()
    (shaders / "green.frag").write_text(
        "#version 330\nout vec4 f_color;\n"
        "void main() {\n    f_color = vec4(0.0, 1.0, 0.0, 1.0);\n}\n"
    )
    out = tmp_path / "green.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "performer", "render", "--seconds", "0.25", "--fps", "8",
         "--size", "64x64", "--out", str(out), "--shader", "green.frag"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PERFORMER_SHADER_PATH": str(shaders)},
    )
    assert result.returncode == 0, result.stderr
    _, frames = decode(out)
    green = frames[0].reshape(-1, 3).mean(0)
    assert green[1] > 200 and green[0] < 40 and green[2] < 40
