"""OSCQuery: the parameter tree as JSON over HTTP, so OSCQuery-aware hosts (VDMX, ossia
score, Chataigne, TouchDesigner's OSCQuery component) list every parameter with its range.

Follows Vidvox's OSCQuery proposal: `GET /` is the whole tree, `GET /performer/ablation/dead`
one node, `GET /performer/ablation/dead?VALUE` one attribute, `GET /?HOST_INFO` the OSC port
and transport. The tree is built from the registry on every request, so it is always
current. Advertised over zeroconf (`_oscjson._tcp`, `_osc._udp`) only when the optional
`zeroconf` package is installed; without it, or without mDNS, OSCQuery still serves.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from performer.control.http.server import local_address
from performer.control.osc.routing import AddressTable, Route, route_value
from performer.control.osc.state import FrameState, StateNode
from performer.params import Kind, Registry, Value

log = logging.getLogger(__name__)

NAME = "performer"
READ, WRITE = 1, 2
ATTRIBUTES = frozenset(
    {"FULL_PATH", "CONTENTS", "TYPE", "ACCESS", "VALUE", "RANGE", "DESCRIPTION", "CLIPMODE"}
)
EXTENSIONS = {
    "ACCESS": True, "VALUE": True, "RANGE": True, "DESCRIPTION": True, "CLIPMODE": True,
    "TAGS": False, "EXTENDED_TYPE": False, "UNIT": False, "CRITICAL": False,
    "LISTEN": True, "PATH_CHANGED": True, "PATH_REMOVED": False, "PATH_ADDED": False,
    "PATH_RENAMED": False,
}
Node = dict[str, Any]


def parameter_node(route: Route, value: Value) -> Node:
    """The OSCQuery description of one parameter address, with its current value."""
    param = route.param
    node: Node = {"FULL_PATH": route.address, "DESCRIPTION": param.description}
    if param.kind is Kind.TRIGGER:
        # A VALUE of 0 (a trigger at rest) even though it is write-only: clients such as
        # python-oscquery take a node without VALUE for a container and cannot parse it.
        node.update(TYPE="i", ACCESS=WRITE, RANGE=[{"MIN": 0, "MAX": 1}], VALUE=[0])
        node["DESCRIPTION"] += " Send 1 (or any non-zero value) to fire."
        return node
    node["ACCESS"] = READ | WRITE
    if param.kind is Kind.CHOICE:
        if route.raw:
            node.update(TYPE="s", RANGE=[{"VALS": list(param.choices)}],
                        VALUE=[route_value(route, value)])
        else:
            listed = ", ".join(f"{i} = {c}" for i, c in enumerate(param.choices, start=1))
            node.update(TYPE="i", RANGE=[{"MIN": 1, "MAX": len(param.choices)}],
                        VALUE=[route_value(route, value)], CLIPMODE=["both"])
            node["DESCRIPTION"] += f" ({listed}; a name works too.)"
    elif param.kind is Kind.TOGGLE:
        node.update(TYPE="i", RANGE=[{"MIN": 0, "MAX": 1}], VALUE=[route_value(route, value)])
    elif route.raw:
        integer = param.kind is Kind.INT
        low, high = (int(param.minimum), int(param.maximum)) if integer else (
            param.minimum, param.maximum)
        node.update(TYPE="i" if integer else "f", RANGE=[{"MIN": low, "MAX": high}],
                    VALUE=[route_value(route, value)], CLIPMODE=["both"])
        if param.unit:
            node["DESCRIPTION"] += f" In {param.unit}."
    else:
        node.update(TYPE="f", RANGE=[{"MIN": 0.0, "MAX": 1.0}],
                    VALUE=[route_value(route, value)], CLIPMODE=["both"])
    return node


def state_node(node: StateNode, value: float | int | None) -> Node:
    limits = {k: v for k, v in (("MIN", node.minimum), ("MAX", node.maximum)) if v is not None}
    if value is None:  # before the first frame: 0, so that every readable node has a VALUE
        value = 0.0 if node.type_tag == "f" else 0
    return {"FULL_PATH": node.address, "DESCRIPTION": node.description,
            "TYPE": node.type_tag, "ACCESS": READ, "RANGE": [limits], "VALUE": [value]}


def build_tree(leaves: Iterable[Node]) -> Node:
    """Containers for every path prefix, leaves hung under them: the OSCQuery root node."""
    root: Node = {"FULL_PATH": "/", "ACCESS": 0, "DESCRIPTION": NAME, "CONTENTS": {}}
    for leaf in leaves:
        parts = leaf["FULL_PATH"].strip("/").split("/")
        container = root
        for depth, part in enumerate(parts[:-1]):
            contents = container.setdefault("CONTENTS", {})
            if part not in contents:
                path = "/" + "/".join(parts[: depth + 1])
                contents[part] = {"FULL_PATH": path, "ACCESS": 0, "DESCRIPTION": part,
                                  "CONTENTS": {}}
            container = contents[part]
        existing = container.setdefault("CONTENTS", {}).get(parts[-1], {})
        container["CONTENTS"][parts[-1]] = {**leaf, **_children(existing)}
    return root


def _children(node: Node) -> Node:
    return {"CONTENTS": node["CONTENTS"]} if node.get("CONTENTS") else {}


def find(tree: Node, path: str) -> Node | None:
    node = tree
    for part in [p for p in path.split("/") if p]:
        node = node.get("CONTENTS", {}).get(part)
        if node is None:
            return None
    return node


class Namespace:
    """The live tree: registry values and the newest frame's state, read when asked."""

    def __init__(self, registry: Registry, table: AddressTable,
                 state: FrameState | None = None) -> None:
        self.registry = registry
        self.table = table
        self.state = state

    def tree(self) -> Node:
        leaves = [parameter_node(r, self.registry.value(r.param.name)) for r in self.table.routes()]
        if self.state is not None:
            try:
                values: dict[str, float | int] = self.state.read()
            except Exception:  # state is decoration; the parameters must still be listed
                log.exception("OSCQuery: reading the show state failed")
                values = {}
            leaves += [state_node(n, values.get(n.address)) for n in self.state.nodes]
        return build_tree(leaves)


def host_info(osc_host: str, osc_port: int) -> Node:
    info: Node = {"NAME": NAME, "OSC_PORT": osc_port, "OSC_TRANSPORT": "UDP",
                  "EXTENSIONS": dict(EXTENSIONS)}
    if osc_host not in ("0.0.0.0", "::", ""):  # a wildcard: clients use the HTTP host
        info["OSC_IP"] = osc_host
    return info


def answer(namespace: Namespace, target: str, osc_host: str, osc_port: int
           ) -> tuple[HTTPStatus, Node | None]:
    """The reply to one GET: status and JSON body (None for no body)."""
    url = urlsplit(target)
    query = unquote(url.query)
    if query == "HOST_INFO":
        return HTTPStatus.OK, host_info(osc_host, osc_port)
    node = find(namespace.tree(), unquote(url.path))
    if node is None:
        return HTTPStatus.NOT_FOUND, None
    if not query:
        return HTTPStatus.OK, node
    attribute = query.split("&", 1)[0].split("=", 1)[0]
    if attribute not in ATTRIBUTES:
        return HTTPStatus.BAD_REQUEST, None
    if attribute not in node or (attribute == "VALUE" and node.get("ACCESS") == WRITE):
        return HTTPStatus.NO_CONTENT, None  # a write-only node has no value to read
    return HTTPStatus.OK, {attribute: node[attribute]}


def service_name(osc_port: int) -> str:
    """`performer on studio (OSC 8000)`: the port keeps two shows on one host apart (a
    zeroconf name must be unique), and the whole fits one 63-byte DNS label."""
    suffix = f" (OSC {osc_port})"
    room = 63 - len(NAME) - len(" on ") - len(suffix)
    host = socket.gethostname().encode()[:room].decode(errors="ignore")
    return f"{NAME} on {host}{suffix}"


def advertise(host: str, osc_port: int, http_port: int) -> Callable[[], None] | None:
    """Announce both services over zeroconf if the package is there; returns the undo.

    Only for a show listening beyond loopback (a 127.0.0.1 address is of no use to other
    machines). Registration probes the network for a few seconds, so it runs on its own
    thread; any failure (no package, no multicast) is one line, never an error.
    """
    if host.startswith("127.") or host in ("localhost", "::1"):
        log.debug("OSC listens on loopback only: not advertised over zeroconf")
        return None
    try:
        from zeroconf import ServiceInfo, Zeroconf
    except ImportError:
        log.debug("zeroconf is not installed: OSCQuery is not advertised")
        return None
    address = host if host not in ("0.0.0.0", "") else local_address()
    name = service_name(osc_port)
    try:
        infos = [
            ServiceInfo(kind, f"{name}.{kind}", addresses=[socket.inet_aton(address)], port=port)
            for kind, port in (("_oscjson._tcp.local.", http_port), ("_osc._udp.local.", osc_port))
        ]
    except (OSError, ValueError) as err:  # e.g. an IPv6 --osc-host
        log.info("OSCQuery: not advertised over zeroconf (%s)", err)
        return None
    zeroconf: list[Any] = []
    stopping = threading.Event()

    def register() -> None:
        try:
            zeroconf.append(Zeroconf())
            for info in infos:
                zeroconf[0].register_service(info)
            log.info("OSCQuery: advertised over zeroconf as %r", name)
        except Exception as err:  # mDNS unavailable: serving goes on
            if not stopping.is_set():
                log.info("OSCQuery: not advertised over zeroconf (%s)", err)

    registering = threading.Thread(target=register, name="performer-zeroconf", daemon=True)
    registering.start()

    def undo() -> None:
        stopping.set()
        registering.join(timeout=0.5)  # a registration still probing is cut short
        for zc in zeroconf:
            try:
                zc.unregister_all_services()
                zc.close()
            except Exception as err:
                log.debug("zeroconf shutdown: %s", err)

    return undo
