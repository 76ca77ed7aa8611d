"""The value that crosses from the engine thread to the display: one finished frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


@dataclass(frozen=True)
class Frame:
    """One generated image and the state it was made with.

    The image is RGB uint8, (height, width, 3), row 0 at the top (the display flips for GL).
    """

    index: int  # frames since the engine started
    time: float  # timeline seconds at which the frame was made
    image: np.ndarray  # (H, W, 3) uint8, C-contiguous
    neurons: NeuronMap
    generator_ms: float  # wall time of the forward pass, for the status line and bench
