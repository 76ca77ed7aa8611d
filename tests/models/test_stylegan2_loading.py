"""`--model PATH` for StyleGAN2 checkpoints: NVlabs pickles, rosinality .pt, our cache.

The pickles are written by tests.models.nvlabs_fixtures (NVlabs' structure, random
weights) and loaded where NVlabs' modules do not exist.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from performer.models import loading
from performer.models.base import ModelError
from performer.models.formats.rosinality import from_nvlabs
from performer.models.loading import load_model
from performer.models.stylegan2 import StyleGAN2Generator
from tests.models import nvlabs_fixtures as fixtures

CPU = torch.device("cpu")

VARIANTS = {
    "fp32": dict(resolution=32),
    "fp16-clamp-cond": dict(resolution=32, c_dim=3, num_fp16_res=2, conv_clamp=256.0),
    "64px-fp16-clamp": dict(resolution=64, num_fp16_res=4, conv_clamp=256.0, channel_max=32),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Checkpoints and a private cache directory, shared by this module's tests."""
    root = tmp_path_factory.mktemp("stylegan2")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        for name, kwargs in VARIANTS.items():
            fixtures.write_nvlabs_pickle(root / f"{name}.pkl", seed=3, **kwargs)
        yield root


def generate(model: StyleGAN2Generator, seed: int = 0, count: int = 2) -> torch.Tensor:
    with torch.inference_mode():
        return model(model.sample_latents(count, seed)).clone()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_pickle_loads_and_generates(folder: Path, variant: str) -> None:
    model = load_model(str(folder / f"{variant}.pkl"), CPU)
    assert isinstance(model, StyleGAN2Generator)
    side = VARIANTS[variant]["resolution"]
    images = generate(model)
    assert images.shape == (2, 3, side, side) and images.dtype == torch.float32
    assert torch.isfinite(images).all()
    assert torch.equal(images, generate(model))  # const noise: deterministic
    assert (images[0] - images[1]).abs().max() > 1e-2  # different latents, different images
    names = [layer.name for layer in model.layers]
    assert names[:3] == ["b4.conv1", "b8.conv0", "b8.conv1"]
    assert names[-1] == f"b{side}.conv1" and len(names) == 2 * len(model.synthesis.blocks) - 1
    assert model.name == variant


def test_second_load_reads_the_cache_and_never_unpickles(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = folder / "fp32.pkl"
    first = load_model(str(path), CPU)
    assert first.weights_path is not None and first.weights_path.suffix == ".safetensors"
    assert first.weights_path.with_suffix(".json").exists()

    def refuse(*_args: object) -> None:
        raise AssertionError("the pickle was read again")

    monkeypatch.setattr(loading, "read_nvlabs_pickle", refuse)
    again = load_model(str(path), CPU)
    assert again.weights_path == first.weights_path
    assert torch.equal(generate(first), generate(again))


def test_converted_safetensors_load_directly(folder: Path) -> None:
    first = load_model(str(folder / "fp16-clamp-cond.pkl"), CPU)
    assert first.weights_path is not None
    direct = load_model(str(first.weights_path), CPU)
    assert torch.equal(generate(first), generate(direct))


def test_a_damaged_cache_is_converted_again(folder: Path) -> None:
    path = folder / "64px-fp16-clamp.pkl"
    first = load_model(str(path), CPU)
    assert first.weights_path is not None
    first.weights_path.write_bytes(b"not safetensors")
    again = load_model(str(path), CPU)
    assert torch.equal(generate(first), generate(again))


def test_rosinality_checkpoint_gives_the_identical_image(folder: Path) -> None:
    tensors = fixtures.write_nvlabs_pickle(folder / "twin.pkl", seed=11)
    torch.save(from_nvlabs(tensors, img_resolution=32, mapping_layers=2), folder / "twin.pt")
    nvlabs = load_model(str(folder / "twin.pkl"), CPU)
    rosinality = load_model(str(folder / "twin.pt"), CPU)
    assert torch.equal(generate(nvlabs), generate(rosinality))
    assert [la.name for la in rosinality.layers] == [la.name for la in nvlabs.layers]


def test_rosinality_without_latent_avg_estimates_it(folder: Path) -> None:
    tensors = fixtures.write_nvlabs_pickle(folder / "avg.pkl", seed=12)
    checkpoint = from_nvlabs(tensors, img_resolution=32, mapping_layers=2)
    del checkpoint["latent_avg"]
    torch.save(checkpoint, folder / "noavg.pt")
    model = load_model(str(folder / "noavg.pt"), CPU)
    assert isinstance(model, StyleGAN2Generator)
    # The estimate is the mean mapped w: other latents than the estimate's own give the
    # same mean within sampling error, and the file's own (random) w_avg is not used.
    with torch.inference_mode():
        w = model.map(model.sample_latents(20000, seed=77))
    mean, spread = w.mean(dim=0), w.std(dim=0).mean()
    estimate = model.w_center()
    error = (estimate - mean).abs().max()
    assert error < 0.1 * spread, (error, spread)
    assert (tensors["mapping.w_avg"] - mean).abs().max() > 10 * error
    model.set_truncation(0.0)  # every latent becomes the estimated average face
    images = generate(model)
    assert torch.isfinite(images).all() and torch.allclose(images[0], images[1])


# --- errors name the file and the problem --------------------------------------------


def error_for(path: Path) -> str:
    with pytest.raises(ModelError) as caught:
        load_model(str(path), CPU)
    return str(caught.value)


def test_tensorflow_pickle_asks_for_conversion(folder: Path) -> None:
    path = folder / "tf.pkl"
    fixtures.write_tensorflow_pickle(path)
    message = error_for(path)
    assert str(path) in message and "convert it to PyTorch first" in message


def test_truncated_pickle_names_the_file(folder: Path) -> None:
    data = (folder / "fp32.pkl").read_bytes()
    path = folder / "cut.pkl"
    path.write_bytes(data[: len(data) // 2])
    assert str(path) in error_for(path)


def test_rosinality_with_a_wrong_shape_lists_it(folder: Path) -> None:
    tensors = fixtures.write_nvlabs_pickle(folder / "shape.pkl", seed=13)
    checkpoint = from_nvlabs(tensors, img_resolution=32, mapping_layers=2)
    checkpoint["g_ema"]["convs.1.activate.bias"] = torch.zeros(7)
    path = folder / "shape.pt"
    torch.save(checkpoint, path)
    message = error_for(path)
    assert str(path) in message
    assert "synthesis.b8.conv1.bias: shape (7,) != (64,)" in message


def test_pt_without_g_ema_and_garbage_pt(folder: Path) -> None:
    other = folder / "other.pt"
    torch.save({"g": {}, "d": {}}, other)
    assert "no 'g_ema' generator state" in error_for(other)
    garbage = folder / "garbage.pt"
    garbage.write_bytes(b"\x80\x02garbage")
    message = error_for(garbage)
    assert str(garbage) in message and "not a readable PyTorch checkpoint" in message


def test_unknown_suffix_is_refused(folder: Path) -> None:
    path = folder / "model.onnx"
    path.write_bytes(b"")
    assert "unknown model format '.onnx'" in error_for(path)


def test_rosinality_with_another_blur_filter_is_refused(folder: Path) -> None:
    tensors = fixtures.write_nvlabs_pickle(folder / "blur.pkl", seed=14)
    checkpoint = from_nvlabs(tensors, img_resolution=32, mapping_layers=2)
    checkpoint["g_ema"]["convs.2.conv.blur.kernel"] = torch.ones(4, 4) / 4
    path = folder / "blur.pt"
    torch.save(checkpoint, path)
    message = error_for(path)
    assert "convs.2.conv.blur.kernel is not the [1, 3, 3, 1] filter" in message


def test_float16_blocks_agree_with_float32(folder: Path) -> None:
    """The float16 path CUDA takes for the top resolutions, forced here on the CPU."""
    model = load_model(str(folder / "fp16-clamp-cond.pkl"), CPU)
    assert isinstance(model, StyleGAN2Generator)
    mask = model.channel_masks()[-1]  # a masked float16 layer, too
    mask.keep[0, ::2] = 0.0
    full = generate(model)
    half_blocks = [block for block in model.synthesis.blocks if block.use_fp16]
    assert len(half_blocks) == 2
    try:
        for block in half_blocks:
            block.dtype = torch.float16
        half = generate(model)
    finally:
        for block in half_blocks:
            block.dtype = torch.float32
        mask.keep.fill_(1.0)
    assert half.dtype == torch.float32 and torch.isfinite(half).all()
    assert (half - full).abs().max() < 2e-2
    assert not torch.equal(half, full)  # it did compute in float16


def test_rosinality_training_checkpoint_with_args_and_optimizers(folder: Path) -> None:
    """train.py's files: g, d, g_ema, optimizer states and its argparse.Namespace."""
    tensors = fixtures.write_nvlabs_pickle(folder / "train.pkl", seed=15)
    checkpoint = from_nvlabs(tensors, img_resolution=32, mapping_layers=2)
    del checkpoint["latent_avg"]
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(3))]).state_dict()
    checkpoint |= {"g": checkpoint["g_ema"], "d": {}, "g_optim": optimizer, "d_optim": optimizer,
                   "args": argparse.Namespace(size=32, n_mlp=2, lr_mlp=0.01, iter=800000),
                   "ada_aug_p": 0.2}
    path = folder / "train.pt"
    torch.save(checkpoint, path)
    model = load_model(str(path), CPU)
    assert isinstance(model, StyleGAN2Generator)
    assert torch.isfinite(generate(model)).all()
    checkpoint["args"] = argparse.Namespace(lr_mlp=0.5)  # the multiplier is read from args
    other = folder / "train-lr.pt"
    torch.save(checkpoint, other)
    changed = load_model(str(other), CPU)
    assert changed.config.lr_multiplier == 0.5  # type: ignore[attr-defined]


@pytest.mark.parametrize("layout", ["ada-converted", "stylegan3-repo"])
def test_other_recorded_layouts_load_without_complaint(
    folder: Path, layout: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Pickles converted from TensorFlow, and the stylegan3 repository's StyleGAN2 (which
    records fused_modconv_default), build the same network with no unknown-argument warning."""
    path = folder / f"{layout}.pkl"
    fixtures.write_nvlabs_pickle(path, resolution=32, seed=3, layout=layout)
    with caplog.at_level("WARNING", logger="performer.models"):
        model = load_model(str(path), CPU)
    assert not [r for r in caplog.records if "unknown" in r.getMessage()]
    assert [layer.name for layer in model.layers][:3] == ["b4.conv1", "b8.conv0", "b8.conv1"]
