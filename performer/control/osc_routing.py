"""OSC addresses <-> registry parameters: pure translation, no socket.

Every parameter gets two addresses derived from its name, so a parameter added to the
registry is reachable without code here:

- `/performer/<group>/<name>` takes a control position (normalised float 0..1 through the
  parameter's range and curve; a 1-based index or a name for choices; 0/1 for toggles;
  non-zero fires a trigger) and is where feedback is sent, in the same terms, so a
  surface that echoes feedback back sets the value it already has.
- `/performer/raw/<group>/<name>` takes a value in the parameter's own unit, for scripts.

Address patterns (`*`, `?`, `[..]`, `{..}`) match as python-osc's dispatcher matches them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pythonosc import osc_packet
from pythonosc.dispatcher import Dispatcher
from pythonosc.parsing import osc_types

from performer.params import Kind, Param, ParamChange, Value

PREFIX = "/performer"
RAW = "raw"
SOURCE = "osc"
PATTERN_CHARS = frozenset("*?[]{}")
# Type tags whose values python-osc parses; any other tag is a malformed message (python-osc
# skips the unknown tag and reads the rest of the message misaligned).
SUPPORTED_TAGS = frozenset("ifdhsbrmtTFN[]")

OscArg = object  # what python-osc hands over: int, float, str, bytes, bool, None, tuple, list


class OscValueError(ValueError):
    """A message whose value(s) an address cannot take; the message is ignored."""


@dataclass(frozen=True)
class Route:
    """One address and the parameter it sets."""

    address: str
    param: Param
    raw: bool = False


def address_of(name: str, raw: bool = False) -> str:
    """`ablation.rate` -> `/performer/ablation/rate` (or `/performer/raw/ablation/rate`)."""
    path = name.replace(".", "/")
    return f"{PREFIX}/{RAW}/{path}" if raw else f"{PREFIX}/{path}"


class AddressTable:
    """The addresses of a set of parameters: lookup, pattern matching, value decoding."""

    def __init__(self, params: Iterable[Param]) -> None:
        self._routes: dict[str, Route] = {}
        for param in params:
            for raw in (False, True):
                route = Route(address_of(param.name, raw), param, raw)
                self._routes[route.address] = route
        # python-osc's own matcher, so patterns behave as in any python-osc server.
        self._dispatcher = Dispatcher()
        for route in self._routes.values():
            self._dispatcher.map(route.address, _never_called, route)

    def routes(self) -> list[Route]:
        return list(self._routes.values())

    def route(self, address: str) -> Route | None:
        return self._routes.get(address)

    def match(self, pattern: str) -> list[Route]:
        """Routes an address or address pattern selects (an exact address: at most one)."""
        exact = self._routes.get(pattern)
        if exact is not None:
            return [exact]
        if not PATTERN_CHARS.intersection(pattern):
            return []
        return [handler.args[0] for handler in self._dispatcher.handlers_for_address(pattern)]


def _never_called(*_args: object) -> None:  # pragma: no cover - routes are only matched
    raise AssertionError("the address table only matches; it dispatches nothing")


# --- values ---------------------------------------------------------------------------
def _number(arg: OscArg, route: Route) -> float | None:
    """A finite number from an int, float or bool argument; None for other types."""
    if isinstance(arg, bool):
        return 1.0 if arg else 0.0
    if isinstance(arg, int):  # OSC ints are at most 64-bit: float() is exact enough
        return float(arg)
    if isinstance(arg, float):
        if not math.isfinite(arg):
            raise OscValueError(f"{route.address}: {arg} is not a value")
        return arg
    return None


def _choice(route: Route, arg: OscArg) -> str:
    """A choice by 1-based index (int or float, rounded, clamped) or by name."""
    choices = route.param.choices
    if isinstance(arg, str):
        for choice in choices:
            if choice.lower() == arg.strip().lower():
                return choice
        if arg.strip().isdigit():
            return _choice(route, int(arg.strip()))
        raise OscValueError(f"{route.address}: {arg!r} is not one of {', '.join(choices)}")
    number = _number(arg, route)
    if number is None:
        raise OscValueError(f"{route.address}: expected an index 1..{len(choices)} or a name")
    index = 1 if number <= 1 else len(choices) if number >= len(choices) else round(number)
    return choices[index - 1]


def decode(route: Route, args: Sequence[OscArg]) -> ParamChange | None:
    """The change one message asks for, or None (a trigger's release). Raises OscValueError."""
    param = route.param
    if not args:
        if param.kind is Kind.TRIGGER:  # an impulse with no value fires, as OSCQuery hosts send
            return ParamChange(param.name, True, SOURCE)
        raise OscValueError(f"{route.address}: expected one value, got none")
    if len(args) > 1:
        raise OscValueError(f"{route.address}: expected one value, got {len(args)}")
    arg = args[0]
    if param.kind is Kind.CHOICE:
        return ParamChange(param.name, _choice(route, arg), SOURCE)
    number = _number(arg, route)
    if number is None:
        raise OscValueError(f"{route.address}: expected a number, got {type(arg).__name__}")
    if param.kind is Kind.TRIGGER:
        return ParamChange(param.name, True, SOURCE) if number != 0.0 else None
    if route.raw:
        value: Value = param.coerce(number)
    else:
        value = param.from_normalized(min(max(number, 0.0), 1.0))
    return ParamChange(param.name, value, SOURCE)


def feedback_value(param: Param, value: Value) -> float | int | None:
    """What feedback sends for a value: what the normalised address takes (None: nothing)."""
    if param.kind is Kind.TRIGGER:
        return None  # a trigger holds no value; its effect (a new seed, a reset) is fed back
    if param.kind is Kind.CHOICE:
        return param.choices.index(str(value)) + 1
    if param.kind is Kind.TOGGLE:
        return 1 if value else 0
    return float(param.to_normalized(value))


# --- datagrams ------------------------------------------------------------------------
@dataclass
class DecodedPacket:
    """What one datagram asks for: changes (one atomic batch), and what was wrong with it."""

    changes: list[ParamChange] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # addresses no route matched
    errors: list[OscValueError] = field(default_factory=list)
    malformed: bool = False  # not OSC at all; nothing in it is used


def _type_tags(dgram: bytes) -> str:
    """The type tag string of a message datagram ('' when it has none)."""
    _, index = osc_types.get_string(dgram, 0)
    if index >= len(dgram):
        return ""
    tags, _ = osc_types.get_string(dgram, index)
    return tags


def decode_packet(table: AddressTable, dgram: bytes) -> DecodedPacket:
    """Decode a message or bundle. Bundle time tags are ignored: everything applies now."""
    result = DecodedPacket()
    try:
        messages = [timed.message for timed in osc_packet.OscPacket(dgram).messages]
        tags = [_type_tags(message.dgram) for message in messages]
    except (osc_packet.ParseError, osc_types.ParseError, ValueError, IndexError,
            OverflowError, RecursionError, UnicodeDecodeError):
        result.malformed = True
        return result
    for message, tag in zip(messages, tags, strict=True):
        if not SUPPORTED_TAGS.issuperset(tag.removeprefix(",")):
            result.errors.append(OscValueError(f"{message.address}: unsupported type tag {tag!r}"))
            continue
        routes = table.match(message.address)
        if not routes:
            result.unknown.append(message.address)
            continue
        for route in routes:
            try:
                change = decode(route, message.params)
            except OscValueError as err:
                result.errors.append(err)
                continue
            if change is not None:
                result.changes.append(change)
    return result


class _QuietUnhandledTypes(logging.Filter):
    """python-osc logs every unknown type tag on the root logger; a flood of them would
    flood the terminal. `decode_packet` reports such messages itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "root" and str(record.msg).startswith("Unhandled parameter"))


def quiet_python_osc() -> None:
    """Install the filter once (idempotent)."""
    root = logging.getLogger()
    if not any(isinstance(f, _QuietUnhandledTypes) for f in root.filters):
        root.addFilter(_QuietUnhandledTypes())
