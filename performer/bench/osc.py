"""`performer bench`, OSC part: control latency and frame steadiness under an OSC flood.

The engine thread runs as in a show, paced by a display stand-in that takes a frame every
refresh (60 Hz, no GL: this measures the control path, not drawing). The OSC service runs
as in a show (listener, feedback, state). Figures, never pass/fail.

- Latency: a message moves `ablation.dead` between two values; the clock stops when the
  engine posts the first frame whose living-neuron count shows the new value. The goal is
  one refresh interval (the engine may have just taken its snapshot) plus one generator step.
- Jitter: intervals between fresh frames at the display stand-in, p99 / median, while
  another process sends 1,000 messages a second (as TouchDesigner would), without it, and
  with a 10,000 messages a second storm.
"""

from __future__ import annotations

import logging
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
from pythonosc.osc_message_builder import OscMessageBuilder

from performer.control.osc.service import OscService
from performer.control.show import Show
from performer.engine.ablation import dead_count
from performer.engine.clock import WallClock
from performer.engine.session import Session
from performer.frame import Frame
from performer.mailbox import Mailbox

log = logging.getLogger(__name__)

REFRESH_HZ = 60.0
LATENCY_SAMPLES = 1000
FLOOD_PER_S = 1000
DEAD_A, DEAD_B = 0.25, 0.5  # two fractions with different living-neuron counts

# The flood runs in its own interpreter, like a separate application would.
FLOOD_CODE = """
import math, sys, time
from pythonosc.udp_client import SimpleUDPClient
port, rate, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
client = SimpleUDPClient("127.0.0.1", port)
start = time.perf_counter(); sent = 0
while (now := time.perf_counter() - start) < seconds:
    due = int(now * rate)
    while sent < due:
        client.send_message("/performer/ablation/dead", 0.5 + 0.4 * math.sin(sent / 200.0))
        sent += 1
    time.sleep(0.002)
print(sent)
"""


class WatchedMailbox(Mailbox[Frame]):
    """A mailbox that notes when the first frame with an awaited neuron count is posted."""

    def __init__(self) -> None:
        super().__init__()
        self.awaited: int | None = None
        self.seen_at = 0.0
        self.seen = threading.Event()

    def post(self, value: Frame) -> None:
        if self.awaited is not None and value.neurons.alive_count == self.awaited:
            self.seen_at = time.perf_counter()
            self.awaited = None
            self.seen.set()
        super().post(value)


class DisplayStandIn:
    """Takes a frame every refresh on its own thread; records when fresh frames arrive."""

    def __init__(self, mailbox: Mailbox[Frame], hz: float = REFRESH_HZ) -> None:
        self.mailbox = mailbox
        self.period = 1.0 / hz
        self.fresh_at: list[float] = []
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-display", daemon=True)

    def __enter__(self) -> DisplayStandIn:
        self._running.set()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._running.clear()
        self._thread.join()

    def _loop(self) -> None:
        tick = time.perf_counter()
        while self._running.is_set():
            if self.mailbox.take(0.0) is not None:
                self.fresh_at.append(time.perf_counter())
            tick += self.period
            time.sleep(max(0.0, tick - time.perf_counter()))


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def control_latencies(mailbox: WatchedMailbox, total: int, samples: int,
                      send: Callable[[float], object], what: str) -> list[float]:
    """`samples` times: `send` a new ablation.dead (alternating between two values, at a
    random phase of the refresh), and time it to the first frame made with it (ms)."""
    rng = random.Random(0)
    latencies: list[float] = []
    dead = DEAD_A
    for _ in range(samples):
        dead = DEAD_B if dead == DEAD_A else DEAD_A
        time.sleep(rng.uniform(0.0, 1.0 / REFRESH_HZ))  # any phase of the refresh
        mailbox.seen.clear()
        mailbox.awaited = total - dead_count(dead, total)
        sent_at = time.perf_counter()
        send(dead)
        if mailbox.seen.wait(1.0):
            latencies.append((mailbox.seen_at - sent_at) * 1000.0)
        else:
            log.warning("%s sample got no frame within 1 s", what)
    return latencies


def osc_message(dead: float) -> bytes:
    builder = OscMessageBuilder("/performer/ablation/dead")
    builder.add_arg(dead)
    return bytes(builder.build().dgram)


def _latencies(osc_port: int, mailbox: WatchedMailbox, total: int, samples: int) -> list[float]:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        return control_latencies(
            mailbox, total, samples,
            lambda dead: sender.sendto(osc_message(dead), ("127.0.0.1", osc_port)), "an OSC")
    finally:
        sender.close()


def _jitter(mailbox: Mailbox[Frame], seconds: float, flood_port: int | None,
            per_s: int = FLOOD_PER_S) -> float:
    flood = None
    if flood_port is not None:
        flood = subprocess.Popen(
            [sys.executable, "-c", FLOOD_CODE, str(flood_port), str(per_s), str(seconds)],
            stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)  # let it get going
    with DisplayStandIn(mailbox) as display:
        time.sleep(max(seconds - (0.3 if flood else 0.0), 0.5))
    if flood is not None:
        out, _ = flood.communicate(timeout=30)
        log.debug("flood sent %s messages", out.strip())
    intervals = np.diff(np.asarray(display.fresh_at)) * 1000.0
    if len(intervals) < 2:
        return float("nan")
    return float(np.percentile(intervals, 99) / np.median(intervals))


def osc_figures(session: Session, seconds: float) -> dict[str, float | int]:
    registry, engine = session.registry, session.engine
    for name, value in (("ablation.rate", 0.0), ("ablation.layer", "all"),
                        ("ablation.dead", DEAD_A), ("drift.speed", 0.0), ("output.map", False)):
        registry.set(name, value)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # feedback goes here, unread
    sink.bind(("127.0.0.1", 0))
    mailbox = WatchedMailbox()
    show = Show(registry, mailbox.peek)  # the state is published from frames, as in a show
    osc = OscService(show, port=0, targets=[sink.getsockname()[:2]], query_port=None).start()
    engine.clock = WallClock()
    engine.start(mailbox)
    total = engine.ablation.total
    # The default --seconds 3 (or more) takes the full 1,000 samples; quick runs take fewer.
    scale = min(1.0, seconds / 3.0)
    try:
        with DisplayStandIn(mailbox):
            latencies = _latencies(osc.server.port, mailbox, total,
                                   max(50, round(LATENCY_SAMPLES * scale)))
        flood_s = max(seconds, 5.0) * scale
        quiet = _jitter(mailbox, flood_s, None)
        flooded = _jitter(mailbox, flood_s, osc.server.port)
        stormed = _jitter(mailbox, flood_s, osc.server.port, per_s=10 * FLOOD_PER_S)
    finally:
        engine.stop()
        osc.stop()
        sink.close()
    counters = osc.server.counters
    return {
        "osc_latency_p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "osc_latency_p99_ms": _percentile(latencies, 99),
        "osc_latency_samples": len(latencies),
        "osc_jitter_quiet": quiet,
        "osc_jitter_ratio": flooded,
        "osc_jitter_10k": stormed,
        "osc_dropped": counters.dropped,
    }
