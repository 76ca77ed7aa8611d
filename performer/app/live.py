"""`performer run`: the live show, wired: session, window (or the headless stand-in),
engine thread, control services, keys, the output stage and the status line.

The loop is short on purpose: refresh the window (newest frame or the last one), apply
queued control changes, hand the picture read back to the outputs, show the status now
and then. Everything it draws or prints comes from frames.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator

from performer.app.output_stage import OutputStage
from performer.app.scenes import SceneSaver, book_of, load_show
from performer.app.show_log import start_show_log
from performer.app.status import RateMeter, StatusLine, status_text
from performer.control import keyboard
from performer.control.services import start_services, stop_services
from performer.control.show import Show
from performer.controls import apply_settings, fill_routes
from performer.engine.session import open_session
from performer.env import has_display
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.outputs.options import streaming_outputs, wants_output
from performer.params import Registry
from performer.render.fx.setup import resolve_chain
from performer.render.headless import HeadlessDisplay
from performer.render.window import Display, require_display

log = logging.getLogger(__name__)

HEADLESS_SIZE = (1920, 1080)  # the output size when there is no window to take it from
HEADLESS_FPS = 30.0


class KeyHandler:
    """Keys from the window -> the registry (through keyboard.py) or the window itself."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.display: Display | HeadlessDisplay | None = None  # set once the window is open

    def __call__(self, key: str) -> None:
        try:
            action = keyboard.handle(key, self.registry)
        except ValueError as err:
            log.warning("%s", err)
            return
        display = self.display
        if action is None or display is None:
            return
        if action is keyboard.WindowAction.QUIT:
            display.running = False
        elif action is keyboard.WindowAction.HELP:
            print("\nperformer keys:\n" + keyboard.help_text(), flush=True)
        elif action is keyboard.WindowAction.RELOAD:
            display.reload_shaders()


def goes_headless(args: argparse.Namespace) -> bool:
    """--headless, or no display but an output to feed; no display and no output: one line."""
    if args.headless:
        return True
    if has_display():
        return False
    if wants_output(args):
        log.info("no display: running headless for the outputs")
        return True
    require_display()  # raises, in one line
    return False


def open_display(args: argparse.Namespace, headless: bool, registry: Registry,
                 keys: KeyHandler) -> Display | HeadlessDisplay:
    if headless:
        return HeadlessDisplay(args.output_size or HEADLESS_SIZE,
                               args.output_fps or HEADLESS_FPS,
                               face_shader=args.shader)
    return Display(args.size, args.monitor, args.vsync, face_shader=args.shader, on_key=keys,
                   fullscreen=bool(registry.value("output.fullscreen")),
                   output_size=args.output_size, output_fps=args.output_fps)


def refresh(display: Display | HeadlessDisplay, mailbox: Mailbox[Frame], registry: Registry,
            stage: OutputStage) -> Frame | None:
    """One refresh: the outputs follow the frame on screen, the newest frame is drawn, queued
    control changes are applied (and fed back, even while the generator is busy with a slow
    frame), and the picture read back goes to the outputs."""
    stage.follow(display.latest)
    display.capturing = stage.active
    frame = display.refresh(mailbox)
    registry.drain()
    picture = display.capture()
    if picture is not None:
        stage.post(picture)
    return frame


@contextlib.contextmanager
def stop_on_sigterm(stop: Callable[[], None]) -> Iterator[None]:
    """SIGTERM (systemd, a rack's supervisor) ends the show like the quit key: outputs and
    recordings close properly. Only the main thread can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda _signal, _frame: stop())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_live(args: argparse.Namespace) -> int:
    """Open the window (or draw headless), start the engine, and loop until quit (or
    --seconds, for tests)."""
    started = time.perf_counter()
    headless = goes_headless(args)  # before loading anything: fail fast
    show = load_show(args.show)
    effects, fx_params = resolve_chain(args.fx if args.fx is not None else show.fx_chain)
    session = open_session(args.models or None, args.device, scene_names=show.names,
                           extra=fx_params)
    registry, engine = session.registry, session.engine
    engine.scenes.book = book_of(show, registry.params())
    saver = SceneSaver(show)
    engine.observe(saver.observe)
    registry.set("output.fullscreen", args.fullscreen, "cli")
    registry.set("output.record", args.record is not None, "cli")
    apply_settings(registry, args.settings, "cli")
    fill_routes(registry, args.routes, "cli")
    stage = OutputStage(streaming_outputs(args), args.record, args.record_codec)
    keys = KeyHandler(registry)
    display = open_display(args, headless, registry, keys)
    display.pipeline.use_fx(effects)
    keys.display = display
    # The log's size is the picture a replay should match: the outputs' (and the
    # recording's) when they run from the start, else the window's.
    outputs_from_start = stage.active or args.record is not None
    show_log = start_show_log(args.show_log, session, display.output_size
                              if outputs_from_start else display.framebuffer_size(),
                              args.shader, args.fx)
    mailbox: Mailbox[Frame] = Mailbox()
    status = StatusLine()
    meter = RateMeter()
    engine.start(mailbox)
    services = start_services(args, Show(registry, mailbox.peek, stage.figures,
                                         lambda: meter.last))
    for output in (o for s in services for o in getattr(s, "video_outputs", ())):
        stage.add(output)  # the console's preview
    if not headless:
        log.info("press ? for the keys")
    waiting_for_first = True
    with stop_on_sigterm(lambda: setattr(display, "running", False)):
        try:
            while display.running and not display.should_close():
                tick = time.perf_counter()
                try:
                    frame = refresh(display, mailbox, registry, stage)
                except Exception:  # one bad refresh must not end the show; the next one tries again
                    log.exception("display refresh failed")
                    time.sleep(0.1)
                    continue
                if frame is not None and waiting_for_first:
                    waiting_for_first = False
                    log.info("first frame %.2f s after start", time.perf_counter() - started)
                meter.count()
                if status.due():
                    status.show(status_text(display.latest, meter.rate()) + stage.status_text())
                if args.seconds is not None and tick - started >= args.seconds:
                    break
                # Cap at the refresh rate where swaps do not wait (vsync off, virtual displays).
                time.sleep(max(0.0, 1.0 / display.refresh_hz - (time.perf_counter() - tick)))
        finally:
            stop_services(services)
            engine.stop()
            stage.close()
            if show_log is not None:
                show_log.close()
            saver.close()
            session.close()
            status.clear()
            display.close()
    return 0
