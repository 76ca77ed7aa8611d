"""`performer run` with OSC, end to end: a real window under Xvfb, real UDP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from pythonosc.osc_packet import OscPacket
from pythonosc.udp_client import SimpleUDPClient

pytestmark = pytest.mark.usefixtures("x_display")


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_run_accepts_osc_and_feeds_back() -> None:
    osc_port, query_port = free_port(), free_port(socket.SOCK_STREAM)
    surface = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # TouchDesigner's OSC In
    surface.bind(("127.0.0.1", 0))
    surface.settimeout(0.1)
    show = subprocess.Popen(
        [sys.executable, "-m", "performer", "run", "--seconds", "3", "--size", "320x240",
         "--no-vsync", "--osc-port", str(osc_port), "--oscquery-port", str(query_port),
         "--osc-out", f"127.0.0.1:{surface.getsockname()[1]}"],
        stderr=subprocess.PIPE, text=True, env={**os.environ},
    )
    dead: list[float] = []
    try:
        client = SimpleUDPClient("127.0.0.1", osc_port)
        deadline = time.monotonic() + 60
        while 0.5 not in dead and time.monotonic() < deadline and show.poll() is None:
            client.send_message("/performer/ablation/dead", 0.5)  # lost until the port opens
            try:
                data, _ = surface.recvfrom(65535)
            except TimeoutError:
                continue
            dead += [m.message.params[0] for m in OscPacket(data).messages
                     if m.message.address == "/performer/ablation/dead"]
        _, errors = show.communicate(timeout=60)
    finally:
        show.kill()
        surface.close()
    assert show.returncode == 0, errors
    assert f"OSC: listening on 127.0.0.1:{osc_port}" in errors
    assert 0.5 in dead, "the value sent, applied by the running show and fed back"


def test_a_taken_osc_port_is_one_line_and_the_show_runs() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "performer", "run", "--seconds", "2", "--size", "320x240",
             "--no-vsync", "--osc-port", str(port), "--oscquery-port", "0"],
            capture_output=True, text=True, timeout=120, env={**os.environ},
        )
    assert result.returncode == 0, result.stderr
    off = [line for line in result.stderr.splitlines() if "OSC is off" in line]
    assert len(off) == 1 and f"UDP port {port} on 127.0.0.1 is already in use" in off[0]
    assert "Traceback" not in result.stderr and "first frame" in result.stderr
