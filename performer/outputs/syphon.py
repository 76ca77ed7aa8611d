"""Syphon out (macOS): the output picture as a Syphon server, through PyPI `syphon-python`.

Uses Syphon's Metal server, which needs no OpenGL context on this thread: each picture is
copied into a Metal texture and published. Not tried on a Mac yet (see the README).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from performer.outputs.optional import load, require
from performer.video import VideoFrame

DEFAULT_NAME = "performer"
PLATFORM = "macOS only"


class SyphonOutput:
    name = "syphon"

    def __init__(self, server_name: str = DEFAULT_NAME) -> None:
        require("syphon", "syphon", PLATFORM)
        self.server_name = server_name
        self._server: Any = None
        self._texture: Any = None
        self._copy: Any = None

    def open(self, size: tuple[int, int], fps: float) -> None:
        syphon = load("syphon", "syphon", PLATFORM)
        numpy_utils = load("syphon.utils.numpy", "syphon", PLATFORM)
        raw_utils = load("syphon.utils.raw", "syphon", PLATFORM)
        self._server = syphon.SyphonMetalServer(self.server_name)
        self._texture = raw_utils.create_mtl_texture(self._server.device, *size)
        self._copy = numpy_utils.copy_image_to_mtl_texture

    def send(self, frame: VideoFrame) -> None:
        assert self._server is not None, "open() first"
        self._copy(np.ascontiguousarray(frame.pixels), self._texture)
        self._server.publish_frame_texture(self._texture)

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
