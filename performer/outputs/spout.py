"""Spout out (Windows): the output picture as a Spout sender, through PyPI `SpoutGL`.

Spout shares GL textures, so the sender needs an OpenGL context current on its thread: the
output makes its own small one (moderngl, WGL on Windows) and hands Spout the picture's
RGBA pixels. Not tried on Windows yet (see the README).
"""

from __future__ import annotations

from typing import Any

import moderngl
import numpy as np

from performer.outputs.optional import OutputUnavailable, load, require
from performer.video import VideoFrame

DEFAULT_NAME = "performer"
PLATFORM = "Windows only"
GL_RGBA = 0x1908


class SpoutOutput:
    name = "spout"

    def __init__(self, sender_name: str = DEFAULT_NAME) -> None:
        require("SpoutGL", "spout", PLATFORM)
        self.sender_name = sender_name
        self._ctx: moderngl.Context | None = None
        self._sender: Any = None

    def open(self, size: tuple[int, int], fps: float) -> None:
        spout = load("SpoutGL", "spout", PLATFORM)
        try:
            self._ctx = moderngl.create_standalone_context()
        except Exception as err:  # glcontext raises plain Exception
            raise OutputUnavailable(f"Spout needs an OpenGL context: {err}") from err
        self._sender = spout.SpoutSender()
        self._sender.setSenderName(self.sender_name)

    def send(self, frame: VideoFrame) -> None:
        assert self._sender is not None, "open() first"
        width, height = frame.size
        pixels = np.ascontiguousarray(frame.pixels)
        if not self._sender.sendImage(pixels, width, height, GL_RGBA, False, 0):
            raise OutputUnavailable(f"Spout refused a {width}x{height} picture")

    def close(self) -> None:
        if self._sender is not None:
            self._sender.releaseSender()
            self._sender = None
        if self._ctx is not None:
            self._ctx.release()
            self._ctx = None
