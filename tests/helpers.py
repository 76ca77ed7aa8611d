"""Shared test helpers: the built-in model's layer names, and waiting.

Waiting: one poll loop, so every test waits, and gives up, the same way.

Threads (listeners, workers, child processes) make things true a little later; a test
polls for them. The timeout only guards against a hang: a passing test never waits it
out, so it is generous. A test that must show something did *not* happen does not wait
for it to fail to happen: it sends a marker after it and waits for the marker instead.
"""

from __future__ import annotations

import inspect
import socket
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from performer.params import Registry

if TYPE_CHECKING:
    from performer.control.osc.server import OscServer
    from performer.models.base import AblatableGenerator

TIMEOUT_S = 15.0
INTERVAL_S = 0.005
MARKER_RESEND_S = 0.5
LAYERS = ("block0", "block1", "block2", "block3")  # the built-in model's layers


def layer_names(model: AblatableGenerator) -> list[str]:
    return [layer.name for layer in model.layers]


def wait_until(condition: Callable[[], object], timeout: float = TIMEOUT_S,
               interval: float = INTERVAL_S, what: str | None = None) -> None:
    """Return as soon as `condition()` is true; raise AssertionError after `timeout` s.

    The message names `what` was awaited (by default the condition's source line).
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            awaited = what or describe(condition)
            raise AssertionError(f"gave up after {timeout:g} s waiting for {awaited}")
        time.sleep(interval)


def describe(condition: Callable[..., object]) -> str:
    """A condition as a failure message shows it: its name, or a lambda's source line."""
    name = getattr(condition, "__qualname__", repr(condition))
    if "<lambda>" not in name:
        return name
    try:
        return inspect.getsource(condition).strip()
    except (OSError, TypeError):
        return name


def drains_to(registry: Registry, name: str, value: object) -> Callable[[], bool]:
    """A condition for `wait_until`: once the registry has applied what listeners
    submitted, `name` equals `value` (which may be a `pytest.approx`)."""

    def check() -> bool:
        registry.drain()
        return bool(registry.value(name) == value)

    check.__qualname__ = f"{name} == {value!r}"
    return check


def wait_for_osc_marker(server: OscServer, sender: socket.socket, registry: Registry,
                        name: str = "output.crossfade", timeout: float = 20.0) -> int:
    """Return once the OSC listener has handled every datagram `sender` sent before.

    After a flood nobody knows how many datagrams the kernel dropped, so nobody knows how
    many to wait for. Instead a marker (a new value of `name`, a parameter the test leaves
    alone) follows them on the same socket; loopback UDP keeps one socket's order, so once
    the marker's value is applied, all before it was handled. A marker the kernel or a
    full registry queue dropped is sent again, with a new value. Returns how many markers
    were sent (the listener counts them as datagrams too).
    """
    from pythonosc.osc_message_builder import OscMessageBuilder

    from performer.control.osc.routing import address_of

    param = registry.param(name)
    deadline = time.monotonic() + timeout
    for attempt in range(1, 1024):
        wanted = param.minimum + (param.maximum - param.minimum) * attempt / 1024
        marker = param.coerce(struct.unpack(">f", struct.pack(">f", wanted))[0])  # as sent
        builder = OscMessageBuilder(address_of(name, raw=True))
        builder.add_arg(float(marker), "f")
        sender.sendto(builder.build().dgram, (server.host, server.port))
        resend_at = min(time.monotonic() + MARKER_RESEND_S, deadline)
        while time.monotonic() < resend_at:
            registry.drain()
            if registry.value(name) == marker:
                return attempt
            time.sleep(INTERVAL_S)
        if time.monotonic() >= deadline:
            break
    raise AssertionError(f"the OSC listener on port {server.port} never handled a marker")
