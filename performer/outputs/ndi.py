"""NDI out: the output picture as an NDI source on the network, through PyPI `ndi-python`.

`ndi-python` carries the NDI runtime (libndi) in its wheel for Linux, macOS and Windows, so
nothing else is installed. Pictures go out as RGBX, as read back: no conversion on our side
(converting to UYVY in numpy cost ~50 ms a 1080p frame, NDI's own conversion is inside its
~8 ms send). The announced frame rate is the show's output rate. Receivers find the source
as `HOST (NAME)`; NDI® is a registered trademark of Vizrt NDI AB (see the README).
"""

from __future__ import annotations

import logging
from fractions import Fraction
from typing import Any

import numpy as np

from performer.outputs.optional import load, require
from performer.video import VideoFrame

log = logging.getLogger(__name__)

DEFAULT_NAME = "performer"
PLATFORM = "Linux, macOS and Windows; the NDI runtime comes in the wheel"


class NdiError(RuntimeError):
    """NDI cannot send; the message is one line."""


def load_ndi() -> Any:
    """The NDIlib module, initialised (imported here: only shows that send NDI load it)."""
    ndi = load("NDIlib", "ndi", PLATFORM)
    if not ndi.initialize():
        raise NdiError("the NDI runtime did not start (this CPU may lack SSE4.2)")
    return ndi


class NdiOutput:
    """One NDI sender called `source_name`."""

    name = "ndi"

    def __init__(self, source_name: str = DEFAULT_NAME) -> None:
        require("NDIlib", "ndi", PLATFORM)
        self.source_name = source_name
        self._ndi: Any = None
        self._sender: Any = None
        self._frame: Any = None

    def open(self, size: tuple[int, int], fps: float) -> None:
        ndi = load_ndi()
        create = ndi.SendCreate()
        create.ndi_name = self.source_name
        create.clock_video = False  # the show paces the pictures
        sender = ndi.send_create(create)
        if sender is None:
            raise NdiError(f"could not create the NDI sender {self.source_name!r}")
        rate = Fraction(fps).limit_denominator(1001)
        frame = ndi.VideoFrameV2()
        frame.FourCC = ndi.FOURCC_VIDEO_TYPE_RGBX
        frame.frame_rate_N, frame.frame_rate_D = rate.numerator, rate.denominator
        self._ndi, self._sender, self._frame = ndi, sender, frame
        log.info("NDI source %r: %dx%d at %g fps", self.source_name, *size, float(rate))

    def send(self, frame: VideoFrame) -> None:
        assert self._sender is not None, "open() first"
        # NDI wants rows top-down with a positive stride; the picture may be a flipped view.
        self._frame.data = np.ascontiguousarray(frame.pixels)
        self._ndi.send_send_video_v2(self._sender, self._frame)

    def close(self) -> None:
        if self._sender is not None:
            self._ndi.send_destroy(self._sender)
            self._sender = None
