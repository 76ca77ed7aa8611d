"""A GL context and framebuffer with no window: for video rendering, the bench and tests.

Uses EGL, which works headless (Mesa llvmpipe on a machine with no GPU and no display).
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import moderngl
import numpy as np

from performer.render import gl_native

log = logging.getLogger(__name__)


class OffscreenError(RuntimeError):
    """No offscreen OpenGL context could be made; the message is one line and says why."""


class Offscreen:
    """An EGL standalone context (OpenGL 3.3+) and an RGBA8 framebuffer of `size` (w, h).

    `device_index` picks the EGL device (GPU) where there are several; `libegl` overrides the
    EGL library's file name for unusual installs.
    """

    def __init__(self, size: tuple[int, int], *, device_index: int | None = None,
                 libegl: str | None = None) -> None:
        width, height = size
        if width < 1 or height < 1:
            raise OffscreenError(f"framebuffer size must be positive, got {width}x{height}")
        settings: dict[str, Any] = {"backend": "egl", "device_index": device_index,
                                    "libegl": libegl}
        try:
            self.ctx = moderngl.create_standalone_context(**settings)
        # glcontext raises plain Exception for every failure (library missing, no device).
        except Exception as err:
            reason = " ".join(str(err).split()) or type(err).__name__
            raise OffscreenError(
                f"cannot create an EGL OpenGL context ({reason}): install libegl1 and "
                f"libgl1-mesa-dri (Debian) or a GPU driver with EGL") from err
        self._released = False
        self._libegl = libegl
        self.size = (width, height)
        self._color = self.ctx.renderbuffer(self.size, 4)
        self.fbo = self.ctx.framebuffer(color_attachments=[self._color])
        self.fbo.use()
        log.debug("offscreen %dx%d on %s", width, height, self.ctx.info["GL_RENDERER"])

    def use(self) -> None:
        """Bind the framebuffer (and a viewport covering it) for drawing."""
        self.fbo.use()
        self.ctx.viewport = (0, 0, *self.size)

    def finish(self) -> None:
        """Wait for the drawing to complete, letting other Python threads run meanwhile."""
        gl_native.finish(self.ctx.finish)

    def read_rgb(self) -> np.ndarray:
        """The framebuffer's pixels, (h, w, 3) uint8, row 0 at the top (a new array).

        Call `finish()` first where other threads should keep running: the read itself
        holds the GIL until the GPU is done.
        """
        width, height = self.size
        data = self.fbo.read(components=3, alignment=1)
        upside_down = np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)
        return np.ascontiguousarray(upside_down[::-1])

    def release(self) -> None:
        """Free the framebuffer and the context (safe to call twice)."""
        if self._released:
            return
        self._released = True
        self.fbo.release()
        self._color.release()
        self.ctx.release()
        gl_native.release_egl_thread(self._libegl)

    def __enter__(self) -> Offscreen:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
