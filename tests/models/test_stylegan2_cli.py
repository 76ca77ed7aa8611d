"""`performer layers | render --model x.pkl` end to end, in fresh processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.models import nvlabs_fixtures as fixtures
from tests.video import decode


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stylegan2-cli") / "network-snapshot-000100.pkl"
    fixtures.write_nvlabs_pickle(path, c_dim=2, conv_clamp=256.0, num_fp16_res=2, seed=8)
    return path


def performer(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run([sys.executable, "-m", "performer", *args],
                          capture_output=True, text=True, timeout=600, env=env)


def test_layers_lists_every_synthesis_conv(checkpoint: Path, tmp_path: Path) -> None:
    result = performer(tmp_path, "layers", "--model", str(checkpoint), "--device", "cpu")
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:-1]]
    assert [row[1] for row in rows] == [
        "b4.conv1", "b8.conv0", "b8.conv1", "b16.conv0", "b16.conv1", "b32.conv0", "b32.conv1"]
    assert [row[2] for row in rows] == ["64", "64", "64", "32", "32", "16", "16"]
    total = result.stdout.splitlines()[-1]
    assert total.split()[1] == "288" and total.endswith("MB in memory)")


def test_render_makes_a_video_of_the_model_dying(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "sg.mp4"
    result = performer(tmp_path, "render", "--model", str(checkpoint), "--device", "cpu",
                       "--seconds", "2", "--fps", "8", "--size", "96x64", "--out", str(out),
                       "--set", "model.truncation=1", "--set", "model.class=1",
                       "--set", "drift.space=w", "--drift", "0.2")
    assert result.returncode == 0, result.stderr
    assert "0/288 neurons alive at the end" in result.stderr
    meta, frames = decode(out)
    assert len(frames) == 16 and tuple(meta["size"]) == (96, 64)
    first, last = frames[0].astype(float), frames[-1].astype(float)
    assert first.std() > 5  # a picture, not a flat field
    assert np.abs(first - last).mean() > 3  # ablation changed it


def test_a_model_parameter_the_model_lacks_is_refused(tmp_path: Path) -> None:
    result = performer(tmp_path, "render", "--seconds", "0.5", "--out", str(tmp_path / "x.mp4"),
                       "--set", "model.truncation=0.5")
    assert result.returncode == 2
    assert "unknown parameter 'model.truncation'" in result.stderr  # the DCGAN has none


def test_bench_adds_random_weight_stylegan2_figures(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = performer(tmp_path, "bench", "--model", str(checkpoint), "--device", "cpu",
                       "--seconds", "0.3", "--no-first-start", "--stylegan-sizes", "16,32",
                       "--json", str(out),
                       "--nvlabs-checkout", str(tmp_path / "no-such-clone"))
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())["stylegan_random_weights"]
    assert [(row["family"], row["size"]) for row in rows] == [("stylegan2", 16),
                                                               ("stylegan2", 32)]
    assert all(row["fps"] > 0 and row["ablated_fps"] > 0 for row in rows)
    assert all(0 < row["sgemm_fraction"] < 10 and row["gflop"] > 0 for row in rows)
    assert rows[1]["neurons"] == 7 * 512  # b4.conv1 and two convs at 8, 16 and 32 px
    assert "StyleGAN, random weights, batch 1" in result.stdout
    assert "| stylegan2 | 32 px |" in result.stdout
    assert "NVlabs side by side skipped: NVlabs' code from" in result.stdout
