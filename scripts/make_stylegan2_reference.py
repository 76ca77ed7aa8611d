"""Write tests/fixtures/stylegan2_reference.npz from NVlabs' own StyleGAN2 code.

Usage: python scripts/make_stylegan2_reference.py PATH/TO/stylegan2-ada-pytorch [OUT.npz]

Builds NVlabs' `training.networks.Generator` (run on the CPU, where their custom ops fall
back to their reference implementations) for two small configurations, gives it random
weights (non-zero biases, noise strengths and w_avg so every term matters), and records
the weights under their state-dict names, the constructor arguments, z, the class label,
truncation psi and their output image (noise_mode='const', force_fp32=True, which is what
performer computes on the CPU). Only tensors are stored: none of their code, no pickle.

Their `dnnlib` imports `requests`; install it in the environment that runs this script
(performer itself does not need it). No GPU is needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

VARIANTS: dict[str, dict[str, Any]] = {
    # unconditional, float32 everywhere, no clamping
    "plain": {
        "z_dim": 32, "c_dim": 0, "w_dim": 32, "img_resolution": 32, "img_channels": 3,
        "mapping_kwargs": {"num_layers": 2},
        "synthesis_kwargs": {"channel_base": 256, "channel_max": 16, "num_fp16_res": 0,
                             "conv_clamp": None},
    },
    # conditional, the top two resolutions marked float16, conv_clamp low enough to bite
    "clamp_cond": {
        "z_dim": 32, "c_dim": 3, "w_dim": 32, "img_resolution": 32, "img_channels": 3,
        "mapping_kwargs": {"num_layers": 3},
        "synthesis_kwargs": {"channel_base": 256, "channel_max": 16, "num_fp16_res": 2,
                             "conv_clamp": 2.0},
    },
}
PSI = 0.7
SAMPLES = 3


def randomize(generator: torch.nn.Module, seed: int) -> None:
    rng = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in generator.state_dict().items():
            if name.endswith("resample_filter"):
                continue  # a fixed filter, not a weight
            values = torch.randn(tensor.shape, generator=rng)
            if name.startswith("mapping.fc") and name.endswith("weight"):
                values = values / 0.01  # as NVlabs initialises them: N(0, 1) / lr_multiplier
            elif name.endswith("noise_strength"):
                values = values.abs() * 0.3
            elif name.endswith("bias"):
                values = values * 0.5
            tensor.copy_(values)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    checkout = Path(argv[0]).resolve()
    out = Path(argv[1]) if len(argv) > 1 else (
        Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "stylegan2_reference.npz")
    sys.path.insert(0, str(checkout))
    from training.networks import Generator  # NVlabs' code, from the given checkout

    arrays: dict[str, np.ndarray] = {}
    for index, (variant, kwargs) in enumerate(VARIANTS.items()):
        torch.manual_seed(index)
        generator = Generator(**kwargs).eval()
        randomize(generator, seed=100 + index)
        rng = torch.Generator().manual_seed(200 + index)
        z = torch.randn(SAMPLES, kwargs["z_dim"], generator=rng)
        c = torch.zeros(SAMPLES, kwargs["c_dim"])
        if kwargs["c_dim"]:
            c[torch.arange(SAMPLES), torch.arange(SAMPLES) % kwargs["c_dim"]] = 1.0
        with torch.no_grad():
            image = generator(z, c, truncation_psi=PSI, noise_mode="const", force_fp32=True)
        for name, tensor in generator.state_dict().items():
            arrays[f"{variant}/{name}"] = tensor.float().numpy()
        arrays[f"{variant}/init_kwargs"] = np.array(json.dumps(kwargs))
        arrays[f"{variant}/z"] = z.numpy()
        arrays[f"{variant}/c"] = c.numpy()
        arrays[f"{variant}/psi"] = np.array(PSI, dtype=np.float32)
        arrays[f"{variant}/image"] = image.numpy()
        print(f"{variant}: image {tuple(image.shape)}, |max| {image.abs().max():.3f}")
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
