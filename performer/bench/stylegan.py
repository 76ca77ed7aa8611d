"""StyleGAN2 and StyleGAN3 speed figures for `performer bench`: random weights at real sizes.

Random weights cost exactly what trained ones do, so these figures tell a VJ what a
256 px or 1024 px checkpoint will run at on this machine before they have one. Each row
also says how close the forward pass comes to the machine's limit (achieved GFLOP/s over
sgemm GFLOP/s, see flops.py) and, given a clone of NVlabs/stylegan3, how fast their own
code runs the same weights.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

import torch

from performer.bench.flops import sgemm
from performer.bench.nvlabs_reference import their_forward
from performer.bench.timing import interleaved, timed_forward, without_masks
from performer.models.base import AblatableGenerator
from performer.models.stats import forward_flops
from performer.models.stylegan2 import StyleGAN2Config, StyleGAN2Generator
from performer.models.stylegan3 import StyleGAN3Config, StyleGAN3Generator

# The configurations NVlabs trained at these sizes (stylegan2-ada-pytorch's 'paper256'
# and 'stylegan2' presets): mapping 8 layers, the top 4 resolutions in float16 on CUDA.
CHANNEL_BASE = {256: 16384, 512: 32768, 1024: 32768}
PSI = 0.7


def random_stylegan2(size: int) -> StyleGAN2Generator:
    config = StyleGAN2Config(img_resolution=size, channel_base=CHANNEL_BASE.get(size, 32768),
                             num_fp16_res=4, conv_clamp=256.0)
    model = StyleGAN2Generator(config)
    generator = torch.Generator().manual_seed(size)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith(("weight", "const", "noise_const")):
                tensor.copy_(torch.randn(tensor.shape, generator=generator))
            elif name.endswith("affine.bias"):
                tensor.fill_(1.0)  # as NVlabs initialises the styles
    return model


def random_stylegan3(size: int, config_r: bool = False) -> StyleGAN3Generator:
    """NVlabs' defaults for config T (or R: 1x1 convolutions, twice the channels, radial
    filters), with channel_base 16384 at 256 px as for StyleGAN2, and their initialisation
    of the Fourier features."""
    base = CHANNEL_BASE.get(size, 32768) * (2 if config_r else 1)
    config = StyleGAN3Config(img_resolution=size, channel_base=base,
                             channel_max=1024 if config_r else 512,
                             conv_kernel=1 if config_r else 3, use_radial_filters=config_r)
    model = StyleGAN3Generator(config)
    generator = torch.Generator().manual_seed(size)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("weight"):
                tensor.copy_(torch.randn(tensor.shape, generator=generator))
            elif name.endswith("affine.bias"):
                tensor.fill_(1.0)
        source = model.synthesis.input
        freqs = torch.randn(source.freqs.shape, generator=generator)
        radii = freqs.square().sum(dim=1, keepdim=True).sqrt()
        source.freqs.copy_(freqs / (radii * radii.square().exp().pow(0.25)) * source.bandwidth)
        source.phases.copy_(torch.rand(source.phases.shape, generator=generator) - 0.5)
        source.affine.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))
    return model


def nvlabs_arguments(model: StyleGAN2Generator | StyleGAN3Generator) -> dict[str, Any]:
    """The constructor arguments NVlabs' stylegan3 repository takes for `model`'s shape."""
    if isinstance(model, StyleGAN3Generator):
        c3 = model.config
        return {"z_dim": c3.z_dim, "c_dim": c3.c_dim, "w_dim": c3.w_dim,
                "img_resolution": c3.img_resolution, "img_channels": c3.img_channels,
                "mapping_kwargs": {"num_layers": c3.mapping_layers},
                "channel_base": c3.channel_base, "channel_max": c3.channel_max,
                "num_fp16_res": c3.num_fp16_res, "conv_kernel": c3.conv_kernel,
                "use_radial_filters": c3.use_radial_filters, "conv_clamp": c3.conv_clamp}
    c2 = model.config
    return {"z_dim": c2.z_dim, "c_dim": c2.c_dim, "w_dim": c2.w_dim,
            "img_resolution": c2.img_resolution, "img_channels": c2.img_channels,
            "mapping_kwargs": {"num_layers": c2.mapping_layers},
            "channel_base": c2.channel_base, "channel_max": c2.channel_max,
            "num_fp16_res": c2.num_fp16_res, "conv_clamp": c2.conv_clamp}


def random_generator(family: str, size: int) -> StyleGAN2Generator | StyleGAN3Generator:
    return random_stylegan3(size) if family == "stylegan3" else random_stylegan2(size)


def stylegan_figures(model: StyleGAN2Generator | StyleGAN3Generator, device: torch.device,
                     seconds: float, nvlabs_checkout: Path | None = None) -> dict[str, Any]:
    """Bare and masked forward rates at batch 1 (half of every layer's neurons dead),
    achieved GFLOP/s against sgemm, and NVlabs' rate on the same weights when asked.

    `model` holds freshly written random weights (on the CPU, not yet prepared)."""
    family = "stylegan3" if isinstance(model, StyleGAN3Generator) else "stylegan2"
    size = model.resolution
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.name = f"random-{family}-{size}px"
    model.prepare()  # weights written in place, not loaded: derive the buffers by hand
    model = model.eval().requires_grad_(False).place(device)
    model.set_truncation(PSI)
    bare = without_masks(model)
    z = model.sample_latents(1, 0).to(device)
    for mask in model.channel_masks():
        half = torch.rand(mask.keep.shape, generator=torch.Generator().manual_seed(1)) < 0.5
        mask.keep.copy_(half.float())
        mask.fill.normal_()
        mask.fill.mul_(1.0 - mask.keep)

    flops = forward_flops(cast(AblatableGenerator, bare), z)  # the same class, unmasked
    matmul, matmul_flops = sgemm(device)
    contenders = {"bare": timed_forward(bare, z, device),
                  "ablated": timed_forward(model, z, device), "sgemm": matmul}
    row: dict[str, Any] = {"family": family, "size": size,
                           "neurons": model.neuron_count, "gflop": flops / 1e9}
    if nvlabs_checkout is not None:
        theirs = their_forward(nvlabs_checkout, family, nvlabs_arguments(model), state, z, PSI)
        if isinstance(theirs, str):
            row["nvlabs_skipped"] = theirs
        else:
            contenders["nvlabs"] = theirs
    rates = interleaved(contenders, seconds)
    gflops = rates["bare"] * flops / 1e9
    sgemm_gflops = rates["sgemm"] * matmul_flops / 1e9
    row.update({
        "fps": rates["bare"],
        "ablated_fps": rates["ablated"],
        "ablation_overhead_pct": (rates["bare"] / rates["ablated"] - 1.0) * 100.0,
        "gflops": gflops,
        "sgemm_gflops": sgemm_gflops,
        "sgemm_fraction": gflops / sgemm_gflops,
        "nvlabs_fps": rates.get("nvlabs", math.nan),
        "speedup_vs_nvlabs": rates["bare"] / rates["nvlabs"] if "nvlabs" in rates else math.nan,
    })
    return row


def format_stylegan_table(rows: list[dict[str, Any]]) -> str:
    lines = ["StyleGAN, random weights, batch 1 (GFLOP/s: achieved by the bare forward pass; "
             "sgemm: this machine's float32 matmul rate, same run):",
             "| family | size | neurons | bare fps | with masks fps | ablation overhead | "
             "GFLOP/frame | GFLOP/s | sgemm GFLOP/s | of sgemm | NVlabs fps | vs NVlabs |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        nvlabs = ("skipped", "-") if math.isnan(row["nvlabs_fps"]) else (
            f"{row['nvlabs_fps']:.3f}", f"{row['speedup_vs_nvlabs']:.2f}x")
        lines.append(
            f"| {row['family']} | {row['size']} px | {row['neurons']} | {row['fps']:.3f} | "
            f"{row['ablated_fps']:.3f} | {row['ablation_overhead_pct']:+.1f} % | "
            f"{row['gflop']:.1f} | {row['gflops']:.1f} | {row['sgemm_gflops']:.1f} | "
            f"{row['sgemm_fraction']:.2f} | {nvlabs[0]} | {nvlabs[1]} |")
    skipped = {row["nvlabs_skipped"] for row in rows if "nvlabs_skipped" in row}
    lines += [f"NVlabs side by side skipped: {reason}" for reason in sorted(skipped)]
    return "\n".join(lines)
