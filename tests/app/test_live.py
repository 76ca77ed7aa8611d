"""`performer run`, wired: keys through to the registry and the window, and the command
as a user runs it (under Xvfb)."""

from __future__ import annotations

import os
import subprocess
import sys

import glfw
import pytest
import torch

from performer.app.live import KeyHandler
from performer.controls import make_registry
from performer.models.device import DeviceError, choose_device
from performer.render.window import Display

pytestmark = pytest.mark.usefixtures("x_display", "raise_glfw_errors")

SIZE = (640, 480)


def test_keys_drive_the_registry_and_the_window(display: Display) -> None:
    registry = make_registry(["block0", "block1", "block2", "block3"])
    keys = KeyHandler(registry)
    keys.display = display
    display.on_key = keys
    display.key_event(display.window, glfw.KEY_UP, 0, glfw.PRESS, 0)
    assert float(registry.value("ablation.rate")) > 0
    display.key_event(display.window, glfw.KEY_R, 0, glfw.PRESS, 0)
    assert registry.value("ablation.revive") is True
    display.key_event(display.window, glfw.KEY_L, 0, glfw.PRESS, 0)
    assert registry.value("ablation.layer") == "block0"
    display.key_event(display.window, glfw.KEY_L, 0, glfw.PRESS, glfw.MOD_SHIFT)
    assert registry.value("ablation.layer") == "all"
    display.key_event(display.window, glfw.KEY_B, 0, glfw.PRESS, 0)
    assert "output.fade" in registry.snapshot().fired  # the engine runs the fade
    display.key_event(display.window, glfw.KEY_ESCAPE, 0, glfw.PRESS, 0)
    assert display.running is False


def test_performer_run_opens_and_closes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "performer", "run", "--seconds", "3", "--size", "320x240",
         "--no-vsync"],
        capture_output=True, text=True, timeout=120, env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    assert "first frame" in result.stderr


def test_no_display_points_at_render() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "performer", "run", "--seconds", "1"],
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
