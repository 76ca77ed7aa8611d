"""`performer run` with routes, an audio input that is not there, and Link: the show runs,
each missing piece is one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.usefixtures("x_display")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JACK_NO_START_SERVER": "1"}  # no JACK server: none is started
    return subprocess.run([sys.executable, "-m", "performer", "run", "--size", "320x240",
                           "--no-vsync", "--no-osc", "--no-midi", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_a_show_with_routes_link_and_a_missing_sound_card_runs() -> None:
    result = run("--seconds", "3", "--audio", "no such card", "--link",
                 "--route", "lfo1:drift.speed:0.3", "--route", "audio.onset:output.blackout:1")
    assert result.returncode == 0, result.stderr
    assert "first frame" in result.stderr and "Traceback" not in result.stderr
    audio = [line for line in result.stderr.splitlines() if "audio" in line]
    assert len(audio) == 1 and "no input matches 'no such card'" in audio[0], audio
    assert "Link: joined the session" in result.stderr


def test_a_bad_route_is_one_line() -> None:
    result = run("--seconds", "1", "--route", "lfo9:drift.speed:1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "performer: route: unknown source 'lfo9'; sources: lfo1, lfo2")
