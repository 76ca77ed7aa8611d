"""A model's first start and a switch between models, for `performer bench`.

- Statistics: the stages a new model's background measurement runs (directions, activity,
  importance), timed on a 32 px, 768-neuron StyleGAN2 with random weights (the model whose
  first start once took 298 s), against the budget models/stats.py promises (about a
  minute on 2 cores); and how long its first frame takes while nothing is measured yet.
- Switch: the engine step that switches `model.select` between two built-in models,
  against a step that does not, and the time a second model takes to load.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from typing import cast

import torch

from performer.controls import make_registry, model_choice
from performer.engine.clock import FixedClock
from performer.engine.engine import Engine
from performer.engine.measurement import measuring_copy
from performer.engine.slot import ModelSlot
from performer.models.base import AblatableGenerator
from performer.models.directions import find_directions
from performer.models.loading import load_model
from performer.models.stats import (
    forward_flops,
    load_or_measure,
    measure_activity,
    measure_importance_within,
)
from performer.models.stylegan2 import StyleGAN2Config, StyleGAN2Generator

BUDGET_S = 60.0  # a new model's statistics: "about a minute on 2 cores" (models/stats.py)
SWITCHES = 10


def small_stylegan2(device: torch.device) -> StyleGAN2Generator:
    """32 px, channels 128-128-128-64 per resolution: 768 neurons in 7 layers, random weights."""
    config = StyleGAN2Config(img_resolution=32, channel_base=2048, channel_max=128)
    model = StyleGAN2Generator(config)
    generator = torch.Generator().manual_seed(768)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith(("weight", "const", "noise_const")):
                tensor.copy_(torch.randn(tensor.shape, generator=generator))
            elif name.endswith("affine.bias"):
                tensor.fill_(1.0)
    model.name = "random-32px-768"
    model.prepare()
    return model.eval().requires_grad_(False).place(device)


def statistics_figures(device: torch.device) -> dict[str, float]:
    """Seconds of each background stage for the 768-neuron model, and its first frame."""
    model = small_stylegan2(device)
    registry = make_registry([layer.name for layer in model.layers], model.extra_params())
    started = time.perf_counter()
    Engine(model, None, registry, FixedClock(30.0)).step()
    first_frame_s = time.perf_counter() - started
    twin = measuring_copy(model)
    clock = time.perf_counter()
    find_directions(twin)
    directions_s, clock = time.perf_counter() - clock, time.perf_counter()
    mean, _, _ = measure_activity(twin)
    activity_s, clock = time.perf_counter() - clock, time.perf_counter()
    measure_importance_within(twin, mean, forward_flops(twin))
    importance_s = time.perf_counter() - clock
    total = directions_s + activity_s + importance_s
    return {
        "stats_neurons": float(model.neuron_count),
        "stats_first_frame_s": first_frame_s,
        "stats_directions_s": directions_s,
        "stats_activity_s": activity_s,
        "stats_importance_s": importance_s,
        "stats_total_s": total,
        "stats_budget_ratio": total / BUDGET_S,
    }


def switch_figures(device: torch.device) -> dict[str, float]:
    """Step time with and without a model switch (two built-in models), and a load."""
    first = load_model(None, device)
    assert first.weights_path is not None
    stats = load_or_measure(first, first.weights_path)
    started = time.perf_counter()
    second: AblatableGenerator = load_model(None, device)
    load_s = time.perf_counter() - started
    second.name = "second"
    registry = make_registry([layer.name for layer in first.layers],
                             [model_choice([first.name, second.name])])
    engine = Engine(first, stats, registry, FixedClock(30.0))
    engine.add_model(ModelSlot(second, stats, 0, device))
    plain: list[float] = []
    switched: list[float] = []
    names = (first.name, second.name)
    for index in range(2 * SWITCHES):
        for kind in (plain, switched):
            if kind is switched:
                registry.set("model.select", names[(index + 1) % 2])
            clock = time.perf_counter()
            engine.step()
            kind.append((time.perf_counter() - clock) * 1000.0)
    return {
        "model_step_ms": statistics.median(plain),
        "model_switch_step_ms": statistics.median(switched),
        "model_switch_max_ms": max(switched),
        "model_load_s": load_s,
        "model_memory_mb": engine.slot.memory_mb,
    }


def format_models(measured: Mapping[str, object]) -> str:
    figures = {key: cast(float, value) for key, value in measured.items()
               if key.startswith(("stats_", "model_"))}
    lines = [
        f"Model switch (built-in model): a step {figures['model_step_ms']:.1f} ms, a step that "
        f"switches {figures['model_switch_step_ms']:.1f} ms (max "
        f"{figures['model_switch_max_ms']:.1f} ms); loading a model "
        f"{figures['model_load_s']:.2f} s in the background, "
        f"{figures['model_memory_mb']:.1f} MB each"]
    if "stats_total_s" not in figures:
        return lines[0]
    return "\n".join([
        f"A new model's first start ({int(figures['stats_neurons'])}-neuron 32 px StyleGAN2, "
        "random weights): first frame "
        f"{figures['stats_first_frame_s'] * 1000:.0f} ms while nothing is measured; in the "
        f"background: directions {figures['stats_directions_s']:.1f} s, mean maps "
        f"{figures['stats_activity_s']:.1f} s, importance {figures['stats_importance_s']:.1f} s"
        f" = {figures['stats_total_s']:.1f} s ({figures['stats_budget_ratio']:.2f} of the "
        f"{BUDGET_S:.0f} s budget; was 298 s)",
        *lines,
    ])
