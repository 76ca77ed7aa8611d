"""The effect chain from the command line: `--fx`, its parameters over OSC, one-line errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pythonosc.osc_packet import OscPacket
from pythonosc.udp_client import SimpleUDPClient


def performer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "performer", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ})


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_broken_effect_costs_itself_only_and_the_render_goes_on(tmp_path: Path) -> None:
    broken = tmp_path / "broken.fs"
    broken.write_text('/*{"INPUTS": []}*/\nvoid main() {\n  gl_FragColor = nope;\n}\n')
    out = tmp_path / "chain.mp4"
    result = performer("render", "--seconds", "0.5", "--fps", "8", "--size", "96x64",
                       "--fx", "trails", "--fx", str(broken), "--fx", "grain",
                       "--set", "fx.3.amount=0.3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0
    errors = [line for line in result.stderr.splitlines() if "broken.fs" in line]
    assert len(errors) == 1 and f"{broken}:3: " in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_effect_is_one_line() -> None:
    result = performer("render", "--seconds", "0.25", "--fx", "no_such_effect")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "performer: no effect 'no_such_effect': not a file, and not one of decay, grain, "
        "kaleidoscope, rgb_split, trails, vignette"]


@pytest.mark.usefixtures("x_display")
def test_effect_parameters_over_osc(tmp_path: Path) -> None:
    """The chain chosen by the show file's [fx] table; its inputs reached over OSC."""
    show_file = tmp_path / "show.toml"
    show_file.write_text('[fx]\nchain = ["kaleidoscope", "decay"]\n')
    osc_port, query_port = free_port(), free_port(socket.SOCK_STREAM)
    surface = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    surface.bind(("127.0.0.1", 0))
    surface.settimeout(0.1)
    show = subprocess.Popen(
        [sys.executable, "-m", "performer", "run", "--seconds", "4", "--size", "320x240",
         "--no-vsync", "--show", str(show_file), "--osc-port", str(osc_port),
         "--oscquery-port", str(query_port), "--osc-out", f"127.0.0.1:{surface.getsockname()[1]}"],
        stderr=subprocess.PIPE, text=True, env={**os.environ},
    )
    heard: dict[str, list[object]] = {}
    # Normalised 0..1 positions, as a controller sends them (fx.2.green spans 0..2).
    sent = {"/performer/fx/2/green": 0.75, "/performer/fx/1/center/x": 0.25,
            "/performer/fx/2/mix": 0.5}
    try:
        client = SimpleUDPClient("127.0.0.1", osc_port)
        deadline = time.monotonic() + 60
        while show.poll() is None and time.monotonic() < deadline and not all(
                value in heard.get(address, []) for address, value in sent.items()):
            for address, value in sent.items():
                client.send_message(address, value)
            try:
                data, _ = surface.recvfrom(65535)
            except TimeoutError:
                continue
            for message in OscPacket(data).messages:
                heard.setdefault(message.message.address, []).extend(message.message.params)
        _, errors = show.communicate(timeout=60)
    finally:
        show.kill()
        surface.close()
    assert show.returncode == 0, errors
    for address, value in sent.items():
        assert value in heard.get(address, []), (address, heard.get(address))
    assert "/performer/fx/1/segments" in heard, "every input of every effect is published"
