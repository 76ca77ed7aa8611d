"""Read-only show state published over OSC for visual sync: fps, generator time, living
neurons (total and per layer, as fractions) and the face seed.

Read from the newest frame: a frame is immutable and carries everything it was made with,
so a reader on another thread always sees one whole frame's state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from performer.control.osc.routing import PREFIX
from performer.frame import Frame

STATE = f"{PREFIX}/state"
ALL = "all"


@dataclass(frozen=True)
class StateNode:
    address: str
    type_tag: str  # "f" or "i"
    description: str
    minimum: float | None = None
    maximum: float | None = None


def state_nodes(layer_names: Sequence[str]) -> list[StateNode]:
    """The state addresses for a model with these layers."""
    nodes = [
        StateNode(f"{STATE}/fps", "f", "Frames the generator makes per second.", 0.0, None),
        StateNode(f"{STATE}/generator_ms", "f", "Milliseconds one forward pass takes.", 0.0, None),
        StateNode(f"{STATE}/alive/{ALL}", "f", "Fraction of all neurons alive.", 0.0, 1.0),
    ]
    nodes += [
        StateNode(f"{STATE}/alive/{name}", "f", f"Fraction of {name}'s neurons alive.", 0.0, 1.0)
        for name in layer_names
    ]
    nodes.append(StateNode(f"{STATE}/face", "i", "Seed of the face being shown.", 0, 2**31 - 1))
    return nodes


class FrameState:
    """The state nodes of one show and their values, read from its newest frame."""

    def __init__(self, layer_names: Sequence[str],
                 latest_frame: Callable[[], Frame | None]) -> None:
        self.nodes = state_nodes(layer_names)
        self.latest_frame = latest_frame

    def read(self) -> dict[str, float | int]:
        """Every state value; empty before the first frame."""
        frame = self.latest_frame()
        if frame is None:
            return {}
        values: dict[str, float | int] = {
            f"{STATE}/fps": float(frame.figures.fps),
            f"{STATE}/generator_ms": float(frame.figures.generator_ms),
            f"{STATE}/alive/{ALL}": frame.neurons.alive_fraction,
        }
        for name, fraction in frame.neurons.layer_alive_fractions().items():
            values[f"{STATE}/alive/{name}"] = fraction
        values[f"{STATE}/face"] = frame.face_seed
        return values
