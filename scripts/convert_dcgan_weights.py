"""Convert the published DCGAN face generator into performer's built-in safetensors weights.

Provenance: PyPI package `gan-face-generate` 1.1.1 by Chien Liu (MIT licence), whose wheel
carries `gan_face_generate/weights.tar`, a torch checkpoint `{'netG_state_dict': ...}` for the
PyTorch DCGAN tutorial generator (nz=100, ngf=64, nc=3, 64x64) trained on DigiFace-1M.

Usage (the wheel is fetched by hand, never at run time):

    pip download --no-deps gan-face-generate==1.1.1 -d /tmp/wheel
    python scripts/convert_dcgan_weights.py /tmp/wheel/gan_face_generate-1.1.1-py3-none-any.whl

It writes performer/models/weights/dcgan_faces.safetensors (weights, with the source's
names mapped to performer's), dcgan_faces.json (config and provenance) and
LICENSE-dcgan_faces (the upstream licence text), the measured neuron statistics
(<hash>.stats.v1.safetensors, see performer/models/stats.py), plus
tests/fixtures/dcgan_reference.npz: the original network's images for four fixed latents,
which the test suite compares performer's model against. Only this script ever unpickles the
upstream file, and it does so with `weights_only=True`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import zipfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

WEIGHTS_MEMBER = "gan_face_generate/weights.tar"
LICENSE_SUFFIX = ".dist-info/licenses/LICENSE"
ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "performer" / "models" / "weights"
REFERENCE = ROOT / "tests" / "fixtures" / "dcgan_reference.npz"

# Upstream nn.Sequential indices -> performer's block names (see performer/models/dcgan.py).
# Each upstream block is ConvTranspose2d (index i) followed by BatchNorm2d (index i + 1).
BLOCKS = {0: "block0", 3: "block1", 6: "block2", 9: "block3"}
TO_RGB_INDEX = 12


def rename(upstream: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map `main.<i>.<param>` names onto performer's module names; drop batch counters."""
    out: dict[str, torch.Tensor] = {}
    for conv_index, block in BLOCKS.items():
        out[f"{block}.conv.weight"] = upstream[f"main.{conv_index}.weight"]
        for name in ("weight", "bias", "running_mean", "running_var"):
            out[f"{block}.norm.{name}"] = upstream[f"main.{conv_index + 1}.{name}"]
    out["to_rgb.weight"] = upstream[f"main.{TO_RGB_INDEX}.weight"]
    expected = {k for k in upstream if not k.endswith("num_batches_tracked")}
    used = {f"main.{i}.weight" for i in BLOCKS} | {f"main.{TO_RGB_INDEX}.weight"}
    norm_names = ("weight", "bias", "running_mean", "running_var")
    used |= {f"main.{i + 1}.{n}" for i in BLOCKS for n in norm_names}
    if expected != used:
        raise SystemExit(f"unexpected upstream tensors: {sorted(expected ^ used)}")
    return {k: v.contiguous().clone() for k, v in out.items()}


def upstream_generator(nz: int = 100, ngf: int = 64, nc: int = 3) -> nn.Sequential:
    """The tutorial's layer sequence, rebuilt here so the original weights load by name."""
    layers: list[nn.Module] = []
    widths = [nz, ngf * 8, ngf * 4, ngf * 2, ngf]
    for i, (cin, cout) in enumerate(itertools.pairwise(widths)):
        stride, pad = (1, 0) if i == 0 else (2, 1)
        layers += [nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False), nn.BatchNorm2d(cout)]
        layers.append(nn.ReLU(True))
    layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def write_reference(upstream_state: dict[str, torch.Tensor], path: Path) -> None:
    """Images the original checkpoint makes for fixed latents, for the conversion test."""
    net = upstream_generator()
    net.load_state_dict({k.removeprefix("main."): v for k, v in upstream_state.items()})
    z = torch.randn(4, 100, 1, 1, generator=torch.Generator().manual_seed(2019))
    with torch.inference_mode():
        images = net.eval()(z)
    np.savez_compressed(path, z=z[:, :, 0, 0].numpy(), images=images.numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="gan_face_generate-1.1.1-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    args = parser.parse_args()

    wheel_bytes = args.wheel.read_bytes()
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as wheel:
        checkpoint_bytes = wheel.read(WEIGHTS_MEMBER)
        license_name = next(n for n in wheel.namelist() if n.endswith(LICENSE_SUFFIX))
        license_text = wheel.read(license_name).decode()
    checkpoint = torch.load(io.BytesIO(checkpoint_bytes), map_location="cpu", weights_only=True)
    tensors = rename(checkpoint["netG_state_dict"])
    args.reference.parent.mkdir(parents=True, exist_ok=True)
    write_reference(checkpoint["netG_state_dict"], args.reference)

    args.out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(args.out / "dcgan_faces.safetensors"), metadata={"format": "pt"})
    config = {
        "family": "dcgan",
        "latent_size": 100,
        "feature_maps": 64,
        "image_channels": 3,
        "resolution": 64,
        "source": {
            "package": "gan-face-generate==1.1.1",
            "author": "Chien Liu",
            "license": "MIT",
            "member": WEIGHTS_MEMBER,
            "wheel_sha256": hashlib.sha256(wheel_bytes).hexdigest(),
            "checkpoint_sha256": hashlib.sha256(checkpoint_bytes).hexdigest(),
            "training_data": "DigiFace-1M",
        },
    }
    (args.out / "dcgan_faces.json").write_text(json.dumps(config, indent=2) + "\n")
    (args.out / "LICENSE-dcgan_faces").write_text(
        "The weights in dcgan_faces.safetensors are converted from the PyPI package\n"
        "gan-face-generate 1.1.1 by Chien Liu, published under this licence:\n\n" + license_text
    )
    # Ship the neuron statistics too, so the first start needs no measuring.
    from performer.models.loading import load_model
    from performer.models.stats import load_or_measure

    weights = args.out / "dcgan_faces.safetensors"
    load_or_measure(load_model(str(weights), torch.device("cpu")), weights, save_dir=args.out)
    count = sum(t.numel() for k, t in tensors.items() if "running" not in k)
    print(f"wrote {args.out / 'dcgan_faces.safetensors'} ({count:,} parameters)")


if __name__ == "__main__":
    main()
