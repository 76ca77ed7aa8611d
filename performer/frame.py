"""The value that crosses from the engine thread to everything downstream: one finished
frame, with every value it was made with.

The display, the recorder, the state publishers and the status line read frames, never
the engine or the registry: what they show is exactly what the frame was made from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from performer.params import Snapshot


@dataclass(frozen=True)
class NeuronMap:
    """Which neurons are alive, in layer order, and how many belong to each layer.

    `alive[i]` is neuron i counted across layers (layer 0's channels first); the display
    draws one cell per neuron and a visible gap where one layer ends and the next begins.
    """

    alive: np.ndarray  # (total,) bool
    layer_names: tuple[str, ...]
    layer_sizes: tuple[int, ...]

    @property
    def total(self) -> int:
        return int(self.alive.shape[0])

    @property
    def alive_count(self) -> int:
        return int(self.alive.sum())

    @property
    def alive_fraction(self) -> float:
        return self.alive_count / max(self.total, 1)

    def layer_alive_fractions(self) -> dict[str, float]:
        """Each layer's fraction of living neurons, by layer name."""
        fractions: dict[str, float] = {}
        start = 0
        for name, size in zip(self.layer_names, self.layer_sizes, strict=True):
            fractions[name] = float(self.alive[start:start + size].mean()) if size else 0.0
            start += size
        return fractions


@dataclass(frozen=True)
class Fade:
    """A blackout fade under way when the frame was made. The engine runs the fade; the
    display carries it on between frames, so it is smooth at the display's rate even when
    the generator is slow (the next frame brings the engine's own value)."""

    target: float  # 0 or 1
    per_second: float  # change of output.blackout per second

    def at(self, start: float, seconds: float) -> float:
        """The blackout `seconds` after the frame showed `start`."""
        step = self.per_second * max(seconds, 0.0)
        if abs(self.target - start) <= step:
            return self.target
        return start + (step if self.target > start else -step)


@dataclass(frozen=True)
class EngineFigures:
    """The engine's speed as of this frame (smoothed), for the status line and OSC state."""

    fps: float = 0.0
    generator_ms: float = 0.0


@dataclass(frozen=True)
class ModelStatus:
    """The model on screen as of this frame, for the status line: which one, what it holds in
    memory, whether its statistics are still being measured, and any note about a model
    asked for (still loading, or failed)."""

    name: str = ""
    memory_mb: float = 0.0
    statistics: str = "ready"  # or what stands in for what is still being measured
    note: str = ""


@dataclass(frozen=True)
class Frame:
    """One generated image and the state it was made with.

    The image is RGB uint8, (height, width, 3), row 0 at the top (the display flips for GL).
    """

    index: int  # frames since the engine started
    time: float  # timeline seconds at which the frame was made
    image: np.ndarray  # (H, W, 3) uint8, C-contiguous
    neurons: NeuronMap
    generator_ms: float  # wall time of this forward pass, for the bench
    # Every parameter as this frame resolved it: the snapshot plus the engine's automation
    # (dead fraction, blackout fade, face seed, tempo...).
    values: Snapshot
    figures: EngineFigures = EngineFigures()
    fade: Fade | None = None  # a blackout fade under way
    # Every modulation source (LFOs, envelopes, show, audio) as this frame used it, 0..1.
    sources: Mapping[str, float] = field(default_factory=dict)
    model: ModelStatus = ModelStatus()

    @property
    def blackout(self) -> float:
        return self.values.float("output.blackout")

    def blackout_after(self, seconds: float) -> float:
        """The blackout `seconds` after this frame was shown (a running fade goes on)."""
        return self.blackout if self.fade is None else self.fade.at(self.blackout, seconds)

    @property
    def show_map(self) -> bool:
        return self.values.bool("output.map")

    @property
    def fullscreen(self) -> bool:
        return self.values.bool("output.fullscreen")

    @property
    def crossfade_s(self) -> float:
        return self.values.float("output.crossfade")

    @property
    def face_seed(self) -> int:
        return self.values.int("drift.seed")

    @property
    def dead(self) -> float:
        return self.values.float("ablation.dead")
