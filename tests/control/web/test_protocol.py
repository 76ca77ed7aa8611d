"""The OSCQuery WebSocket extension at protocol level, with a real WebSocket client:
LISTEN, IGNORE, PATH_CHANGED, values both ways, and refusals that leave the show running."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import aiohttp
import pytest

from performer.control.osc.listen import MAX_CONNECTIONS, MAX_MESSAGE_BYTES
from performer.control.osc.query import Namespace
from performer.control.osc.query_server import OscQueryServer
from performer.control.osc.routing import AddressTable
from performer.control.show import Show
from performer.control.web.service import WebService
from performer.controls import make_registry
from performer.params import Registry
from tests.control.web.wsclient import Client, osc
from tests.helpers import LAYERS, drains_to, wait_until

DEAD, RATE = "/performer/ablation/dead", "/performer/ablation/rate"


@pytest.fixture
def web() -> Iterator[WebService]:
    service = WebService(Show(make_registry(LAYERS)), "127.0.0.1", 0).start()
    yield service
    service.stop()


def url(service: WebService) -> str:
    return f"ws://127.0.0.1:{service.server.port}/ws"


def registry_of(service: WebService) -> Registry:
    return service.hub.namespace.registry


def test_listen_sends_the_value_then_every_change(web: WebService) -> None:
    registry = registry_of(web)
    registry.set("ablation.dead", 0.25)

    async def run() -> None:
        client = await Client.open(url(web))
        await client.command("LISTEN", DEAD)
        await client.read_until(lambda c: c.last(DEAD) is not None)
        assert client.last(DEAD) == pytest.approx(0.25)
        registry.set("ablation.dead", 0.75, "midi")
        await client.read_until(lambda c: c.last(DEAD) == pytest.approx(0.75))
        await client.command("LISTEN", "/performer/raw/ablation/layer")
        registry.set("ablation.layer", "block2")
        await client.read_until(lambda c: c.last("/performer/raw/ablation/layer") == "block2")
        await client.close()

    asyncio.run(run())


def test_ignore_stops_the_values_of_that_path(web: WebService) -> None:
    registry = registry_of(web)

    async def run() -> None:
        client = await Client.open(url(web))
        await client.command("LISTEN", DEAD)
        await client.command("LISTEN", RATE)
        await client.read_until(lambda c: c.last(RATE) is not None)
        await client.command("IGNORE", DEAD)
        await client.command("LISTEN", RATE)  # a round trip: IGNORE is handled before it
        await client.read_until(lambda c: len([a for a, _ in c.values if a == RATE]) == 2)
        before = len([a for a, _ in client.values if a == DEAD])
        registry.set("ablation.dead", 0.5)
        registry.set("ablation.rate", 100.0)  # the marker: it comes after dead's change
        await client.read_until(lambda c: c.last(RATE) == pytest.approx(
            registry.normalized("ablation.rate")))
        assert len([a for a, _ in client.values if a == DEAD]) == before
        await client.close()

    asyncio.run(run())


def test_binary_osc_from_a_client_sets_the_show(web: WebService) -> None:
    registry = registry_of(web)
    changes: list[str] = []
    registry.subscribe(lambda change: changes.append(change.source))

    async def run() -> None:
        client = await Client.open(url(web))
        await client.ws.send_bytes(osc(DEAD, 0.5))
        await client.ws.send_bytes(osc("/performer/raw/ablation/order", "random"))
        await asyncio.to_thread(wait_until, drains_to(registry, "ablation.dead", 0.5))
        await asyncio.to_thread(wait_until, drains_to(registry, "ablation.order", "random"))
        await client.close()

    asyncio.run(run())
    assert set(changes) == {"web"}


def test_a_changed_tree_is_announced_with_path_changed(web: WebService) -> None:
    registry = registry_of(web)

    async def run() -> None:
        client = await Client.open(url(web))
        await client.command("LISTEN", DEAD)
        await client.read_until(lambda c: c.last(DEAD) is not None)
        # What a show with another model would do: the same registry, fewer parameters.
        web.hub.namespace.table = AddressTable(
            [p for p in registry.params() if p.name != "drift.glide"])

        def changed(c: Client) -> set[str]:
            return {m["DATA"] for m in c.commands if m["COMMAND"] == "PATH_CHANGED"}

        await client.read_until(lambda c: len(changed(c)) == 2)
        assert changed(client) == {"/performer/drift/glide", "/performer/raw/drift/glide"}
        await client.close()

    asyncio.run(run())


@pytest.mark.parametrize(("send", "refusal"), [
    ("not json", "not JSON"),
    ('["LISTEN"]', "a command is"),
    ('{"COMMAND": "FORMAT_DISK", "DATA": "/"}', "unknown command"),
    ('{"COMMAND": "LISTEN", "DATA": 42}', "wants a path"),
    ('{"COMMAND": "LISTEN", "DATA": "/performer/nothing"}', "not a readable path"),
    ('{"COMMAND": "LISTEN", "DATA": "/performer/drift/new"}', "not a readable path"),
    (b"\x00\xff garbage", "must be an OSC message"),
    (osc(DEAD, "loud"), "expected a number"),
    (osc(DEAD, float("nan")), "is not a value"),
    (osc("/performer/nothing", 1.0), "unknown address"),
    (osc(DEAD, 1.0, 2.0), "expected one value"),
])
def test_bad_input_gets_a_clear_refusal_and_the_connection_goes_on(
    web: WebService, send: str | bytes, refusal: str,
) -> None:
    registry = registry_of(web)

    async def run() -> None:
        client = await Client.open(url(web))
        if isinstance(send, bytes):
            await client.ws.send_bytes(send)
        else:
            await client.ws.send_str(send)
        await client.read_until(lambda c: c.errors())
        assert refusal in client.errors()[0]
        await client.command("LISTEN", DEAD)  # still served
        await client.read_until(lambda c: c.last(DEAD) is not None)
        await client.close()

    asyncio.run(run())
    assert registry.value("ablation.dead") == 0.0


def test_a_huge_message_closes_that_connection_only(web: WebService) -> None:
    async def run() -> None:
        other = await Client.open(url(web))
        client = await Client.open(url(web))
        await client.ws.send_bytes(b"\x00" * (MAX_MESSAGE_BYTES + 1))
        message = await client.ws.receive(timeout=10)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert client.ws.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
        await other.command("LISTEN", DEAD)
        await other.read_until(lambda c: c.last(DEAD) is not None)
        await client.close()
        await other.close()

    asyncio.run(run())


def test_connections_beyond_the_limit_are_refused(web: WebService) -> None:
    async def run() -> None:
        clients = [await Client.open(url(web)) for _ in range(MAX_CONNECTIONS)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await Client.open(url(web))
        assert refused.value.status == 503
        await clients[0].close()
        await asyncio.sleep(0.2)
        late = await Client.open(url(web))  # a place came free
        for client in [*clients[1:], late]:
            await client.close()

    asyncio.run(run())


def test_the_oscquery_port_refuses_a_browser_from_another_site() -> None:
    registry = make_registry(LAYERS)
    query = OscQueryServer(Namespace(registry, AddressTable(registry.params())),
                           "127.0.0.1", 0, 8000)
    query.start()
    address = f"ws://127.0.0.1:{query.port}/"

    async def run() -> None:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await Client.open(address, Origin="http://evil.example")
        assert refused.value.status == 403
        native = await Client.open(address)  # no Origin: an OSCQuery host
        await native.command("LISTEN", DEAD)
        await native.read_until(lambda c: c.last(DEAD) is not None)
        registry.set("ablation.dead", 0.5)
        await native.read_until(lambda c: c.last(DEAD) == pytest.approx(0.5))
        await native.close()
        own = await Client.open(address, Origin=f"http://127.0.0.1:{query.port}")
        await own.close()

    try:
        asyncio.run(run())
    finally:
        query.stop()


def test_a_burst_of_changes_arrives_coalesced_ending_on_the_newest(web: WebService) -> None:
    """The engine's automation moves values every frame; a client gets the newest value at
    most once a refresh, not a backlog."""
    registry = registry_of(web)

    async def run() -> None:
        client = await Client.open(url(web))
        await client.command("LISTEN", DEAD)
        await client.read_until(lambda c: c.last(DEAD) is not None)
        for i in range(1, 1001):
            registry.set("ablation.dead", i / 1000, "engine")
        await client.read_until(lambda c: c.last(DEAD) == pytest.approx(1.0))
        assert len([a for a, _ in client.values if a == DEAD]) < 100
        await client.close()

    asyncio.run(run())


def test_a_malformed_websocket_frame_closes_that_connection_only(web: WebService) -> None:
    """Bytes that are not a WebSocket frame at all (no mask, reserved opcode)."""
    with socket.create_connection(("127.0.0.1", web.server.port), timeout=10) as raw:
        raw.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    b"Sec-WebSocket-Version: 13\r\n\r\n")
        assert raw.recv(4096).startswith(b"HTTP/1.1 101")
        raw.sendall(b"\xf3\x05hello" * 4)  # RSV bits set, opcode 3 (reserved), unmasked
        closed = b""
        while chunk := raw.recv(4096):  # the server ends it (a close frame, then EOF)
            closed += chunk
        assert closed[:1] == b"\x88"  # a close frame

    async def run() -> None:
        client = await Client.open(url(web))
        await client.command("LISTEN", DEAD)
        await client.read_until(lambda c: c.last(DEAD) is not None)
        await client.close()

    asyncio.run(run())
