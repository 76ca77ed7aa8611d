"""Syphon, Spout and the virtual camera cannot run on this Linux machine: each adapter is
driven against a fake module placed exactly where its library would be imported, and the
fake records what the library is handed."""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pytest

from performer.outputs.optional import OutputUnavailable
from performer.outputs.spout import GL_RGBA, SpoutOutput
from performer.outputs.syphon import SyphonOutput
from performer.outputs.vcam import VirtualCameraOutput
from performer.video import VideoFrame

SIZE = (8, 6)


def picture() -> VideoFrame:
    """A distinct RGBA picture, handed on as the read-back view (flipped, not contiguous)."""
    pixels = np.arange(SIZE[0] * SIZE[1] * 4, dtype=np.uint8).reshape(SIZE[1], SIZE[0], 4)
    view = np.ascontiguousarray(pixels[::-1])[::-1]
    view.flags.writeable = False
    return VideoFrame(view, 3, 0.1, 30.0)


def install(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def test_syphon_gets_a_metal_texture_of_the_picture(monkeypatch) -> None:
    calls: list[tuple] = []

    class Server:
        def __init__(self, name: str) -> None:
            calls.append(("server", name))
            self.device = "metal-device"

        def publish_frame_texture(self, texture: object) -> None:
            calls.append(("publish", texture))

        def stop(self) -> None:
            calls.append(("stop",))

    def create_mtl_texture(device: object, width: int, height: int) -> str:
        calls.append(("texture", device, width, height))
        return "texture-1"

    def copy_image_to_mtl_texture(image: np.ndarray, texture: object) -> None:
        calls.append(("copy", image.copy(), image.flags.c_contiguous, texture))

    install(monkeypatch, "syphon", SyphonMetalServer=Server)
    install(monkeypatch, "syphon.utils")
    install(monkeypatch, "syphon.utils.numpy", copy_image_to_mtl_texture=copy_image_to_mtl_texture)
    install(monkeypatch, "syphon.utils.raw", create_mtl_texture=create_mtl_texture)
    output = SyphonOutput("stage left")
    output.open(SIZE, 30.0)
    output.send(picture())
    output.close()
    assert calls[:2] == [("server", "stage left"), ("texture", "metal-device", 8, 6)]
    copied = calls[2]
    assert copied[0] == "copy" and copied[2] is True and copied[3] == "texture-1"
    np.testing.assert_array_equal(copied[1], picture().pixels)  # RGBA, row 0 at the top
    assert calls[3:] == [("publish", "texture-1"), ("stop",)]


def test_spout_gets_rgba_pixels_with_a_gl_context_of_its_own(monkeypatch, x_display) -> None:
    calls: list[tuple] = []

    class Sender:
        def setSenderName(self, name: str) -> None:
            calls.append(("name", name))

        def sendImage(self, pixels: np.ndarray, width: int, height: int, gl_format: int,
                      invert: bool, host_fbo: int) -> bool:
            import moderngl

            current = moderngl.get_context()  # Spout needs a GL context current here
            calls.append(("send", pixels.copy(), pixels.flags.c_contiguous, width, height,
                          gl_format, invert, host_fbo, current is not None))
            return True

        def releaseSender(self) -> None:
            calls.append(("release",))

    install(monkeypatch, "SpoutGL", SpoutSender=Sender)
    output = SpoutOutput("performer")
    output.open(SIZE, 30.0)
    output.send(picture())
    output.close()
    assert calls[0] == ("name", "performer")
    _, pixels, contiguous, width, height, gl_format, invert, host_fbo, has_context = calls[1]
    np.testing.assert_array_equal(pixels, picture().pixels)
    assert (contiguous, width, height, gl_format, invert, host_fbo, has_context) == (
        True, 8, 6, GL_RGBA, False, 0, True)
    assert gl_format == 0x1908
    assert calls[2:] == [("release",)]


def test_spout_refusing_a_picture_raises_so_the_output_is_closed(monkeypatch, x_display) -> None:
    class Sender:
        def setSenderName(self, name: str) -> None:
            pass

        def sendImage(self, *args: object) -> bool:
            return False

        def releaseSender(self) -> None:
            pass

    install(monkeypatch, "SpoutGL", SpoutSender=Sender)
    output = SpoutOutput()
    output.open(SIZE, 30.0)
    with pytest.raises(OutputUnavailable, match="Spout refused a 8x6 picture"):
        output.send(picture())
    output.close()


def test_the_virtual_camera_gets_rgb_at_the_size_and_rate(monkeypatch) -> None:
    calls: list[tuple] = []

    class Camera:
        def __init__(self, width: int, height: int, fps: float, fmt: str,
                     device: str | None) -> None:
            calls.append(("camera", width, height, fps, fmt, device))

        def send(self, frame: np.ndarray) -> None:
            calls.append(("send", frame.copy(), frame.flags.c_contiguous))

        def close(self) -> None:
            calls.append(("close",))

    install(monkeypatch, "pyvirtualcam", Camera=Camera,
            PixelFormat=types.SimpleNamespace(RGB="RGB"))
    output = VirtualCameraOutput("/dev/video10")
    output.open(SIZE, 30.0)
    output.send(picture())
    output.close()
    assert calls[0] == ("camera", 8, 6, 30.0, "RGB", "/dev/video10")
    assert calls[1][0] == "send" and calls[1][2] is True
    np.testing.assert_array_equal(calls[1][1], picture().pixels[..., :3])
    assert calls[2:] == [("close",)]


@pytest.mark.parametrize(("make", "message"), [
    (SyphonOutput, r"syphon is not installed \(macOS only\): pip install 'performer\[syphon\]'"),
    (SpoutOutput, r"SpoutGL is not installed \(Windows only\): pip install 'performer\[spout\]'"),
    (VirtualCameraOutput, r"pyvirtualcam is not installed .*'performer\[vcam\]'"),
])
def test_a_missing_library_is_one_line_before_the_show_starts(monkeypatch, make, message) -> None:
    for name in ("syphon", "SpoutGL", "pyvirtualcam"):  # not installed on this Linux machine
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(OutputUnavailable, match=f"^{message}$"):
        make()
