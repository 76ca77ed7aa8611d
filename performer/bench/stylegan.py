"""StyleGAN2 speed figures for `performer bench`: random weights at the official sizes.

Random weights cost exactly what trained ones do, so these figures tell a VJ what a
256 px or 1024 px checkpoint will run at on this machine before they have one.
"""

from __future__ import annotations

import torch

from performer.bench.timing import interleaved, timed_forward, without_masks
from performer.models.stylegan2 import StyleGAN2Config, StyleGAN2Generator

# The configurations NVlabs trained at these sizes (stylegan2-ada-pytorch's 'paper256'
# and 'stylegan2' presets): mapping 8 layers, the top 4 resolutions in float16 on CUDA.
CHANNEL_BASE = {256: 16384, 512: 32768, 1024: 32768}


def random_generator(size: int, device: torch.device) -> StyleGAN2Generator:
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
    model.name = f"random-{size}px"
    model.prepare()  # weights written in place, not loaded: derive the buffers by hand
    return model.eval().requires_grad_(False).place(device)


def stylegan_figures(size: int, device: torch.device, seconds: float) -> dict[str, float]:
    """Bare and masked forward rates at batch 1, with half of every layer's neurons dead."""
    model = random_generator(size, device)
    bare = without_masks(model)
    z = model.sample_latents(1, 0).to(device)
    for mask in model.channel_masks():
        half = torch.rand(mask.keep.shape, generator=torch.Generator().manual_seed(1)) < 0.5
        mask.keep.copy_(half.float())
        mask.fill.normal_()
        mask.fill.mul_(1.0 - mask.keep)

    rates = interleaved({"bare": timed_forward(bare, z, device),
                         "ablated": timed_forward(model, z, device)}, seconds)
    return {
        "size": float(size),
        "neurons": float(model.neuron_count),
        "fps": rates["bare"],
        "ablated_fps": rates["ablated"],
        "ablation_overhead_pct": (rates["bare"] / rates["ablated"] - 1.0) * 100.0,
    }


def format_stylegan_table(rows: list[dict[str, float]]) -> str:
    lines = ["StyleGAN2, random weights, batch 1:",
             "| size | neurons | bare fps | with masks fps | ablation overhead |",
             "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {int(row['size'])} px | {int(row['neurons'])} | {row['fps']:.2f} | "
                     f"{row['ablated_fps']:.2f} | {row['ablation_overhead_pct']:+.1f} % |")
    return "\n".join(lines)
