"""The show with no window: drawn offscreen (EGL) at the output size, for the outputs only.

Stands in for the window in `performer run --headless` (the machine in the rack that feeds
NDI, a virtual camera or a recording): the same drawing, refreshed at `fps`, every picture
read back through the PBO ring. No keys: OSC and MIDI play it.
"""

from __future__ import annotations

import logging
import time

from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.render.drawer import FrameDrawer
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Pipeline
from performer.render.readback import Readback, depth_for
from performer.video import VideoFrame

log = logging.getLogger(__name__)



class HeadlessDisplay:
    """An offscreen framebuffer of `size` refreshed `fps` times a second."""

    def __init__(self, size: tuple[int, int], fps: float, face_shader: str = "face.frag") -> None:
        self.target = Offscreen(size)
        self.size = size
        self.refresh_hz = fps
        self.pipeline = Pipeline(self.target.ctx, face_shader=face_shader)
        self.drawer = FrameDrawer(self.pipeline)
        self.readback = Readback(self.target.ctx, size, depth_for(self.target.ctx))
        self.running = True
        self.capturing = True  # there is nothing else to show it on
        log.info("headless: drawing %dx%d at %g fps on %s", *size, fps,
                 self.target.ctx.info["GL_RENDERER"])

    @property
    def latest(self) -> Frame | None:
        return self.drawer.latest

    @property
    def output_size(self) -> tuple[int, int]:
        return self.size

    def framebuffer_size(self) -> tuple[int, int]:
        """The size of the picture in pixels (the output's size), as a window reports it."""
        return self.size

    def reload_shaders(self) -> None:
        self.drawer.reload_shaders()

    def refresh(self, mailbox: Mailbox[Frame]) -> Frame | None:
        """One refresh: shader edits, the newest frame (if any), draw."""
        now = time.perf_counter()
        self.drawer.follow_shader_edits(now)
        frame = mailbox.take(0.0)
        self.drawer.take(frame, now)
        self.target.use()
        self.drawer.draw(self.size, now)
        return frame

    def capture(self) -> VideoFrame | None:
        latest = self.drawer.latest
        if latest is None:
            return None
        self.target.finish()  # wait for the drawing with the GIL free: the engine runs on
        return self.readback.push(self.target.fbo, latest.index, latest.time, self.refresh_hz)

    def should_close(self) -> bool:
        return False

    def close(self) -> None:
        self.readback.release()
        self.pipeline.release()
        self.target.release()
