"""The other commands, run as a user runs them: layers, bench, and a broken user shader."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def performer(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "performer", *args], capture_output=True,
                          text=True, timeout=600, env=env)


def test_layers_lists_the_960_neurons() -> None:
    result = performer("layers")
    assert result.returncode == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[1].split() == ["0", "block0", "512", "4x4"]
    assert rows[4].split() == ["3", "block3", "64", "32x32"]
    assert rows[-1].split()[:2] == ["total", "960"]
    assert rows[-1].endswith("MB in memory)")


def test_bench_prints_every_figure_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = performer("bench", "--seconds", "0.6", "--no-first-start", "--json", str(out))
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    for key in ("generator_fps", "ablated_generator_fps", "display_fps", "pipeline_fps"):
        assert figures[key] > 0, key
    assert 0 < figures["start_to_first_frame_s"] < 120
    assert "ablation overhead" in result.stdout and "pipeline / min" in result.stdout
    assert figures["osc_latency_samples"] >= 50 and 0 < figures["osc_latency_p50_ms"] < 1000
    assert figures["osc_jitter_ratio"] >= 1.0 and "OSC sent -> first frame" in result.stdout
    assert figures["show_log_kb_per_min_1k_osc"] > 0 and figures["show_log_kb_per_min_idle"] > 0
    assert "show log: " in result.stdout
    assert figures["model_switch_step_ms"] > 0 and "Model switch" in result.stdout
    assert figures["web_pipeline_fps_0"] > 0 and figures["web_pipeline_fps_3"] > 0
    assert figures["web_latency_samples"] >= 50 and "consoles connected" in result.stdout


def test_a_broken_user_shader_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    shaders = tmp_path / "shaders"
    shaders.mkdir()
    (shaders / "face.frag").write_text(
        "#version 330\nout vec4 f_color;\nvoid main() {\n    f_color = vec4(undefined_thing);\n}\n"
    )
    env = {**os.environ, "PERFORMER_SHADER_PATH": str(shaders)}
    result = performer("render", "--seconds", "0.5", "--size", "64x64",
                       "--out", str(tmp_path / "x.mp4"), env=env)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert "face.frag:4:" in last and "undefined_thing" in last
    assert "Traceback" not in result.stderr
