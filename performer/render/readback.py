"""Reading the output picture back from the GPU without stalling the render loop.

A ring of pixel buffers (PBOs): each refresh starts an asynchronous copy of the framebuffer
into the next buffer (`glReadPixels` into a pack buffer returns at once on a GPU) and maps
the oldest one, whose copy finished refreshes ago. Pictures therefore leave `depth - 1`
refreshes late, each carrying the index and time of the frame it shows.

On a software renderer (Mesa's llvmpipe) "the GPU" is the CPU that runs the show: there is
no stall to hide, and the ring's second copy only costs (measured at 1080p on llvmpipe:
about 12 ms a picture through the ring against 3.5 ms read directly; `performer bench`).
There `depth=0` reads each picture directly, with no delay; `depth_for` chooses.

The picture handed on is a read-only view flipped to put row 0 at the top (GL's row 0 is
the bottom); outputs that need contiguous rows copy it on their own threads.
"""

from __future__ import annotations

from collections import deque

import moderngl
import numpy as np

from performer.video import VideoFrame

DEPTH = 3  # buffers in the ring: a picture is mapped two refreshes after its copy began
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swiftshader", "software rasterizer")


def depth_for(ctx: moderngl.Context) -> int:
    """The ring's depth for this context: DEPTH on a GPU, 0 (direct reads) in software."""
    renderer = str(ctx.info.get("GL_RENDERER", "")).lower()
    return 0 if any(name in renderer for name in SOFTWARE_RENDERERS) else DEPTH


class Readback:
    """A PBO ring for RGBA pictures of `size` (w, h) read from framebuffers of that size;
    `depth=0` reads directly instead."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], depth: int = DEPTH) -> None:
        if depth < 0:
            raise ValueError(f"readback depth must not be negative, got {depth}")
        self.size = size
        self.depth = depth
        self._buffers = [ctx.buffer(reserve=size[0] * size[1] * 4) for _ in range(depth)]
        self._pending: deque[tuple[moderngl.Buffer, int, float]] = deque()
        self._next = 0

    def push(self, fbo: moderngl.Framebuffer, index: int, time: float,
             fps: float) -> VideoFrame | None:
        """Start reading `fbo` (showing frame `index` at `time`); return the oldest picture
        whose read is due, or None while the ring fills."""
        width, height = self.size
        if self.depth == 0:
            pixels = np.empty((height, width, 4), dtype=np.uint8)
            fbo.read_into(pixels, viewport=(0, 0, *self.size), components=4, alignment=1)
            return self._picture(pixels, index, time, fps)
        buffer = self._buffers[self._next]
        self._next = (self._next + 1) % len(self._buffers)
        fbo.read_into(buffer, viewport=(0, 0, *self.size), components=4, alignment=1)
        self._pending.append((buffer, index, time))
        if len(self._pending) < len(self._buffers):
            return None
        oldest, shown_index, shown_time = self._pending.popleft()
        pixels = np.empty((height, width, 4), dtype=np.uint8)  # each picture its own memory
        oldest.read_into(pixels)
        return self._picture(pixels, shown_index, shown_time, fps)

    @staticmethod
    def _picture(pixels: np.ndarray, index: int, time: float, fps: float) -> VideoFrame:
        pixels.flags.writeable = False  # shared by every output
        return VideoFrame(pixels=pixels[::-1], index=index, time=time, fps=fps)

    def reset(self) -> None:
        """Forget reads under way (after the outputs stopped: stale pictures are not sent)."""
        self._pending.clear()

    def release(self) -> None:
        for buffer in self._buffers:
            buffer.release()
        self._buffers = []
        self._pending.clear()
