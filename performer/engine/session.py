"""Everything a show needs, built in one place: model, statistics, registry, engine.

`run`, `render` and `bench` all start here, so they behave the same.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from performer.controls import declare
from performer.engine.clock import Clock, WallClock
from performer.engine.engine import Engine
from performer.models.base import AblatableGenerator
from performer.models.device import choose_device
from performer.models.loading import load_model
from performer.models.stats import ModelStats, load_or_measure
from performer.params import Param, Registry

log = logging.getLogger(__name__)


@dataclass
class Session:
    model: AblatableGenerator
    stats: ModelStats
    registry: Registry
    engine: Engine
    device: torch.device
    load_seconds: float


def open_session(
    model: str | None = None, device: str | None = None, clock: Clock | None = None,
    scene_names: Sequence[str] = (), registry_clock: Callable[[], float] = time.perf_counter,
    extra: Sequence[Param] = (),
) -> Session:
    """Load the model on the chosen device and wire a registry and engine to it.

    `scene_names` are the show file's scenes (scene.recall's choices); `registry_clock`
    times fired triggers (a replay gives back the logged times); `extra` parameters (the
    effect chain's) join the model's own."""
    started = time.perf_counter()
    chosen = choose_device(device)
    generator = load_model(model, chosen)
    assert generator.weights_path is not None  # the loader sets it
    stats = load_or_measure(generator, generator.weights_path)
    registry = Registry(declare([layer.name for layer in generator.layers],
                                [*generator.extra_params(), *extra], scene_names),
                        clock=registry_clock)
    engine = Engine(generator, stats, registry, clock or WallClock(), chosen)
    elapsed = time.perf_counter() - started
    log.info(
        "%s on %s: %d neurons in %d layers (loaded in %.2f s)",
        generator.name, chosen, generator.neuron_count,
        len(generator.layers), elapsed,
    )
    return Session(generator, stats, registry, engine, chosen, elapsed)
