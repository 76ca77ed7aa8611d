"""Write tests/fixtures/stylegan3_reference.safetensors from NVlabs' own StyleGAN3 code.

Usage: python scripts/make_stylegan3_reference.py PATH/TO/stylegan3 [OUT.safetensors]

Builds NVlabs' `training.networks_stylegan3.Generator` on the CPU (where their custom ops
fall back to the reference implementations, `_filtered_lrelu_ref` among them) for two
small configurations, one shaped like config T and one like config R, gives it random
weights (non-zero biases, input gains, w_avg and a turning input affine, so every term
matters), and records the weights under their state-dict names, z, the class labels,
truncation psi, a pan-and-spin input transform and their output images: one with the
transform, one without. Only tensors are stored (safetensors; the constructor arguments
and scalars ride in its text metadata): none of their code, no pickle.

To rerun: `git clone https://github.com/NVlabs/stylegan3`, then in a Python 3.10/3.11
environment with torch (CPU), numpy, scipy, requests, safetensors and setuptools<70 (their
code imports `pkg_resources` and `distutils`) run this script with the checkout's path.
performer itself needs none of these extras. No GPU is needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file

VARIANTS: dict[str, dict[str, Any]] = {
    # config T: 3x3 convolutions, separable Kaiser filters; one layer raises the sampling
    # rate (up 4, down 2); unconditional; the default conv_clamp (256) never bites.
    "t": {
        "z_dim": 16, "c_dim": 0, "w_dim": 16, "img_resolution": 32, "img_channels": 3,
        "mapping_kwargs": {"num_layers": 2},
        "channel_base": 512, "channel_max": 32, "num_layers": 6, "num_critical": 2,
        "margin_size": 10, "num_fp16_res": 2, "magnitude_ema_beta": 0.999,
    },
    # config R: 1x1 convolutions, doubled channels, radially symmetric down filters;
    # conditional, and a conv_clamp low enough to bite.
    "r": {
        "z_dim": 16, "c_dim": 3, "w_dim": 16, "img_resolution": 32, "img_channels": 3,
        "mapping_kwargs": {"num_layers": 2},
        "channel_base": 1024, "channel_max": 64, "num_layers": 6, "num_critical": 2,
        "margin_size": 10, "num_fp16_res": 2, "magnitude_ema_beta": 0.999,
        "conv_kernel": 1, "use_radial_filters": True, "conv_clamp": 1.0,
    },
}
PSI = 0.7
SAMPLES = 2
# The performer's pan and spin: x, y in image widths, rotation in degrees.
TRANSLATE_X, TRANSLATE_Y, ROTATE = 0.125, -0.0625, 15.0


def user_transform(translate_x: float, translate_y: float, degrees: float) -> np.ndarray:
    """The inverse transform NVlabs' visualizer writes into synthesis.input.transform."""
    angle = degrees / 360.0 * np.pi * 2
    s, c = np.sin(angle), np.cos(angle)
    forward = np.array([[c, s, translate_x], [-s, c, translate_y], [0, 0, 1]])
    return np.linalg.inv(forward)


def randomize(generator: torch.nn.Module, seed: int) -> None:
    rng = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in generator.state_dict().items():
            if name.endswith(("_filter", "freqs", "phases", "transform")):
                continue  # designed from the configuration, not trained
            values = torch.randn(tensor.shape, generator=rng)
            if name.startswith("mapping.fc") and name.endswith("weight"):
                values = values / 0.01  # as NVlabs initialises them: N(0, 1) / lr_multiplier
            elif name.endswith("magnitude_ema"):
                values = values.abs() + 0.5
            elif name == "synthesis.input.affine.bias":
                values = torch.tensor([1.0, 0.0, 0.0, 0.0]) + 0.3 * values
            elif name.endswith("affine.bias"):
                values = 1.0 + 0.5 * values  # styles start around 1, as NVlabs' bias_init
            elif name.endswith("bias"):
                values = values * 0.5
            tensor.copy_(values)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    checkout = Path(argv[0]).resolve()
    out = Path(argv[1]) if len(argv) > 1 else (
        Path(__file__).resolve().parents[1] / "tests" / "fixtures"
        / "stylegan3_reference.safetensors")
    sys.path.insert(0, str(checkout))
    from training.networks_stylegan3 import Generator  # NVlabs' code, from the given checkout

    tensors: dict[str, torch.Tensor] = {}
    metadata: dict[str, str] = {
        "psi": repr(PSI),
        "transform": json.dumps([TRANSLATE_X, TRANSLATE_Y, ROTATE]),
    }
    moved = torch.from_numpy(user_transform(TRANSLATE_X, TRANSLATE_Y, ROTATE)).float()
    for index, (variant, kwargs) in enumerate(VARIANTS.items()):
        torch.manual_seed(index)
        generator = Generator(**kwargs).eval()
        randomize(generator, seed=300 + index)
        rng = torch.Generator().manual_seed(400 + index)
        z = torch.randn(SAMPLES, kwargs["z_dim"], generator=rng)
        c = torch.zeros(SAMPLES, kwargs["c_dim"])
        if kwargs["c_dim"]:
            c[torch.arange(SAMPLES), (torch.arange(SAMPLES) + 1) % kwargs["c_dim"]] = 1.0
        for name, tensor in generator.state_dict().items():  # saved with the identity
            tensors[f"{variant}/{name}"] = tensor.float().contiguous().clone()
        images = {}
        for key, transform in (("image_plain", torch.eye(3)), ("image", moved)):
            generator.synthesis.input.transform.copy_(transform)
            with torch.no_grad():  # one sample at a time: their style norm spans the batch
                images[key] = torch.cat([
                    generator(z[i : i + 1], c[i : i + 1], truncation_psi=PSI,
                              noise_mode="const", force_fp32=True)
                    for i in range(SAMPLES)])
        tensors[f"{variant}/z"] = z
        tensors[f"{variant}/c"] = c
        tensors.update({f"{variant}/{key}": image.contiguous() for key, image in images.items()})
        metadata[f"{variant}/init_kwargs"] = json.dumps(kwargs)
        image = images["image"]
        print(f"{variant}: image {tuple(image.shape)}, |max| {image.abs().max():.3f}, "
              f"moved by the transform {(image - images['image_plain']).abs().max():.3f}")
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata=metadata)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
