"""The headless EGL target: orientation of read-backs, and a clear error when EGL is missing."""

from __future__ import annotations

import numpy as np
import pytest

from performer.render.offscreen import Offscreen, OffscreenError


def test_read_rgb_has_row_zero_at_the_top(offscreen) -> None:
    target = offscreen((40, 30))
    target.use()
    target.ctx.clear(0.0, 0.0, 1.0, 1.0)
    # GL's y runs upwards: a band at y = 20..29 is the top ten rows of the picture.
    target.ctx.clear(1.0, 0.0, 0.0, 1.0, viewport=(0, 20, 40, 10))
    target.ctx.clear(0.0, 1.0, 0.0, 1.0, viewport=(0, 0, 5, 30))
    pixels = target.read_rgb()
    assert pixels.shape == (30, 40, 3) and pixels.dtype == np.uint8
    assert pixels.flags.c_contiguous
    assert (pixels[:10, 5:] == (255, 0, 0)).all()
    assert (pixels[10:, 5:] == (0, 0, 255)).all()
    assert (pixels[:, :5] == (0, 255, 0)).all()


def test_context_is_opengl_33_or_later(offscreen) -> None:
    assert offscreen((4, 4)).ctx.version_code >= 330


def test_missing_egl_is_one_clear_line() -> None:
    with pytest.raises(OffscreenError) as caught:
        Offscreen((8, 8), libegl="libEGL-not-installed.so.1")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot create an EGL OpenGL context (")
    assert "libEGL-not-installed.so.1" in message
    assert caught.value.__cause__ is not None


def test_size_must_be_positive() -> None:
    with pytest.raises(OffscreenError, match=r"^framebuffer size must be positive, got 0x10$"):
        Offscreen((0, 10))


def test_release_twice_is_harmless() -> None:
    target = Offscreen((4, 4))
    target.release()
    target.release()
