"""OSC addresses <-> registry parameters: pure translation, no socket.

Every parameter gets two addresses derived from its name, so a parameter added to the
registry is reachable without code here:

- `/performer/<group>/<name>` takes a control position (normalised float 0..1 through the
  parameter's range and curve; a 1-based index or a name for choices; 0/1 for toggles;
  non-zero fires a trigger) and is where feedback is sent, in the same terms, so a
  surface that echoes feedback back sets the value it already has.
- `/performer/raw/<group>/<name>` takes a value in the parameter's own unit, for scripts.

Address patterns follow OSC 1.0 (`?`, `*`, `[a-z]`, `[!..]`, `{a,b}`, each within one
segment), matched here without regular expressions: python-osc's regex for `*` backtracks
exponentially, and one 32-byte datagram could hold the GIL (engine, display) for seconds.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pythonosc import osc_packet
from pythonosc.parsing import osc_types

from performer.params import Kind, Param, ParamChange, Value

PREFIX = "/performer"
RAW = "raw"
SOURCE = "osc"
PATTERN_CHARS = frozenset("*?[]{}")
WILDCARDS = frozenset("*?[{")
MAX_WILDCARDS = 8  # per pattern; `/performer/*/*` has 2
MAX_PATTERN_CHARS = 256
MAX_MESSAGES = 256  # per datagram; a bundle's later messages are dropped unread
# Type tags whose values python-osc parses; any other tag is a malformed message (python-osc
# skips the unknown tag and reads the rest of the message misaligned).
SUPPORTED_TAGS = frozenset("ifdhsbrmtTFN[]")

OscArg = object  # what python-osc hands over: int, float, str, bytes, bool, None, tuple, list


class OscValueError(ValueError):
    """A message whose value(s) an address cannot take; the message is ignored."""


class OscPatternError(ValueError):
    """An address pattern beyond the caps (wildcards, length); nothing is matched."""


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
        # A surface repeats the same few patterns: match each once (lru_cache is thread-safe).
        self._matching = functools.lru_cache(maxsize=512)(self._match_pattern)

    def routes(self) -> list[Route]:
        return list(self._routes.values())

    def route(self, address: str) -> Route | None:
        return self._routes.get(address)

    def match(self, pattern: str) -> list[Route]:
        """Routes an address or address pattern selects (an exact address: at most one).
        Raises OscPatternError for a pattern beyond MAX_WILDCARDS or MAX_PATTERN_CHARS."""
        exact = self._routes.get(pattern)
        if exact is not None:
            return [exact]
        if not PATTERN_CHARS.intersection(pattern):
            return []
        wildcards = sum(pattern.count(c) for c in WILDCARDS)
        if wildcards > MAX_WILDCARDS or len(pattern) > MAX_PATTERN_CHARS:
            raise OscPatternError(f"{pattern[:80]}: more than {MAX_WILDCARDS} wildcards or "
                                  f"{MAX_PATTERN_CHARS} characters")
        return list(self._matching(pattern))

    def _match_pattern(self, pattern: str) -> tuple[Route, ...]:
        compiled = compile_pattern(pattern)
        if compiled is None:
            return ()
        return tuple(route for route in self._routes.values()
                     if pattern_matches(compiled, route.address))


# --- address patterns -----------------------------------------------------------------
# One segment is a sequence of tokens; each is matched by advancing a set of positions in
# the segment (no backtracking): time is tokens x characters x alternatives at most.
@dataclass(frozen=True)
class _Star:
    """`*`: any run of characters, empty included."""


@dataclass(frozen=True)
class _OneOf:
    """`?` (ranges empty, negated), `[a-z]`, `[!abc]`: exactly one character."""

    ranges: tuple[tuple[str, str], ...]
    negated: bool = False

    def takes(self, char: str) -> bool:
        return any(low <= char <= high for low, high in self.ranges) != self.negated


@dataclass(frozen=True)
class _Literal:
    """Plain text (one choice) or `{a,b}` (several): exactly one of the strings."""

    choices: tuple[str, ...]


Token = _Star | _OneOf | _Literal
Segment = tuple[Token, ...]


def _class_ranges(body: str) -> tuple[tuple[str, str], ...]:
    """`a-z0` -> (('a','z'), ('0','0')); a `-` first or last is itself."""
    ranges: list[tuple[str, str]] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            ranges.append((body[i], body[i + 2]))
            i += 3
        else:
            ranges.append((body[i], body[i]))
            i += 1
    return tuple(ranges)


def _compile_segment(text: str) -> Segment | None:
    """The tokens of one segment; None if a `[` or `{` is never closed or a `[]` is empty."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "[{":
            end = text.find("]" if char == "[" else "}", i + 1)
            if end < 0:
                return None
            body = text[i + 1 : end]
            if char == "{":
                tokens.append(_Literal(tuple(body.split(","))))
            else:
                negated = body.startswith("!")
                ranges = _class_ranges(body[1:] if negated else body)
                if not ranges:
                    return None
                tokens.append(_OneOf(ranges, negated))
            i = end + 1
        elif char == "*":
            if not tokens or not isinstance(tokens[-1], _Star):  # `**` is `*`
                tokens.append(_Star())
            i += 1
        elif char == "?":
            tokens.append(_OneOf((), negated=True))
            i += 1
        else:
            end = i
            while end < len(text) and text[end] not in "[{*?":
                end += 1
            tokens.append(_Literal((text[i:end],)))
            i = end
    return tuple(tokens)


def compile_pattern(pattern: str) -> tuple[Segment, ...] | None:
    """A pattern as one token list per `/` segment; None when it can match nothing."""
    segments = [_compile_segment(part) for part in pattern.split("/")]
    if any(segment is None for segment in segments):
        return None
    return tuple(segment for segment in segments if segment is not None)


def _segment_matches(tokens: Segment, text: str) -> bool:
    positions = {0}
    for token in tokens:
        if not positions:
            return False
        if isinstance(token, _Star):
            positions = set(range(min(positions), len(text) + 1))
        elif isinstance(token, _OneOf):
            positions = {p + 1 for p in positions if p < len(text) and token.takes(text[p])}
        else:
            positions = {p + len(choice) for p in positions for choice in token.choices
                         if text.startswith(choice, p)}
    return len(text) in positions


def pattern_matches(compiled: tuple[Segment, ...], address: str) -> bool:
    """Whether a compiled pattern selects an address: same depth, every segment matches."""
    parts = address.split("/")
    return len(parts) == len(compiled) and all(
        _segment_matches(tokens, part) for tokens, part in zip(compiled, parts, strict=True))


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


def route_value(route: Route, value: Value) -> float | int | str | None:
    """What `route`'s address carries for a value (a node's VALUE, a pushed message): the
    feedback value on a normalised address; on a raw one the value in its own units, a
    choice by name, a toggle as 0 or 1 (None: a trigger holds no value)."""
    param = route.param
    if not route.raw or param.kind is Kind.TRIGGER:
        return feedback_value(param, value)
    if param.kind is Kind.CHOICE:
        return str(value)
    if param.kind is Kind.TOGGLE:
        return 1 if value else 0
    return int(value) if param.kind is Kind.INT else float(value)


# --- datagrams ------------------------------------------------------------------------
@dataclass
class DecodedPacket:
    """What one datagram asks for: changes (one atomic batch), and what was wrong with it."""

    changes: list[ParamChange] = field(default_factory=list)  # at most one per parameter
    unknown: list[str] = field(default_factory=list)  # addresses no route matched
    errors: list[OscValueError] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # patterns beyond the caps, unmatched
    excess: int = 0  # messages past MAX_MESSAGES, dropped unread
    malformed: bool = False  # not OSC at all; nothing in it is used


def _type_tags(dgram: bytes) -> str:
    """The type tag string of a message datagram ('' when it has none)."""
    _, index = osc_types.get_string(dgram, 0)
    if index >= len(dgram):
        return ""
    tags, _ = osc_types.get_string(dgram, index)
    return tags


def decode_packet(table: AddressTable, dgram: bytes) -> DecodedPacket:
    """Decode a message or bundle. Bundle time tags are ignored: everything applies now.

    A batch keeps the last value per parameter (a trigger fires once), so a 64 kB bundle of
    `/*/*/*` is one change per parameter, not tens of thousands for one frame to apply."""
    result = DecodedPacket()
    try:
        messages = [timed.message for timed in osc_packet.OscPacket(dgram).messages]
        result.excess = max(0, len(messages) - MAX_MESSAGES)
        messages = messages[:MAX_MESSAGES]
        tags = [_type_tags(message.dgram) for message in messages]
    except (osc_packet.ParseError, osc_types.ParseError, ValueError, IndexError,
            OverflowError, RecursionError, UnicodeDecodeError):
        return DecodedPacket(malformed=True)
    latest: dict[str, ParamChange] = {}  # in the order parameters first appear
    for message, tag in zip(messages, tags, strict=True):
        if not SUPPORTED_TAGS.issuperset(tag.removeprefix(",")):
            result.errors.append(OscValueError(f"{message.address}: unsupported type tag {tag!r}"))
            continue
        try:
            routes = table.match(message.address)
        except OscPatternError:
            result.refused.append(message.address)
            continue
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
                latest[change.name] = change
    result.changes = list(latest.values())
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
