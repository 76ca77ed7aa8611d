"""Reading the output picture back through the PBO ring (real EGL), and the window's output
picture: drawn at the output size, presented letterboxed, read back exactly."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from performer.render.output_target import Pacer, letterbox
from performer.render.readback import DEPTH, Readback, depth_for

SIZE = (64, 48)


def paint(target, value: int) -> None:
    """Fill the framebuffer with a colour that names the refresh, and a marked top row."""
    target.use()
    target.ctx.clear(value / 255, 0.0, 0.0, 1.0)
    target.ctx.scissor = (0, SIZE[1] - 1, SIZE[0], 1)  # GL row h-1 is the picture's top row
    target.ctx.clear(value / 255, 1.0, 0.0, 1.0)
    target.ctx.scissor = None


def test_the_ring_hands_back_each_picture_depth_minus_one_refreshes_late(offscreen) -> None:
    target = offscreen(SIZE)
    readback = Readback(target.ctx, SIZE)
    handed: list = []
    for refresh in range(8):
        paint(target, 10 * refresh)
        handed.append(readback.push(target.fbo, refresh, refresh / 30, 30.0))
    assert handed[:DEPTH - 1] == [None] * (DEPTH - 1)
    for refresh, picture in enumerate(handed[DEPTH - 1:]):
        assert picture.index == refresh and picture.time == pytest.approx(refresh / 30)
        assert picture.size == SIZE and picture.fps == 30.0
        assert picture.pixels.shape == (SIZE[1], SIZE[0], 4)
        assert (picture.pixels[1:, :, 0] == 10 * refresh).all()  # the frame it says it is
        assert (picture.pixels[0, :, 1] == 255).all()  # row 0 is the top
        assert (picture.pixels[1:, :, 1] == 0).all()
    readback.release()


@pytest.mark.parametrize("depth", [0, 1, DEPTH])
def test_every_byte_comes_back_exactly_top_row_first(offscreen, depth) -> None:
    target = offscreen(SIZE)
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (SIZE[1], SIZE[0], 4), dtype=np.uint8)  # row 0 at the top
    texture = target.ctx.texture(SIZE, 4, np.ascontiguousarray(image[::-1]).tobytes())
    fbo = target.ctx.framebuffer(color_attachments=[texture])
    readback = Readback(target.ctx, SIZE, depth)
    pushed = [readback.push(fbo, index, 0.0, 30.0) for index in range(max(depth, 1))]
    picture = pushed[-1]
    assert picture is not None and picture.index == 0
    np.testing.assert_array_equal(picture.pixels, image)
    assert not picture.pixels.flags.writeable  # shared by every output: read-only
    readback.release()


@pytest.mark.parametrize(("picture", "screen", "rect"), [
    ((1920, 1080), (1920, 1080), (0, 0, 1920, 1080)),
    ((1920, 1080), (640, 480), (0, 60, 640, 360)),  # bars above and below
    ((1080, 1080), (1920, 1080), (420, 0, 1080, 1080)),  # bars left and right
    ((640, 480), (1280, 960), (0, 0, 1280, 960)),
])
def test_letterbox_keeps_the_aspect_and_centres(picture, screen, rect) -> None:
    got = letterbox(picture, screen)
    assert (got.x, got.y, got.w, got.h) == rect


@pytest.mark.parametrize(("renderer", "depth"), [
    ("llvmpipe (LLVM 15.0.6, 256 bits)", 0),
    ("NVIDIA H200/PCIe/SSE2", DEPTH),
    ("AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 15.0.6, DRM 3.54)", DEPTH),
    ("Apple M2", DEPTH),
])
def test_a_software_renderer_reads_directly_a_gpu_through_the_ring(renderer, depth) -> None:
    assert depth_for(SimpleNamespace(info={"GL_RENDERER": renderer})) == depth


def test_a_direct_read_has_no_delay(offscreen) -> None:
    target = offscreen(SIZE)
    readback = Readback(target.ctx, SIZE, 0)
    paint(target, 70)
    picture = readback.push(target.fbo, 5, 0.5, 30.0)  # no delay
    assert picture is not None and picture.index == 5 and (picture.pixels[1:, :, 0] == 70).all()
    readback.release()


@pytest.mark.parametrize(("fps", "refresh_hz", "ticks", "handed"), [
    (60.0, 60.0, 60, 60),  # every refresh
    (20.0, 60.0, 60, 20),  # every third
    (25.0, 60.0, 120, 50),  # 25 a second out of 60, evenly
    (120.0, 60.0, 60, 60),  # never more than the refreshes
])
def test_the_pacer_hands_on_fps_pictures_a_second(fps, refresh_hz, ticks, handed) -> None:
    pacer = Pacer(fps, refresh_hz)
    due = [pacer.due(tick / refresh_hz) for tick in range(ticks)]
    assert sum(due) == handed and due[0]
    assert pacer.fps == min(fps, refresh_hz)


def test_refreshes_slower_than_the_rate_all_hand_on_a_picture() -> None:
    pacer = Pacer(30.0, 60.0)
    assert all(pacer.due(tick * 0.1) for tick in range(20))  # a slow machine: 10 refreshes/s
