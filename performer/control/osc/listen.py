"""The OSCQuery WebSocket extension: live values for the paths a client LISTENs to.

Follows the proposal's bi-directional part. A client opens a WebSocket on the OSCQuery
port and sends text commands, `{"COMMAND": "LISTEN", "DATA": "/performer/ablation/dead"}`
or `IGNORE`; values of the listened paths come back as binary OSC packets, in the same
terms as the path's `VALUE`. Binary OSC packets a client sends are applied like UDP OSC
(one packet is one batch). When the tree itself changes, every client gets
`{"COMMAND": "PATH_CHANGED", "DATA": path}` and may read the path again.

Values are coalesced per path: a client that reads slowly gets the newest value of each
path, never a backlog. Anything a client sends that cannot be used is answered with
`{"COMMAND": "ERROR", "DATA": "<what was wrong>"}` (an extension clients may ignore); the
connection and the show go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import WSMsgType, web
from pythonosc.osc_message_builder import OscMessageBuilder

from performer.control.osc.query import Namespace, Node
from performer.control.osc.routing import Route, address_of, decode_packet, route_value
from performer.params import ParamChange, Value

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 16
MAX_MESSAGE_BYTES = 64 * 1024  # a WebSocket message larger than this closes the connection
PUBLISH_INTERVAL_S = 1 / 60  # changes go out at most once a 60 Hz refresh (newest wins)
STATE_INTERVAL_S = 0.1  # how often listened state paths (fps, living neurons) are read
TREE_INTERVAL_S = 1.0  # how often the tree is compared for PATH_CHANGED
READABLE = (1, 3)


def value_message(route: Route, value: Value) -> bytes | None:
    """The binary OSC message carrying `value` for a route, as its node's VALUE says it."""
    arg = route_value(route, value)
    return None if arg is None else _message(route.address, arg)


def _message(address: str, arg: float | int | str) -> bytes:
    builder = OscMessageBuilder(address)
    builder.add_arg(arg)
    return bytes(builder.build().dgram)


def command(name: str, data: object) -> str:
    return json.dumps({"COMMAND": name, "DATA": data})


def shape(tree: Node) -> dict[str, Node]:
    """Every node by path with its attributes but VALUE and CONTENTS: what PATH_CHANGED is
    about (a value changing is not a path changing)."""
    nodes: dict[str, Node] = {}

    def walk(node: Node) -> None:
        nodes[node["FULL_PATH"]] = {k: v for k, v in node.items()
                                    if k not in ("VALUE", "CONTENTS")}
        for child in node.get("CONTENTS", {}).values():
            walk(child)

    walk(tree)
    return nodes


def changed_paths(old: dict[str, Node], new: dict[str, Node]) -> list[str]:
    """Paths added, removed or described differently, parents before children."""
    return sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))


@dataclass(eq=False)
class Client:
    """One WebSocket connection: what it listens to and the values waiting to be sent."""

    ws: web.WebSocketResponse
    listening: set[str] = field(default_factory=set)
    waiting: dict[str, bytes | str] = field(default_factory=dict)  # path -> newest message
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    errors: int = 0

    def offer(self, key: str, message: bytes | str) -> None:
        self.waiting[key] = message
        self.wake.set()

    async def send_waiting(self) -> None:
        while not self.ws.closed:
            await self.wake.wait()
            self.wake.clear()
            batch, self.waiting = self.waiting, {}
            for message in batch.values():
                if self.ws.closed:
                    return
                if isinstance(message, str):
                    await self.ws.send_str(message)
                else:
                    await self.ws.send_bytes(message)


class ListenHub:
    """The WebSocket side of one OSCQuery namespace. `source` tags the changes clients make
    (what MIDI learn and the show log see). Runs on one asyncio loop; `changed` (the
    registry listener) may be called from any thread."""

    def __init__(self, namespace: Namespace, source: str,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.namespace = namespace
        self.source = source
        self.max_connections = max_connections
        self.clients: set[Client] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changes: dict[str, Value] = {}
        self._changes_lock = threading.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._state_sent: dict[str, float | int] = {}
        self._published_at = -PUBLISH_INTERVAL_S
        self._shape: dict[str, Node] = {}

    # --- lifetime (aiohttp on_startup / on_cleanup) ----------------------------------
    async def start(self, _app: web.Application | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._shape = shape(self.namespace.tree())
        self._unsubscribe = self.namespace.registry.subscribe(self.changed)
        self._tasks = [asyncio.create_task(self._every(STATE_INTERVAL_S, self._publish_state)),
                       asyncio.create_task(self._every(TREE_INTERVAL_S, self._check_tree))]

    async def stop(self, _app: web.Application | None = None) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in self._tasks:
            task.cancel()
        for client in list(self.clients):
            await client.ws.close()

    # --- values out -------------------------------------------------------------------
    def changed(self, change: ParamChange) -> None:
        """A registry listener: note the value, wake the loop once for many changes."""
        loop = self._loop
        if loop is None or not self.clients:
            return
        with self._changes_lock:
            first = not self._changes
            self._changes[change.name] = change.value
        if first:
            with contextlib.suppress(RuntimeError):  # the loop closed: the server stopped
                loop.call_soon_threadsafe(self._publish_soon)

    def _publish_soon(self) -> None:
        """Publish now, or one interval after the last time: the engine's automation
        changes values every frame (hundreds a second) and a screen shows 60."""
        assert self._loop is not None
        when = max(self._loop.time(), self._published_at + PUBLISH_INTERVAL_S)
        self._published_at = when
        self._loop.call_at(when, self._publish_changes)

    def _publish_changes(self) -> None:
        with self._changes_lock:
            changes, self._changes = self._changes, {}
        table = self.namespace.table
        for name, value in changes.items():
            for raw in (False, True):
                route = table.route(address_of(name, raw))
                if route is None:
                    continue
                listeners = [c for c in self.clients if route.address in c.listening]
                message = value_message(route, value) if listeners else None
                if message is None:
                    continue
                for client in listeners:
                    client.offer(route.address, message)

    async def _every(self, seconds: float, job: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                job()
            except Exception:  # a failing reader must not end the publishing
                log.exception("OSCQuery: publishing failed")

    def _publish_state(self) -> None:
        state = self.namespace.state
        wanted = {p for c in self.clients for p in c.listening}
        if state is None or not wanted.intersection(n.address for n in state.nodes):
            return
        for address, value in state.read().items():
            if address in wanted and self._state_sent.get(address) != value:
                self._state_sent[address] = value
                message = _message(address, value)
                for client in self.clients:
                    if address in client.listening:
                        client.offer(address, message)

    def _check_tree(self) -> None:
        new = shape(self.namespace.tree())
        paths = changed_paths(self._shape, new)
        self._shape = new
        for path in paths:
            for client in self.clients:
                client.offer(f"PATH_CHANGED {path}", command("PATH_CHANGED", path))

    # --- a connection -----------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        if len(self.clients) >= self.max_connections:
            return web.Response(status=503, text=f"refused: {self.max_connections} "
                                                 "connections already open\n")
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, heartbeat=20.0)
        await ws.prepare(request)
        client = Client(ws)
        self.clients.add(client)
        sender = asyncio.create_task(client.send_waiting())
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    self._command(client, message.data)
                elif message.type is WSMsgType.BINARY:
                    self._packet(client, message.data)
        finally:
            self.clients.discard(client)
            sender.cancel()
        return ws

    def _refuse(self, client: Client, text: str) -> None:
        client.errors += 1
        if client.errors == 1:  # one line per connection, however much it sends
            log.info("OSCQuery WebSocket: %s", text)
        client.offer(f"ERROR {client.errors}", command("ERROR", text))

    def _command(self, client: Client, text: str) -> None:
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            self._refuse(client, f"not JSON: {text[:60]!r}")
            return
        if not isinstance(parsed, dict) or not isinstance(parsed.get("COMMAND"), str):
            self._refuse(client, "a command is {\"COMMAND\": ..., \"DATA\": ...}")
            return
        name, path = parsed["COMMAND"], parsed.get("DATA")
        if name not in ("LISTEN", "IGNORE"):
            self._refuse(client, f"unknown command {name[:40]!r} (LISTEN and IGNORE are known)")
            return
        if not isinstance(path, str):
            self._refuse(client, f"{name} wants a path as DATA")
            return
        if name == "IGNORE":
            client.listening.discard(path)
            return
        node = self._shape.get(path)  # the tree as last checked: not rebuilt per LISTEN
        if node is None or node.get("ACCESS") not in READABLE:
            self._refuse(client, f"{path[:80]!r} is not a readable path")
            return
        client.listening.add(path)
        self._send_current(client, path)

    def _send_current(self, client: Client, path: str) -> None:
        """A new listener gets the value as it stands, so it never shows a stale one."""
        route = self.namespace.table.route(path)
        if route is not None:
            message = value_message(route, self.namespace.registry.value(route.param.name))
        else:
            state = self.namespace.state
            value = state.read().get(path) if state is not None else None
            message = _message(path, value) if value is not None else None
        if message is not None:
            client.offer(path, message)

    def _packet(self, client: Client, data: bytes) -> None:
        decoded = decode_packet(self.namespace.table, data)
        if decoded.malformed:
            self._refuse(client, "a binary message must be an OSC message or bundle")
            return
        problems = [str(e) for e in decoded.errors]
        problems += [f"{a[:80]}: unknown address" for a in decoded.unknown]
        problems += [f"{a[:80]}: pattern refused" for a in decoded.refused]
        if decoded.changes:
            changes = [replace(c, source=self.source) for c in decoded.changes]
            if not self.namespace.registry.submit(changes):
                problems.append("the show is busy: changes dropped")
        for problem in problems[:8]:
            self._refuse(client, problem)

