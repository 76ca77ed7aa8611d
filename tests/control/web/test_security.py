"""Who may use the console: Host, Origin and token checks, and nothing served beyond its
own files, over real HTTP."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections.abc import Iterator

import aiohttp
import pytest

from performer.control.http.guard import Guard, host_name
from performer.control.http.server import HttpServerError, local_address
from performer.control.show import Show
from performer.control.web.service import WebService
from performer.controls import make_registry
from tests.control.web.wsclient import Client
from tests.helpers import LAYERS


def fetch(url: str, method: str = "GET", **headers: str) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, reply.read().decode(), dict(reply.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


@pytest.fixture
def local() -> Iterator[WebService]:
    service = WebService(Show(make_registry(LAYERS)), "127.0.0.1", 0).start()
    yield service
    service.stop()


@pytest.fixture
def network() -> Iterator[WebService]:
    service = WebService(Show(make_registry(LAYERS)), "0.0.0.0", 0, token="s3cret").start()
    yield service
    service.stop()


def test_on_loopback_no_token_is_asked(local: WebService) -> None:
    assert local.token is None
    status, body, headers = fetch(local.url)
    assert status == 200 and "<title>performer console</title>" in body
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_a_foreign_origin_is_refused(local: WebService) -> None:
    status, body, _ = fetch(local.url + "console.json", Origin="http://evil.example")
    assert status == 403 and "may not control this show" in body
    own = f"http://127.0.0.1:{local.server.port}"
    assert fetch(local.url + "console.json", Origin=own)[0] == 200


def test_a_rebound_dns_name_is_refused(local: WebService) -> None:
    """evil.example re-pointed at 127.0.0.1: the browser sends its own name as Host."""
    status, body, _ = fetch(local.url, Host=f"evil.example:{local.server.port}")
    assert status == 403 and "is not this server" in body
    assert fetch(local.url, Host=f"localhost:{local.server.port}")[0] == 200


def test_nothing_but_its_own_files_is_served(local: WebService) -> None:
    base = f"http://127.0.0.1:{local.server.port}"
    assert fetch(base + "/assets/console.js")[0] == 200
    for path in ("/assets/../service.py", "/assets/%2e%2e%2fservice.py", "/assets/service.py",
                 "/etc/passwd", "/assets/..%2F..%2Fpyproject.toml"):
        status, body, _ = fetch(base + path)
        assert status in (404, 403), path
        assert "import" not in body
    assert fetch(base + "/console.json", method="POST")[0] == 405


def test_on_the_network_the_token_is_asked(network: WebService) -> None:
    port = network.server.port
    assert network.url == f"http://{local_address()}:{port}/?token=s3cret"  # for a tablet
    status, body, _ = fetch(f"http://127.0.0.1:{port}/")
    assert status == 401 and "token" in body
    assert fetch(f"http://127.0.0.1:{port}/?token=wrong")[0] == 401
    status, _, headers = fetch(network.url)
    assert status == 200 and "performer_token=s3cret" in headers["Set-Cookie"]
    assert "SameSite=Strict" in headers["Set-Cookie"]
    cookie = {"Cookie": "performer_token=s3cret"}
    assert fetch(f"http://127.0.0.1:{port}/console.json", **cookie)[0] == 200
    bearer = {"Authorization": "Bearer s3cret"}
    assert fetch(f"http://127.0.0.1:{port}/console.json", **bearer)[0] == 200


def test_the_websocket_needs_the_token_too(network: WebService) -> None:
    port = network.server.port

    async def run() -> None:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await Client.open(f"ws://127.0.0.1:{port}/ws")
        assert refused.value.status == 401
        client = await Client.open(f"ws://127.0.0.1:{port}/ws?token=s3cret")
        await client.close()

    asyncio.run(run())


def test_a_random_token_is_made_when_none_is_given() -> None:
    service = WebService(Show(make_registry(LAYERS)), "0.0.0.0", 0)
    try:
        assert service.token is not None and len(service.token) >= 16
        assert f"?token={service.token}" in service.url
    finally:
        service.server.stop()


def test_a_taken_port_is_one_clear_error(local: WebService) -> None:
    with pytest.raises(HttpServerError, match="already in use: pick another with --web-port"):
        WebService(Show(make_registry(LAYERS)), "127.0.0.1", local.server.port)


@pytest.mark.parametrize(("header", "name"), [
    ("127.0.0.1:8002", "127.0.0.1"), ("[::1]:8002", "::1"), ("LocalHost", "localhost"),
    ("studio.local:80", "studio.local"), ("::1", "::1"),
])
def test_host_names_are_read_without_the_port(header: str, name: str) -> None:
    assert host_name(header) == name


def test_a_network_server_takes_addresses_and_its_own_name_only() -> None:
    guard = Guard("0.0.0.0")
    assert guard.host_allowed("192.168.1.20:8002") and guard.host_allowed("localhost:8002")
    assert not guard.host_allowed("evil.example:8002")
    loopback = Guard("127.0.0.1")
    assert not loopback.host_allowed("192.168.1.20:8002")
    assert loopback.origin_allowed(None, "127.0.0.1:8002")
    assert not loopback.origin_allowed("null", "127.0.0.1:8002")
    assert not loopback.origin_allowed("http://127.0.0.1:9999", "127.0.0.1:8002")
