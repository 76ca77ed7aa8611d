"""A real X server (Xvfb) for the window tests, started once per session if none is set."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import glfw
import pytest


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is missing: install the Debian package xvfb (make test does this)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield os.environ["DISPLAY"]
    finally:
        del os.environ["DISPLAY"]
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def raise_glfw_errors() -> Iterator[None]:
    previous = glfw.ERROR_REPORTING
    glfw.ERROR_REPORTING = "raise"
    try:
        yield
    finally:
        glfw.ERROR_REPORTING = previous
