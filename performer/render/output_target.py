"""The window's output picture: drawn at the output size into its own framebuffer, shown in
the window letterboxed, and read back for the outputs (NDI, recording, ...).

Only used while some output takes pictures: otherwise the window draws straight to the
screen, as it always did.
"""

from __future__ import annotations

import moderngl

from performer.render.layout import Rect
from performer.render.readback import Readback, depth_for
from performer.render.shaders import ProgramSpec, ShaderLibrary
from performer.video import VideoFrame

PRESENT = ProgramSpec("fullscreen.vert", "present.frag")


class Pacer:
    """Which refreshes hand a picture to the outputs: `fps` a second out of `refresh_hz`
    (all of them when the refreshes come slower than that)."""

    def __init__(self, fps: float, refresh_hz: float) -> None:
        self.fps = min(fps, refresh_hz)
        self.refresh_hz = refresh_hz
        self._next: float | None = None  # when the next picture is due

    def due(self, now: float) -> bool:
        """Whether the refresh at `now` (seconds) hands on a picture."""
        period = 1.0 / self.fps
        if self._next is None:  # the first refresh hands one on
            self._next = now + period
            return True
        if now < self._next - 0.5 / self.refresh_hz:  # within half a refresh counts as due
            return False
        # On time: the next one a period later; late by more than a period: from now.
        self._next = max(self._next, now - period) + period
        return True


def letterbox(picture: tuple[int, int], screen: tuple[int, int]) -> Rect:
    """The largest rectangle of the picture's aspect centred in the screen (GL coordinates)."""
    pw, ph = picture
    sw, sh = screen
    scale = min(sw / pw, sh / ph)
    w, h = max(1, round(pw * scale)), max(1, round(ph * scale))
    return Rect((sw - w) // 2, (sh - h) // 2, w, h)


class OutputTarget:
    """A colour texture of `size` to draw into, present from, and read back."""

    def __init__(self, ctx: moderngl.Context, library: ShaderLibrary,
                 size: tuple[int, int]) -> None:
        self.ctx = ctx
        self.size = size
        self.library = library
        self.texture = ctx.texture(size, 4, dtype="f1")
        self.texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.fbo = ctx.framebuffer(color_attachments=[self.texture])
        self.readback = Readback(ctx, size, depth_for(ctx))
        self._program: moderngl.Program | None = None
        self._vao: moderngl.VertexArray | None = None

    def use(self) -> None:
        self.fbo.use()
        self.ctx.viewport = (0, 0, *self.size)

    def present(self, screen: moderngl.Framebuffer, screen_size: tuple[int, int]) -> None:
        """Draw the picture into `screen`, letterboxed on black."""
        program = self.library.program(PRESENT)
        if program is not self._program or self._vao is None:
            if self._vao is not None:
                self._vao.release()
            self._program, self._vao = program, self.ctx.vertex_array(program, [])
        screen.use()
        self.ctx.viewport = (0, 0, *screen_size)
        self.ctx.clear(0.0, 0.0, 0.0, 1.0)
        rect = letterbox(self.size, screen_size)
        self.ctx.viewport = (rect.x, rect.y, rect.w, rect.h)
        self.texture.use(0)
        if "u_picture" in program:
            program["u_picture"] = 0
        self._vao.render(moderngl.TRIANGLES, vertices=3)
        self.ctx.viewport = (0, 0, *screen_size)

    def read(self, index: int, time: float, fps: float) -> VideoFrame | None:
        """Start reading this refresh's picture; the one from `depth - 1` refreshes ago (this
        one, reading directly)."""
        return self.readback.push(self.fbo, index, time, fps)

    def release(self) -> None:
        self.readback.release()
        if self._vao is not None:
            self._vao.release()
        self.fbo.release()
        self.texture.release()
