"""The live input: a click track played through a real JACK server (dummy driver) into
performer's PortAudio input, analysed on its own thread, onsets in the registry."""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pytest

from performer.control.audio.service import AudioService
from performer.controls import make_registry
from performer.params import ParamChange
from tests.control.audio.conftest import Player
from tests.helpers import LAYERS, wait_until
from tests.sound import CLICK_S, RATE

CLICKS = [0.30, 0.75, 1.05, 1.60, 2.00]  # seconds into the track, irregular on purpose
FRAME_60 = 1 / 60


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
    # The input's clock started before the track: one offset for all, within one frame.
    offsets = [p - c for p, c in zip(placed, CLICKS, strict=True)]
    assert max(offsets) - min(offsets) < FRAME_60, offsets
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
