"""An aiohttp application served on its own asyncio loop, on a daemon thread.

The show's threads (engine, display, MIDI) never run asyncio; this keeps the event loop
apart and gives them `call_soon` to hand work to it. The socket is bound in the
constructor, so a port in use is reported at once, before anything starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 2.0


def local_address() -> str:
    """This machine's address on the default route (no packet is sent): where other
    machines on the venue network reach a server listening on every interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed, only selects an interface
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


class HttpServerError(OSError):
    """The TCP port cannot be opened."""


def bind(host: str, port: int, option: str) -> socket.socket:
    """A listening TCP socket; HttpServerError names `option` when the port is taken."""
    if not 0 <= port <= 65535:
        raise HttpServerError(f"port {port} is out of range (1..65535)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(64)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise HttpServerError(f"TCP port {port} is already in use: pick another with "
                                  f"{option}") from err
        raise HttpServerError(f"cannot listen on {host}:{port}: {err}") from err
    sock.setblocking(False)
    return sock


class HttpServer:
    """Serves `app` on a socket from `bind`; `start()` then `stop()` (prompt, never raises)."""

    def __init__(self, app: web.Application, sock: socket.socket, name: str,
                 **options: Any) -> None:
        """`options` go to aiohttp's request handler (e.g. `keepalive_timeout`)."""
        self.app = app
        self.name = name
        self.host = str(sock.getsockname()[0])
        self.port = int(sock.getsockname()[1])
        self._sock = sock
        self.loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._options = options
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"performer-{name}", daemon=True)

    def start(self) -> HttpServer:
        self._thread.start()
        self._started.wait(timeout=5.0)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
            self._started.set()
            self.loop.run_forever()
        except Exception:
            log.exception("%s: the server stopped", self.name)
        finally:
            self._started.set()
            self.loop.run_until_complete(self._cleanup())
            self.loop.close()

    async def _serve(self) -> None:
        # No access log: a browser fetching previews would flood the terminal.
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False,
                                     shutdown_timeout=0.5, **self._options)
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._sock.close()

    def call_soon(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback(*args)` on the server's loop (from any thread; never blocks)."""
        # RuntimeError: the loop closed in between (the server is stopping).
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(callback, *args)

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=STOP_TIMEOUT_S)
        else:
            self._sock.close()
