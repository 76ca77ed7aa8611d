"""OSC address -> ParamChange, tested with literal datagrams (no socket)."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from performer.control.osc.query import Namespace, find
from performer.control.osc.routing import (
    MAX_MESSAGES,
    MAX_WILDCARDS,
    AddressTable,
    address_of,
    decode,
    decode_packet,
    feedback_value,
)
from performer.controls import declare
from performer.params import Kind, Param, ParamChange, Registry
from tests.helpers import LAYERS

TABLE = AddressTable(declare(LAYERS))


def message(address: str, *args: object) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)  # type: ignore[arg-type]
    return builder.build().dgram


def bundle(*dgrams: bytes) -> bytes:
    builder = OscBundleBuilder(IMMEDIATELY)
    for dgram in dgrams:
        is_bundle = OscBundle.dgram_is_bundle(dgram)
        builder.add_content(OscBundle(dgram) if is_bundle else OscMessage(dgram))  # type: ignore[arg-type]
    return builder.build().dgram


def changes(dgram: bytes) -> list[tuple[str, object]]:
    packet = decode_packet(TABLE, dgram)
    assert not packet.malformed and not packet.errors and not packet.unknown, packet
    return [(c.name, c.value) for c in packet.changes]


def test_every_parameter_has_a_normalised_and_a_raw_address() -> None:
    addresses = {route.address for route in TABLE.routes()}
    for param in declare(LAYERS):
        path = param.name.replace(".", "/")  # route.1.depth -> route/1/depth
        assert f"/performer/{path}" in addresses
        assert f"/performer/raw/{path}" in addresses
    assert len(addresses) == 2 * len(declare(LAYERS))


def test_a_literal_datagram_off_the_wire() -> None:
    # "/performer/ablation/dead" (24 bytes + NUL, padded to 28), ",f" padded to 4, big-endian
    # float32 0.25: what TouchDesigner's OSC Out CHOP sends for a channel at 0.25.
    wire = b"/performer/ablation/dead\x00\x00\x00\x00,f\x00\x00" + struct.pack(">f", 0.25)
    assert wire == message("/performer/ablation/dead", 0.25)
    assert changes(wire) == [("ablation.dead", 0.25)]
    assert decode_packet(TABLE, wire).changes[0].source == "osc"


def test_normalised_floats_go_through_range_and_curve() -> None:
    assert changes(message("/performer/ablation/rate", 0.5)) == [("ablation.rate", 500.0)]
    assert changes(message("/performer/drift/glide", 0.5)) == [("drift.glide", 5.0)]
    assert changes(message("/performer/ablation/seed", 1.0)) == [("ablation.seed", 2**31 - 1)]


def test_ints_and_floats_are_interchangeable() -> None:
    assert changes(message("/performer/ablation/dead", 1)) == [("ablation.dead", 1.0)]
    assert changes(message("/performer/ablation/layer", 3.0)) == [("ablation.layer", "block1")]
    assert changes(message("/performer/raw/ablation/seed", 41.6)) == [("ablation.seed", 42)]
    assert changes(message("/performer/raw/ablation/rate", 16)) == [("ablation.rate", 16.0)]


def test_out_of_range_values_are_clamped() -> None:
    assert changes(message("/performer/ablation/dead", -3.0)) == [("ablation.dead", 0.0)]
    assert changes(message("/performer/ablation/dead", 7)) == [("ablation.dead", 1.0)]
    assert changes(message("/performer/raw/ablation/rate", 1e9)) == [("ablation.rate", 2000.0)]
    assert changes(message("/performer/raw/drift/seed", -5)) == [("drift.seed", 0)]
    assert changes(message("/performer/ablation/order", 0)) == [("ablation.order", "random")]
    assert changes(message("/performer/ablation/order", 99)) == [("ablation.order", "importance")]


def test_choices_by_one_based_index_or_by_name() -> None:
    assert changes(message("/performer/ablation/fill", 1)) == [("ablation.fill", "zero")]
    assert changes(message("/performer/ablation/fill", 3)) == [("ablation.fill", "noise")]
    assert changes(message("/performer/ablation/fill", "Noise")) == [("ablation.fill", "noise")]
    assert changes(message("/performer/raw/ablation/layer", "block2")) == [
        ("ablation.layer", "block2")]
    assert changes(message("/performer/ablation/layer", "2")) == [("ablation.layer", "block0")]
    bad = decode_packet(TABLE, message("/performer/ablation/fill", "glitter"))
    assert not bad.changes and "not one of zero, mean, noise" in str(bad.errors[0])


def test_toggles_take_zero_and_one() -> None:
    assert changes(message("/performer/ablation/revive", 1)) == [("ablation.revive", True)]
    assert changes(message("/performer/ablation/revive", 0.0)) == [("ablation.revive", False)]
    assert changes(message("/performer/output/map", True)) == [("output.map", True)]
    assert changes(message("/performer/raw/output/map", 0)) == [("output.map", False)]


def test_triggers_fire_on_non_zero_and_ignore_the_release() -> None:
    assert changes(message("/performer/drift/new", 1)) == [("drift.new", True)]
    assert changes(message("/performer/drift/new", 0)) == []
    assert changes(message("/performer/drift/new")) == [("drift.new", True)]  # an impulse
    assert changes(message("/performer/ablation/reset", 0.5)) == [("ablation.reset", True)]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_rejected(value: float) -> None:
    for address in ("/performer/ablation/dead", "/performer/raw/ablation/rate",
                    "/performer/ablation/layer", "/performer/drift/new"):
        packet = decode_packet(TABLE, message(address, value))
        assert packet.changes == [] and len(packet.errors) == 1, (address, packet)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("half",), "expected a number"),
        ((b"\x01\x02",), "expected a number"),
        ((0.1, 0.2), "expected one value, got 2"),
        ((), "expected one value, got none"),
    ],
)
def test_wrong_types_are_errors_not_changes(args: tuple[object, ...], error: str) -> None:
    packet = decode_packet(TABLE, message("/performer/ablation/dead", *args))
    assert packet.changes == [] and error in str(packet.errors[0])


def test_unsupported_type_tags_are_errors() -> None:
    # ",c" (an ASCII char) is legal OSC that python-osc cannot parse: not a misread value.
    wire = b"/performer/ablation/dead\x00\x00\x00\x00,c\x00\x00\x00\x00\x00A"
    packet = decode_packet(TABLE, wire)
    assert packet.changes == [] and "unsupported type tag" in str(packet.errors[0])


def test_unknown_addresses_and_garbage() -> None:
    assert decode_packet(TABLE, message("/performer/ablation/deadd", 0.5)).unknown == [
        "/performer/ablation/deadd"]
    assert decode_packet(TABLE, message("/performer/state/fps", 1.0)).unknown  # read-only
    assert decode_packet(TABLE, b"\x00\x01 not osc").malformed
    assert decode_packet(TABLE, b"").malformed
    assert decode_packet(TABLE, b"#bundle\x00\x00\x00").malformed


def test_patterns_match_as_osc_1_0_says() -> None:
    assert dict(changes(message("/performer/drift/{speed,glide}", 0.0))) == {
        "drift.speed": 0.0, "drift.glide": 0.0}
    assert changes(message("/performer/ablation/de?d", 0.5)) == [("ablation.dead", 0.5)]
    assert {n for n, _ in changes(message("/performer/output/*", 0))} == {
        "output.blackout", "output.map", "output.fullscreen", "output.crossfade", "output.record"}
    assert {n for n, _ in changes(message("/performer/*/dead", 0))} == {"ablation.dead"}
    assert changes(message("/performer/ablation/[d]ead", 0.5)) == [("ablation.dead", 0.5)]
    assert changes(message("/performer/ablation/[a-e]e**d", 0.5)) == [("ablation.dead", 0.5)]
    assert changes(message("/performer/ablation/[!a-c]ead", 0.5)) == [("ablation.dead", 0.5)]
    assert changes(message("/performer/{ablation,}/dea{d,}", 0.5)) == [("ablation.dead", 0.5)]


def test_patterns_stay_within_one_segment_and_broken_ones_match_nothing() -> None:
    for pattern in ("/performer/*", "/performer/ablation?dead", "/performer/ablation[!x]dead",
                    "/performer/ablation/[dead", "/performer/{ablation/dead",
                    "/performer/ablation/[]dead", "/performer/ablation/dead*/"):
        assert decode_packet(TABLE, message(pattern, 0.5)).unknown == [pattern], pattern


def test_a_pattern_beyond_the_caps_is_refused_not_matched() -> None:
    """python-osc's regex for 19 stars took seconds on this 32-byte datagram, GIL held."""
    hostile = "/" + "*" * 19 + "/zz"
    packet = decode_packet(TABLE, message(hostile, 1.0))
    assert packet.refused == [hostile] and not packet.unknown and not packet.changes
    too_long = "/performer/ablation/dea?" + "x" * 300
    assert decode_packet(TABLE, message(too_long, 1.0)).refused == [too_long]
    # at the cap it is matched, and backtracking-hostile shapes cost no more than others
    at_cap = "/performer/*a*a*a*a*a*a*/*"
    assert sum(at_cap.count(c) for c in "*?[{") == MAX_WILDCARDS
    assert decode_packet(TABLE, message(at_cap, 0)).refused == []
    assert decode_packet(TABLE, message("/" + "*" * MAX_WILDCARDS + "/zz", 1.0)).unknown


ADDRESSES = sorted(route.address for route in TABLE.routes())
SEGMENTS = sorted({part for address in ADDRESSES for part in address.split("/")})


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    """A real address with some segments bent into patterns (that may or may not match)."""
    parts = draw(st.sampled_from(ADDRESSES)).split("/")[1:]
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(SEGMENTS)))
    bent = []
    for part in parts:
        at = draw(st.integers(0, len(part)))
        char = part[at:at + 1] or "x"
        other = draw(st.sampled_from(SEGMENTS))
        bent.append(draw(st.sampled_from([
            part, "*", part[:at] + "*", "*" + part[at:], part[:at] + "?" + part[at + 1:],
            part[:at] + f"[{char}q]" + part[at + 1:], part[:at] + f"[!{char}]" + part[at + 1:],
            part[:at] + "[a-m]" + part[at + 1:], f"{{{other},{part}}}", f"{{{other}}}",
            part[:at] + "{" + part[at:] + ",}", other,
        ])))
    return "/" + "/".join(bent)


def _python_osc_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()
    for route in TABLE.routes():
        dispatcher.map(route.address, print, route.address)
    return dispatcher


DISPATCHER = _python_osc_dispatcher()


@settings(max_examples=300, deadline=None)  # a busy machine is no failure: no time limit
@given(_patterns().filter(lambda p: sum(p.count(c) for c in "*?[{") <= 4))
def test_patterns_select_what_python_osc_selects(pattern: str) -> None:
    """Our matcher against python-osc's regex one (few wildcards: that one is exponential)."""
    dispatcher = DISPATCHER
    depth = pattern.count("/")  # python-osc's `[!..]` also takes a `/`; OSC 1.0 does not
    theirs = {h.args[0] for h in dispatcher.handlers_for_address(pattern)
              if h.args[0].count("/") == depth}
    assert {route.address for route in TABLE.match(pattern)} == theirs


def test_a_bundle_is_one_batch_in_order() -> None:
    dgram = bundle(message("/performer/ablation/layer", "block1"),
                   message("/performer/ablation/dead", 0.25),
                   message("/nowhere", 1),
                   message("/performer/drift/new", 1))
    packet = decode_packet(TABLE, dgram)
    assert [(c.name, c.value) for c in packet.changes] == [
        ("ablation.layer", "block1"), ("ablation.dead", 0.25), ("drift.new", True)]
    assert packet.unknown == ["/nowhere"]
    nested = bundle(bundle(message("/performer/ablation/dead", 1.0)),
                    message("/performer/output/map", 1))
    assert changes(nested) == [("ablation.dead", 1.0), ("output.map", True)]


def test_a_bundle_keeps_the_last_value_per_parameter_and_one_fire() -> None:
    dgram = bundle(*[message("/performer/ablation/dead", i / 10) for i in range(10)],
                   message("/performer/drift/new", 1), message("/performer/drift/new", 1),
                   message("/performer/ablation/{dead,rate}", 1.0),
                   message("/performer/drift/new", 0))
    assert changes(dgram) == [("ablation.dead", 1.0), ("drift.new", True),
                              ("ablation.rate", 2000.0)]
    # 3,000 `/*/*/*` fit one datagram: one change per parameter, not 21 per message
    flood = bundle(*[message("/*/*/*", i % 2) for i in range(3000)])
    packet = decode_packet(TABLE, flood)
    assert len({c.name for c in packet.changes}) == len(packet.changes) <= len(declare(LAYERS))


def test_messages_past_the_cap_in_one_datagram_are_dropped_unread() -> None:
    extra = 10
    dgram = bundle(*[message("/performer/raw/ablation/seed", i)
                     for i in range(MAX_MESSAGES + extra)])
    packet = decode_packet(TABLE, dgram)
    assert packet.excess == extra
    assert [(c.name, c.value) for c in packet.changes] == [("ablation.seed", MAX_MESSAGES - 1)]
    assert decode_packet(TABLE, bundle(*[message("/nowhere", 1)] * MAX_MESSAGES)).excess == 0


@given(st.data())
def test_feedback_is_what_the_address_takes(data: st.DataObject) -> None:
    """Sending a fed-back value back to its address sets the value it came from."""
    param = data.draw(st.sampled_from([p for p in declare(LAYERS) if p.kind is not Kind.TRIGGER]))
    if param.kind is Kind.CHOICE:
        value: object = data.draw(st.sampled_from(param.choices))
    elif param.kind is Kind.TOGGLE:
        value = data.draw(st.booleans())
    else:
        position = data.draw(st.floats(0.0, 1.0))
        value = param.from_normalized(position)
    sent = feedback_value(param, value)  # type: ignore[arg-type]
    route = TABLE.route(address_of(param.name))
    assert route is not None
    back = decode(route, [sent])
    assert back is not None
    if param.kind is Kind.FLOAT:
        assert back.value == pytest.approx(value, rel=1e-9, abs=1e-9)
    elif param.kind is Kind.INT:
        assert abs(int(back.value) - int(value)) <= 1  # type: ignore[call-overload]
    else:
        assert back.value == value


def test_parameters_added_later_get_addresses_feedback_and_oscquery() -> None:
    """No per-parameter code: a new declaration is reachable everywhere at once."""
    later = [
        Param("tempo.bpm", Kind.FLOAT, 120.0, "Tempo.", unit="bpm", minimum=20.0, maximum=300.0),
        Param("tempo.tap", Kind.TRIGGER, False, "Tap the tempo."),
        Param("midi.learn", Kind.CHOICE, "off", "Learn a control.",
              choices=("off", "ablation.dead", "drift.speed")),
        Param("model.truncation", Kind.FLOAT, 0.7, "Truncation psi.", maximum=1.0),
    ]
    registry = Registry([*declare(LAYERS), *later])
    table = AddressTable(registry.params())
    routed = {r.address for r in table.routes()}
    assert {"/performer/tempo/bpm", "/performer/raw/tempo/bpm", "/performer/tempo/tap",
            "/performer/midi/learn", "/performer/model/truncation"} <= routed

    def sent(address: str, *args: object) -> list[ParamChange]:
        return decode_packet(table, message(address, *args)).changes

    assert sent("/performer/tempo/bpm", 0.5)[0].value == 160.0
    assert sent("/performer/raw/tempo/bpm", 128)[0].value == 128.0
    assert sent("/performer/tempo/tap", 1)[0].value is True
    assert sent("/performer/midi/learn", "ablation.dead")[0].value == "ablation.dead"
    assert sent("/performer/midi/learn", 3)[0].value == "drift.speed"
    assert feedback_value(registry.param("midi.learn"), "drift.speed") == 3
    assert feedback_value(registry.param("tempo.bpm"), 160.0) == pytest.approx(0.5)

    tree = Namespace(registry, table).tree()
    bpm = find(tree, "/performer/raw/tempo/bpm")
    assert bpm is not None and bpm["RANGE"] == [{"MIN": 20.0, "MAX": 300.0}]
    learn = find(tree, "/performer/raw/midi/learn")
    assert learn is not None and learn["RANGE"] == [{"VALS": ["off", "ablation.dead",
                                                              "drift.speed"]}]


PREFIXES = st.sampled_from([
    b"", b"#bundle\x00", b"#bundle\x00" + bytes(8) + b"\x00\x00\x00\x10",
    b"/performer/ablation/dead\x00\x00\x00\x00,", b"/performer/ablation/dead\x00\x00\x00\x00,f[",
])


@settings(max_examples=1000)
@given(st.builds(bytes.__add__, PREFIXES, st.binary(max_size=300)))
def test_decoding_never_raises(dgram: bytes) -> None:
    packet = decode_packet(TABLE, dgram)
    for change in packet.changes:
        param = TABLE.route(address_of(change.name))
        assert param is not None and param.param.coerce(change.value) == change.value


def test_bundle_time_tags_are_not_waited_for() -> None:
    """TouchDesigner stamps its bundles with its own clock: they apply at once, never later
    (a decoder that honoured this tag would hold the test for an hour)."""
    import time

    builder = OscBundleBuilder(time.time() + 3600.0)  # an hour ahead
    builder.add_content(OscMessage(message("/performer/ablation/dead", 0.5)))  # type: ignore[arg-type]
    assert changes(builder.build().dgram) == [("ablation.dead", 0.5)]
