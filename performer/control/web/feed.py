"""Hands the engine's frames to video outputs (the console's preview) on a thread of
their own, newest frame first, where there is no window to read the picture back from: the
bench and the console's tests. A show feeds its outputs through the output stage instead
(`app/output_stage.py`), with the picture as the projector shows it.

This is the one place that makes `VideoFrame`s from `Frame.image`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import numpy as np

from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.video import OutputFigures, VideoFrame, VideoOutput

log = logging.getLogger(__name__)

FPS = 30.0  # the rate announced to outputs (the engine's own varies)


def video_frame(frame: Frame, fps: float = FPS) -> VideoFrame:
    """The frame's image as outputs take it: RGBA, row 0 at the top."""
    height, width, _ = frame.image.shape
    pixels = np.empty((height, width, 4), np.uint8)
    pixels[..., :3] = frame.image
    pixels[..., 3] = 255
    return VideoFrame(pixels, frame.index, frame.time, fps)


class FrameFeed:
    """`offer(frame)` never blocks: a frame not yet sent is replaced by the newer one and
    counted as dropped. An output that raises is closed with one line."""

    def __init__(self, outputs: Iterable[VideoOutput] = ()) -> None:
        self.outputs: list[VideoOutput] = []
        self.sent: dict[str, int] = {}
        self.add(outputs)
        self._mailbox: Mailbox[Frame] = Mailbox()
        self._running = True
        self._opened = False
        self._thread = threading.Thread(target=self._run, name="performer-video-feed",
                                        daemon=True)
        self._thread.start()

    def add(self, outputs: Iterable[VideoOutput]) -> None:
        """More outputs (before the first frame is offered)."""
        for output in outputs:
            self.outputs.append(output)
            self.sent[output.name] = 0

    def offer(self, frame: Frame) -> None:
        self._mailbox.post(frame)

    def figures(self) -> list[OutputFigures]:
        return [OutputFigures(o.name, 0.0, self.sent[o.name], self._mailbox.dropped)
                for o in self.outputs]

    def _run(self) -> None:
        while self._running:
            frame = self._mailbox.take(timeout=0.2)
            if frame is None:
                continue
            picture = video_frame(frame)
            if not self._opened:
                self._opened = True
                for output in list(self.outputs):
                    self._call(output, output.open, picture.size, FPS)
            for output in list(self.outputs):
                if self._call(output, output.send, picture):
                    self.sent[output.name] += 1

    def _call(self, output: VideoOutput, action: Callable[..., None], *args: object) -> bool:
        try:
            action(*args)
            return True
        except Exception as err:
            log.error("%s is off: %s", output.name, err)
            self.outputs.remove(output)
            return False

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=1.0)
        for output in self.outputs:
            try:
                output.close()
            except Exception:
                log.exception("closing %s failed", output.name)
