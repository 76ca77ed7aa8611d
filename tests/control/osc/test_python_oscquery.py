"""A third-party OSCQuery client, PyPI python-oscquery 0.4.0, reads performer's tree as a
new user would: its own client, given the service its browser would find."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pythonoscquery.osc_query_browser import OSCQueryBrowser
from pythonoscquery.osc_query_client import OSCQueryClient
from pythonoscquery.shared.osc_access import OSCAccess
from zeroconf import ServiceInfo

from performer.control.osc.query import service_name
from performer.control.osc.service import OscService
from performer.control.show import Show
from performer.controls import make_registry
from performer.params import Kind
from tests.helpers import LAYERS, wait_until


@pytest.fixture
def service() -> Iterator[OscService]:
    osc = OscService(Show(make_registry(LAYERS)), port=0, targets=[], query_port=0).start()
    yield osc
    osc.stop()


def client_for(osc: OscService) -> OSCQueryClient:
    """What its OSCQueryBrowser hands over for a show found over zeroconf."""
    assert osc.query is not None
    info = ServiceInfo("_oscjson._tcp.local.", "performer test._oscjson._tcp.local.",
                       addresses=[socket.inet_aton("127.0.0.1")], port=osc.query.port)
    return OSCQueryClient(info)


def test_the_whole_tree_parses_in_python_oscquery(service: OscService) -> None:
    root = client_for(service).query_node("/")
    assert root is not None
    registry = service.feedback.registry
    for param in registry.params():
        node = root.find_subnode("/performer/" + param.name.replace(".", "/"))
        assert node is not None, param.name
        expected = OSCAccess.WRITEONLY_VALUE if param.kind is Kind.TRIGGER else \
            OSCAccess.READWRITE_VALUE
        assert node.access is expected
    fps = root.find_subnode("/performer/state/fps")
    assert fps is not None and fps.access is OSCAccess.READONLY_VALUE


def test_host_info_and_single_nodes_read_in_python_oscquery(service: OscService) -> None:
    client = client_for(service)
    info = client.get_host_info()
    assert info is not None and info.osc_port == service.server.port
    node = client.query_node("/performer/drift/new")
    assert node is not None and node.value == [0]


def test_its_browser_finds_a_show_on_the_network_and_reads_the_tree() -> None:
    """As the new user did: `--osc-host 0.0.0.0`, python-oscquery's own browser over
    zeroconf, then its client."""
    osc = OscService(Show(make_registry(LAYERS)), host="0.0.0.0", port=0, targets=[],
                     query_port=0).start()
    ours = f"{service_name(osc.server.port)}._oscjson._tcp.local."
    browser = OSCQueryBrowser()
    try:
        wait_until(lambda: ours in browser.listener.oscjson_services, timeout=20.0,
                   interval=0.1)
        client = OSCQueryClient(browser.listener.oscjson_services[ours])
        info = client.get_host_info()
        assert info is not None and info.osc_port == osc.server.port
        root = client.query_node("/")
        assert root is not None and root.find_subnode("/performer/ablation/reset") is not None
    finally:
        browser.zc.close()
        osc.stop()
