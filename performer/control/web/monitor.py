"""The console's monitor stream: preview pictures, the neural memory map and the status.

One WebSocket per console (`/monitor`). The server sends text messages with the status
(a few times a second: display and generator fps, generator ms, living neurons, outputs,
the last warnings, and the map when it changed) and binary messages that are JPEG
preview pictures. Each console gets the newest of each, never a queue.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import WSMsgType, web

from performer.control.show import Show
from performer.control.web.preview import PreviewOutput
from performer.control.web.recent import RecentWarnings
from performer.frame import Frame

log = logging.getLogger(__name__)

STATUS_INTERVAL_S = 0.25
MAX_CLIENTS = 16


def neuron_map(frame: Frame) -> dict[str, Any]:
    """The map as the page draws it: one bit per neuron in layer order, and the layers."""
    neurons = frame.neurons
    bits = np.packbits(neurons.alive.astype(np.uint8))
    return {"bits": base64.b64encode(bits.tobytes()).decode(), "total": neurons.total,
            "layers": [{"name": n, "size": s}
                       for n, s in zip(neurons.layer_names, neurons.layer_sizes, strict=True)]}


def status(show: Show, preview: PreviewOutput, warnings: RecentWarnings) -> dict[str, Any]:
    """Everything the status panel shows, from the newest frame and the live loop."""
    frame = show.latest_frame()
    outputs = [{"name": o.name, "fps": round(o.fps, 1), "sent": o.sent, "dropped": o.dropped,
                "failed": o.failed} for o in show.output_figures()]
    figures: dict[str, Any] = {"display_fps": round(show.display_fps(), 1), "outputs": outputs,
                               "warnings": warnings.latest(), "preview_pictures": preview.sent}
    if frame is not None:
        figures.update(frame=frame.index, generator_fps=round(frame.figures.fps, 1),
                       generator_ms=round(frame.figures.generator_ms, 2),
                       alive=frame.neurons.alive_count, neurons=frame.neurons.total)
    return figures


@dataclass(eq=False)
class Viewer:
    """One console's monitor connection: the newest status and picture it has not had."""

    ws: web.WebSocketResponse
    text: str | None = None
    picture_sent: int = -1
    had_map: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Monitor:
    """Serves `/monitor` on the console's loop; `picture_ready` may be called from any
    thread (through the server's call_soon)."""

    def __init__(self, show: Show, preview: PreviewOutput, warnings: RecentWarnings) -> None:
        self.show = show
        self.preview = preview
        self.warnings = warnings
        self.viewers: set[Viewer] = set()
        self._task: asyncio.Task[None] | None = None
        self._map_key: bytes | None = None

    async def start(self, _app: web.Application | None = None) -> None:
        self._task = asyncio.create_task(self._publish())

    async def stop(self, _app: web.Application | None = None) -> None:
        if self._task is not None:
            self._task.cancel()
        for viewer in list(self.viewers):
            await viewer.ws.close()

    def picture_ready(self) -> None:
        for viewer in self.viewers:
            viewer.wake.set()

    async def _publish(self) -> None:
        while True:
            await asyncio.sleep(STATUS_INTERVAL_S)
            if not self.viewers:
                continue
            try:
                message = status(self.show, self.preview, self.warnings)
                frame = self.show.latest_frame()
                fresh_map = None
                if frame is not None:
                    key = frame.neurons.alive.tobytes()
                    if key != self._map_key:
                        self._map_key, fresh_map = key, neuron_map(frame)
            except Exception:  # the status is decoration: the stream goes on
                log.exception("console: reading the status failed")
                continue
            for viewer in self.viewers:
                payload = dict(message)
                if frame is not None and (fresh_map is not None or not viewer.had_map):
                    fresh_map = fresh_map or neuron_map(frame)
                    payload["map"], viewer.had_map = fresh_map, True
                viewer.text = json.dumps(payload)
                viewer.wake.set()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if len(self.viewers) >= MAX_CLIENTS:
            return web.Response(status=503, text=f"refused: {MAX_CLIENTS} monitors already "
                                                 "open\n")
        ws = web.WebSocketResponse(max_msg_size=1024, heartbeat=20.0)
        await ws.prepare(request)
        viewer = Viewer(ws)
        self.viewers.add(viewer)
        self.preview.wanted = True
        viewer.wake.set()
        sender = asyncio.create_task(self._send(viewer))
        try:
            async for message in ws:  # the page sends nothing; anything it does is ignored
                if message.type is WSMsgType.ERROR:
                    break
        finally:
            self.viewers.discard(viewer)
            self.preview.wanted = bool(self.viewers)
            sender.cancel()
        return ws

    async def _send(self, viewer: Viewer) -> None:
        while not viewer.ws.closed:
            await viewer.wake.wait()
            viewer.wake.clear()
            text, viewer.text = viewer.text, None
            if text is not None:
                await viewer.ws.send_str(text)
            picture = self.preview.latest()
            if picture is not None and picture.index != viewer.picture_sent:
                viewer.picture_sent = picture.index
                await viewer.ws.send_bytes(picture.jpeg)
