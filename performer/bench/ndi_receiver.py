"""A real NDI receiver on loopback, for the bench and the tests: it connects to performer's
NDI source the way a VJ's receiver would (no mDNS in a container: the finder is told to look
at 127.0.0.1 and to show local sources), so NDI's encoder really runs."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from performer.outputs.ndi import load_ndi


@dataclass(frozen=True)
class Received:
    size: tuple[int, int]
    rate: tuple[int, int]  # (numerator, denominator) as announced
    pixels: np.ndarray  # (h, w, 4) RGBA copy


class NdiReceiver:
    def __init__(self, source_name: str, timeout: float = 30.0) -> None:
        self.ndi = ndi = load_ndi()
        create = ndi.FindCreate()
        create.show_local_sources = True
        create.extra_ips = "127.0.0.1"
        self._finder = ndi.find_create_v2(create)
        source = self._find(source_name, timeout)
        settings = ndi.RecvCreateV3()
        settings.color_format = ndi.RECV_COLOR_FORMAT_RGBX_RGBA
        self._receiver = ndi.recv_create_v3(settings)
        ndi.recv_connect(self._receiver, source)
        self.source = source.ndi_name

    def _find(self, source_name: str, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ndi.find_wait_for_sources(self._finder, 200)
            for source in self.ndi.find_get_current_sources(self._finder):
                if source.ndi_name.endswith(f"({source_name})"):
                    return source
        raise AssertionError(f"no NDI source named {source_name!r} found in {timeout:g} s")

    def receive(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The next `count` video frames (AssertionError if they do not come in time)."""
        got: list[Received] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            assert time.monotonic() < deadline, f"got {len(got)} of {count} NDI frames"
            kind, video, _audio, _meta = self.ndi.recv_capture_v2(self._receiver, 200)
            if kind != self.ndi.FRAME_TYPE_VIDEO:
                continue
            try:
                got.append(Received((video.xres, video.yres),
                                    (video.frame_rate_N, video.frame_rate_D),
                                    np.array(video.data, copy=True)))
            finally:
                self.ndi.recv_free_video_v2(self._receiver, video)
        return got

    def drain(self, stop: threading.Event) -> int:
        """Take frames as they come until `stop` is set (a receiver keeping up); how many."""
        count = 0
        while not stop.is_set():
            kind, video, _audio, _meta = self.ndi.recv_capture_v2(self._receiver, 100)
            if kind == self.ndi.FRAME_TYPE_VIDEO:
                self.ndi.recv_free_video_v2(self._receiver, video)
                count += 1
        return count

    def close(self) -> None:
        self.ndi.recv_destroy(self._receiver)
        self.ndi.find_destroy(self._finder)
