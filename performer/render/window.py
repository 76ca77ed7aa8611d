"""`performer run`: the GLFW window on the main thread, the engine on its own thread.

The display never waits for the generator: each refresh it takes the newest frame if one
arrived (else keeps the last one up), draws it through the shader chain and swaps.
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

import glfw
import moderngl

from performer import keyboard
from performer.control.services import start_services, stop_services
from performer.controls import apply_settings
from performer.env import has_display
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.params import Registry
from performer.render.pipeline import Look, Pipeline
from performer.session import open_session
from performer.status import RateMeter, StatusLine, status_text

log = logging.getLogger(__name__)

BLACKOUT_FADE_S = 0.75  # the B key fades over this long
SHADER_CHECK_S = 0.5  # how often shader files are checked for edits (live coding)
KEY_NAMES = {
    getattr(glfw, attr): attr.removeprefix("KEY_") for attr in dir(glfw) if attr.startswith("KEY_")
}


class DisplayError(RuntimeError):
    """No window can be opened (no display, no OpenGL 3.3)."""


def require_display() -> None:
    if not has_display():
        raise DisplayError(
            "no display found (DISPLAY is not set): use `performer render` to make a "
            "video without a screen"
        )


def key_name(key: int, mods: int) -> str:
    name = KEY_NAMES.get(key, "UNKNOWN")
    return f"SHIFT+{name}" if mods & glfw.MOD_SHIFT else name


class Display:
    """One output window: owns the GLFW window, the GL context and the pipeline."""

    def __init__(
        self,
        registry: Registry,
        size: tuple[int, int] = (1280, 720),
        monitor: int = 0,
        vsync: bool = True,
        title: str = "performer",
        face_shader: str = "face.frag",
    ) -> None:
        require_display()
        if not glfw.init():
            raise DisplayError("could not start GLFW: use `performer render` without a screen")
        self.registry = registry
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
        self.refresh_hz = self._refresh_rate()
        self._frame_arrived = 0.0
        self._last_refresh = time.perf_counter()
        self._last_shader_check = self._last_refresh
        self._blackout_target: float | None = None
        glfw.set_key_callback(self.window, self._on_key)

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

    # --- input ----------------------------------------------------------------------
    def _on_key(self, _window: object, key: int, _scancode: int, action: int, mods: int) -> None:
        if action == glfw.RELEASE:
            return
        try:
            command = keyboard.handle(key_name(key, mods), self.registry)
        except ValueError as err:
            log.warning("%s", err)
            return
        if command == "quit":
            self.running = False
        elif command == "help":
            print("\nperformer keys:\n" + keyboard.help_text(), flush=True)
        elif command == "reload":
            self.reload_shaders()
        elif command == "blackout":
            current = float(self.registry.value("output.blackout"))
            self._blackout_target = 0.0 if current > 0.5 else 1.0

    def reload_shaders(self) -> None:
        errors = self.pipeline.reload()
        for error in errors:
            log.error("%s (the last good shader keeps running)", error)
        if not errors:
            log.info("shaders reloaded")

    # --- one refresh ----------------------------------------------------------------
    def fade_blackout(self, dt: float) -> None:
        if self._blackout_target is None:
            return
        current = float(self.registry.value("output.blackout"))
        step = dt / BLACKOUT_FADE_S
        if abs(self._blackout_target - current) <= step:
            self.registry.set("output.blackout", self._blackout_target, "keyboard")
            self._blackout_target = None
        else:
            direction = 1.0 if self._blackout_target > current else -1.0
            self.registry.nudge("output.blackout", direction * step, "keyboard")

    def show(self, frame: Frame | None) -> None:
        """Upload a new frame (if any) and draw the current picture into the back buffer."""
        now = time.perf_counter()
        if frame is not None:
            self.pipeline.upload(frame)
            self._frame_arrived = now
        crossfade_s = float(self.registry.value("output.crossfade"))
        fade = 0.0
        if crossfade_s > 0:
            fade = max(0.0, 1.0 - (now - self._frame_arrived) / crossfade_s)
        self.ctx.screen.use()
        self.pipeline.draw(glfw.get_framebuffer_size(self.window), Look.of(self.registry, fade))

    def refresh(self, mailbox: Mailbox[Frame]) -> Frame | None:
        """One display refresh: input, registry, newest frame (if any), draw, swap."""
        now = time.perf_counter()
        glfw.poll_events()
        self.registry.drain()
        self.set_fullscreen(bool(self.registry.value("output.fullscreen")))
        self.fade_blackout(now - self._last_refresh)
        self._last_refresh = now
        if now - self._last_shader_check >= SHADER_CHECK_S:
            self._last_shader_check = now
            if self.pipeline.library.stale():
                self.reload_shaders()
        frame = mailbox.take(0.0)
        self.show(frame)
        glfw.swap_buffers(self.window)
        return frame

    def close(self) -> None:
        glfw.destroy_window(self.window)
        glfw.terminate()


def run_window(args: argparse.Namespace) -> int:
    """Open the window, start the engine, and loop until quit (or --seconds, for tests)."""
    started = time.perf_counter()
    require_display()  # before loading anything: fail fast
    session = open_session(args.model, args.device)
    registry, engine = session.registry, session.engine
    registry.set("output.fullscreen", args.fullscreen, "cli")
    apply_settings(registry, args.settings, "cli")
    display = Display(registry, args.size, args.monitor, args.vsync, face_shader=args.shader)
    mailbox: Mailbox[Frame] = Mailbox()
    status = StatusLine()
    meter = RateMeter()
    engine.start(mailbox)
    services = start_services(args, session)
    log.info("press ? for the keys")
    waiting_for_first = True
    try:
        while display.running and not glfw.window_should_close(display.window):
            tick = time.perf_counter()
            try:
                frame = display.refresh(mailbox)
            except Exception:  # one bad refresh must not end the show; the next one tries again
                log.exception("display refresh failed")
                time.sleep(0.1)
                continue
            if frame is not None and waiting_for_first:
                waiting_for_first = False
                log.info("first frame %.2f s after start", time.perf_counter() - started)
            meter.count()
            if status.due():
                status.show(status_text(engine.stats, meter.rate(), mailbox.peek(), registry))
            if args.seconds is not None and tick - started >= args.seconds:
                break
            # Cap at the refresh rate where swaps do not wait (vsync off, virtual displays).
            time.sleep(max(0.0, 1.0 / display.refresh_hz - (time.perf_counter() - tick)))
    finally:
        stop_services(services)
        engine.stop()
        status.clear()
        display.close()
    return 0
