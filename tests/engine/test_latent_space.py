"""The latent path: Z for every model, Z or W for models with a mapping network, and the
switch between the two that never jumps."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from performer.engine.drift import Drift
from performer.engine.latent_space import SpaceDrift, ZDrift, face_z, latent_path
from performer.models.base import AblatableGenerator, has_w_space
from performer.models.stylegan2 import StyleGAN2Config, StyleGAN2Generator

CPU = torch.device("cpu")
DT = 1 / 30


@pytest.fixture(scope="module")
def stylegan() -> StyleGAN2Generator:
    """A small StyleGAN2 with seeded random weights (latents only: no image is judged)."""
    model = StyleGAN2Generator(StyleGAN2Config(z_dim=32, w_dim=32, img_resolution=8,
                                               mapping_layers=2, layer_features=32,
                                               channel_base=256, channel_max=32))
    generator = torch.Generator().manual_seed(3)
    state = {name: torch.randn(t.shape, generator=generator)
             for name, t in model.state_dict().items()}
    model.load_state_dict(state)  # prepares by itself
    return model.eval().requires_grad_(False)


def test_each_model_gets_its_path(model: AblatableGenerator, stylegan: StyleGAN2Generator) -> None:
    assert not has_w_space(model) and isinstance(latent_path(model, 0, CPU), ZDrift)
    assert has_w_space(stylegan) and isinstance(latent_path(stylegan, 0, CPU), SpaceDrift)


def test_z_path_hands_out_the_walks_latent_in_one_reused_tensor(
        model: AblatableGenerator) -> None:
    path = ZDrift(model, seed=4, device=CPU)
    reference = Drift(lambda seed: face_z(model, seed), 4)
    first = path.step(DT, 0.5, 4, 2.0, False)
    assert np.allclose(first[0].numpy(), reference.step(DT, 0.5, 4, 2.0, False), atol=1e-6)
    for seed in (4, 4, 5, 5):  # walking, then gliding to another face
        latent = path.step(DT, 0.5, seed, 2.0, False)
        assert latent is first  # no allocation per frame
        assert np.allclose(latent[0].numpy(), reference.step(DT, 0.5, seed, 2.0, False),
                           atol=1e-6)


def test_switching_to_w_keeps_the_latent_on_screen(stylegan: StyleGAN2Generator) -> None:
    path = SpaceDrift(stylegan, seed=1, device=CPU)
    for _ in range(10):
        shown = path.step(DT, 0.8, 1, 2.0, False, space="z").clone()
    switched = path.step(0.0, 0.8, 1, 2.0, False, space="w")
    assert torch.allclose(switched, shown, atol=1e-5)
    moved = path.step(DT, 0.8, 1, 2.0, False, space="w")
    radius = float((shown[0] - stylegan.w_center()).norm())  # W walks around the average
    assert 0 < float((moved - shown).norm()) < 0.8 * DT * radius * 1.01  # speed x dt


def test_switching_back_to_z_blends_over_the_glide(stylegan: StyleGAN2Generator) -> None:
    path = SpaceDrift(stylegan, seed=1, device=CPU)
    path.step(DT, 0.0, 1, 1.0, False, space="w")
    for _ in range(10):
        in_w = path.step(DT, 0.8, 1, 1.0, False, space="w").clone()
    at_switch = path.step(0.0, 0.0, 1, 1.0, False, space="z").clone()
    assert torch.allclose(at_switch, in_w, atol=1e-5)  # no jump at the switch
    z_walk = stylegan.map(torch.from_numpy(path.z.z[None]).float())  # speed 0 from here
    distances = []
    for _ in range(30):  # one second: the blend's whole length
        distances.append(float((path.step(DT, 0.0, 1, 1.0, False, space="z") - z_walk).norm()))
    assert distances[0] > 0.01 and distances[-1] < 1e-5 * float(z_walk.norm())  # arrived
    assert all(b <= a + 1e-6 for a, b in itertools.pairwise(distances))
