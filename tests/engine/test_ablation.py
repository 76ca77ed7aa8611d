"""Ablation on the real face model: death by rate, revival, orders, layers and fills."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
import torch

from performer.engine.ablation import Ablation, AblationError, AblationState, dead_count
from performer.engine.engine import Engine
from performer.frame import Frame
from performer.models.base import AblatableGenerator, ChannelMask
from performer.models.stats import MEAN_SAMPLES, SAMPLE_SEED, ModelStats

TOTAL = 960
LAYER_SLICES = {
    "block0": (0, 512), "block1": (512, 768), "block2": (768, 896), "block3": (896, 960)
}

EngineFactory = Callable[..., Engine]
RunFrames = Callable[[Engine, int], list[Frame]]


def state(dead: float, fill: str = "zero", layer: str = "all", order: str = "random",
          seed: int = 0) -> AblationState:
    return AblationState(layer=layer, order=order, seed=seed, dead=dead, fill=fill)


def generate(model: AblatableGenerator, z: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(z).clone()


def dead_set(ablation: Ablation) -> set[int]:
    return set(np.flatnonzero(~ablation.neuron_map().alive).tolist())


def newly_dead(frames: list[Frame]) -> list[int]:
    """Neurons in the order they died (at most one per frame at the rates used here)."""
    sequence: list[int] = []
    for before, after in itertools.pairwise(frames):
        died = np.flatnonzero(before.neurons.alive & ~after.neurons.alive)
        assert len(died) <= 1
        assert not (~before.neurons.alive & after.neurons.alive).any()  # nobody came back
        sequence += died.tolist()
    return sequence


def newly_alive(frames: list[Frame]) -> list[int]:
    sequence: list[int] = []
    for before, after in itertools.pairwise(frames):
        back = np.flatnonzero(~before.neurons.alive & after.neurons.alive)
        assert len(back) <= 1
        assert not (before.neurons.alive & ~after.neurons.alive).any()  # nobody died
        sequence += back.tolist()
    return sequence


# --- counting -----------------------------------------------------------------------


def test_dead_count() -> None:
    assert dead_count(0.0, TOTAL) == 0
    assert dead_count(0.5, TOTAL) == 480
    assert dead_count(1.0, TOTAL) == TOTAL
    assert dead_count(1.5, TOTAL) == TOTAL and dead_count(-0.1, TOTAL) == 0
    # A fraction summed from rate × dt steps lands a hair under k/size: still k.
    assert dead_count(sum([16 / 30 / TOTAL] * 75), TOTAL) == 40


def test_neuron_map_matches_the_model(model: AblatableGenerator, stats: ModelStats) -> None:
    ablation = Ablation(model, stats)
    neurons = ablation.neuron_map()
    assert neurons.total == TOTAL == ablation.total and neurons.alive_count == TOTAL
    assert neurons.layer_names == ("block0", "block1", "block2", "block3")
    assert neurons.layer_sizes == (512, 256, 128, 64)
    ablation.apply(state(0.25))
    assert ablation.alive_count == ablation.neuron_map().alive_count == TOTAL - 240


# --- everything dead ------------------------------------------------------------------


def test_all_dead_with_zero_fill_is_the_constant_image(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    z = model.sample_latents(2, 17)
    alive = generate(model, z)
    assert (alive[0] - alive[1]).abs().max() > 0.1  # two different faces
    Ablation(model, stats).apply(state(1.0, "zero"))
    dead = generate(model, z)
    assert torch.equal(dead[0], dead[1])
    # Nothing reaches the output convolution, so the image is tanh(0): flat mid-grey.
    assert torch.equal(dead[0], torch.zeros_like(dead[0]))


def test_zero_fill_masks(model: AblatableGenerator, stats: ModelStats) -> None:
    ablation = Ablation(model, stats)
    ablation.apply(state(0.5, "zero"))
    alive = torch.from_numpy(ablation.neuron_map().alive)
    keep = torch.cat([m.keep.flatten() for m in model.masks if isinstance(m, ChannelMask)])
    assert torch.equal(keep, alive.float())
    assert all(m.fill.abs().max() == 0 for m in model.masks if isinstance(m, ChannelMask))


# --- rate × time, revive ----------------------------------------------------------------


def test_rate_times_time_neurons_die(engine_factory: EngineFactory, run_frames: RunFrames) -> None:
    engine = engine_factory({"ablation.rate": 16.0}, fps=30)
    frames = run_frames(engine, 76)  # the first tick is 0 s, then 75 × 1/30 s = 2.5 s
    assert frames[-1].time == pytest.approx(2.5)
    dead = TOTAL - frames[-1].neurons.alive_count
    assert abs(dead - 40) <= 1, dead  # 16 neurons/s × 2.5 s
    counts = [TOTAL - f.neurons.alive_count for f in frames]
    assert counts == sorted(counts) and counts[0] == 0  # monotonic, from nobody dead
    assert engine.registry.value("ablation.dead") == pytest.approx(40 / TOTAL, abs=1e-9)


def test_rate_counts_neurons_of_the_target_layer(
    engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    engine = engine_factory({"ablation.rate": 16.0, "ablation.layer": "block1"}, fps=30)
    alive = run_frames(engine, 76)[-1].neurons.alive
    start, stop = LAYER_SLICES["block1"]
    assert abs(int((~alive[start:stop]).sum()) - 40) <= 1
    assert alive[:start].all() and alive[stop:].all()


def test_revive_comes_back_in_reverse_order_and_restores_the_frame(
    model: AblatableGenerator, engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    z = model.sample_latents(1, 0)  # the face of drift.seed 0, which the engine shows
    original = generate(model, z)
    engine = engine_factory({"ablation.rate": 16.0, "ablation.fill": "mean"}, fps=30)
    dying = run_frames(engine, 76)
    died = newly_dead(dying)
    assert 39 <= len(died) <= 41
    assert not np.array_equal(dying[-1].image, dying[0].image)  # the face did change

    engine.registry.set("ablation.revive", True)
    reviving = [dying[-1], *run_frames(engine, 80)]  # 2.5 s back, plus a few spare frames
    assert newly_alive(reviving) == died[::-1]
    assert reviving[-1].neurons.alive.all()
    assert np.array_equal(reviving[-1].image, dying[0].image)  # bitwise, uint8
    assert torch.equal(generate(model, z), original)  # and the float output too


def test_scrubbing_dead_back_to_zero_restores_the_frame(
    engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    engine = engine_factory({"ablation.fill": "zero"})
    first = run_frames(engine, 1)[0]
    engine.registry.set("ablation.dead", 0.6)
    scrubbed = run_frames(engine, 1)[0]
    assert scrubbed.neurons.alive_count == TOTAL - 576
    engine.registry.set("ablation.dead", 0.0)
    back = run_frames(engine, 1)[0]
    assert not np.array_equal(scrubbed.image, first.image)
    assert np.array_equal(back.image, first.image)


# --- orders ---------------------------------------------------------------------------------


ORDER_CASES = [("random", 0), ("random", 1), ("index", 0), ("magnitude", 0), ("importance", 0)]


def test_orders_are_deterministic_and_distinct(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    first, second = Ablation(model, stats), Ablation(model, stats)
    orders = {}
    for order, seed in ORDER_CASES:
        a, b = first.order("all", order, seed), second.order("all", order, seed)
        assert np.array_equal(a, b), (order, seed)  # same setting, same order
        assert sorted(a.tolist()) == list(range(TOTAL))  # a permutation of every neuron
        orders[order, seed] = a
    for i, x in enumerate(ORDER_CASES):
        for y in ORDER_CASES[i + 1 :]:
            # Differ already among the first few to die, not just somewhere in the tail.
            assert not np.array_equal(orders[x][:20], orders[y][:20]), (x, y)


def test_the_same_state_kills_the_same_neurons(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    for order, seed in ORDER_CASES:
        first, second = Ablation(model, stats), Ablation(model, stats)
        first.apply(state(0.05, order=order, seed=seed))
        second.apply(state(0.05, order=order, seed=seed))
        assert dead_set(first) == dead_set(second)
        assert len(dead_set(first)) == 48


def test_index_order_kills_the_first_channels(model: AblatableGenerator, stats: ModelStats) -> None:
    ablation = Ablation(model, stats)
    ablation.apply(state(50 / TOTAL, order="index"))
    assert dead_set(ablation) == set(range(50))


def test_magnitude_order_kills_the_weakest_of_each_layer(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    ablation = Ablation(model, stats)
    ablation.apply(state(0.25, order="magnitude"))
    alive = ablation.neuron_map().alive
    for name, (start, stop) in LAYER_SLICES.items():
        magnitude = stats.magnitude[name].numpy()
        layer_alive = alive[start:stop]
        # Ranked within each layer, so every layer loses its quarter...
        assert abs(int((~layer_alive).sum()) - (stop - start) // 4) <= 1, name
        # ...and no survivor is weaker than a dead neuron of its layer.
        assert magnitude[~layer_alive].max() <= magnitude[layer_alive].min(), name


def test_importance_order_kills_the_least_important_first(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    ablation = Ablation(model, stats)
    ablation.apply(state(0.3, order="importance"))
    alive = ablation.neuron_map().alive
    importance = np.concatenate([stats.importance[n].numpy() for n in LAYER_SLICES])
    assert importance[~alive].max() <= importance[alive].min()


def test_unknown_settings_are_refused(model: AblatableGenerator, stats: ModelStats) -> None:
    ablation = Ablation(model, stats)
    with pytest.raises(AblationError, match="loudest"):
        ablation.apply(state(0.1, order="loudest"))
    with pytest.raises(AblationError, match="block9"):
        ablation.apply(state(0.1, layer="block9"))
    with pytest.raises(AblationError, match="glitter"):
        ablation.apply(state(0.1, fill="glitter"))


# --- layer targeting --------------------------------------------------------------------------


@pytest.mark.parametrize("layer", list(LAYER_SLICES))
def test_only_the_target_layer_dies(
    model: AblatableGenerator, stats: ModelStats, layer: str
) -> None:
    z = model.sample_latents(1, 4)
    original = generate(model, z)
    ablation = Ablation(model, stats)
    ablation.apply(state(0.5, "mean", layer=layer))
    start, stop = LAYER_SLICES[layer]
    alive = ablation.neuron_map().alive
    assert int((~alive[start:stop]).sum()) == (stop - start) // 2
    assert alive[:start].all() and alive[stop:].all()
    for mask in model.masks:
        assert isinstance(mask, ChannelMask)
        if mask.info.name != layer:
            assert bool((mask.keep == 1).all()) and bool((mask.fill == 0).all())
    assert not torch.equal(generate(model, z), original)


def test_whole_layer_dead_leaves_the_rest_alive(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    ablation = Ablation(model, stats)
    ablation.apply(state(1.0, "zero", layer="block2"))
    assert ablation.alive_count == TOTAL - 128
    z = model.sample_latents(2, 8)
    images = generate(model, z)
    # block2 is the only way through, so with it all zero every latent draws the same image.
    assert torch.equal(images[0], images[1])


# --- fills ------------------------------------------------------------------------------------


def test_mean_fill_replaces_each_channel_by_its_mean_activation(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    # Measure block3's mean activation here, independently, on the statistics' own sample.
    z_stats = model.sample_latents(MEAN_SAMPLES, SAMPLE_SEED)
    total = torch.zeros(64, 32, 32, dtype=torch.float64)

    def accumulate(_module: object, _inputs: object, output: torch.Tensor) -> None:
        total.add_(output.double().sum(0))

    handle = model.block3.mask.register_forward_hook(accumulate)  # type: ignore[union-attr]
    try:
        generate(model, z_stats)
    finally:
        handle.remove()
    mean_activation = (total / MEAN_SAMPLES).float()
    with torch.inference_mode():
        expected = torch.tanh(model.to_rgb(mean_activation[None]))[0]  # type: ignore[operator]

    ablation = Ablation(model, stats)
    ablation.apply(state(1.0, "mean"))
    images = generate(model, model.sample_latents(2, 21))
    assert torch.equal(images[0], images[1])  # a constant image, whatever the latent
    torch.testing.assert_close(images[0], expected, rtol=0, atol=1e-5)


def test_mean_fill_ends_near_the_average_image(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    faces = generate(model, model.sample_latents(256, 99))
    average = faces.mean(0)
    ablation = Ablation(model, stats)
    z = model.sample_latents(1, 3)
    ablation.apply(state(1.0, "zero"))
    zero_distance = float((generate(model, z)[0] - average).abs().mean())
    ablation.apply(state(1.0, "mean"))
    mean_distance = float((generate(model, z)[0] - average).abs().mean())
    # Measured: ~0.17 against ~0.35. Not 0: the mean fill gives tanh(E[x]) at the output,
    # the average image is E[tanh(x)], and the pre-tanh values spread widely.
    assert mean_distance < 0.6 * zero_distance
    face_distances = (faces - average).abs().mean((1, 2, 3))
    assert mean_distance < float(face_distances.median())  # nearer than a typical face


def test_mean_fill_masks_hold_the_mean_maps(model: AblatableGenerator, stats: ModelStats) -> None:
    ablation = Ablation(model, stats)
    ablation.apply(state(0.5, "mean", order="random", seed=3))
    for mask in model.masks:
        assert isinstance(mask, ChannelMask)
        dead = mask.keep.flatten() == 0
        assert 0 < int(dead.sum()) < mask.info.channels
        fill = mask.fill[0]
        assert torch.equal(fill[dead], stats.mean[mask.info.name][dead])
        assert bool((fill[~dead] == 0).all())


def test_noise_fill_is_deterministic_per_frame(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    def fills(frame_seed: int) -> list[torch.Tensor]:
        ablation = Ablation(model, stats)
        ablation.seed_noise(frame_seed)
        ablation.apply(state(0.5, "noise"))
        return [m.fill.clone() for m in model.masks if isinstance(m, ChannelMask)]

    first, again, other = fills(7), fills(7), fills(8)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not any(torch.equal(a, b) for a, b in zip(first, other, strict=True))
    # Noise only where neurons are dead.
    for mask, fill in zip(model.masks, first, strict=True):
        assert isinstance(mask, ChannelMask)
        assert bool((fill * mask.keep == 0).all())
        assert fill[0, mask.keep.flatten() == 0].abs().max() > 0


def test_noise_fill_frames_repeat_across_engines(
    engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    values = {"ablation.dead": 0.5, "ablation.fill": "noise"}
    first = run_frames(engine_factory(values), 4)
    second = run_frames(engine_factory(values), 4)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a.image, b.image)
    # The latent holds still (speed 0), yet every frame's noise is new.
    images = [f.image.tobytes() for f in first]
    assert len(set(images)) == len(images)


def test_noise_depends_on_the_frame_index_not_on_the_history(
    engine_factory: EngineFactory, run_frames: RunFrames
) -> None:
    """A render that switches to noise at frame 3 shows frame 3's noise, as a live run does."""
    live = run_frames(engine_factory({"ablation.dead": 0.5, "ablation.fill": "noise"}), 5)
    late = engine_factory({"ablation.dead": 0.5, "ablation.fill": "zero"})
    run_frames(late, 3)
    late.registry.set("ablation.fill", "noise")
    for expected, frame in zip(live[3:], run_frames(late, 2), strict=True):
        assert frame.index == expected.index
        assert np.array_equal(frame.image, expected.image)


def test_changing_only_the_fill_rewrites_the_masks(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    ablation = Ablation(model, stats)
    z = model.sample_latents(1, 2)
    ablation.apply(state(0.4, "zero"))
    zero = generate(model, z)
    ablation.apply(state(0.4, "mean"))
    mean = generate(model, z)
    ablation.apply(state(0.4, "zero"))
    assert not torch.equal(zero, mean)
    assert torch.equal(generate(model, z), zero)


def test_sweeping_the_seed_does_not_grow_memory(
    model: AblatableGenerator, stats: ModelStats
) -> None:
    from performer.engine.ablation import ORDER_CACHE_SIZE

    ablation = Ablation(model, stats)
    first = ablation.order("all", "random", 0).copy()
    for seed in range(1, 5 * ORDER_CACHE_SIZE):
        ablation.order("all", "random", seed)
    assert ablation.cached_orders == ORDER_CACHE_SIZE
    assert np.array_equal(ablation.order("all", "random", 0), first)  # recomputed the same
