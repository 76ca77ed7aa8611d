"""OSCQuery over real HTTP: the tree lists every parameter with its type, range and value."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from performer.control.osc.query import (
    Namespace,
    advertise,
    find,
    service_name,
)
from performer.control.osc.query_server import OscQueryServer
from performer.control.osc.routing import AddressTable, address_of, feedback_value
from performer.control.osc.service import OscService
from performer.control.show import Show
from performer.controls import make_registry
from performer.params import Kind
from tests.helpers import LAYERS, wait_until


def show() -> Show:
    """A show before its first frame: the tree is the registry's (state has no values)."""
    return Show(make_registry(LAYERS))


@pytest.fixture
def service() -> Iterator[OscService]:
    started = show()
    for name, value in (("ablation.dead", 0.25), ("ablation.rate", 8.0),
                        ("ablation.layer", "block2"), ("output.map", True)):
        started.registry.set(name, value)
    osc = OscService(started, port=0, targets=[], query_port=0).start()
    yield osc
    osc.stop()


def get(osc: OscService, path: str) -> tuple[int, Any]:
    assert osc.query is not None
    url = f"http://127.0.0.1:{osc.query.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            body = reply.read()
            return reply.status, json.loads(body) if body else None
    except urllib.error.HTTPError as err:
        return err.code, None


def test_the_root_lists_every_parameter_with_type_range_and_value(service: OscService) -> None:
    status, tree = get(service, "/")
    assert status == 200 and tree["FULL_PATH"] == "/"
    registry = service.feedback.registry
    for param in registry.params():
        node = find(tree, address_of(param.name))
        raw = find(tree, address_of(param.name, raw=True))
        assert node is not None and raw is not None, param.name
        assert node["FULL_PATH"] == address_of(param.name)
        assert node["DESCRIPTION"].startswith(param.description)
        value = registry.value(param.name)
        if param.kind is Kind.TRIGGER:
            assert node["ACCESS"] == 2 and node["VALUE"] == [0]
            continue
        assert node["ACCESS"] == 3
        assert node["VALUE"] == [feedback_value(param, value)]
        if param.kind in (Kind.FLOAT, Kind.INT):
            assert node["TYPE"] == "f" and node["RANGE"] == [{"MIN": 0.0, "MAX": 1.0}]
            assert raw["TYPE"] == ("i" if param.kind is Kind.INT else "f")
            assert raw["RANGE"] == [{"MIN": param.minimum, "MAX": param.maximum}]
            assert raw["VALUE"] == [value]
        elif param.kind is Kind.CHOICE:
            assert node["TYPE"] == "i" and node["RANGE"] == [{"MIN": 1, "MAX": len(param.choices)}]
            assert raw["TYPE"] == "s" and raw["RANGE"] == [{"VALS": list(param.choices)}]
            assert raw["VALUE"] == [value]
        else:
            assert node["TYPE"] == "i" and node["RANGE"] == [{"MIN": 0, "MAX": 1}]
    dead = find(tree, "/performer/ablation/dead")
    assert dead is not None and dead["VALUE"] == [0.25]
    rate = find(tree, "/performer/raw/ablation/rate")
    assert rate is not None and rate["VALUE"] == [8.0] and rate["RANGE"] == [{"MIN": 0.0,
                                                                              "MAX": 2000.0}]
    assert find(tree, "/performer/ablation/layer")["VALUE"] == [4]  # type: ignore[index]
    assert find(tree, "/performer/output/map")["VALUE"] == [1]  # type: ignore[index]


def test_state_nodes_are_read_only(service: OscService) -> None:
    _, tree = get(service, "/performer/state")
    assert tree["FULL_PATH"] == "/performer/state"
    alive = tree["CONTENTS"]["alive"]["CONTENTS"]
    assert set(alive) == {"all", "block0", "block1", "block2", "block3"}
    assert all(node["ACCESS"] == 1 and node["TYPE"] == "f" for node in alive.values())
    assert tree["CONTENTS"]["face"]["TYPE"] == "i"


def test_a_node_path_returns_that_node_and_values_follow_the_registry(
    service: OscService,
) -> None:
    status, node = get(service, "/performer/ablation/dead")
    assert status == 200 and node["FULL_PATH"] == "/performer/ablation/dead"
    assert "CONTENTS" not in node and node["VALUE"] == [0.25]
    service.feedback.registry.set("ablation.dead", 0.5)
    assert get(service, "/performer/ablation/dead?VALUE") == (200, {"VALUE": [0.5]})
    status, container = get(service, "/performer/ablation")
    assert status == 200 and "dead" in container["CONTENTS"] and "rate" in container["CONTENTS"]


def test_host_info_names_the_osc_port(service: OscService) -> None:
    status, info = get(service, "/?HOST_INFO")
    assert status == 200
    assert info["OSC_PORT"] == service.server.port and info["OSC_TRANSPORT"] == "UDP"
    assert info["OSC_IP"] == "127.0.0.1" and info["NAME"] == "performer"
    assert info["EXTENSIONS"]["VALUE"] is True and info["EXTENSIONS"]["LISTEN"] is True
    assert info["EXTENSIONS"]["PATH_CHANGED"] is True


def test_errors_follow_the_proposal(service: OscService) -> None:
    assert get(service, "/performer/nothing")[0] == 404
    assert get(service, "/performer/ablation/dead?GABBAGABBAHEY")[0] == 400
    assert get(service, "/performer/drift/new?VALUE")[0] == 204  # a trigger holds no value


def test_an_idle_connection_is_closed_by_the_server() -> None:
    """A client that connects and says nothing must not keep a thread forever."""
    registry = make_registry(["block0"])
    query = OscQueryServer(Namespace(registry, AddressTable(registry.params())), "127.0.0.1",
                           0, 8000, idle_timeout=0.2)
    query.start()
    idle = socket.create_connection(("127.0.0.1", query.port))
    idle.settimeout(10.0)  # far beyond the server's 0.2 s: only the server can end this
    try:
        assert idle.recv(1024) == b""  # closed by the server, with no reply
    finally:
        idle.close()
        query.stop()


def test_a_taken_http_port_leaves_osc_running(caplog: pytest.LogCaptureFixture) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    osc = OscService(show(), port=0, targets=[], query_port=taken.getsockname()[1]).start()
    try:
        assert osc.query is None
        assert "OSCQuery is off" in caplog.text and "already in use" in caplog.text
        assert osc.server.port > 0
    finally:
        osc.stop()
        taken.close()


def test_a_show_on_the_network_is_found_over_zeroconf() -> None:
    """With the optional zeroconf package (in the test extra), hosts find performer."""
    from zeroconf import ServiceBrowser, ServiceStateChange, Zeroconf

    osc = OscService(show(), host="0.0.0.0", port=0, targets=[], query_port=0).start()
    ours = service_name(osc.server.port)  # another run on this host has another port
    browser_zc = Zeroconf()
    found: dict[str, int] = {}

    def on_change(zeroconf: Zeroconf, service_type: str, name: str,
                  state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Added:
            info = zeroconf.get_service_info(service_type, name, timeout=3000)
            if info is not None and name == f"{ours}.{service_type}":
                found[service_type] = info.port  # type: ignore[assignment]

    try:
        ServiceBrowser(browser_zc, ["_oscjson._tcp.local.", "_osc._udp.local."],
                       handlers=[on_change])
        wait_until(lambda: len(found) == 2, timeout=15.0, interval=0.1)
    finally:
        browser_zc.close()
        osc.stop()
    assert osc.query is not None
    assert found == {"_oscjson._tcp.local.": osc.query.port, "_osc._udp.local.": osc.server.port}


def test_a_show_on_loopback_is_not_advertised() -> None:
    assert advertise("127.0.0.1", 8000, 8001) is None  # no use to other machines


def test_the_advertised_name_tells_shows_on_one_host_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert service_name(8000) != service_name(8002)
    monkeypatch.setattr(socket, "gethostname", lambda: "a-very-long-studio-machine-name" * 4)
    long = service_name(65535)
    assert long.endswith(" (OSC 65535)") and len(long.encode()) <= 63  # one DNS label
