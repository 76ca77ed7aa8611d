"""Ableton Link: a second peer on this machine (aalink, in its own process) sets the tempo;
a tempo set in the show goes to the session; bar lines reach the registry."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from performer.control.link.service import LinkService
from performer.controls import make_registry
from performer.params import ParamChange, Registry
from tests.helpers import LAYERS, wait_until

# A peer that answers "?" with its peer count and the session tempo, and "N" by setting the
# session tempo to N BPM (when two sessions meet, Link decides whose tempo stays: the test
# lets the peer set its tempo once both are in one session, as a band member would).
PEER = """
import asyncio, sys
from aalink import Link

async def main():
    link = Link(100.0)
    link.quantum = 4
    link.enabled = True
    loop = asyncio.get_running_loop()
    print("joined", flush=True)
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        if line.strip() != "?":
            link.tempo = float(line)
        print(f"{link.num_peers} {link.tempo:.2f}", flush=True)

asyncio.run(main())
"""


@pytest.fixture
def peer() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([sys.executable, "-c", PEER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "joined"
    yield process
    process.kill()
    process.wait()


def ask(peer: subprocess.Popen[str], line: str = "?") -> tuple[int, float]:
    assert peer.stdin is not None and peer.stdout is not None
    peer.stdin.write(f"{line}\n")
    peer.stdin.flush()
    peers, tempo = peer.stdout.readline().split()
    return int(peers), float(tempo)


def drained(registry: Registry, name: str) -> object:
    registry.drain()
    return registry.value(name)


def test_a_peer_sets_the_tempo_and_follows_ours(peer: subprocess.Popen[str]) -> None:
    registry = make_registry(LAYERS)
    bars: list[ParamChange] = []
    registry.subscribe(lambda c: bars.append(c) if c.name == "tempo.bar" else None)
    service = LinkService(registry).start()
    try:
        wait_until(lambda: ask(peer)[0] == 1 and service.peers == 1, timeout=15,
                   what="the two peers in one session")
        ask(peer, "137")
        wait_until(lambda: drained(registry, "tempo.bpm") == 137.0, timeout=15,
                   what="the peer's tempo in tempo.bpm")
        wait_until(lambda: drained(registry, "tempo.bpm") and bars, timeout=15,
                   what="a bar line from the session")
        assert bars[0].source == "link"
        registry.set("tempo.bpm", 96.0, "osc")  # tapped, or sent over OSC: the band follows
        wait_until(lambda: ask(peer)[1] == 96.0, timeout=15, what="the peer at 96 BPM")
    finally:
        service.stop()
