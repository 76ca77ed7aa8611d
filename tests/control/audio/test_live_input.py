"""The live input: a click track played through a real JACK server (dummy driver) into
performer's PortAudio input, analysed on its own thread, onsets in the registry."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from performer.bench.jack_dummy import dummy_server
from performer.control.audio.service import AudioService
from performer.controls import make_registry
from performer.params import ParamChange
from tests.control.audio.conftest import Player
from tests.helpers import LAYERS, wait_until
from tests.sound import CLICK_S, RATE

CLICKS = [0.30, 0.75, 1.05, 1.60, 2.00]  # seconds into the track, irregular on purpose
FRAME_60 = 1 / 60
ROOT = Path(__file__).resolve().parents[3]


def click_sound(clicks: list[float], seconds: float) -> np.ndarray:
    sound = np.zeros(int(seconds * RATE), dtype=np.float32)
    tone = np.sin(2 * np.pi * 1000 * np.arange(int(CLICK_S * RATE)) / RATE).astype(np.float32)
    for at in clicks:
        start = int(at * RATE)
        sound[start:start + len(tone)] = tone
    return sound


def test_clicks_played_into_the_input_are_onsets_within_a_frame(jack_server: str) -> None:
    registry = make_registry(LAYERS)
    heard: list[ParamChange] = []
    registry.subscribe(heard.append)
    service = AudioService(registry, "system", retry_s=0.2).start()
    player = Player(click_sound(CLICKS, 2.4))
    try:
        wait_until(lambda: service.device is not None, what="the JACK input open")
        assert service.device is not None and "JACK" in service.device.host_api
        assert player.connect_to("PortAudio:")  # PortAudio's JACK client's input
        # Let the new stream settle: a busy machine can skip a JACK cycle or two at first.
        wait_until(lambda: service.hops * 128 > RATE, what="a second of input analysed")
        player.play()
        wait_until(player.done.is_set, what="the click track played")
        wait_until(lambda: len(service.onsets) >= len(CLICKS), what="every click heard")
        registry.drain()
    finally:
        player.close()
        service.stop()
    placed = [at for at, _ in service.onsets]
    assert len(placed) == len(CLICKS), placed
    # The input's clock started before the track: one offset for all, each click within
    # one frame of it. The dummy JACK server runs without real-time priority on a shared
    # machine, where a late cycle can drop a block of input and shift every later click
    # in the input's clock: one such shift is tolerated, no more.
    offsets = np.array([p - c for p, c in zip(placed, CLICKS, strict=True)])
    steps = np.diff(offsets)
    drops = steps[np.abs(steps) >= FRAME_60]  # a dropped block moves later clicks earlier
    assert len(drops) <= 1 and (drops < 0).all(), offsets
    assert sum(1 for c in heard if c.name == "audio.onset") == len(CLICKS)
    assert all(c.source == "audio" for c in heard)
    levels = [c.value for c in heard if c.name == "audio.mid"]  # 1 kHz: the mid band
    assert max(levels) > 0.5  # type: ignore[type-var]
    assert not service.alive()


def test_a_missing_device_is_one_line_and_the_service_keeps_looking(
        jack_server: str, caplog: pytest.LogCaptureFixture) -> None:
    registry = make_registry(LAYERS)
    with caplog.at_level(logging.WARNING):
        service = AudioService(registry, "no such card", retry_s=0.05).start()
        try:
            wait_until(lambda: caplog.records, what="the warning")
            wait_until(lambda: service.alive(), what="the service still looking")
        finally:
            service.stop()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1, lines  # said once, though it looked many times
    assert "'no such card'" in lines[0] and "system (JACK Audio Connection Kit)" in lines[0]


def test_audio_list_names_the_jack_input(jack_server: str) -> None:
    listed = subprocess.run([sys.executable, "-m", "performer", "audio", "list"],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert "0  system (JACK Audio Connection Kit)  2 in, 48000 Hz" in listed.stdout


def test_an_input_that_appears_later_is_opened(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """No audio server at start: one line, the show goes on; the server comes up (a card
    plugged in): the service finds it and listens."""
    name = f"performer-late-{os.getpid()}"
    monkeypatch.setenv("JACK_DEFAULT_SERVER", name)
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    registry = make_registry(LAYERS)
    with caplog.at_level(logging.WARNING):
        service = AudioService(registry, "system", retry_s=0.1).start()
        try:
            wait_until(lambda: caplog.records, what="the warning")
            with dummy_server(period=256, name=name):
                wait_until(lambda: service.device is not None, what="the input opened")
                wait_until(lambda: service.hops > 0, what="sound analysed")
                service.stop()
        finally:
            service.stop()
    assert len(caplog.records) == 1, caplog.text
    assert "no input matches 'system'" in caplog.text
    assert service.opened == 1 and not service.alive()


def test_an_audio_server_that_vanishes_costs_the_input_not_the_show() -> None:
    """The JACK server dies under a running input: PortAudio cannot close that stream (it
    hangs), so the service leaves it on a thread of its own, says so in one line, and
    stops promptly; the rest of the show never waits on it, and the process still exits
    cleanly (PortAudio is not terminated at exit: that would hang, then abort)."""
    started = time.monotonic()
    child = subprocess.run([sys.executable, "-m", "tests.control.audio.server_vanishes"],
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert child.returncode == 0, child.stdout + child.stderr
    assert time.monotonic() - started < 30.0  # seconds, not PortAudio's minutes at exit
    lines = child.stdout.splitlines()
    assert len(lines) == 3, lines
    assert "stopped delivering" in lines[0] and "PortAudio cannot let go" in lines[1]
    stopped_s = float(lines[2].split()[2])
    assert stopped_s < 5.0, lines[2]
