"""StyleGAN3's low-pass filters: designed from the layer's frequencies, applied per channel.

A layer's filters are stored in its checkpoint (`up_filter`, `down_filter`); designing
them here serves networks built without one (the benchmark's random weights) and lets a
test check that we understood the design. Separable filters are Kaiser-windowed sincs
(the window method, as scipy.signal.firwin computes it); config R's radially symmetric
down filters are Kaiser-windowed jincs (Bessel J1 from torch.special).

Resampling follows NVlabs' upfirdn2d: upsampling inserts zeros then filters with gain
up² (here one transposed convolution with stride `up`); downsampling filters then keeps
every `down`-th pixel (one strided convolution). Both run depthwise and, for separable
filters, as two 1-D passes.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


def _kaiser_beta(numtaps: int, width: float, fs: float) -> float:
    """Kaiser's beta for a transition band `width` (Hz at sampling rate fs)."""
    attenuation = 2.285 * (numtaps - 1) * math.pi * (width / (fs / 2)) + 7.95
    if attenuation > 50:
        return 0.1102 * (attenuation - 8.7)
    if attenuation > 21:
        return 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21)
    return 0.0


def design_lowpass(numtaps: int, cutoff: float, width: float, fs: float,
                   radial: bool = False) -> Tensor | None:
    """The low-pass filter of one resampling step: None (identity) for one tap, (numtaps,)
    separable taps, or (numtaps, numtaps) radially symmetric taps; float32, sum 1."""
    if numtaps == 1:
        return None
    beta = _kaiser_beta(numtaps, width, fs)
    window = np.kaiser(numtaps, beta)
    if not radial:
        m = np.arange(numtaps) - (numtaps - 1) / 2
        normalized = cutoff / (fs / 2)
        taps = normalized * np.sinc(normalized * m) * window
        return torch.as_tensor(taps / taps.sum(), dtype=torch.float32)
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    # On the CPU explicitly: a network is also built on the meta device, to check shapes.
    r = torch.as_tensor(np.hypot(*np.meshgrid(x, x)), dtype=torch.float64, device="cpu")
    jinc = torch.special.bessel_j1(2 * cutoff * (math.pi * r)) / (math.pi * r)
    taps2d = jinc.numpy() * np.outer(window, window)
    return torch.as_tensor(taps2d / taps2d.sum(), dtype=torch.float32)


def depthwise_kernels(taps: Tensor, channels: int, gain: float) -> tuple[Tensor, ...]:
    """Per-channel conv kernels of a filter, flipped so convolution is NVlabs' (their
    default, flip_filter=False). Separable: a (C,1,1,K) row pass and a (C,1,K,1) column
    pass, each with sqrt(gain); radial: one (C,1,K,K) kernel with the whole gain."""
    flipped = taps.flip(list(range(taps.ndim))).float()
    if taps.ndim == 1:
        row = flipped * math.sqrt(gain)
        return (row.view(1, 1, 1, -1).repeat(channels, 1, 1, 1),
                row.view(1, 1, -1, 1).repeat(channels, 1, 1, 1))
    return ((flipped * gain).view(1, 1, *taps.shape).repeat(channels, 1, 1, 1),)


def upsample(x: Tensor, kernels: tuple[Tensor, ...], factor: int,
             padding: tuple[int, int, int, int]) -> Tensor:
    """Zero insertion by `factor`, zero padding (negative = crop) and the separable filter
    (NVlabs' up filters always are), as two transposed convolutions, rows then columns:
    (N, C, H, W) -> (N, C, H*factor + pads - K + 1, ...)."""
    channels = x.shape[1]
    x0, x1, y0, y1 = padding
    row, column = (k.flip(2, 3).to(x.dtype) for k in kernels)
    x = F.conv_transpose2d(x, row, stride=(1, factor), groups=channels)
    x = _crop(x, 0, 0, *_transposed_pads(row.shape[3], factor, x0, x1))
    x = F.conv_transpose2d(x, column, stride=(factor, 1), groups=channels)
    return _crop(x, *_transposed_pads(column.shape[2], factor, y0, y1), 0, 0)


def _transposed_pads(taps: int, factor: int, before: int, after: int) -> tuple[int, int]:
    """What to cut from each end of a transposed convolution's full output so it equals
    zero insertion + padding (before, after) + a `taps`-long filter.

    The full output has (L-1)*factor + taps samples; NVlabs' has L*factor + before +
    after - taps + 1, starting at offset taps - 1 - before of the full one.
    """
    return taps - 1 - before, taps - factor - after


def _crop(x: Tensor, top: int, bottom: int, left: int, right: int) -> Tensor:
    """Cut (positive) or zero-pad (negative) each side of the last two dimensions."""
    if min(top, bottom, left, right) >= 0:
        return x[..., top : x.shape[-2] - bottom, left : x.shape[-1] - right]
    return F.pad(x, [-left, -right, -top, -bottom])


def downsample(x: Tensor, kernels: tuple[Tensor, ...], factor: int) -> Tensor:
    """The filter (no padding) then every `factor`-th pixel, as strided convolutions."""
    channels = x.shape[1]
    if len(kernels) == 2:
        row, column = (k.to(x.dtype) for k in kernels)
        x = F.conv2d(x, row, stride=(1, factor), groups=channels)
        return F.conv2d(x, column, stride=(factor, 1), groups=channels)
    return F.conv2d(x, kernels[0].to(x.dtype), stride=factor, groups=channels)
