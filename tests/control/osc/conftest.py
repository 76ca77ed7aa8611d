"""Real UDP on loopback: a sender, a receiver that parses what arrives, and a running
OSC service on ephemeral ports (bind port 0, read the port back)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from pythonosc.osc_packet import OscPacket
from pythonosc.udp_client import SimpleUDPClient

from tests.helpers import TIMEOUT_S, describe, wait_until

Message = tuple[str, list[object]]


class Receiver:
    """A UDP socket standing in for TouchDesigner's OSC In: collects the messages it gets."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = int(self.sock.getsockname()[1])
        self.messages: list[Message] = []
        self.datagrams = 0

    def _read_one(self) -> None:
        try:
            data, _ = self.sock.recvfrom(65535)
        except TimeoutError:
            return
        self.datagrams += 1
        for timed in OscPacket(data).messages:
            self.messages.append((timed.message.address, list(timed.message.params)))

    def wait_for(self, found: Callable[[list[Message]], object],
                 timeout: float = TIMEOUT_S) -> bool:
        """Read until `found(messages)` holds; AssertionError after `timeout` s. Returns
        True, so the older `assert receiver.wait_for(...)` reads the same."""

        def arrived() -> bool:
            if not found(self.messages):
                self._read_one()  # waits for a datagram, a little while at most
            return bool(found(self.messages))

        wait_until(arrived, timeout, interval=0.0, what=f"messages that {describe(found)}")
        return True

    def values(self, address: str) -> list[object]:
        return [args[0] for a, args in self.messages if a == address and args]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def client_for() -> Callable[[int], SimpleUDPClient]:
    return lambda port: SimpleUDPClient("127.0.0.1", port)
