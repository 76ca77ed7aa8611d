"""A real JACK server (dummy driver) with PortAudio's JACK host API, and a JACK client that
plays sound into performer's input."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from performer.bench.jack_dummy import JackUnavailable, dummy_server


@pytest.fixture
def jack_server() -> Iterator[str]:
    """A JACK server for one test; PortAudio lets go of it before it stops (PortAudio's
    JACK code asserts if its server vanished under it at exit)."""
    try:
        with dummy_server(period=256) as name:
            yield name
            from performer.control.audio.devices import release, sounddevice

            release(sounddevice())
    except JackUnavailable as err:
        pytest.fail(f"{err}: install it (make test does, via scripts/system_deps.sh)")


class Player:
    """A JACK client that plays a buffer once into every input port of another client."""

    def __init__(self, sound: np.ndarray) -> None:
        import jack

        self.sound = sound.astype(np.float32)
        self.position = -1  # -1: not started
        self.done = threading.Event()
        self.client = jack.Client("performer-test-player", no_start_server=True)
        self.port = self.client.outports.register("out")
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        out = self.port.get_array()
        out[:] = 0.0
        if self.position < 0:
            return
        chunk = self.sound[self.position:self.position + frames]
        out[:len(chunk)] = chunk
        self.position += frames
        if self.position >= len(self.sound):
            self.done.set()

    def connect_to(self, client_prefix: str) -> list[str]:
        """Connect to the input ports of clients whose name starts with `client_prefix`."""
        ports = [p.name for p in self.client.get_ports(is_audio=True, is_input=True)
                 if p.name.startswith(client_prefix)]
        for name in ports:
            self.client.connect(self.port, name)
        return ports

    def play(self) -> None:
        self.position = 0

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()
