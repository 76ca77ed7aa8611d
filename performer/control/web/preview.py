"""The console's preview: a `VideoOutput` that keeps the newest picture as a small JPEG.

The output stage calls `send` on the preview's own thread, so encoding never runs on the
render thread; the preview takes at most MAX_FPS pictures a second and skips the rest
(counted), and the console sends each browser only the newest one: a slow phone gets
fewer pictures, never a backlog.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from performer.video import VideoFrame

MAX_FPS = 15.0
MAX_WIDTH = 640
QUALITY = 80


@dataclass(frozen=True)
class Picture:
    """One encoded preview picture."""

    jpeg: bytes
    index: int  # the engine frame it shows
    width: int
    height: int


def encode(pixels: np.ndarray, max_width: int = MAX_WIDTH, quality: int = QUALITY
           ) -> tuple[bytes, int, int]:
    """RGBA or RGB pixels (row 0 at the top) -> JPEG bytes, at most `max_width` wide."""
    image = Image.fromarray(np.ascontiguousarray(pixels[..., :3]), "RGB")
    if image.width > max_width:
        height = max(1, round(image.height * max_width / image.width))
        image = image.resize((max_width, height), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue(), image.width, image.height


class PreviewOutput:
    """A VideoOutput (performer.video) for the console. `on_picture` is called (on the
    sending thread) after each new picture; it must not block."""

    name = "console preview"

    def __init__(self, max_fps: float = MAX_FPS, max_width: int = MAX_WIDTH,
                 on_picture: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_width = max_width
        self.interval = 1.0 / max_fps
        self.on_picture = on_picture
        self._clock = clock
        self._last = -float("inf")
        self._lock = threading.Lock()
        self._picture: Picture | None = None
        self.wanted = False  # only while a console shows the monitor (set by Monitor)
        self.sent = 0  # pictures encoded
        self.skipped = 0  # frames that came sooner than 1/max_fps after the last picture

    def open(self, size: tuple[int, int], fps: float) -> None:
        self._last = -float("inf")

    def send(self, frame: VideoFrame) -> None:
        now = self._clock()
        if now - self._last < self.interval - 1e-6:  # (1e-6: clocks that tick in 1/30 s)
            self.skipped += 1
            return
        self._last = now
        jpeg, width, height = encode(frame.pixels, self.max_width)
        with self._lock:
            self._picture = Picture(jpeg, frame.index, width, height)
        self.sent += 1
        if self.on_picture is not None:
            self.on_picture()

    def close(self) -> None:
        with self._lock:
            self._picture = None

    def latest(self) -> Picture | None:
        with self._lock:
            return self._picture
