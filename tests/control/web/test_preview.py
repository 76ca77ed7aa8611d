"""The console's preview as a VideoOutput: small, rate-capped JPEGs that decode back to
the picture that was sent."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from performer.control.web.preview import MAX_FPS, MAX_WIDTH, PreviewOutput
from performer.video import VideoFrame, VideoOutput


def picture(width: int, height: int, index: int = 0) -> VideoFrame:
    pixels = np.zeros((height, width, 4), np.uint8)
    pixels[: height // 2, :, 0] = 220  # top half red, bottom half blue
    pixels[height // 2 :, :, 2] = 220
    pixels[..., 3] = 255
    return VideoFrame(pixels, index, index / 30, 30.0)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_big_picture_becomes_a_jpeg_at_most_640_wide_the_right_way_up() -> None:
    preview: VideoOutput = PreviewOutput()
    preview.open((1920, 1080), 30.0)
    preview.send(picture(1920, 1080, index=7))
    latest = preview.latest()  # type: ignore[attr-defined]
    assert latest is not None and latest.index == 7
    image = Image.open(io.BytesIO(latest.jpeg))
    assert image.format == "JPEG" and image.size == (MAX_WIDTH, 360)
    rgb = np.asarray(image.convert("RGB")).astype(int)
    assert abs(rgb[40, 320, 0] - 220) < 20 and rgb[40, 320, 2] < 30  # red on top
    assert abs(rgb[320, 320, 2] - 220) < 20 and rgb[320, 320, 0] < 30


def test_frames_faster_than_the_cap_are_skipped_and_counted() -> None:
    clock = Clock()
    seen: list[int] = []
    preview = PreviewOutput(clock=clock, on_picture=lambda: seen.append(1))
    for i in range(60):  # two seconds at 30 fps
        clock.now = i / 30
        preview.send(picture(64, 64, index=i))
    assert preview.sent == 30 and preview.skipped == 30 and len(seen) == 30
    assert preview.sent <= 2 * MAX_FPS
