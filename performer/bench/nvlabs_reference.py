"""NVlabs' own generator, for a side-by-side speed figure (only when their code is here).

`performer bench --nvlabs-checkout PATH` points at a clone of NVlabs/stylegan3 (its
`training/networks_stylegan2.py` and `networks_stylegan3.py`). On the CPU their custom ops
fall back to their reference implementations (`_filtered_lrelu_ref`, `_upfirdn2d_ref`),
which is what performer's pure-torch path is measured against. performer never depends on
their code: without the option, or when it cannot be imported (their `dnnlib` needs
`requests`, their ops `pkg_resources`), the figure is skipped with one line.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from performer.models.device import synchronize

log = logging.getLogger(__name__)

_MODULES = {"stylegan2": "training.networks_stylegan2", "stylegan3": "training.networks_stylegan3"}


def their_forward(checkout: Path, family: str, init_kwargs: dict[str, Any],
                  state: dict[str, torch.Tensor], z: torch.Tensor, psi: float,
                  ) -> Callable[[], object] | str:
    """Their generator with our weights, as a timed call (float32, const noise), or the
    one-line reason it could not be built."""
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    try:
        module = importlib.import_module(_MODULES[family])
        network = module.Generator(**init_kwargs).eval().requires_grad_(False)
        missing, unexpected = network.load_state_dict(state, strict=False)
    except Exception as err:  # their code, their dependencies: any failure is a skip
        return f"NVlabs' code from {checkout} could not be used ({type(err).__name__}: {err})"
    wanted = [name for name in missing if not name.endswith("num_batches_tracked")]
    if wanted or unexpected:
        return f"NVlabs' {family} generator does not take our weights ({wanted or unexpected})"
    network.to(z.device)
    label = torch.zeros(z.shape[0], network.c_dim, device=z.device)

    def run() -> object:
        with torch.inference_mode():
            image = network(z, label, truncation_psi=psi, noise_mode="const", force_fp32=True)
        synchronize(z.device)
        return image

    return run
