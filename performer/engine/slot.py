"""One loaded model as the engine drives it: its ablation state, statistics, directions, walk.

A show can hold several (`--model` repeated); each keeps its own. Statistics and directions
arrive from the background (engine/measurement.py) through `offer`, and the engine thread
takes them on its next frame (`refresh`), so no forward pass ever sees them change halfway.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch

from performer.engine.ablation import Ablation
from performer.engine.directions import DirectionKnobs
from performer.engine.drift import ClassBlend
from performer.engine.latent_space import LatentPath, latent_path
from performer.frame import ModelStatus
from performer.models.base import AblatableGenerator
from performer.models.directions import Directions
from performer.models.stats import ModelStats
from performer.params import Value

MEASURING = "measuring (importance order uses magnitude until ready)"
READY = "ready"

ABLATION_STATE = ("ablation.dead", "ablation.rate", "ablation.revive", "ablation.layer",
                  "ablation.order", "ablation.fill", "ablation.seed")
"""What each model keeps of its own when the show switches away from it and back."""


@dataclass(frozen=True)
class Update:
    """What the background measured for a model (any part may be missing)."""

    stats: ModelStats | None = None
    directions: Directions | None = None
    statistics: str | None = None  # the new status of its statistics


class ModelSlot:
    def __init__(self, model: AblatableGenerator, stats: ModelStats | None, seed: int,
                 device: torch.device, directions: Directions | None = None) -> None:
        self.model = model
        self.name = model.name
        self.device = device
        self.ablation = Ablation(model, stats or ModelStats.unmeasured(model))
        self.latents: LatentPath = latent_path(model, seed, device)
        self.classes = ClassBlend(model.class_count) if model.class_count else None
        self.knobs = DirectionKnobs(device)
        self.knobs.use(directions)
        self.statistics = READY if stats is not None and stats.complete else MEASURING
        self.memory_mb = model.memory_bytes() / 2**20
        self.saved: dict[str, Value] = {}  # its ablation values while another model shows
        self._inbox: list[Update] = []
        self._lock = threading.Lock()

    def start_walk(self, seed: int) -> None:
        """Begin this model's walk afresh at `seed`'s face: on its first showing, so the walk
        depends on the show's seed then, not on when the model finished loading."""
        self.latents = latent_path(self.model, seed, self.device)

    def offer(self, update: Update) -> None:
        """From any thread: taken by the engine on its next frame."""
        with self._lock:
            self._inbox.append(update)

    def refresh(self) -> None:
        """On the engine thread, before a frame: take what arrived."""
        with self._lock:
            arrived, self._inbox = self._inbox, []
        for update in arrived:
            if update.stats is not None:
                self.ablation.use_stats(update.stats)
            if update.directions is not None:
                self.knobs.use(update.directions)
            if update.statistics is not None:
                self.statistics = update.statistics

    def status(self, note: str = "") -> ModelStatus:
        return ModelStatus(self.name, self.memory_mb, self.statistics, note)
