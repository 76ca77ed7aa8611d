"""What the control layer is given of a running show, and nothing more."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from performer.frame import Frame
from performer.params import Registry


@dataclass(frozen=True)
class OutputStatus:
    """One video output as the status shows it: frames it took and frames it dropped."""

    name: str
    sent: int
    dropped: int


@dataclass(frozen=True)
class Show:
    """What a control service is given of the show: the registry it writes to (every
    parameter, the model's layers among them), the newest frame (for the state it
    publishes), and the figures only the live loop knows (for the console's status)."""

    registry: Registry
    latest_frame: Callable[[], Frame | None] = lambda: None
    display_fps: Callable[[], float] = lambda: 0.0
    outputs: Callable[[], Sequence[OutputStatus]] = tuple
