"""Read-only show state published over OSC for visual sync: fps, generator time, living
neurons (total and per layer, as fractions) and the face seed.

Read from the engine without locks: its stats are plain floats and its neuron map is
replaced, never changed in place, so a reader on another thread sees a whole frame's state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from performer.control.osc_routing import PREFIX

if TYPE_CHECKING:
    from performer.engine import Engine

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


class EngineState:
    """The state nodes of one engine and their current values."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ablation = engine.ablation
        self.nodes = state_nodes(ablation.layer_names)
        self._bounds = ablation.offsets

    def read(self) -> dict[str, float | int]:
        stats, neurons = self.engine.stats, self.engine.ablation.neuron_map()
        values: dict[str, float | int] = {
            f"{STATE}/fps": float(stats.fps),
            f"{STATE}/generator_ms": float(stats.generator_ms),
            f"{STATE}/alive/{ALL}": neurons.alive_count / max(neurons.total, 1),
        }
        alive = neurons.alive
        for i, name in enumerate(neurons.layer_names):
            start, end = int(self._bounds[i]), int(self._bounds[i + 1])
            values[f"{STATE}/alive/{name}"] = float(alive[start:end].mean()) if end > start else 0.0
        values[f"{STATE}/face"] = int(self.engine.registry.value("drift.seed"))
        return values
