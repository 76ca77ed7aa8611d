"""The low-pass FIR filter StyleGAN2 resamples with ([1, 3, 3, 1] by default).

NVlabs keeps it as a normalised 2-D outer product; upsampling by two is zero insertion,
then that filter with gain 4 (so a constant image keeps its level). Here the filter is
applied as depthwise convolutions whose kernels are built once at construction.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def filter_2d(taps: Sequence[float]) -> Tensor:
    """The normalised 2-D filter as NVlabs stores it (`resample_filter` buffers): (k, k)."""
    f = torch.as_tensor(list(taps), dtype=torch.float32)
    f2 = torch.outer(f, f)
    return f2 / f2.sum()


def check_symmetric(taps: Sequence[float]) -> None:
    if list(taps) != list(reversed(list(taps))):
        raise ValueError(f"resample filter {list(taps)} is not symmetric")


class Blur(nn.Module):
    """Depthwise 2-D FIR filtering with gain `gain`, zero-padded by `padding` on each side.

    Used after the stride-2 transposed convolution of an up-sampling conv layer.
    """

    kernel: Tensor

    def __init__(self, channels: int, taps: Sequence[float], gain: float, padding: int) -> None:
        super().__init__()
        check_symmetric(taps)  # symmetric: convolution and correlation agree
        self.channels = channels
        self.padding = padding
        kernel = filter_2d(taps) * gain  # (k, k)
        self.register_buffer("kernel", kernel.expand(channels, 1, *kernel.shape).contiguous(),
                             persistent=False)  # (C, 1, k, k)

    def forward(self, x: Tensor, bias: Tensor | None = None) -> Tensor:
        """Filter, adding `bias` (C,) per channel in the same pass."""
        return F.conv2d(x, self.kernel.to(x.dtype), bias, padding=self.padding,
                        groups=self.channels)


class Upsample2x(nn.Module):
    """Zero insertion then the FIR filter (gain 4), as one depthwise transposed convolution.

    Used on the RGB image of the skip architecture: (N, C, H, W) -> (N, C, 2H, 2W).
    """

    kernel: Tensor

    def __init__(self, channels: int, taps: Sequence[float]) -> None:
        super().__init__()
        check_symmetric(taps)
        size = len(taps)
        self.channels = channels
        # Output side (H - 1) * 2 + k - 2p must be 2H: p = (k - 2) / 2 (k = 4 -> 1).
        self.padding = (size - 2) // 2
        kernel = filter_2d(taps) * 4.0
        self.register_buffer("kernel", kernel.expand(channels, 1, size, size).contiguous(),
                             persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv_transpose2d(x, self.kernel, stride=2, padding=self.padding,
                                  groups=self.channels)
