"""The OSCQuery server: the tree over HTTP (query.py) and the LISTEN WebSocket (listen.py)
on one port, served by aiohttp on its own thread (`control/http`)."""

from __future__ import annotations

import logging

from aiohttp import web

from performer.control.http.guard import Guard
from performer.control.http.server import HttpServer, HttpServerError, bind
from performer.control.osc.listen import ListenHub
from performer.control.osc.query import Namespace, answer
from performer.control.osc.routing import SOURCE

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S = 5.0  # an HTTP connection that sends nothing is closed
MAX_REQUEST_BYTES = 16 * 1024  # GETs carry no body


class OscQueryError(OSError):
    """The HTTP port cannot be opened."""


class OscQueryServer:
    """The HTTP and WebSocket side, on its own thread (aiohttp); `.port` is the bound port
    (0 asks for any). A WebSocket upgrade on any path is the LISTEN extension (listen.py);
    a browser's WebSocket from a foreign Origin is refused (`control/http/guard.py`)."""

    def __init__(self, namespace: Namespace, host: str, port: int, osc_port: int,
                 idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        self.namespace = namespace
        self.osc_port = osc_port
        self.osc_host = host
        self.hub = ListenHub(namespace, SOURCE)
        self._guard = Guard(host, check_host=False)
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_get("/{path:.*}", self._get)
        app.on_startup.append(self.hub.start)
        app.on_shutdown.append(self.hub.stop)
        try:
            sock = bind(host, port, "--oscquery-port")
        except HttpServerError as err:
            raise OscQueryError(str(err)) from err
        self._http = HttpServer(app, sock, "oscquery", keepalive_timeout=idle_timeout)
        self.port = self._http.port

    async def _get(self, request: web.Request) -> web.StreamResponse:
        refused = self._guard.refusal(request, browser_only=True)
        if refused is not None:
            return refused
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.hub.handle(request)
        status, body = answer(self.namespace, request.path_qs, self.osc_host, self.osc_port)
        headers = {"Access-Control-Allow-Origin": "*"}  # read-only: browser clients may read
        if body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)

    def start(self) -> None:
        self._http.start()
        log.info("OSCQuery: http://%s:%d/", self.osc_host, self.port)

    def stop(self) -> None:
        self._http.stop()
