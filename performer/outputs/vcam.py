"""A virtual camera (for OBS, video calls, browsers) through PyPI `pyvirtualcam`:
v4l2loopback on Linux, OBS's virtual camera on Windows and macOS.

pyvirtualcam takes RGB, not RGBA: the alpha column is dropped on this thread. Not tried
with a real camera device yet (see the README).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from performer.outputs.optional import load, require
from performer.video import VideoFrame

PLATFORM = "v4l2loopback on Linux, OBS's camera on Windows and macOS"


class VirtualCameraOutput:
    name = "vcam"

    def __init__(self, device: str | None = None) -> None:
        require("pyvirtualcam", "vcam", PLATFORM)
        self.device = device  # e.g. /dev/video10 for v4l2loopback; None: the first free one
        self._camera: Any = None

    def open(self, size: tuple[int, int], fps: float) -> None:
        pyvirtualcam = load("pyvirtualcam", "vcam", PLATFORM)
        self._camera = pyvirtualcam.Camera(width=size[0], height=size[1], fps=fps,
                                           fmt=pyvirtualcam.PixelFormat.RGB,
                                           device=self.device)

    def send(self, frame: VideoFrame) -> None:
        assert self._camera is not None, "open() first"
        self._camera.send(np.ascontiguousarray(frame.pixels[..., :3]))

    def close(self) -> None:
        if self._camera is not None:
            self._camera.close()
            self._camera = None
