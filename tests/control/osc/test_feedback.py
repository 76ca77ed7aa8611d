"""Feedback on real UDP: a python-osc socket stands in for TouchDesigner's OSC In."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
from pythonosc.osc_packet import OscPacket

from performer.control import keyboard
from performer.control.osc.feedback import Feedback, bundles
from performer.control.osc.options import parse_target
from performer.control.osc.service import OscService
from performer.control.show import Show
from performer.controls import make_registry
from performer.engine.engine import Engine
from performer.frame import Frame
from performer.mailbox import Mailbox
from tests.helpers import LAYERS, wait_until

DEAD = "/performer/ablation/dead"


@pytest.fixture
def service(engine_factory: Callable[..., Engine], receiver: object
            ) -> Iterator[Callable[..., OscService]]:
    started: list[OscService] = []

    def make(engine: Engine | None = None, frames: Mailbox[Frame] | None = None,
             **kwargs: object) -> OscService:
        """A service on `engine`'s show; its state is read from `frames` (the newest frame
        `engine.run_once(frames)` posted), as the live show wires it."""
        engine = engine or engine_factory()
        options: dict[str, object] = {"port": 0, "query_port": 0,
                                      "targets": [("127.0.0.1", receiver.port)]}  # type: ignore[attr-defined]
        options.update(kwargs)
        frames = frames if frames is not None else Mailbox()
        engine.attach(frames)
        show = Show(engine.registry, frames.peek)
        osc = OscService(show, **options).start()  # type: ignore[arg-type]
        started.append(osc)
        return osc

    yield make
    for osc in started:
        osc.stop()


def _startup_dump_received(osc: OscService, receiver) -> bool:
    """Wait until every value sent at start has arrived (however loaded the machine)."""
    wanted = {f"/performer/{p.name.replace('.', '/')}" for p in osc.feedback.registry.params()
              if p.kind.value != "trigger"}
    return receiver.wait_for(lambda got: wanted <= {a for a, _ in got})  # type: ignore[no-any-return]


def _after_the_startup_dump(osc: OscService, receiver) -> None:
    assert _startup_dump_received(osc, receiver)
    receiver.messages.clear()


def test_start_sends_every_value_so_surfaces_show_the_show(service, receiver) -> None:
    osc = service()
    assert _startup_dump_received(osc, receiver)
    assert receiver.values("/performer/ablation/order") == [4]  # importance, 1-based
    assert receiver.values("/performer/drift/glide") == [pytest.approx(0.2)]  # 2 s of 0..10


def test_a_change_over_osc_is_fed_back_normalised(service, receiver, client_for) -> None:
    osc = service()
    registry = osc.feedback.registry
    _after_the_startup_dump(osc, receiver)
    client_for(osc.server.port).send_message("/performer/raw/ablation/rate", 500.0)
    wait_until(lambda: osc.server.counters.applied == 1)
    assert registry.value("ablation.rate") != 500.0  # queued, not applied yet
    # A marker applied now is fed back no earlier than anything applied before it (both
    # addresses were last sent together, in the startup dump): once it is here, a fed-back
    # rate would be too.
    registry.set("output.crossfade", 0.5, "test")
    receiver.wait_for(lambda got: receiver.values("/performer/output/crossfade"))
    assert receiver.values("/performer/ablation/rate") == []
    registry.drain()  # a frame starts
    receiver.wait_for(lambda got: receiver.values("/performer/ablation/rate"))
    assert receiver.values("/performer/ablation/rate") == [pytest.approx(0.5)]  # sqrt curve


def test_keyboard_changes_are_fed_back(service, receiver) -> None:
    osc = service()
    registry = osc.feedback.registry
    _after_the_startup_dump(osc, receiver)
    keyboard.handle("SHIFT+RIGHT", registry)  # kill 10 % more
    keyboard.handle("L", registry)  # next layer: block0
    keyboard.handle("R", registry)  # revive on
    receiver.wait_for(lambda got: {DEAD, "/performer/ablation/layer",
                                   "/performer/ablation/revive"} <= {a for a, _ in got})
    assert receiver.values(DEAD) == [pytest.approx(0.1)]
    assert receiver.values("/performer/ablation/layer") == [2]
    assert receiver.values("/performer/ablation/revive") == [1]


def test_engine_automation_is_fed_back_coalesced(engine_factory, service, receiver) -> None:
    engine = engine_factory({"ablation.rate": 960.0})  # every neuron dies in one second
    osc = service(engine)
    _after_the_startup_dump(osc, receiver)
    started = time.monotonic()
    for _ in range(30):  # one second of timeline, as fast as the CPU makes it
        engine.step()
    last = pytest.approx(29 / 30, abs=1e-6)
    receiver.wait_for(lambda got: last in receiver.values(DEAD))  # the rate's progress
    elapsed = time.monotonic() - started
    values = receiver.values(DEAD)
    assert values == sorted(values) and values[-1] == last
    assert len(values) <= elapsed * 30 + 2, "at most 30 messages a second per address"
    assert osc.feedback.sent >= len(values)


def test_a_burst_sends_the_newest_value_at_most_thirty_times_a_second(service, receiver) -> None:
    osc = service()
    registry = osc.feedback.registry
    _after_the_startup_dump(osc, receiver)
    started = time.monotonic()
    for i in range(1, 2001):
        registry.set("ablation.dead", i / 2000, "test")
    receiver.wait_for(lambda got: pytest.approx(1.0) in receiver.values(DEAD))
    values = receiver.values(DEAD)
    assert values[-1] == pytest.approx(1.0)
    assert len(values) <= (time.monotonic() - started) * 30 + 2


def test_state_is_published(engine_factory, service, receiver) -> None:
    engine = engine_factory({"ablation.dead": 0.5, "drift.seed": 42})
    frames: Mailbox[Frame] = Mailbox()
    service(engine, frames=frames)
    engine.run_once(frames)  # the state is read from the newest frame
    states = ["/performer/state/fps", "/performer/state/generator_ms",
              "/performer/state/alive/all", "/performer/state/face",
              *[f"/performer/state/alive/{name}" for name in LAYERS]]
    assert receiver.wait_for(lambda got: set(states) <= {a for a, _ in got})
    alive = "/performer/state/alive/all"
    assert receiver.wait_for(lambda got: pytest.approx(0.5) in receiver.values(alive))
    per_layer = [receiver.values(f"/performer/state/alive/{n}")[-1] for n in LAYERS]
    assert all(0.0 <= f <= 1.0 for f in per_layer)  # type: ignore[operator]
    assert receiver.values("/performer/state/face")[-1] == 42


def test_reply_goes_to_the_last_sender(service, receiver) -> None:
    osc = service(targets=[], reply=True)
    surface = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    surface.bind(("127.0.0.1", 0))
    surface.settimeout(5.0)
    surface.sendto(_message(DEAD, 0.3), ("127.0.0.1", osc.server.port))
    wait_until(lambda: osc.server.last_sender is not None)
    osc.feedback.registry.drain()
    got: list[tuple[str, object]] = []
    while not any(a == DEAD for a, _ in got):
        data, _ = surface.recvfrom(65535)
        got += [(m.message.address, m.message.params[0]) for m in OscPacket(data).messages]
    surface.close()
    assert dict(got)[DEAD] == pytest.approx(0.3)


def _message(address: str, value: float) -> bytes:
    from pythonosc.osc_message_builder import OscMessageBuilder

    builder = OscMessageBuilder(address)
    builder.add_arg(value)
    return builder.build().dgram


def test_unreachable_targets_do_not_stop_feedback(receiver) -> None:
    registry = make_registry(LAYERS)
    feedback = Feedback(registry, [("no-such-host.invalid", 9000), ("127.0.0.1", 9),
                                   ("127.0.0.1", receiver.port)])
    assert feedback.targets[-1] == ("127.0.0.1", receiver.port) and len(feedback.targets) == 2
    feedback.start()
    try:
        registry.set("output.blackout", 1.0)
        receiver.wait_for(lambda got: 1.0 in receiver.values("/performer/output/blackout"))
    finally:
        feedback.stop()


def test_bundles_stay_small_and_targets_parse() -> None:
    values = [(f"/performer/x/{i}", float(i)) for i in range(60)]
    datagrams = bundles(values)
    assert len(datagrams) == 3 and all(len(d) < 1400 for d in datagrams)
    parsed = [(m.message.address, m.message.params[0])
              for d in datagrams for m in OscPacket(d).messages]
    assert parsed == values
    assert parse_target("192.168.1.20:9000") == ("192.168.1.20", 9000)
    assert parse_target("9001") == ("127.0.0.1", 9001)
    assert parse_target("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_target("touch:desk")
    with pytest.raises(ValueError, match="out of range"):
        parse_target("host:70000")
