"""A live show for the console tests: the real built-in model, the engine on its thread,
a consumer that takes frames as the window does, the console and OSC on ephemeral ports."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from performer.control.osc.service import OscService
from performer.control.show import Show
from performer.control.web.feed import FrameFeed
from performer.control.web.service import WebService
from performer.engine.session import Session, open_session
from performer.frame import Frame
from performer.mailbox import Mailbox


class LiveShow:
    """What `performer run` wires, without the window: engine -> mailbox -> a display
    stand-in that keeps every frame's values and feeds the preview."""

    def __init__(self, web_host: str = "127.0.0.1", token: str | None = None) -> None:
        self.session: Session = open_session(None, "cpu")
        self.registry = self.session.registry
        self.mailbox: Mailbox[Frame] = Mailbox()
        self.frames: list[Frame] = []
        self.feed = FrameFeed()
        show = Show(self.registry, self.latest, self.feed.figures, lambda: 60.0)
        self.web = WebService(show, web_host, 0, token)
        self.feed.add(self.web.video_outputs)
        self.osc = OscService(show, port=0, targets=[], query_port=None)
        self._running = True
        self._consumer = threading.Thread(target=self._consume, daemon=True)

    def latest(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    def _consume(self) -> None:
        while self._running:
            frame = self.mailbox.take(timeout=0.1)
            self.registry.drain()  # as the live loop does every refresh
            if frame is not None:
                self.frames.append(frame)
                del self.frames[:-50]
                self.feed.offer(frame)

    def start(self) -> LiveShow:
        self.web.start()
        self.osc.start()
        self.session.engine.start(self.mailbox)
        self._consumer.start()
        return self

    def stop(self) -> None:
        self._running = False
        self.session.engine.stop()
        self._consumer.join(timeout=5.0)
        self.feed.close()
        self.osc.stop()
        self.web.stop()


@pytest.fixture(scope="module")
def live() -> Iterator[LiveShow]:
    show = LiveShow().start()
    yield show
    show.stop()
