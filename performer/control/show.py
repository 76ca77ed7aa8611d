"""What the control layer is given of a running show, and nothing more."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from performer.frame import Frame
from performer.params import Registry


@dataclass(frozen=True)
class Show:
    """What a control service is given of the show: the registry it writes to, the model's
    layer names (for addresses), and the newest frame (for state it publishes)."""

    registry: Registry
    layer_names: tuple[str, ...]
    latest_frame: Callable[[], Frame | None] = lambda: None
