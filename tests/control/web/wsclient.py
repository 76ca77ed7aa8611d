"""A WebSocket client for protocol tests: aiohttp's, driven from plain test functions."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_packet import OscPacket

from tests.helpers import TIMEOUT_S


def osc(address: str, *args: object) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return bytes(builder.build().dgram)


class Client:
    """One connection; `received` keeps every OSC message and JSON command that came."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: aiohttp.ClientSession):
        self.ws = ws
        self.session = session
        self.values: list[tuple[str, list[Any]]] = []
        self.commands: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, url: str, **headers: str) -> Client:
        session = aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(url, headers=headers)
        except BaseException:
            await session.close()
            raise
        return cls(ws, session)

    async def command(self, name: str, data: object) -> None:
        await self.ws.send_str(json.dumps({"COMMAND": name, "DATA": data}))

    async def read_until(self, done: Any, timeout: float = TIMEOUT_S) -> None:
        """Read messages until `done(self)` holds; TimeoutError after `timeout` s."""
        async with asyncio.timeout(timeout):
            while not done(self):
                message = await self.ws.receive()
                if message.type is aiohttp.WSMsgType.BINARY:
                    for timed in OscPacket(message.data).messages:
                        self.values.append((timed.message.address, list(timed.message.params)))
                elif message.type is aiohttp.WSMsgType.TEXT:
                    self.commands.append(json.loads(message.data))
                else:
                    return

    def last(self, address: str) -> Any:
        found = [args[0] for a, args in self.values if a == address]
        return found[-1] if found else None

    def errors(self) -> list[str]:
        return [c["DATA"] for c in self.commands if c.get("COMMAND") == "ERROR"]

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()
