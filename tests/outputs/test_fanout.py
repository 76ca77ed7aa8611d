"""The fan-out, with plain Python outputs: each on its own thread, a lagging one drops and
counts, one that raises is closed in one line while the others go on."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from performer.outputs.fanout import Fanout
from performer.video import VideoFrame

PIXELS = np.zeros((4, 6, 4), np.uint8)


def picture(index: int) -> VideoFrame:
    return VideoFrame(pixels=PIXELS, index=index, time=index / 30, fps=30.0)


class Collecting:
    """Keeps what it is handed; `delay` makes it slower than the show."""

    def __init__(self, name: str, delay: float = 0.0) -> None:
        self.name = name
        self.delay = delay
        self.opened: list[tuple[tuple[int, int], float]] = []
        self.indices: list[int] = []
        self.closed = threading.Event()

    def open(self, size: tuple[int, int], fps: float) -> None:
        self.opened.append((size, fps))

    def send(self, frame: VideoFrame) -> None:
        time.sleep(self.delay)
        self.indices.append(frame.index)

    def close(self) -> None:
        self.closed.set()


class Raising(Collecting):
    def send(self, frame: VideoFrame) -> None:
        if frame.index >= 3:
            raise ConnectionError("receiver went away\nsecond line")
        super().send(frame)


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_each_output_is_opened_with_the_pictures_size_and_rate_and_gets_them_in_order() -> None:
    fast = Collecting("fast")
    fanout = Fanout([fast])
    for index in range(20):
        fanout.post(picture(index))
        wait_for(lambda index=index: fast.indices[-1:] == [index])
    fanout.close()
    assert fast.opened == [((6, 4), 30.0)]
    assert fast.indices == list(range(20))
    assert fast.closed.is_set()
    assert fanout.figures() == []  # closed: nothing left to report


def test_a_lagging_output_drops_and_counts_while_the_poster_never_waits() -> None:
    slow, fast = Collecting("slow", delay=0.05), Collecting("fast")
    fanout = Fanout([slow, fast])
    started = time.perf_counter()
    for index in range(60):
        fanout.post(picture(index))
        time.sleep(0.005)
    posting = time.perf_counter() - started
    wait_for(lambda: fast.indices[-1:] == [59])
    wait_for(lambda: slow.indices[-1:] == [59])  # the newest picture always gets through
    figures = {f.name: f for f in fanout.figures()}
    fanout.close()
    assert posting < 60 * 0.05  # never paced by the slow output
    assert figures["slow"].dropped > 0
    assert figures["slow"].sent + figures["slow"].dropped == 60
    assert figures["slow"].sent == len(slow.indices)
    assert slow.indices == sorted(slow.indices)
    assert figures["fast"].dropped == 0 and figures["fast"].sent == 60
    assert figures["fast"].fps > figures["slow"].fps > 0


def test_an_output_that_raises_is_closed_in_one_line_and_the_others_go_on(caplog) -> None:
    bad, good = Raising("bad"), Collecting("good")
    fanout = Fanout([bad, good])
    with caplog.at_level(logging.ERROR):
        for index in range(10):
            fanout.post(picture(index))
            wait_for(lambda index=index: good.indices[-1:] == [index])
        wait_for(bad.closed.is_set)
    figures = {f.name: f for f in fanout.figures()}
    assert figures["bad"].failed and not figures["good"].failed
    assert bad.indices == [0, 1, 2]
    assert good.indices == list(range(10))
    assert fanout.active  # the good one still takes pictures
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["output bad failed and is closed, the show goes on: "
                      "ConnectionError: receiver went away second line"]
    fanout.close()


def test_removing_an_output_closes_it_and_a_failed_one_is_no_longer_active() -> None:
    recorder, bad = Collecting("record"), Raising("bad")
    fanout = Fanout([recorder])
    fanout.post(picture(0))
    wait_for(lambda: recorder.indices == [0])
    fanout.remove("record")
    assert recorder.closed.is_set() and fanout.names() == []
    assert not fanout.active
    fanout.add(bad)
    for index in range(5):
        fanout.post(picture(index))
        time.sleep(0.02)
    wait_for(bad.closed.is_set)
    assert not fanout.active  # nothing takes pictures: the window stops reading them back
    fanout.close()


@pytest.mark.parametrize("where", ["open", "close"])
def test_failures_in_open_or_close_are_one_line_too(caplog, where) -> None:
    class Broken(Collecting):
        def open(self, size: tuple[int, int], fps: float) -> None:
            if where == "open":
                raise OSError("no such device")

        def close(self) -> None:
            self.closed.set()
            if where == "close":
                raise OSError("flush failed")

    broken = Broken("broken")
    fanout = Fanout([broken])
    with caplog.at_level(logging.ERROR):
        fanout.post(picture(0))
        wait_for(lambda: fanout.figures()[0].failed or fanout.figures()[0].sent == 1)
        fanout.close()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "broken" in errors[0]
    assert ("no such device" if where == "open" else "flush failed") in errors[0]
