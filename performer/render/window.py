"""The projector window: GLFW on the main thread, drawing Frames through the pipeline.

The display never waits for the generator: each refresh it takes the newest frame if one
arrived (else keeps the last one up), draws it through the shader chain and swaps. It
reads only frames: how the picture looks (blackout, map, cross-fade, fullscreen) is what
the frame was made with. Keys are handed on by name to whoever opened the window
(app/live.py maps them to controls).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import glfw
import moderngl

from performer.env import has_display
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.render import gl_native
from performer.render.drawer import FrameDrawer
from performer.render.output_target import OutputTarget, Pacer
from performer.render.pipeline import Pipeline
from performer.video import VideoFrame

log = logging.getLogger(__name__)

KEY_NAMES = {
    getattr(glfw, attr): attr.removeprefix("KEY_") for attr in dir(glfw) if attr.startswith("KEY_")
}


class DisplayError(RuntimeError):
    """No window can be opened (no display, no OpenGL 3.3)."""


def require_display() -> None:
    if not has_display():
        raise DisplayError(
            "no display found (DISPLAY is not set): use `performer render` to make a "
            "video without a screen, or feed an output headless (performer run --ndi)"
        )


def key_name(key: int, mods: int) -> str:
    name = KEY_NAMES.get(key, "UNKNOWN")
    return f"SHIFT+{name}" if mods & glfw.MOD_SHIFT else name


class Display:
    """One output window: owns the GLFW window, the GL context and the pipeline."""

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        monitor: int = 0,
        vsync: bool = True,
        title: str = "performer",
        face_shader: str = "face.frag",
        on_key: Callable[[str], None] | None = None,
        fullscreen: bool = False,
        output_size: tuple[int, int] | None = None,
        output_fps: float | None = None,
    ) -> None:
        require_display()
        if not glfw.init():
            raise DisplayError("could not start GLFW: use `performer render` without a screen")
        self.on_key = on_key  # gets key names as keyboard.py writes them ("SHIFT+LEFT")
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)  # macOS needs it; harmless elsewhere
        glfw.window_hint(glfw.AUTO_ICONIFY, False)  # stay up when focus moves to another screen
        self.window = glfw.create_window(size[0], size[1], title, None, None)
        if not self.window:
            glfw.terminate()
            raise DisplayError("could not open an OpenGL 3.3 window")
        glfw.make_context_current(self.window)
        glfw.swap_interval(1 if vsync else 0)
        self.ctx = moderngl.create_context()
        self.pipeline = Pipeline(self.ctx, face_shader=face_shader)
        self.monitor_index = monitor
        self.windowed_rect = (*glfw.get_window_pos(self.window), *size)
        self.fullscreen = False
        self.running = True
        self.set_fullscreen(fullscreen)  # at once, not with the first frame
        self.refresh_hz = self._refresh_rate()
        self.drawer = FrameDrawer(self.pipeline)
        # The picture outputs get: drawn at the output size (default: the window's size at
        # opening, in multiples of 4 as every codec takes) and shown letterboxed, only while
        # `capturing` (some output takes it).
        width, height = glfw.get_framebuffer_size(self.window)
        self.output = OutputTarget(self.ctx, self.pipeline.library,
                                   output_size or (max(4, width // 4 * 4), max(4, height // 4 * 4)))
        self.capturing = False
        # Pictures per second the outputs get and announce: the refresh rate unless asked
        # for fewer (a rate the machine sustains, e.g. for a 1080p recording).
        self.pacer = Pacer(output_fps or self.refresh_hz, self.refresh_hz)
        glfw.set_key_callback(self.window, self.key_event)

    # --- monitors -------------------------------------------------------------------
    def _monitor(self) -> Any:  # a GLFW monitor pointer, or None
        monitors = glfw.get_monitors() or []
        if not monitors:
            return None
        if not 0 <= self.monitor_index < len(monitors):
            log.warning("no monitor %d (have %d): using the primary one",
                        self.monitor_index, len(monitors))
            self.monitor_index = 0
        return monitors[self.monitor_index]

    def _refresh_rate(self) -> float:
        monitor = self._monitor()
        mode = glfw.get_video_mode(monitor) if monitor else None
        return float(mode.refresh_rate) if mode and mode.refresh_rate > 0 else 60.0

    def set_fullscreen(self, on: bool) -> None:
        """Fullscreen on the chosen monitor in its current video mode, or back to the window."""
        if on == self.fullscreen:
            return
        monitor = self._monitor()
        if on and monitor is not None:
            self.windowed_rect = (*glfw.get_window_pos(self.window),
                                  *glfw.get_window_size(self.window))
            mode = glfw.get_video_mode(monitor)
            glfw.set_window_monitor(self.window, monitor, 0, 0, mode.size.width,
                                    mode.size.height, mode.refresh_rate)
        elif not on:
            x, y, w, h = self.windowed_rect
            glfw.set_window_monitor(self.window, None, x, y, w, h, 0)  # type: ignore[arg-type]
        self.fullscreen = on

    @property
    def output_size(self) -> tuple[int, int]:
        """The size of the picture outputs and recordings get (shown letterboxed)."""
        return self.output.size

    def framebuffer_size(self) -> tuple[int, int]:
        """The size of the picture in pixels (the output's size)."""
        width, height = glfw.get_framebuffer_size(self.window)
        return int(width), int(height)

    # --- input ----------------------------------------------------------------------
    def key_event(self, _window: object, key: int, _scancode: int, action: int, mods: int) -> None:
        """GLFW's key callback: a press or repeat goes to `on_key` by name."""
        if action == glfw.RELEASE or self.on_key is None:
            return
        try:
            self.on_key(key_name(key, mods))
        except Exception:  # a key must never take the window down
            log.exception("key %s failed", key_name(key, mods))

    def reload_shaders(self) -> None:
        self.drawer.reload_shaders()

    # --- one refresh ----------------------------------------------------------------
    def show(self, frame: Frame | None) -> None:
        """Upload a new frame (if any) and draw the current picture into the back buffer:
        through the output picture while `capturing`, else straight to the screen."""
        now = time.perf_counter()
        self.drawer.take(frame, now)
        screen_size = glfw.get_framebuffer_size(self.window)
        if self.capturing:
            self.output.use()
            self.drawer.draw(self.output.size, now)
            self.output.present(self.ctx.screen, screen_size)
        else:
            self.ctx.screen.use()
            self.drawer.draw(screen_size, now)

    @property
    def latest(self) -> Frame | None:
        """The frame on screen."""
        return self.drawer.latest

    def capture(self) -> VideoFrame | None:
        """After a refresh while `capturing` and a picture is due (`output_fps`): read it back
        and return the picture read `depth - 1` captures ago (None while the ring fills, or
        when no picture is due)."""
        if not self.capturing or self.latest is None:
            self.output.readback.reset()
            return None
        if not self.pacer.due(time.perf_counter()):
            return None
        gl_native.finish(self.ctx.finish)  # wait with the GIL free: the engine runs meanwhile
        return self.output.read(self.latest.index, self.latest.time, self.pacer.fps)

    def refresh(self, mailbox: Mailbox[Frame]) -> Frame | None:
        """One display refresh: input, shader edits, newest frame (if any), draw, swap."""
        now = time.perf_counter()
        glfw.poll_events()
        self.drawer.follow_shader_edits(now)
        frame = mailbox.take(0.0)
        if frame is not None:
            self.set_fullscreen(frame.fullscreen)
        self.show(frame)
        glfw.swap_buffers(self.window)
        return frame

    def should_close(self) -> bool:
        """The window's close button (or the window manager) asked to quit."""
        return bool(glfw.window_should_close(self.window))

    def close(self) -> None:
        self.output.release()
        glfw.destroy_window(self.window)
        glfw.terminate()
