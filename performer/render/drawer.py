"""The picture of the newest frame at any moment, for the window and the headless show alike.

Between frames the picture keeps the look of the one on screen: a cross-fade from the
previous image and a blackout fade both go on by the display's own clock.
"""

from __future__ import annotations

import logging
import time

from performer.frame import Frame
from performer.render.pipeline import Look, Pipeline

log = logging.getLogger(__name__)

SHADER_CHECK_S = 0.5  # how often shader and effect files are checked for edits (live coding)


class FrameDrawer:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.latest: Frame | None = None  # the frame being shown
        self._arrived = 0.0
        self._last_shader_check = time.perf_counter()

    def follow_shader_edits(self, now: float) -> None:
        """Reload (at most every SHADER_CHECK_S) when a shader or effect file changed."""
        if now - self._last_shader_check >= SHADER_CHECK_S:
            self._last_shader_check = now
            if self.pipeline.stale():
                self.reload_shaders()

    def reload_shaders(self) -> None:
        """Shaders and effects from disk again; a broken one keeps its last good program."""
        errors = self.pipeline.reload()
        for error in errors:
            log.error("%s (the last good shader keeps running)", error)
        if not errors:
            log.info("shaders reloaded")

    def take(self, frame: Frame | None, now: float) -> None:
        """A new frame (or None: keep the one shown) as of `now` (perf_counter seconds)."""
        if frame is None:
            return
        if self.latest is None or frame.image is not self.latest.image:
            self._arrived = now  # a new image, not the same one with new values
        self.pipeline.upload(frame)
        self.latest = frame

    def draw(self, size: tuple[int, int], now: float) -> None:
        """Draw into the bound framebuffer at `size`: black until the first frame."""
        if self.latest is None:
            self.pipeline.draw(size, Look())
            return
        since = now - self._arrived
        crossfade_s = self.latest.crossfade_s
        fade = max(0.0, 1.0 - since / crossfade_s) if crossfade_s > 0 else 0.0
        self.pipeline.draw(size, Look.of(self.latest, fade, since))
