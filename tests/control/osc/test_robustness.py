"""Hostile input on real UDP: random bytes, well-formed messages with wrong types, floods.
The listener stays up, values stay in range, memory stays bounded."""

from __future__ import annotations

import math
import random
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pythonosc.osc_message_builder import OscMessageBuilder

from performer.control.osc.routing import AddressTable
from performer.control.osc.server import OscServer
from performer.controls import make_registry
from performer.params import Kind, Registry
from tests.helpers import LAYERS, wait_for_osc_marker, wait_until

REGISTRY = make_registry(LAYERS)
TABLE = AddressTable(REGISTRY.params())
ADDRESSES = [route.address for route in TABLE.routes()]
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def listening() -> Iterator[tuple[OscServer, socket.socket]]:
    server = OscServer(REGISTRY, TABLE, "127.0.0.1", 0)
    server.start()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    yield server, sender
    sender.close()
    server.stop()


def in_range(registry: Registry) -> None:
    for param in registry.params():
        value = registry.value(param.name)
        assert param.coerce(value) == value, (param.name, value)
        if param.kind in (Kind.FLOAT, Kind.INT):
            assert param.minimum <= float(value) <= param.maximum  # type: ignore[arg-type]
            assert math.isfinite(float(value))  # type: ignore[arg-type]


# Random tails behind the openings the parser branches on: a bundle header, an address.
PREFIXES = st.sampled_from([
    b"", b"#bundle\x00",
    b"#bundle\x00" + bytes(8) + b"\x00\x00\x00\x10",
    b"/performer/ablation/dead\x00\x00\x00\x00,"])


def still_listening(server: OscServer, sender: socket.socket) -> None:
    """A good message after the bad ones is applied: the listener is alive."""
    before = server.counters.applied
    good = OscMessageBuilder("/performer/output/crossfade")
    good.add_arg(0.5)
    sender.sendto(good.build().dgram, ("127.0.0.1", server.port))
    wait_until(lambda: server.counters.applied > before)
    REGISTRY.drain()
    assert REGISTRY.value("output.crossfade") == 0.5


untyped = st.one_of(
    st.integers(-(2**31), 2**31 - 1),
    st.floats(width=32),  # sent as "f": NaN and infinities included
    # OSC strings end at the first NUL, so a NUL inside one cannot be built (python-osc's
    # builder re-parses what it built); stray NULs come with the random-bytes test.
    st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=40),
    st.binary(min_size=1, max_size=40),
    st.booleans(),
    st.none(),
    st.lists(st.integers(-5, 5), max_size=3),
)
osc_args = st.one_of(
    st.tuples(untyped, st.none()),
    st.tuples(st.floats(), st.just("d")),  # doubles, any magnitude
    st.tuples(st.integers(-(2**63), 2**63 - 1), st.just("h")),  # int64
)


@FUZZ
@given(datagrams=st.lists(st.builds(bytes.__add__, PREFIXES, st.binary(max_size=200)),
                          min_size=1, max_size=20))
def test_random_bytes(listening: tuple[OscServer, socket.socket],
                      datagrams: list[bytes]) -> None:
    server, sender = listening
    sent = server.counters.datagrams
    for data in datagrams:
        sender.sendto(data, ("127.0.0.1", server.port))
    wait_until(lambda: server.counters.datagrams >= sent + len(datagrams))
    REGISTRY.drain()
    in_range(REGISTRY)


@FUZZ
@given(messages=st.lists(st.tuples(st.sampled_from(ADDRESSES), st.lists(osc_args, max_size=3)),
                         min_size=1, max_size=20),
       flips=st.lists(st.integers(0, 10_000), max_size=3))
def test_well_formed_messages_with_wrong_types(
    listening: tuple[OscServer, socket.socket],
    messages: list[tuple[str, list[tuple[object, str | None]]]], flips: list[int],
) -> None:
    server, sender = listening
    sent = server.counters.datagrams
    for address, args in messages:
        builder = OscMessageBuilder(address)
        for arg, arg_type in args:
            builder.add_arg(arg, arg_type)  # type: ignore[arg-type]
        data = bytearray(builder.build().dgram)
        for flip in flips:  # and some with a corrupted byte
            data[flip % len(data)] ^= 0xFF
        sender.sendto(bytes(data), ("127.0.0.1", server.port))
    wait_until(lambda: server.counters.datagrams >= sent + len(messages))
    REGISTRY.drain()
    in_range(REGISTRY)


def test_after_the_fuzz_the_listener_still_works(
    listening: tuple[OscServer, socket.socket]
) -> None:
    still_listening(*listening)


def test_a_flood_is_bounded_and_survived() -> None:
    """20,000 messages as fast as one core sends them, while frames drain at 60 Hz."""
    registry = Registry(REGISTRY.params(), queue_size=256)
    server = OscServer(registry, TABLE, "127.0.0.1", 0)
    server.start()
    frames = threading.Event()

    def frame_loop() -> None:  # what the engine does: one drain per frame
        while not frames.is_set():
            registry.snapshot()
            time.sleep(1 / 60)

    drainer = threading.Thread(target=frame_loop, daemon=True)
    drainer.start()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rng = random.Random(3)
    messages = []
    for i in range(20_000):
        if i % 4 == 3:  # distinct unknown addresses: warnings must not grow without bound
            builder = OscMessageBuilder(f"/performer/nowhere/{i}")
        else:
            builder = OscMessageBuilder("/performer/ablation/dead")
        builder.add_arg(rng.random())
        messages.append(builder.build().dgram)
    try:
        for data in messages:
            sender.sendto(data, ("127.0.0.1", server.port))
        markers = wait_for_osc_marker(server, sender, registry)  # all before it was read
        counters = server.counters
        # the marker's own count may land just after its value: wait for the books to close
        wait_until(lambda: counters.applied + counters.dropped + counters.unknown
                   == counters.datagrams)
        # the kernel may drop what the listener cannot read in time; nothing else is lost
        assert counters.datagrams <= len(messages) + markers
        assert counters.dropped == registry.dropped
        assert server.warnings.remembered <= server.warnings.max_keys
        sender.sendto(messages[0], ("127.0.0.1", server.port))
        handled = counters.datagrams
        wait_until(lambda: server.counters.datagrams > handled)
        in_range(registry)
    finally:
        frames.set()
        drainer.join()
        sender.close()
        server.stop()
