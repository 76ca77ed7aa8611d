"""`performer run` with the web console, end to end: a real window under Xvfb, the console
on real HTTP, the preview fed from the show's frames."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import sys
import time

import aiohttp
import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.usefixtures("x_display")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(*options: str, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "performer", "run", "--seconds", str(seconds), "--size",
         "320x240", "--no-vsync", "--no-osc", "--no-midi", *options],
        stderr=subprocess.PIPE, text=True, env={**os.environ})


async def first_preview(port: int, timeout: float) -> bytes:
    """The first preview picture the console's monitor stream sends (retries until the
    show has opened its port)."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.ws_connect(f"ws://127.0.0.1:{port}/monitor") as monitor:
                    async for message in monitor:
                        if message.type is aiohttp.WSMsgType.BINARY:
                            return bytes(message.data)
            except aiohttp.ClientConnectorError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


def test_run_serves_the_console_and_its_preview() -> None:
    port = free_port()
    show = run("--web-port", str(port), seconds=20)
    try:
        picture = asyncio.run(asyncio.wait_for(first_preview(port, 60), 90))
    finally:
        show.terminate()
        _, errors = show.communicate(timeout=60)
    assert picture[:2] == b"\xff\xd8", "a JPEG"
    assert f"console: http://127.0.0.1:{port}/" in errors


def test_the_preview_is_the_picture_the_projector_shows() -> None:
    """Blacked out: the window shows black, so does the preview (it is read back from the
    output picture, after the shaders, not taken from the generator)."""
    port = free_port()
    show = run("--web-port", str(port), "--set", "output.blackout=1", seconds=20)
    try:
        picture = asyncio.run(asyncio.wait_for(first_preview(port, 60), 90))
    finally:
        show.terminate()
        show.communicate(timeout=60)
    pixels = np.asarray(Image.open(io.BytesIO(picture)).convert("RGB"))
    assert pixels.shape[1] <= 640 and pixels.mean() < 8


def test_a_taken_console_port_is_one_line_and_the_show_runs() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        show = run("--web-port", str(port), seconds=2)
        _, errors = show.communicate(timeout=120)
    assert show.returncode == 0, errors
    off = [line for line in errors.splitlines() if "console" in line]
    assert off == [f"performer: web console is off: TCP port {port} is already in use: "
                   "pick another with --web-port"]
    assert "Traceback" not in errors and "first frame" in errors


def test_no_web_serves_nothing() -> None:
    show = run("--no-web", seconds=1)
    _, errors = show.communicate(timeout=120)
    assert show.returncode == 0, errors
    assert "console" not in errors
