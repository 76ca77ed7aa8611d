"""`performer bench`, show log part: how fast the show log grows.

The engine runs as in a show (wall clock, paced by a 60 Hz display stand-in), the OSC
service listens, and another process sends 1,000 messages a second; the log's compressed
bytes per minute are measured over that time, and without messages for comparison.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from performer.bench.osc import FLOOD_CODE, FLOOD_PER_S, DisplayStandIn
from performer.control.osc.service import OscService
from performer.control.show import Show
from performer.engine.clock import WallClock
from performer.engine.session import Session
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.showlog.format import LoggedModel
from performer.showlog.writer import ShowLogWriter, new_header


def _log_bytes(session: Session, path: Path, seconds: float, osc_port: int | None,
               mailbox: Mailbox[Frame]) -> tuple[float, int]:
    """(bytes per minute, steps) of a log written for `seconds`, with or without a flood."""
    models = [LoggedModel.of(name, file) for name, file in session.model_files]
    header = new_header(session.registry, models, (1280, 720), "face.frag", None, {})
    writer = ShowLogWriter(path, header)
    unsubscribe = session.registry.subscribe(writer.heard)
    session.engine.observe(writer.observe)
    header_bytes = path.stat().st_size
    first = session.engine.index
    flood = None
    if osc_port is not None:
        flood = subprocess.Popen(
            [sys.executable, "-c", FLOOD_CODE, str(osc_port), str(FLOOD_PER_S), str(seconds)],
            stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    with DisplayStandIn(mailbox):
        time.sleep(seconds)
    elapsed = time.perf_counter() - started
    steps = session.engine.index - first
    if flood is not None:
        flood.wait(timeout=30)
    session.engine.unobserve(writer.observe)
    unsubscribe()
    writer.close()
    return (path.stat().st_size - header_bytes) / elapsed * 60.0, steps


def show_log_figures(session: Session, seconds: float) -> dict[str, float | int]:
    registry, engine = session.registry, session.engine
    registry.set("ablation.rate", 0.0)
    registry.set("drift.speed", 0.3)  # a moving face, as in a show
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # feedback goes here, unread
    sink.bind(("127.0.0.1", 0))
    mailbox: Mailbox[Frame] = Mailbox()
    osc = OscService(Show(registry, mailbox.peek), port=0, targets=[sink.getsockname()[:2]],
                     query_port=None).start()
    engine.clock = WallClock()
    engine.start(mailbox)
    span = max(2.0 * seconds, 2.0)
    try:
        with tempfile.TemporaryDirectory() as folder:
            idle, _ = _log_bytes(session, Path(folder) / "idle.jsonl.gz", span, None, mailbox)
            flooded, steps = _log_bytes(session, Path(folder) / "flood.jsonl.gz", span,
                                        osc.server.port, mailbox)
    finally:
        engine.stop()
        osc.stop()
        sink.close()
    return {"show_log_kb_per_min_idle": idle / 1000.0,
            "show_log_kb_per_min_1k_osc": flooded / 1000.0,
            "show_log_steps_per_s": steps / span}


def format_show_log(figures: dict[str, object]) -> str:
    return (f"show log: {figures['show_log_kb_per_min_1k_osc']:.1f} kB/min under "
            f"{FLOOD_PER_S:,} OSC msg/s ({figures['show_log_kb_per_min_idle']:.1f} kB/min with "
            f"none; {figures['show_log_steps_per_s']:.0f} engine steps/s logged)")
