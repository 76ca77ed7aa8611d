"""The live window, for real: GLFW under Xvfb, the real model, pixels read back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import glfw
import numpy as np
import pytest
import torch

from performer.controls import make_registry
from performer.device import DeviceError, choose_device
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.render import window
from performer.render.shaders import builtin_shader_dir
from performer.render.window import Display, key_name
from performer.session import open_session

pytestmark = pytest.mark.usefixtures("x_display", "raise_glfw_errors")

SIZE = (640, 480)


@pytest.fixture
def display() -> Iterator[Display]:
    registry = make_registry(["block0", "block1", "block2", "block3"])
    shown = Display(registry, SIZE, vsync=False)
    try:
        yield shown
    finally:
        shown.close()


@pytest.fixture(scope="module")
def frame() -> Frame:
    session = open_session(device="cpu")
    session.registry.set("drift.seed", 7)
    session.engine.drift.seed = -1  # start straight on seed 7's face, no glide
    session.registry.set("drift.glide", 0.0)
    return session.engine.step()


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


def test_blackout_and_map_change_the_picture(display: Display, frame: Frame) -> None:
    display.show(frame)
    normal = read_screen(display)
    display.registry.set("output.blackout", 1.0)
    display.show(None)
    assert read_screen(display).max() <= 1
    display.registry.set("output.blackout", 0.0)
    display.registry.set("output.map", True)
    display.show(None)
    assert np.abs(read_screen(display).astype(int) - normal).mean() > 1.0


def test_keys_drive_the_registry(display: Display) -> None:
    registry = display.registry
    display._on_key(display.window, glfw.KEY_UP, 0, glfw.PRESS, 0)
    assert float(registry.value("ablation.rate")) > 0
    display._on_key(display.window, glfw.KEY_R, 0, glfw.PRESS, 0)
    assert registry.value("ablation.revive") is True
    display._on_key(display.window, glfw.KEY_L, 0, glfw.PRESS, 0)
    assert registry.value("ablation.layer") == "block0"
    display._on_key(display.window, glfw.KEY_L, 0, glfw.PRESS, glfw.MOD_SHIFT)
    assert registry.value("ablation.layer") == "all"
    display._on_key(display.window, glfw.KEY_ESCAPE, 0, glfw.PRESS, 0)
    assert display.running is False
    assert key_name(glfw.KEY_LEFT_BRACKET, 0) == "LEFT_BRACKET"


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


def test_performer_run_opens_and_closes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "performer.cli", "run", "--seconds", "3", "--size", "320x240",
         "--no-vsync"],
        capture_output=True, text=True, timeout=120, env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    assert "first frame" in result.stderr


def test_no_display_points_at_render() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "performer.cli", "run", "--seconds", "1"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert "no display" in last and "performer render" in last
    assert "Traceback" not in result.stderr


def test_missing_gpu_is_a_clear_error_and_cpu_is_the_fallback() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the fallback is tested on machines without it")
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        choose_device("cuda")
    assert choose_device(None).type in ("cpu", "mps")


def test_an_edited_shader_reloads_by_itself_and_a_broken_one_keeps_the_last_good(
    frame: Frame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(window, "SHADER_CHECK_S", 0.0)
    shutil.copy(builtin_shader_dir() / "face.frag", tmp_path / "face.frag")
    monkeypatch.setenv("PERFORMER_SHADER_PATH", str(tmp_path))  # user folder comes first
    shown = Display(make_registry(["block0"]), SIZE, vsync=False)
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
    shown = Display(make_registry(["block0"]), (160, 120), vsync=False)
    try:
        shown.ctx.screen.use()
        assert "llvmpipe" in shown.ctx.info["GL_RENDERER"] or shown.ctx.version_code >= 330
    finally:
        shown.close()
