"""A beat-synced LFO stays phase-locked to MIDI clock played through JACK: the start sets
bar 1, the clock's tempo drives the count, and every bar line pulls it back onto the
sequencer's bars."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import mido
import numpy as np
import pytest
import rtmidi

from performer.control.midi.ports import CLIENT_LOCK, RtOutPort, quiet
from performer.control.midi.service import MidiService
from performer.engine.clock import WallClock
from performer.engine.engine import Engine
from performer.params import ParamChange
from tests.helpers import wait_until

BPM = 150.0  # not the default 120: the clock's own tempo must take over
BEAT_S = 60.0 / BPM
BARS = 4


@pytest.fixture
def sequencer() -> Iterator[RtOutPort]:
    with CLIENT_LOCK:
        rt = quiet(rtmidi.MidiOut(rtmidi.API_UNIX_JACK))
        rt.open_virtual_port("nanoKONTROL2 sequencer")  # a name a profile opens
    port = RtOutPort(rt, "nanoKONTROL2 sequencer")
    yield port
    port.close()


def play_clock(port: RtOutPort, sent: list[float]) -> None:
    """Start, then BARS bars of clock at BPM (24 pulses a beat), noting when each pulse
    went out (on a busy machine a pulse may leave late: the sent times are the truth)."""
    interval = BEAT_S / 24
    begin = time.perf_counter() + 0.05
    port.send(mido.Message("start"))
    for i in range(BARS * 4 * 24):
        time.sleep(max(0.0, begin + i * interval - time.perf_counter()))
        port.send(mido.Message("clock"))
        sent.append(time.perf_counter())


def test_synced_lfo_is_phase_locked_to_midi_clock(
        jack: str, engine_factory: Callable[..., Engine], sequencer: RtOutPort,
        tmp_path: Path) -> None:
    engine = engine_factory({"lfo.1.sync": "1/4", "lfo.1.shape": "saw"})
    engine.clock = WallClock()
    service = MidiService(engine.registry, jack, user_path=tmp_path / "midi.toml").start()
    bars = 0

    def count(change: ParamChange) -> None:
        nonlocal bars
        bars += change.name in ("tempo.bar", "tempo.downbeat")

    engine.registry.subscribe(count)
    try:
        wait_until(lambda: service.connected() != [], what="the sequencer's port open")
        sent: list[float] = []
        player = threading.Thread(target=play_clock, args=(sequencer, sent))
        player.start()
        seen: list[tuple[float, float]] = []  # (wall time, lfo1) per frame
        while player.is_alive():
            tick = time.perf_counter()  # the engine's clock ticks as the step begins
            seen.append((tick, engine.step().sources["lfo1"]))
            time.sleep(0.005)
        player.join()
    finally:
        service.stop()
    assert bars == BARS  # the start's bar 1 (a downbeat) and every later bar line
    # In the beat after each bar line, the saw's phase is the sequencer's beat phase at that
    # moment (pulses sent / 24), behind it by the transport (this JACK server's MIDI period
    # is 21 ms) and up to a frame. Within a bar the count runs on the followed tempo, which
    # a busy machine's jitter can put some % off: the bar lines take that out every bar.
    beats = np.interp([when for when, _ in seen], sent, np.arange(len(sent)) / 24)
    lags = np.array([(beat - phase + 0.5) % 1.0 - 0.5
                     for (_, phase), beat in zip(seen, beats, strict=True)
                     if beat >= 4.0 and beat % 4.0 < 1.0])
    assert len(lags) > 20
    assert 0.0 <= float(np.median(lags)) < 0.2, lags  # of a beat (80 ms here)
