"""The OSC listener: one UDP socket read by one daemon thread, in arrival order.

Each datagram is decoded (`routing.decode_packet`) and its changes go to the registry
as one `submit` batch, so a bundle lands in one frame, atomically. Nothing here blocks on
the render loop: the registry's queue is bounded and a full queue drops the datagram (and
counts it). Bad input is counted and warned about at most once per address per 10 s.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass

from performer.control.osc.routing import (
    MAX_MESSAGES,
    MAX_PATTERN_CHARS,
    MAX_WILDCARDS,
    AddressTable,
    decode_packet,
    quiet_python_osc,
)
from performer.params import Registry

log = logging.getLogger(__name__)

MAX_DATAGRAM = 65535
WARN_EVERY_S = 10.0
POLL_S = 0.1  # how soon stop() is noticed


class OscPortError(OSError):
    """The listening port cannot be opened (in use, not permitted, bad host)."""


@dataclass
class OscCounters:
    """What the listener saw; for the log, tests and the bench."""

    datagrams: int = 0
    applied: int = 0  # changes submitted
    malformed: int = 0  # datagrams that are not OSC, and patterns beyond the caps
    unknown: int = 0  # messages to addresses no parameter has
    rejected: int = 0  # messages with values their address cannot take
    refused: int = 0  # datagrams from senders outside the allow-list
    dropped: int = 0  # datagrams lost because the registry's queue was full
    dropped_messages: int = 0  # messages past MAX_MESSAGES in one datagram, unread


class RateLimitedWarnings:
    """At most one warning per key per interval; remembers a bounded number of keys."""

    def __init__(self, interval: float = WARN_EVERY_S, max_keys: int = 256) -> None:
        self.interval = interval
        self.max_keys = max_keys
        self._last: dict[str, float] = {}

    @property
    def remembered(self) -> int:
        """How many keys are remembered now (never more than `max_keys`)."""
        return len(self._last)

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            return False
        if last is None and len(self._last) >= self.max_keys:
            self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
            if len(self._last) >= self.max_keys:
                return False  # a flood of distinct keys: counted, not warned
        self._last[key] = now
        return True


def _shown(address: str, limit: int = 80) -> str:
    return address if len(address) <= limit else address[:limit] + "..."


def _address_of(name: str) -> str:
    """An allow-list entry as the IP address senders arrive from (names are looked up once)."""
    try:
        return socket.gethostbyname(name)
    except OSError:
        log.warning("OSC: cannot resolve %r in --osc-allow; it matches nothing", name)
        return name


def open_socket(host: str, port: int) -> socket.socket:
    """A bound UDP socket, or OscPortError with a message a performer can act on."""
    if not 0 <= port <= 65535:
        raise OscPortError(f"OSC port {port} is out of range (1..65535)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as err:
        raise OscPortError(f"OSC host {host!r} is not an address of this machine: {err}") from err
    family, _, _, _, sockaddr = infos[0]
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind(sockaddr)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise OscPortError(
                f"UDP port {port} on {host} is already in use (another performer, or a bridge "
                "such as TouchOSC's?): pick another with --osc-port"
            ) from err
        raise OscPortError(f"cannot listen for OSC on {host}:{port}: {err.strerror}") from err
    sock.settimeout(POLL_S)
    return sock


class OscServer:
    """Listens on `host:port` (port 0: any free port; see `.port`) and feeds the registry."""

    def __init__(
        self,
        registry: Registry,
        table: AddressTable,
        host: str = "127.0.0.1",
        port: int = 8000,
        allow: Collection[str] = (),
    ) -> None:
        quiet_python_osc()
        self.registry = registry
        self.table = table
        self.allow = frozenset(_address_of(name) for name in allow)
        self.counters = OscCounters()
        self.last_sender: tuple[str, int] | None = None
        self.warnings = RateLimitedWarnings()  # bounded, whatever a flood sends
        self._sock = open_socket(host, port)
        self.host, self.port = self._sock.getsockname()[:2]
        self._running = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._running.set()
        self._thread = threading.Thread(target=self._serve, name="performer-osc-in", daemon=True)
        self._thread.start()
        log.info("OSC: listening on %s:%d", self.host, self.port)

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self._sock.close()

    def _serve(self) -> None:
        while self._running.is_set():
            try:
                data, sender = self._sock.recvfrom(MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError as err:  # e.g. ICMP errors surfacing on the socket: keep listening
                if not self._running.is_set():
                    return
                log.debug("OSC receive error: %s", err)
                continue
            try:
                self.handle(data, (str(sender[0]), int(sender[1])))
            except Exception:  # never let one datagram end the listener
                self.counters.malformed += 1
                log.exception("OSC: a datagram could not be handled")

    def handle(self, data: bytes, sender: tuple[str, int]) -> None:
        """One datagram: decode, count, submit its changes as one batch."""
        counters = self.counters
        counters.datagrams += 1
        if self.allow and sender[0] not in self.allow:
            counters.refused += 1
            if self.warnings.allow("refused " + sender[0]):
                log.warning("OSC: ignoring %s (not in --osc-allow)", sender[0])
            return
        packet = decode_packet(self.table, data)
        if packet.malformed:
            counters.malformed += 1
            if self.warnings.allow("malformed " + sender[0]):
                log.warning("OSC: ignoring a datagram from %s that is not OSC", sender[0])
            return
        self.last_sender = sender
        if packet.refused:
            counters.malformed += len(packet.refused)
            if self.warnings.allow("pattern " + sender[0]):
                log.warning("OSC: ignoring the pattern %s from %s (more than %d wildcards or "
                            "%d characters)", _shown(packet.refused[0]), sender[0],
                            MAX_WILDCARDS, MAX_PATTERN_CHARS)
        if packet.excess:
            counters.dropped_messages += packet.excess
            if self.warnings.allow("excess " + sender[0]):
                log.warning("OSC: a bundle from %s holds more than %d messages: %d dropped",
                            sender[0], MAX_MESSAGES, packet.excess)
        for address in packet.unknown:
            counters.unknown += 1
            if self.warnings.allow("unknown " + address):
                log.warning("OSC: no parameter at %s (see the README's OSC table)",
                            _shown(address))
        for error in packet.errors:
            counters.rejected += 1
            text = str(error)
            if self.warnings.allow("bad " + text.split(":", 1)[0]):
                log.warning("OSC: %s", _shown(text, 160))
        if not packet.changes:
            return
        if self.registry.submit(packet.changes):
            counters.applied += len(packet.changes)
        else:
            counters.dropped += 1
            if self.warnings.allow("dropped"):
                log.warning("OSC: messages arrive faster than frames are made: dropping some")
