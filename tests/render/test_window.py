"""The projector window, for real: GLFW under Xvfb, the real model's frames, pixels read back."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import glfw
import numpy as np
import pytest

from performer.engine.session import open_session
from performer.frame import Fade, Frame
from performer.mailbox import Mailbox
from performer.params import Snapshot
from performer.render import drawer
from performer.render.shaders import builtin_shader_dir
from performer.render.window import Display, key_name

pytestmark = pytest.mark.usefixtures("x_display", "raise_glfw_errors")

SIZE = (640, 480)


@pytest.fixture(scope="module")
def frame() -> Frame:
    session = open_session(device="cpu")
    session.registry.set("drift.seed", 7)
    session.registry.set("drift.glide", 0.0)
    session.engine.step()  # the glide to seed 7 takes no time
    return session.engine.step()


def with_values(frame: Frame, **changes: object) -> Frame:
    """The same frame made with other output values (`output_map=True` -> output.map)."""
    values = {**frame.values.data, **{k.replace("_", ".", 1): v for k, v in changes.items()}}
    return dataclasses.replace(frame, values=Snapshot(values))


def read_screen(display: Display) -> np.ndarray:
    width, height = glfw.get_framebuffer_size(display.window)
    raw = display.ctx.screen.read(viewport=(0, 0, width, height), components=3)
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3)[::-1]  # row 0 on top


def upscale_nearest(image: np.ndarray, size: int) -> np.ndarray:
    index = (np.arange(size) * image.shape[0] // size).clip(0, image.shape[0] - 1)
    return image[index][:, index]


def test_window_shows_the_generators_image_upscaled(display: Display, frame: Frame) -> None:
    display.show(frame)
    pixels = read_screen(display).astype(np.int16)
    # 640x480 window, 64x64 face: a centred 480x480 square, black bars of 80 px each side.
    assert pixels[:, :78].max() == 0 and pixels[:, -78:].max() == 0
    face = pixels[:, 80:560]
    reference = upscale_nearest(frame.image, 480).astype(np.int16)
    difference = np.abs(face - reference)
    # Bicubic against nearest differs at edges inside each 7.5 px cell; on average the
    # pictures agree closely, and a flipped or shifted image would be far off (checked).
    assert difference.mean() < 12.0, difference.mean()
    flipped = np.abs(face - reference[::-1]).mean()
    assert flipped > 2 * difference.mean()


def test_blackout_and_map_come_with_the_frame(display: Display, frame: Frame) -> None:
    display.show(frame)
    normal = read_screen(display)
    display.show(with_values(frame, output_blackout=1.0))
    assert read_screen(display).max() <= 1
    display.show(None)  # no new frame: the one on screen keeps its look
    assert read_screen(display).max() <= 1
    display.show(with_values(frame, output_map=True))
    assert np.abs(read_screen(display).astype(int) - normal).mean() > 1.0


def test_keys_reach_the_owner_by_name(display: Display) -> None:
    pressed: list[str] = []
    display.on_key = pressed.append
    display.key_event(display.window, glfw.KEY_UP, 0, glfw.PRESS, 0)
    display.key_event(display.window, glfw.KEY_L, 0, glfw.REPEAT, glfw.MOD_SHIFT)
    display.key_event(display.window, glfw.KEY_L, 0, glfw.RELEASE, 0)
    assert pressed == ["UP", "SHIFT+L"]
    assert key_name(glfw.KEY_LEFT_BRACKET, 0) == "LEFT_BRACKET"


def test_a_failing_key_handler_does_not_take_the_window_down(display: Display) -> None:
    def broken(key: str) -> None:
        raise RuntimeError("boom")

    display.on_key = broken
    display.key_event(display.window, glfw.KEY_UP, 0, glfw.PRESS, 0)
    assert display.running


def test_fullscreen_uses_the_monitors_mode_and_comes_back(display: Display) -> None:
    display.set_fullscreen(True)
    glfw.poll_events()
    mode = glfw.get_video_mode(glfw.get_primary_monitor())
    assert glfw.get_window_monitor(display.window)  # a NULL pointer object is falsy
    assert tuple(glfw.get_window_size(display.window)) == (mode.size.width, mode.size.height)
    assert glfw.get_window_attrib(display.window, glfw.AUTO_ICONIFY) == 0
    display.set_fullscreen(False)
    glfw.poll_events()
    assert not glfw.get_window_monitor(display.window)
    assert tuple(glfw.get_window_size(display.window)) == SIZE


def test_an_edited_shader_reloads_by_itself_and_a_broken_one_keeps_the_last_good(
    frame: Frame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(drawer, "SHADER_CHECK_S", 0.0)
    shutil.copy(builtin_shader_dir() / "face.frag", tmp_path / "face.frag")
    monkeypatch.setenv("PERFORMER_SHADER_PATH", str(tmp_path))  # user folder comes first
    shown = Display(SIZE, vsync=False)
    try:
        mailbox: Mailbox[Frame] = Mailbox()
        mailbox.post(frame)
        shown.refresh(mailbox)
        assert not (read_screen(shown)[240, 320] == (255, 0, 0)).all()

        # An edit that paints the face red is picked up on the next refresh, no key pressed.
        text = (tmp_path / "face.frag").read_text()
        body_end = text.rstrip().rindex("}")
        red = text[:body_end] + "    f_color = vec4(1.0, 0.0, 0.0, 1.0);\n}\n"
        (tmp_path / "face.frag").write_text(red)
        os.utime(tmp_path / "face.frag", (1e9, 2e9))
        shown.refresh(mailbox)
        shown.show(None)
        assert (read_screen(shown)[240, 320] == (255, 0, 0)).all()

        # A broken edit is reported and the red program keeps running.
        (tmp_path / "face.frag").write_text(red.replace("void main()", "void main("))
        os.utime(tmp_path / "face.frag", (1e9, 3e9))
        shown.refresh(mailbox)
        shown.show(None)
        assert (read_screen(shown)[240, 320] == (255, 0, 0)).all()
        assert not shown.pipeline.library.stale()  # not retried until the next edit
    finally:
        shown.close()


def test_a_window_opens_after_an_offscreen_context_was_used() -> None:
    # Offscreen (EGL) then a window (GLX) on the same thread: EGL must be let go of first.
    from performer.render.offscreen import Offscreen

    with Offscreen((32, 32)) as target:
        target.use()
    shown = Display((160, 120), vsync=False)
    try:
        shown.ctx.screen.use()
        assert "llvmpipe" in shown.ctx.info["GL_RENDERER"] or shown.ctx.version_code >= 330
    finally:
        shown.close()


def test_the_window_is_black_until_the_first_frame(display: Display) -> None:
    display.ctx.screen.use()
    display.ctx.clear(1.0, 0.0, 0.0)  # whatever the back buffer held
    display.show(None)
    assert read_screen(display).max() <= 1


def test_a_blackout_fade_goes_on_between_frames(display: Display, frame: Frame) -> None:
    fading = dataclasses.replace(frame, fade=Fade(target=1.0, per_second=1e9))
    display.show(fading)  # shown at once: the fade has not run yet
    assert read_screen(display).max() > 100
    display.show(None)  # no new frame, time went on: the fade did too
    assert read_screen(display).max() <= 1
