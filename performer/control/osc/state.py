"""Read-only show state published over OSC for visual sync: fps, generator time, living
neurons (total and per layer, as fractions), the face seed, each video output's fps and
dropped pictures, every modulation source, and the modulated value of every parameter a
route moves (feedback sends the base values).

Read from the newest frame: a frame is immutable and carries everything it was made with,
so a reader on another thread always sees one whole frame's state. The outputs' figures
come from the app through `Show.output_figures` (the outputs layer is not imported here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from performer.control.osc.routing import PREFIX
from performer.controls import ROUTE_OFF, ROUTES, SOURCES
from performer.frame import Frame
from performer.video import OutputFigures

STATE = f"{PREFIX}/state"
ALL = "all"


@dataclass(frozen=True)
class StateNode:
    address: str
    type_tag: str  # "f" or "i"
    description: str
    minimum: float | None = None
    maximum: float | None = None


def output_nodes(name: str) -> list[StateNode]:
    """The state addresses of one video output (ndi, record, ...)."""
    base = f"{STATE}/output/{name}"
    return [
        StateNode(f"{base}/fps", "f", f"Pictures the {name} output sends per second.", 0.0,
                  None),
        StateNode(f"{base}/dropped", "i",
                  f"Pictures the {name} output missed because it lagged.", 0, None),
    ]


def source_address(source: str) -> str:
    """`audio.low` -> /performer/state/source/audio/low."""
    return f"{STATE}/source/{source.replace('.', '/')}"


def modulated_address(name: str) -> str:
    """`drift.speed` -> /performer/state/modulated/drift/speed."""
    return f"{STATE}/modulated/{name.replace('.', '/')}"


def state_nodes(layer_names: Sequence[str], output_names: Sequence[str] = (),
                targets: Sequence[str] = ()) -> list[StateNode]:
    """The state addresses for a model with these layers, a show with these outputs, and
    these route targets."""
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
    nodes += [StateNode(source_address(s), "f", f"Modulation source {s}.", 0.0, 1.0)
              for s in SOURCES]
    nodes += [StateNode(modulated_address(t), "f",
                        f"{t} as modulated by routes (sent while a route moves it).")
              for t in targets if t != ROUTE_OFF]
    for name in output_names:
        nodes += output_nodes(name)
    return nodes


class FrameState:
    """The state nodes of one show and their values, read from its newest frame."""

    def __init__(self, layer_names: Sequence[str], latest_frame: Callable[[], Frame | None],
                 output_figures: Callable[[], Sequence[OutputFigures]] = tuple,
                 targets: Sequence[str] = ()) -> None:
        # Outputs running at the start are listed (OSCQuery); one started later (a
        # recording) is sent all the same.
        self.nodes = state_nodes(layer_names, [f.name for f in output_figures()], targets)
        self.latest_frame = latest_frame
        self.output_figures = output_figures

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
        for figures in self.output_figures():
            values[f"{STATE}/output/{figures.name}/fps"] = float(figures.fps)
            values[f"{STATE}/output/{figures.name}/dropped"] = figures.dropped
        for source, value in frame.sources.items():
            values[source_address(source)] = float(value)
        for slot in range(1, ROUTES + 1):
            target = frame.values.str(f"route.{slot}.target", default=ROUTE_OFF)
            if target != ROUTE_OFF:
                values[modulated_address(target)] = float(frame.values[target])
        return values
