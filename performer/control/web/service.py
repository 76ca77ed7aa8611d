"""The web console of a live show: the page, the OSCQuery WebSocket it speaks, the monitor.

`performer run` serves it at http://127.0.0.1:8002/. On a network address it asks for a
token (printed once at start, in a URL that carries it). A port in use is one line and the
show goes on without the console.
"""

from __future__ import annotations

import argparse
import logging
import mimetypes
import secrets
from collections.abc import Awaitable, Callable
from importlib import resources

from aiohttp import web

from performer.control.http.guard import Guard, is_loopback, middleware
from performer.control.http.server import HttpServer, bind, local_address
from performer.control.osc.listen import ListenHub
from performer.control.osc.query import Namespace
from performer.control.osc.routing import AddressTable
from performer.control.osc.state import FrameState
from performer.control.show import Show
from performer.control.web.monitor import Monitor
from performer.control.web.options import DEFAULT_HOST, DEFAULT_PORT
from performer.control.web.page import console_description
from performer.control.web.preview import PreviewOutput
from performer.control.web.recent import RecentWarnings
from performer.controls import layer_names
from performer.video import VideoOutput

log = logging.getLogger(__name__)

SOURCE = "web"
MAX_REQUEST_BYTES = 16 * 1024  # the console only GETs
# The page loads nothing from elsewhere and may not be framed by another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; "
                               "connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token in the address must not travel on
    "Cache-Control": "no-store",
}


def load_assets() -> dict[str, tuple[bytes, str]]:
    """The page's files, read once: the server serves these names and nothing else."""
    folder = resources.files("performer.control.web") / "assets"
    assets: dict[str, tuple[bytes, str]] = {}
    for item in folder.iterdir():
        if item.is_file() and not item.name.startswith("."):
            kind = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
            assets[item.name] = (item.read_bytes(), kind)
    return assets


@web.middleware
async def security_headers(request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                           ) -> web.StreamResponse:
    response = await handler(request)
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    return response


class WebService:
    """The console server for one show; `stop()` returns promptly and never raises."""

    name = "web console"

    def __init__(self, show: Show, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 token: str | None = None) -> None:
        registry = show.registry
        namespace = Namespace(registry, AddressTable(registry.params()),
                              FrameState(layer_names(registry), show.latest_frame))
        self.token = None if is_loopback(host) else (token or secrets.token_urlsafe(16))
        self.hub = ListenHub(namespace, SOURCE)
        self.warnings = RecentWarnings()
        self.preview = PreviewOutput(on_picture=self._picture_ready)
        self.monitor = Monitor(show, self.preview, self.warnings)
        self._assets = load_assets()
        self._description = console_description(registry, "performer")
        app = web.Application(middlewares=[middleware(Guard(host, self.token)),
                                           security_headers],
                              client_max_size=MAX_REQUEST_BYTES)
        app.router.add_get("/", self._index)
        app.router.add_get("/console.json", self._console)
        app.router.add_get("/assets/{name}", self._asset)
        app.router.add_get("/ws", self.hub.handle)
        app.router.add_get("/monitor", self.monitor.handle)
        app.on_startup.extend([self.hub.start, self.monitor.start])
        app.on_shutdown.extend([self.hub.stop, self.monitor.stop])
        self.server = HttpServer(app, bind(host, port, "--web-port"), "web")

    @property
    def video_outputs(self) -> list[VideoOutput]:
        """The outputs the show's final picture should reach: the preview."""
        return [self.preview]

    @property
    def url(self) -> str:
        host = self.server.host
        shown = local_address() if host in ("0.0.0.0", "") else host  # where a tablet looks
        shown = f"[{shown}]" if ":" in shown else shown
        query = f"?token={self.token}" if self.token else ""
        return f"http://{shown}:{self.server.port}/{query}"

    def _picture_ready(self) -> None:
        self.server.call_soon(self.monitor.picture_ready)

    async def _index(self, request: web.Request) -> web.StreamResponse:
        body, kind = self._assets["index.html"]
        return web.Response(body=body, content_type=kind)

    async def _console(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self._description)

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        found = self._assets.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404, text="no such file\n")
        return web.Response(body=found[0], content_type=found[1])

    def start(self) -> WebService:
        logging.getLogger("performer").addHandler(self.warnings)
        self.server.start()
        where = "" if self.token is None else " (on the network: the token is in the address)"
        log.info("console: %s%s", self.url, where)
        return self

    def stop(self) -> None:
        logging.getLogger("performer").removeHandler(self.warnings)
        try:
            self.server.stop()
        except Exception:
            log.exception("stopping the console failed")


def start(args: argparse.Namespace, show: Show) -> WebService | None:
    if args.no_web:
        return None
    return WebService(show, args.web_host, args.web_port, args.web_token).start()
