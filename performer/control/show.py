"""What the control layer is given of a running show, and nothing more."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from performer.frame import Frame
from performer.params import Registry
from performer.video import OutputFigures


@dataclass(frozen=True)
class Show:
    """What a control service is given of the show: the registry it writes to (every
    parameter, the model's layers among them), the newest frame (for the state it
    publishes), and the figures only the live loop knows: the window's refresh rate and how
    each video output keeps up."""

    registry: Registry
    latest_frame: Callable[[], Frame | None] = lambda: None
    output_figures: Callable[[], Sequence[OutputFigures]] = tuple
    display_fps: Callable[[], float] = lambda: 0.0
