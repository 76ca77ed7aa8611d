"""Who may talk to a performer web server: the checks every request passes first.

- **Host** must name this server (an IP address, `localhost`, or this machine's name):
  a page on another site that re-points its own DNS name at 127.0.0.1 (DNS rebinding)
  arrives with its own name and is refused.
- **Origin**, when a browser sends one, must be this server itself: another web page the
  VJ happens to open cannot drive the show. Native clients (OSCQuery hosts) send none.
- **Token**, when one is set (a server on a network address): in the `token` query
  parameter (then kept in a same-site cookie), the cookie, or `Authorization: Bearer`.

Every refusal is one clear line in the reply, and nothing else happens.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

COOKIE = "performer_token"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    """Whether a listening address is reachable from this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """`Host` or an origin's netloc without the port, lower case (`[::1]:80` -> `::1`)."""
    netloc = header.strip().lower()
    if netloc.startswith("["):
        return netloc[1:].partition("]")[0]
    return netloc.rpartition(":")[0] if netloc.count(":") == 1 else netloc


@functools.cache
def _machine_names() -> frozenset[str]:
    """This machine's names, looked up once: getfqdn can wait on DNS, which a venue network
    may not have, and the server's event loop must not wait on it per request."""
    name = socket.gethostname().lower()
    return frozenset({name, f"{name}.local", socket.getfqdn().lower()})


@dataclass(frozen=True)
class Guard:
    """The checks for one server. `token` None: no token asked (loopback, OSCQuery)."""

    listen_host: str
    token: str | None = None
    # False for the OSCQuery port's plain GETs, which native hosts reach by any name;
    # its WebSocket still refuses a browser's foreign Origin.
    check_host: bool = True

    def host_allowed(self, host_header: str) -> bool:
        name = host_name(host_header)
        if name in LOOPBACK_NAMES:
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            # A name: only this machine's own; never on a loopback server (rebinding).
            return not is_loopback(self.listen_host) and name in _machine_names()
        if is_loopback(self.listen_host):
            return address.is_loopback
        return True

    def origin_allowed(self, origin: str | None, host_header: str) -> bool:
        """No Origin (native client) or exactly this server as the browser reached it."""
        if origin is None:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == host_header.lower()

    def token_given(self, request: web.Request) -> str | None:
        bearer = request.headers.get("Authorization", "")
        return (request.query.get("token") or request.cookies.get(COOKIE)
                or (bearer[7:] if bearer.lower().startswith("bearer ") else None))

    def refusal(self, request: web.Request, browser_only: bool = False) -> web.Response | None:
        """The reply refusing `request`, or None when it may go on. `browser_only`: apply
        the Host check only to requests that carry an Origin (a browser's)."""
        host = request.headers.get("Host", "")
        origin = request.headers.get("Origin")
        if (self.check_host or (browser_only and origin is not None)) and \
                not self.host_allowed(host):
            return web.Response(status=403, text=f"refused: Host {host[:80]!r} is not this "
                                                 "server (use its address)\n")
        if not self.origin_allowed(origin, host):
            return web.Response(status=403, text=f"refused: requests from {str(origin)[:80]!r} "
                                                 "may not control this show\n")
        if self.token is not None:
            given = self.token_given(request)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                return web.Response(status=401, text="refused: this console needs the token "
                                                     "printed when performer started "
                                                     "(?token=...)\n")
        return None


def middleware(guard: Guard) -> Middleware:
    """An aiohttp middleware applying `guard` to every request, GET and HEAD only."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405, text="refused: only GET is served\n")
        refused = guard.refusal(request)
        if refused is not None:
            return refused
        response = await handler(request)
        if guard.token is not None and request.query.get("token") == guard.token \
                and not response.prepared:
            response.set_cookie(COOKIE, guard.token, httponly=True, samesite="Strict")
        return response

    return check
