"""`performer run`: the live show, wired: session, window, engine thread, control services,
keys and the status line.

The loop is short on purpose: refresh the window (newest frame or the last one), apply
queued control changes, show the status now and then. Everything it draws or prints comes
from frames.
"""

from __future__ import annotations

import argparse
import logging
import time

from performer.app.status import RateMeter, StatusLine, status_text
from performer.control import keyboard
from performer.control.services import start_services, stop_services
from performer.control.show import Show
from performer.controls import apply_settings
from performer.engine.session import open_session
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.params import Registry
from performer.render.window import Display, require_display

log = logging.getLogger(__name__)


class KeyHandler:
    """Keys from the window -> the registry (through keyboard.py) or the window itself."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.display: Display | None = None  # set once the window is open

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


def run_live(args: argparse.Namespace) -> int:
    """Open the window, start the engine, and loop until quit (or --seconds, for tests)."""
    started = time.perf_counter()
    require_display()  # before loading anything: fail fast
    session = open_session(args.models or None, args.device)
    registry, engine = session.registry, session.engine
    registry.set("output.fullscreen", args.fullscreen, "cli")
    apply_settings(registry, args.settings, "cli")
    keys = KeyHandler(registry)
    display = Display(args.size, args.monitor, args.vsync, face_shader=args.shader, on_key=keys,
                      fullscreen=bool(registry.value("output.fullscreen")))
    keys.display = display
    mailbox: Mailbox[Frame] = Mailbox()
    status = StatusLine()
    meter = RateMeter()
    engine.start(mailbox)
    services = start_services(args, Show(registry, mailbox.peek))
    log.info("press ? for the keys")
    waiting_for_first = True
    try:
        while display.running and not display.should_close():
            tick = time.perf_counter()
            try:
                frame = display.refresh(mailbox)
                # Queued OSC and MIDI changes are applied (and fed back) every refresh, even
                # while the generator is busy with a slow frame.
                registry.drain()
            except Exception:  # one bad refresh must not end the show; the next one tries again
                log.exception("display refresh failed")
                time.sleep(0.1)
                continue
            if frame is not None and waiting_for_first:
                waiting_for_first = False
                log.info("first frame %.2f s after start", time.perf_counter() - started)
            meter.count()
            if status.due():
                status.show(status_text(display.latest, meter.rate()))
            if args.seconds is not None and tick - started >= args.seconds:
                break
            # Cap at the refresh rate where swaps do not wait (vsync off, virtual displays).
            time.sleep(max(0.0, 1.0 / display.refresh_hz - (time.perf_counter() - tick)))
    finally:
        stop_services(services)
        engine.stop()
        session.close()
        status.clear()
        display.close()
    return 0
