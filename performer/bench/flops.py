"""How close a forward pass comes to this machine's limit: achieved GFLOP/s against sgemm.

The generator's work is counted once (`models.stats.forward_flops`). The machine's limit
is a float32 matrix product (sgemm) of a size that runs near peak, timed in the same run
and interleaved with the generator, so a busy machine slows both alike.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from performer.models.device import synchronize

SGEMM_SIDE = 1024  # square float32 matrices: big enough for peak, small enough for caches


def sgemm(device: torch.device) -> tuple[Callable[[], object], int]:
    """One float32 matrix product on `device`, and its FLOPs."""
    generator = torch.Generator().manual_seed(0)
    a, b = (torch.randn(SGEMM_SIDE, SGEMM_SIDE, generator=generator).to(device)
            for _ in range(2))
    out = torch.empty(SGEMM_SIDE, SGEMM_SIDE, device=device)

    def run() -> object:
        torch.mm(a, b, out=out)
        synchronize(device)
        return out

    return run, 2 * SGEMM_SIDE**3
