"""NDI for real on loopback: performer's NDI output received by a real NDI receiver, checked
for size, announced frame rate and picture (within NDI's lossy codec)."""

from __future__ import annotations

import threading
import uuid

import numpy as np
import pytest

from performer.bench.ndi_receiver import NdiReceiver
from performer.outputs.ndi import NdiOutput
from performer.video import VideoFrame

SIZE = (320, 180)


def pattern_picture() -> np.ndarray:
    """Smooth colour ramps (what a lossy codec keeps well), top rows marked white."""
    y, x = np.mgrid[0:SIZE[1], 0:SIZE[0]]
    pixels = np.empty((SIZE[1], SIZE[0], 4), np.uint8)
    pixels[..., 0] = 200
    pixels[..., 1] = 40 + 160 * x // SIZE[0]
    pixels[..., 2] = 40 + 160 * y // SIZE[1]
    pixels[..., 3] = 255
    pixels[:16] = 255
    return pixels


@pytest.mark.parametrize(("fps", "rate"), [(25.0, (25, 1)), (30000 / 1001, (30000, 1001))])
def test_a_real_receiver_gets_the_size_the_rate_and_the_picture(fps, rate) -> None:
    name = f"performer-test-{uuid.uuid4().hex[:8]}"
    output = NdiOutput(name)
    output.open(SIZE, fps)
    pattern = pattern_picture()
    # Outputs are handed the read-back view: rows flipped, not contiguous.
    flipped_view = np.ascontiguousarray(pattern[::-1])[::-1]
    stop = threading.Event()

    def send() -> None:
        index = 0
        while not stop.is_set():
            output.send(VideoFrame(flipped_view, index, index / fps, fps))
            index += 1
            stop.wait(1 / fps)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    receiver = NdiReceiver(name)
    try:
        frames = receiver.receive(5)
    finally:
        stop.set()
        sender.join()
        receiver.close()
        output.close()
    assert receiver.source.endswith(f"({name})")
    for frame in frames:
        assert frame.size == SIZE
        assert frame.rate == rate
        difference = np.abs(frame.pixels[..., :3].astype(int) - pattern[..., :3])
        assert difference.mean() < 6  # NDI's codec is lossy (a red of 200 came back as 197)
        assert (frame.pixels[:12, :, :3] > 230).all()  # the top is the top
