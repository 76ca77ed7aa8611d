"""Routes over real OSC: a route's depth moved live; feedback sends the base value (the
knob stays where it was put), the state sends the modulated one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from performer.control.osc.service import OscService
from performer.control.osc.state import STATE
from performer.control.show import Show
from performer.engine.engine import Engine
from performer.frame import Frame
from performer.mailbox import Mailbox
from tests.control.osc.conftest import Receiver
from tests.helpers import wait_until


def test_a_routes_depth_moved_over_osc(engine_factory: Callable[..., Engine],
                                       receiver: Receiver, client_for: Callable) -> None:
    engine = engine_factory({"route.1.source": "lfo1", "route.1.target": "drift.glide",
                             "lfo.1.shape": "square", "drift.glide": 2.0})
    frames: Mailbox[Frame] = Mailbox()
    osc = OscService(Show(engine.registry, frames.peek), port=0,
                     targets=[("127.0.0.1", receiver.port)], query_port=None).start()
    try:
        frames.post(engine.step())
        assert frames.peek().values.float("drift.glide") == 2.0  # depth 0: no movement
        # (the plain address takes 0..1 of the range, as Resolume sends: 0.625 is +0.25)
        client_for(osc.server.port).send_message("/performer/route/1/depth", 0.625)
        wait_until(lambda: engine.registry.values().float("route.1.depth") == 0.25
                   or engine.registry.drain() or False, what="the depth applied")
        frame = engine.step()
        frames.post(frame)
        assert frame.values.float("drift.glide") == 2.0 + 0.25 * 1.0 * 10.0  # square on: 4.5
        assert engine.registry.value("drift.glide") == 2.0  # the base stays
        receiver.wait_for(lambda m: any(a == "/performer/route/1/depth" for a, _ in m))
        receiver.wait_for(lambda m: any(a == f"{STATE}/modulated/drift/glide" and v == [4.5]
                                        for a, v in m))
        sent = receiver.values("/performer/drift/glide")  # feedback: the base (0..1 of 0..10)
        assert sent and all(v == pytest.approx(0.2) for v in sent), sent
        assert receiver.values(f"{STATE}/source/lfo1")[-1] == 1.0
    finally:
        osc.stop()
