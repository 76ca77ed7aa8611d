"""The window's output picture, for real under Xvfb: drawn at the output size, the same
pixels an offscreen draw makes, shown in the window letterboxed, read back (late by the ring
on a GPU, at once on llvmpipe)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from performer.engine.session import open_session
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.render.pipeline import Look, Pipeline
from performer.render.window import Display

pytestmark = pytest.mark.usefixtures("x_display", "raise_glfw_errors")

WINDOW = (640, 480)
OUTPUT = (320, 180)


@pytest.fixture(scope="module")
def frames() -> list[Frame]:
    session = open_session(device="cpu")
    session.registry.set("drift.speed", 1.0)
    return [session.engine.step() for _ in range(6)]


def test_outputs_get_the_picture_at_the_output_size_and_the_window_shows_it_letterboxed(
        frames, offscreen) -> None:
    display = Display(WINDOW, vsync=False, output_size=OUTPUT)
    try:
        display.capturing = True
        depth = display.output.readback.depth
        mailbox: Mailbox[Frame] = Mailbox()
        pictures = []
        for frame in frames:
            mailbox.post(frame)
            display.refresh(mailbox)
            time.sleep(1 / display.refresh_hz)  # the show's pace: a picture every refresh
            pictures.append(display.capture())
            screen = np.frombuffer(display.ctx.screen.read(components=3), np.uint8)
        screen = screen.reshape(WINDOW[1], WINDOW[0], 3)[::-1]
    finally:
        display.close()
    late = max(depth - 1, 0)  # llvmpipe reads directly (depth 0); a GPU through the ring
    assert pictures[:late] == [None] * late
    shown = [p for p in pictures if p is not None]
    assert len(shown) == len(frames) - late
    assert [p.index for p in shown] == [f.index for f in frames[:len(shown)]]
    assert all(p.size == OUTPUT and p.fps == display.refresh_hz for p in shown)

    # The same frame drawn offscreen at the output size: the same pixels.
    target = offscreen(OUTPUT)
    pipeline = Pipeline(target.ctx)
    pipeline.upload(frames[len(shown) - 1])
    target.use()
    pipeline.draw(OUTPUT, Look.of(frames[len(shown) - 1]))
    np.testing.assert_array_equal(shown[-1].pixels[..., :3], target.read_rgb())

    # 320x180 in 640x480: scaled to 640x360, black bars of 60 rows above and below.
    assert screen[:60].max() == 0 and screen[-60:].max() == 0
    assert screen[60:420].mean() > 20


def test_without_outputs_the_window_draws_straight_to_the_screen(frames) -> None:
    display = Display(WINDOW, vsync=False, output_size=OUTPUT)
    try:
        mailbox: Mailbox[Frame] = Mailbox()
        mailbox.post(frames[0])
        display.refresh(mailbox)
        assert display.capture() is None  # not capturing: nothing read back
        screen = np.frombuffer(display.ctx.screen.read(components=3), np.uint8)
    finally:
        display.close()
    screen = screen.reshape(WINDOW[1], WINDOW[0], 3)[::-1]
    # The window's own layout: the square face fills the height, bars left and right.
    assert screen[:, :80].max() == 0 and screen[:60, 80:560].max() > 0
