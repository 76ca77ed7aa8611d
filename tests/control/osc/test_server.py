"""The listener on real UDP sockets: messages reach the registry and the next frame."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient

from performer.control.osc.routing import MAX_MESSAGES, AddressTable
from performer.control.osc.server import OscPortError, OscServer, RateLimitedWarnings
from performer.controls import make_registry
from performer.engine.ablation import dead_count
from performer.params import ParamChange, Registry
from tests.helpers import LAYERS, wait_until


class BatchRecorder(Registry):
    """A real registry that also keeps each batch submitted to it, as it was submitted."""

    def __init__(self, registry: Registry) -> None:
        super().__init__(registry.params())
        self.batches: list[tuple[ParamChange, ...]] = []

    def submit(self, changes: ParamChange | Sequence[ParamChange]) -> bool:
        self.batches.append((changes,) if isinstance(changes, ParamChange) else tuple(changes))
        return super().submit(changes)


@pytest.fixture
def serve() -> Iterator[Callable[..., OscServer]]:
    started: list[OscServer] = []

    def make(registry: Registry, **kwargs: object) -> OscServer:
        server = OscServer(registry, AddressTable(registry.params()), "127.0.0.1", 0,
                           **kwargs)  # type: ignore[arg-type]
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def test_a_client_moves_ablation_dead_and_the_next_frame_shows_it(
    engine_factory: Callable[..., object], serve: Callable[..., OscServer],
    client_for: Callable[[int], SimpleUDPClient],
) -> None:
    engine = engine_factory()
    registry = engine.registry  # type: ignore[attr-defined]
    server = serve(registry)
    before = engine.step()  # type: ignore[attr-defined]
    assert before.neurons.alive_count == before.neurons.total

    client_for(server.port).send_message("/performer/ablation/dead", 0.5)
    wait_until(lambda: server.counters.applied == 1)
    assert registry.value("ablation.dead") == 0.0  # queued: applied at the next frame
    after = engine.step()  # type: ignore[attr-defined]
    assert registry.value("ablation.dead") == 0.5
    assert after.neurons.alive_count == after.neurons.total - dead_count(0.5, after.neurons.total)
    difference = np.abs(after.image.astype(int) - before.image.astype(int)).mean()
    assert difference > 1.0, "half the neurons dead must change the picture"


def test_a_bundle_lands_in_one_frame(
    serve: Callable[..., OscServer], client_for: Callable[[int], SimpleUDPClient]
) -> None:
    registry = make_registry(LAYERS)
    server = serve(registry)
    seen: list[str] = []
    registry.subscribe(lambda change: seen.append(change.name))
    builder = OscBundleBuilder(IMMEDIATELY)
    for address, value in (("/performer/ablation/layer", "block2"),
                           ("/performer/ablation/dead", 0.75),
                           ("/performer/drift/speed", 1.0)):
        message = OscMessageBuilder(address)
        message.add_arg(value)
        builder.add_content(message.build())  # type: ignore[arg-type]
    client_for(server.port).send(builder.build())
    wait_until(lambda: server.counters.applied == 3)
    assert seen == []
    snapshot = registry.snapshot()  # what the engine reads at the start of a frame
    assert (snapshot["ablation.layer"], snapshot["ablation.dead"], snapshot["drift.speed"]) == (
        "block2", 0.75, 2.0)
    assert seen == ["ablation.layer", "ablation.dead", "drift.speed"]


def test_messages_keep_their_order(
    serve: Callable[..., OscServer], client_for: Callable[[int], SimpleUDPClient]
) -> None:
    registry = make_registry(LAYERS)
    server = serve(registry)
    client = client_for(server.port)
    for i in range(200):
        client.send_message("/performer/raw/ablation/seed", i)
    wait_until(lambda: server.counters.applied == 200)
    seeds: list[int] = []
    registry.subscribe(lambda change: seeds.append(int(change.value)))  # type: ignore[call-overload]
    registry.drain()
    assert seeds == list(range(1, 200))  # seed 0 is the default, so it is no change
    assert registry.value("ablation.seed") == 199


def test_bad_input_is_counted_and_warned_once_per_address(
    serve: Callable[..., OscServer], client_for: Callable[[int], SimpleUDPClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = make_registry(LAYERS)
    server = serve(registry)
    client = client_for(server.port)
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with caplog.at_level(logging.WARNING, logger="performer.control.osc.server"):
        for _ in range(20):
            client.send_message("/performer/nothing/here", 1.0)
            client.send_message("/performer/ablation/dead", float("nan"))
            client.send_message("/performer/ablation/dead", "lots")
            raw.sendto(b"\xff\xfe not osc at all", ("127.0.0.1", server.port))
        client.send_message("/performer/ablation/dead", 2.0)  # clamped to 1
        wait_until(lambda: server.counters.applied == 1)
    raw.close()
    counters = server.counters
    assert (counters.unknown, counters.rejected, counters.malformed) == (20, 40, 20)
    warnings = [r.getMessage() for r in caplog.records]
    assert sum("/performer/nothing/here" in w for w in warnings) == 1
    assert sum("not OSC" in w for w in warnings) == 1
    assert sum("ablation/dead" in w for w in warnings) == 1  # one per address, any error
    registry.drain()
    assert registry.value("ablation.dead") == 1.0


def test_a_hostile_pattern_is_refused_counted_and_warned_once(
    serve: Callable[..., OscServer], client_for: Callable[[int], SimpleUDPClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`/` + 19 stars + `/zz` (32 bytes) held python-osc's regex, and the GIL, for seconds."""
    registry = make_registry(LAYERS)
    server = serve(registry)
    client = client_for(server.port)
    with caplog.at_level(logging.WARNING, logger="performer.control.osc.server"):
        for _ in range(5):
            client.send_message("/" + "*" * 19 + "/zz", 1.0)
        client.send_message("/performer/ablation/dead", 0.5)
        wait_until(lambda: server.counters.applied == 1)
    assert server.counters.malformed == 5 and server.counters.unknown == 0
    assert sum("ignoring the pattern" in r.getMessage() for r in caplog.records) == 1


def test_a_full_bundle_of_patterns_is_one_change_per_parameter(
    serve: Callable[..., OscServer], client_for: Callable[[int], SimpleUDPClient]
) -> None:
    """3,000 `/*/*/*` in 60 kB became 63,000 changes for one frame to apply."""
    registry = BatchRecorder(make_registry(LAYERS))
    server = serve(registry)
    builder = OscBundleBuilder(IMMEDIATELY)
    for i in range(3000):
        message = OscMessageBuilder("/*/*/*")
        message.add_arg(i % 2)
        builder.add_content(message.build())  # type: ignore[arg-type]
    client_for(server.port).send(builder.build())
    wait_until(lambda: server.counters.dropped_messages == 3000 - MAX_MESSAGES)
    wait_until(lambda: server.counters.applied > 0)
    (batch,) = registry.batches
    assert len(batch) == server.counters.applied <= len(registry.params())
    assert len({change.name for change in batch}) == len(batch)


def test_warnings_repeat_after_the_interval_and_stay_bounded() -> None:
    warnings = RateLimitedWarnings(interval=10.0, max_keys=3)
    assert warnings.allow("/a", now=0.0) and not warnings.allow("/a", now=9.9)
    assert warnings.allow("/a", now=10.0)
    assert warnings.allow("/b", now=10.0) and warnings.allow("/c", now=10.0)
    assert not warnings.allow("/d", now=11.0)  # full: counted elsewhere, not remembered
    assert warnings.allow("/d", now=30.0)  # old keys expired and were forgotten


def test_the_allow_list_refuses_other_senders(
    serve: Callable[..., OscServer], client_for: Callable[[int], SimpleUDPClient]
) -> None:
    registry = make_registry(LAYERS)
    server = serve(registry, allow=["192.0.2.7"])
    client_for(server.port).send_message("/performer/ablation/dead", 0.5)
    wait_until(lambda: server.counters.refused == 1)
    assert server.counters.applied == 0
    allowed = serve(registry, allow=["127.0.0.1"])
    client_for(allowed.port).send_message("/performer/ablation/dead", 0.5)
    wait_until(lambda: allowed.counters.applied == 1)


def test_a_port_in_use_is_one_clear_error() -> None:
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    registry = make_registry(LAYERS)
    with pytest.raises(OscPortError, match=f"UDP port {port} on 127.0.0.1 is already in use"):
        OscServer(registry, AddressTable(registry.params()), "127.0.0.1", port)
    taken.close()
    with pytest.raises(OscPortError, match="out of range"):
        OscServer(registry, AddressTable(registry.params()), "127.0.0.1", 70000)
    with pytest.raises(OscPortError, match="not an address"):
        OscServer(registry, AddressTable(registry.params()), "no-such-host.invalid", 0)


def test_a_full_queue_drops_datagrams_and_counts_them(
    serve: Callable[..., OscServer], client_for: Callable[[int], SimpleUDPClient]
) -> None:
    registry = Registry(make_registry(LAYERS).params(), queue_size=8)
    server = serve(registry)
    client = client_for(server.port)
    for i in range(50):  # nobody drains: no frames are being made
        client.send_message("/performer/raw/drift/seed", i)
    wait_until(lambda: server.counters.applied + server.counters.dropped * 1 >= 50)
    assert server.counters.applied == 8 and server.counters.dropped == 42
    assert registry.dropped == 42
    registry.drain()
    assert registry.value("drift.seed") == 7
    client.send_message("/performer/raw/drift/seed", 99)  # room again: accepted
    wait_until(lambda: server.counters.applied == 9)
