"""OSC feedback: every parameter change goes back out, so faders follow the show.

The registry calls `on_change` on whatever thread changed it (the engine, the window, the
OSC listener), so it only records the newest value per address and wakes the sender
thread. The sender coalesces each address to at most `max_hz` messages a second — the
engine moves `ablation.dead` every frame while a rate runs — and sends bundles. Read-only
state (fps, living neurons, face) is sent at a modest rate beside them.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from performer.control.osc.options import Target
from performer.control.osc.routing import address_of, feedback_value
from performer.control.osc.server import RateLimitedWarnings
from performer.control.osc.state import FrameState
from performer.params import ParamChange, Registry

log = logging.getLogger(__name__)

MAX_HZ = 30.0
STATE_HZ = 5.0
BUNDLE_MESSAGES = 24  # ~1 kB per datagram: no IP fragmentation on a venue network

OscValue = float | int


def bundles(values: Iterable[tuple[str, OscValue]], size: int = BUNDLE_MESSAGES) -> list[bytes]:
    """Datagrams holding the messages, at most `size` messages per bundle."""
    items = list(values)
    datagrams = []
    for start in range(0, len(items), size):
        builder = OscBundleBuilder(IMMEDIATELY)
        for address, value in items[start : start + size]:
            message = OscMessageBuilder(address)
            message.add_arg(value)
            builder.add_content(message.build())
        datagrams.append(builder.build().dgram)
    return datagrams


class Feedback:
    """Sends parameter changes (and state) to the targets, coalesced per address."""

    def __init__(
        self,
        registry: Registry,
        targets: Sequence[Target],
        state: FrameState | None = None,
        reply_to: Callable[[], Target | None] | None = None,
        max_hz: float = MAX_HZ,
        state_hz: float = STATE_HZ,
    ) -> None:
        self.registry = registry
        self.targets = [t for t in (self._resolve(t) for t in targets) if t is not None]
        self.state = state
        self.reply_to = reply_to
        self.interval = 1.0 / max_hz
        self.state_interval = 1.0 / state_hz
        self.sent = 0  # messages sent (per target)
        self.send_errors = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._pending: dict[str, OscValue] = {}
        self._last_sent: dict[str, float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._warnings = RateLimitedWarnings()

    @staticmethod
    def _resolve(target: Target) -> Target | None:
        try:
            info = socket.getaddrinfo(target[0], target[1], socket.AF_INET, socket.SOCK_DGRAM)
        except socket.gaierror as err:
            log.error("OSC feedback: cannot resolve %s (%s); not sending there", target[0], err)
            return None
        return (str(info[0][4][0]), int(info[0][4][1]))

    # --- registry side: any thread, never blocks ------------------------------------
    def on_change(self, change: ParamChange) -> None:
        param = self.registry.param(change.name)
        value = feedback_value(param, change.value)
        if value is None:
            return
        address = address_of(change.name)
        with self._lock:
            waiting = address in self._pending
            self._pending[address] = value
        if not waiting:  # a newer value for a waiting address needs no new wake-up
            self._wake.set()

    def send_all(self) -> None:
        """Queue every parameter's current value (at start, so surfaces show the show)."""
        with self._lock:
            for param in self.registry.params():
                value = feedback_value(param, self.registry.value(param.name))
                if value is not None:
                    self._pending[address_of(param.name)] = value
        self._wake.set()

    # --- the sender thread ------------------------------------------------------------
    def start(self) -> None:
        self._running.set()
        self._unsubscribe = self.registry.subscribe(self.on_change)
        self.send_all()
        self._thread = threading.Thread(target=self._loop, name="performer-osc-out", daemon=True)
        self._thread.start()
        if self.targets:
            log.info("OSC: feedback to %s", ", ".join(f"{h}:{p}" for h, p in self.targets))

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._running.clear()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self._sock.close()

    def _loop(self) -> None:
        next_state = time.monotonic()
        wait = 0.0
        while self._running.is_set():
            self._wake.wait(wait)
            self._wake.clear()
            now = time.monotonic()
            due, next_due = self._take_due(now)
            if due:
                self._send(due)
            if self.state is not None and now >= next_state:
                next_state = now + self.state_interval
                try:
                    self._send(list(self.state.read().items()))
                except Exception:  # state is decoration: never stop feedback for it
                    log.exception("OSC: reading the show state failed")
            wakes = [t for t in (next_due, next_state if self.state else None) if t is not None]
            wait = max(0.0, min(wakes) - time.monotonic()) if wakes else 1.0

    def _take_due(self, now: float) -> tuple[list[tuple[str, OscValue]], float | None]:
        """Pending values whose address may send now, and when the next one may."""
        due: list[tuple[str, OscValue]] = []
        next_due: float | None = None
        with self._lock:
            for address in list(self._pending):
                ready_at = self._last_sent.get(address, 0.0) + self.interval
                if ready_at <= now:
                    due.append((address, self._pending.pop(address)))
                    self._last_sent[address] = now
                elif next_due is None or ready_at < next_due:
                    next_due = ready_at
        return due, next_due

    def _send(self, values: list[tuple[str, OscValue]]) -> None:
        targets = list(self.targets)
        reply = self.reply_to() if self.reply_to else None
        if reply is not None and reply not in targets:
            targets.append(reply)
        if not targets:
            return
        for datagram in bundles(values):
            for target in targets:
                try:
                    self._sock.sendto(datagram, target)
                except OSError as err:  # nobody listening, network down: keep the show going
                    self.send_errors += 1
                    if self._warnings.allow(f"{target}"):
                        log.warning("OSC feedback to %s:%d failed: %s", *target, err)
        self.sent += len(values)
