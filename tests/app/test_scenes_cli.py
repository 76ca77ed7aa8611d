"""`performer scenes`: the show file listed as a user reads it, problems as file:line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from performer.controls import make_registry
from tests.helpers import LAYERS


def scenes(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "performer", "scenes", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_scenes_lists_the_show_file_with_numbers_and_groups(tmp_path: Path) -> None:
    show = tmp_path / "show.toml"
    show.write_text('[[scene]]\nname = "calm"\nablation.dead = 0.0\ndrift.seed = 1\n\n'
                    '[[scene]]\nname = "storm"\nablation.dead = 0.6\n')
    result = scenes("--show", str(show))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"show file: {show}"
    assert lines[1].split() == ["1", "calm", "2", "values", "(ablation,", "drift)"]
    assert lines[2].split() == ["2", "storm", "1", "values", "(ablation)"]


def test_scenes_reports_a_bad_entry_with_file_and_line_and_lists_the_rest(tmp_path: Path) -> None:
    show = tmp_path / "show.toml"
    show.write_text('[[scene]]\nablation.dead = 0.1\n\n[[scene]]\nname = "ok"\n')
    result = scenes("--show", str(show))
    assert result.returncode == 0
    assert f"performer: {show}:1: a scene needs name = \"...\" (entry skipped)" in result.stderr
    assert [line.split()[1] for line in result.stdout.splitlines()[1:]] == ["ok"]


def test_the_default_show_file_is_in_the_config_folder(tmp_path: Path) -> None:
    result = scenes(env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 0
    assert result.stdout.startswith(f"show file: {tmp_path}/performer/show.toml (not made yet)")


def test_midi_learn_offers_the_scene_controls() -> None:
    learnable = make_registry(LAYERS).param("midi.learn").choices
    assert {"scene.recall", "scene.store", "scene.morph", "scene.quantize"} <= set(learnable)
