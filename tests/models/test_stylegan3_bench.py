"""The StyleGAN3 rows of `performer bench`: figures are produced and hang together
(timings themselves are never pass/fail)."""

from __future__ import annotations

from pathlib import Path

import torch

from performer.bench.stylegan import format_stylegan_table, random_stylegan3, stylegan_figures
from performer.models.stylegan3 import StyleGAN3Config, StyleGAN3Generator
from tests.models.stylegan3_fixtures import reference


def small_random_generator() -> StyleGAN3Generator:
    """The reference config T with fresh random weights, written as the bench writes them."""
    config = StyleGAN3Config.from_init_kwargs(reference("t").nested_kwargs)
    model = StyleGAN3Generator(config)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("weight"):
                tensor.normal_()
    return model


def test_stylegan3_row_has_speed_flops_and_a_skipped_side_by_side(tmp_path: Path) -> None:
    row = stylegan_figures(small_random_generator(), torch.device("cpu"), 0.3,
                           nvlabs_checkout=tmp_path / "no-such-clone")
    assert row["family"] == "stylegan3" and row["size"] == 32 and row["neurons"] == 155
    assert row["fps"] > 0 and row["ablated_fps"] > 0 and row["gflop"] > 0
    assert abs(row["gflops"] - row["fps"] * row["gflop"]) < 1e-6 * row["gflops"]
    assert row["sgemm_fraction"] == row["gflops"] / row["sgemm_gflops"]
    assert "could not be used" in row["nvlabs_skipped"]
    table = format_stylegan_table([row])
    assert "| stylegan3 | 32 px | 155 |" in table and "| skipped | - |" in table


def test_random_stylegan3_has_nvlabs_shapes_and_band_limited_features() -> None:
    model = random_stylegan3(256)
    assert model.config.channel_base == 16384 and model.config.num_layers == 14
    assert model.layers[0].name == "L0_36_512" and model.layers[-1].name == "L13_256_64"
    source = model.synthesis.input
    assert source.freqs.norm(dim=1).max() <= source.bandwidth  # inside the input's band
    assert model.synthesis.input.affine.bias.tolist() == [1.0, 0.0, 0.0, 0.0]
