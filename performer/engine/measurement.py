"""A model's statistics and directions, measured in the background while the show runs.

The measurement works on a copy of the model (its masks all alive), never on the one on
screen, and hands each stage to the model's slot as soon as it is there:
1. directions (closed form, a few ranking passes): the direction knobs start working;
2. mean maps, spreads, magnitudes: the mean and noise fills and the magnitude order work,
   and the importance order uses the magnitude order meanwhile;
3. importance: every order is as measured; everything is cached for the next start.
Cached stages are read, not measured.
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path

from performer.engine.slot import READY, ModelSlot, Update
from performer.models.base import AblatableGenerator
from performer.models.directions import cached_directions, load_or_find
from performer.models.stats import (
    ModelStats,
    cached_stats,
    forward_flops,
    measure_activity,
    measure_importance_within,
    save_cached,
    stats_filename,
)

log = logging.getLogger(__name__)


def measuring_copy(model: AblatableGenerator) -> AblatableGenerator:
    """A copy with every neuron alive, for measuring while the original is on screen."""
    twin = copy.deepcopy(model)
    for mask in twin.channel_masks():
        mask.keep.fill_(1.0)
        mask.fill.zero_()
    return twin


def cached_parts(model: AblatableGenerator, weights: Path) -> Update:
    """Whatever is cached for these weights (read at load: the show starts with it)."""
    stats = cached_stats(weights)
    return Update(stats, cached_directions(model, weights),
                  READY if stats is not None and stats.complete else None)


def complete(cached: Update) -> bool:
    """Whether the cache held everything (then nothing is measured, and no copy is made)."""
    return cached.stats is not None and cached.stats.complete and cached.directions is not None


def measure_missing(slot: ModelSlot, twin: AblatableGenerator, weights: Path,
                    cached: Update) -> None:
    """Measure on `twin` (a `measuring_copy` made before the model first drew a frame, so
    its controls are the loaded ones) what `cached` lacks, offering each stage to `slot`.
    A measurement that fails is one line; the show goes on with what it had."""
    try:
        _measure(slot, twin, weights, cached)
    except Exception as err:  # the model still draws: never let statistics end a show
        log.error("measuring %s failed (%s); its statistics stay as they are", slot.name, err)
        slot.offer(Update(statistics=f"failed ({err.__class__.__name__})"))


def _measure(slot: ModelSlot, twin: AblatableGenerator, weights: Path, cached: Update) -> None:
    started = time.perf_counter()
    if cached.directions is None:
        directions = load_or_find(twin, weights)
        if directions is not None:
            slot.offer(Update(directions=directions))
    if cached.stats is None or not cached.stats.complete:
        log.info("measuring neuron statistics for %s in the background (once; cached "
                 "afterwards)", slot.name)
        mean, std, magnitude = measure_activity(twin)
        slot.offer(Update(ModelStats(mean, std, magnitude, {})))
        importance = measure_importance_within(twin, mean, forward_flops(twin))
        stats = ModelStats(mean, std, magnitude, importance)
        save_cached(stats.to_tensors(), stats_filename(weights))
        slot.offer(Update(stats, statistics=READY))
        log.info("statistics for %s measured in %.1f s", slot.name,
                 time.perf_counter() - started)
