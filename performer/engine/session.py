"""Everything a show needs, built in one place: models, statistics, registry, engine.

`run`, `render` and `bench` all start here, so they behave the same. The first model is
loaded before the show starts and shown at once; what it lacks (statistics, directions
measured the first time) and every further model (`--model` repeated) come from one
background thread, so the show never stops for them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from performer.controls import declare, model_choice
from performer.engine.background import Background
from performer.engine.clock import Clock, WallClock
from performer.engine.engine import Engine
from performer.engine.measurement import cached_parts, complete, measure_missing, measuring_copy
from performer.engine.slot import ModelSlot, Update
from performer.models.base import AblatableGenerator, ModelError
from performer.models.device import choose_device
from performer.models.loading import load_model, resolve
from performer.models.stats import ModelStats
from performer.params import Param, Registry

log = logging.getLogger(__name__)

ModelSpecs = str | Sequence[str | None] | None


@dataclass
class Session:
    model: AblatableGenerator  # the first model (the one shown at the start)
    stats: ModelStats | None  # its statistics as cached (None: measured in the background)
    registry: Registry
    engine: Engine
    device: torch.device
    load_seconds: float
    background: Background
    # Each model's name in model.select and its file, in --model order (the first is
    # `model`); a model whose file is missing is left out (its load fails in one line).
    model_files: tuple[tuple[str, Path], ...] = ()
    # With hold_models: the models loaded but not yet given to the engine, by name.
    held: dict[str, ModelSlot] | None = None

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until the background has loaded and measured everything given so far
        (render and bench want finished statistics: the same file on every run)."""
        return self.background.idle(timeout)

    def close(self) -> None:
        self.background.stop()


def model_names(specs: Sequence[str | None]) -> list[str]:
    """The name each model goes by in `model.select`: its file's stem, made unique."""
    names: list[str] = []
    for spec in specs:
        try:
            stem = resolve(spec).stem
        except ModelError:  # reported in one line when its load fails
            stem = Path(str(spec)).stem
        name, n = stem, 2
        while name in names:
            name, n = f"{stem}-{n}", n + 1
        names.append(name)
    return names


def open_session(
    model: ModelSpecs = None, device: str | None = None, clock: Clock | None = None,
    scene_names: Sequence[str] = (), registry_clock: Callable[[], float] = time.perf_counter,
    extra: Sequence[Param] = (), names: Sequence[str] | None = None,
    hold_models: bool = False,
) -> Session:
    """Load the first model on the chosen device, wire a registry and engine to it, and
    queue the rest (measurements, further models) on the background thread.

    `scene_names` are the show file's scenes (scene.recall's choices); `registry_clock`
    times fired triggers (a replay gives back the logged times); `extra` parameters (the
    effect chain's) join the model's own; `names` name the models in model.select (by
    default their files' stems, made unique; a replay gives the logged names). With
    `hold_models` the further models are kept in `Session.held` once loaded, for the caller
    to hand to the engine (a replay does, on the step the show's log says they loaded)."""
    started = time.perf_counter()
    specs: list[str | None] = [model] if model is None or isinstance(model, str) else list(model)
    specs = specs or [None]
    names = list(names) if names is not None else model_names(specs)
    chosen = choose_device(device)
    generator = load_model(specs[0], chosen)
    generator.name = names[0]
    assert generator.weights_path is not None  # the loader sets it
    cached = cached_parts(generator, generator.weights_path)
    selection = [model_choice(names)] if len(specs) > 1 else []
    registry = Registry(declare([layer.name for layer in generator.layers],
                                [*generator.extra_params(), *selection, *extra], scene_names),
                        clock=registry_clock)
    engine = Engine(generator, cached.stats, registry, clock or WallClock(), chosen,
                    directions=cached.directions)
    background = Background()
    measure_later(background, engine.slot, generator.weights_path, cached)
    held: dict[str, ModelSlot] | None = {} if hold_models else None
    for spec, name in zip(specs[1:], names[1:], strict=True):
        background.submit(lambda spec=spec, name=name: load_another(  # type: ignore[misc]
            engine, spec, name, chosen, background, held))
    elapsed = time.perf_counter() - started
    log.info(
        "%s on %s: %d neurons in %d layers, %.0f MB (loaded in %.2f s)%s",
        generator.name, chosen, generator.neuron_count, len(generator.layers),
        engine.slot.memory_mb, elapsed,
        "" if engine.slot.statistics == "ready" else "; statistics measured in the background",
    )
    return Session(generator, cached.stats, registry, engine, chosen, elapsed, background,
                   model_files(specs, names), held)


def model_files(specs: Sequence[str | None], names: Sequence[str],
                ) -> tuple[tuple[str, Path], ...]:
    files = []
    for spec, name in zip(specs, names, strict=True):
        try:
            files.append((name, resolve(spec)))
        except ModelError:
            continue
    return tuple(files)


def load_another(engine: Engine, spec: str | None, name: str, device: torch.device,
                 background: Background, held: dict[str, ModelSlot] | None = None) -> None:
    """A background job: load one more model for `model.select` (into `held` when given,
    else straight to the engine), then queue what it lacks. A model that fails says why in
    one line; the show stays on the model it shows."""
    started = time.perf_counter()
    try:
        model = load_model(spec, device)
    except (ModelError, OSError, RuntimeError, ValueError) as err:
        log.error("%s", err)
        engine.model_failed(name)
        return
    model.name = name
    assert model.weights_path is not None
    weights = model.weights_path
    cached = cached_parts(model, weights)
    slot = ModelSlot(model, cached.stats, int(engine.registry.value("drift.seed")), device,
                     cached.directions)
    measure_later(background, slot, weights, cached)  # the copy is taken before it is shown
    if held is not None:
        held[name] = slot
    else:
        engine.add_model(slot)
    log.info("%s loaded in the background (%.1f s, %.0f MB)", name,
             time.perf_counter() - started, slot.memory_mb)


def measure_later(background: Background, slot: ModelSlot, weights: Path,
                  cached: Update) -> None:
    """Queue what the cache lacks for `slot`, measured on a copy taken now (before the model
    draws: the statistics never depend on the controls of the moment)."""
    if complete(cached):
        return
    twin = measuring_copy(slot.model)
    background.submit(lambda: measure_missing(slot, twin, weights, cached))
