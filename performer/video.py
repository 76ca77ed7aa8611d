"""The picture as the projector shows it, handed to everything that is not the window.

The render layer reads the final image back (after the shaders and the effect chain, at the
output size) and hands one `VideoFrame` to every `VideoOutput`: NDI, Syphon, Spout, a virtual
camera, the live recording, the console's preview. Outputs live in other layers (`outputs/`,
`control/web/`, ...), so the contract sits at the bottom where every layer may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class VideoFrame:
    """One output picture. `pixels` is shared by every output: read it, never write it."""

    pixels: np.ndarray  # (height, width, 4) uint8 RGBA, row 0 at the top
    index: int  # the engine frame it shows
    time: float  # show time in seconds (the frame's time)
    fps: float  # the rate outputs announce

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


class VideoOutput(Protocol):
    """Something that takes output pictures. `send` may be slow: the caller runs each output
    on its own thread behind a one-slot mailbox, so a lagging output drops frames and counts
    them instead of stalling the show; one that raises is closed with one line.

    An output that is only sometimes looked at (the console's preview) may carry a `wanted`
    attribute: while it is False, it gets no pictures, and nothing is read back for it."""

    name: str

    def open(self, size: tuple[int, int], fps: float) -> None: ...

    def send(self, frame: VideoFrame) -> None: ...

    def close(self) -> None: ...


def is_wanted(output: VideoOutput) -> bool:
    """Whether `output` takes pictures now (see `VideoOutput`'s `wanted`)."""
    return bool(getattr(output, "wanted", True))


@dataclass(frozen=True)
class OutputFigures:
    """How one output is keeping up, for the status line, OSC state and the bench."""

    name: str
    fps: float  # pictures sent per second, lately
    sent: int
    dropped: int  # pictures replaced before the output could take them
    failed: bool = False  # it raised and was closed; the show went on without it
