"""One StyleGAN3 synthesis layer: modulated convolution, then filtered leaky ReLU, then the mask.

Filtered leaky ReLU is NVlabs' reference path (`_filtered_lrelu_ref`) in plain torch ops:
add the bias, upsample (zeros, pad, low-pass, gain up²), leaky ReLU times sqrt(2) and
clamp, low-pass and keep every `down`-th pixel. The activation then lives at
`lrelu_upsampling` times the layer's sampling rate, which is what keeps it alias-free.

As in our StyleGAN2, what depends only on the weights is computed at load and passes over
the activations are saved where the algebra allows: the input gain, the activation gain
sqrt(2) and (for ToRGB) the output scale are folded into the modulated weights and the
bias (leaky ReLU is positively homogeneous, resampling is linear), the bias rides in the
convolution, and the clamp before the activation equals NVlabs' clamp after it once its
lower bound is divided by the slope. On the CPU the layers run channels-last
(`models.device.conv_memory_format`): the depthwise filter passes, which take most of a
frame's time there, run several times faster in that order.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from performer.models.base import ChannelMask, LayerInfo
from performer.models.stylegan2.equalized import EqualizedLinear
from performer.models.stylegan2.synthesis_layer import (
    demodulation,
    groups_as_samples,
    samples_as_groups,
)
from performer.models.stylegan2.synthesis_layer import (
    modulated_weights as stylegan2_modulated_weights,
)
from performer.models.stylegan3.config import LayerSpec
from performer.models.stylegan3.filters import (
    depthwise_kernels,
    design_lowpass,
    downsample,
    upsample,
)

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)


def modulated_weights(weight: Tensor, weight_sq: Tensor, styles: Tensor, gain: Tensor,
                      ) -> Tensor:
    """Per-sample demodulated weights, times `gain` (scalar): (N, O, I, k, k); StyleGAN2's,
    after scaling the styles to unit mean square per sample, as NVlabs does (their code
    takes that mean over the whole batch; at batch 1, which performer runs, the two agree).
    `weight` is already scaled to unit mean square per output channel."""
    s = styles * styles.square().mean(dim=1, keepdim=True).rsqrt()  # (N, I)
    return stylegan2_modulated_weights(weight, s, demodulation(s, weight_sq, gain))


class SynthesisLayer(nn.Module):
    """Parameters and buffers carry NVlabs' names: affine.{weight,bias}, weight, bias,
    magnitude_ema, up_filter, down_filter. `style_offset` locates this layer's styles in
    the network-wide style tensor computed once per frame."""

    magnitude_ema: Tensor
    up_filter: Tensor
    down_filter: Tensor
    weight_unit: Tensor
    weight_sq: Tensor
    gain: Tensor
    gained_bias: Tensor

    def __init__(self, spec: LayerSpec, w_dim: int, conv_clamp: float | None,
                 output_scale: float) -> None:
        super().__init__()
        self.spec = spec
        self.name = spec.name
        self.in_channels, self.out_channels = spec.in_channels, spec.out_channels
        self.is_torgb = spec.is_torgb
        self.use_fp16 = spec.use_fp16
        self.dtype = torch.float32  # float16 only where use_fp16 and on CUDA (set_device)
        self.memory_format = torch.contiguous_format  # channels-last on the CPU (lay_out)
        k = spec.conv_kernel
        self.affine = EqualizedLinear(w_dim, spec.in_channels)
        self.weight = nn.Parameter(torch.zeros(spec.out_channels, spec.in_channels, k, k))
        self.bias = nn.Parameter(torch.zeros(spec.out_channels))
        self.register_buffer("magnitude_ema", torch.ones(()))
        up = design_lowpass(spec.up_taps, spec.in_cutoff, spec.in_half_width * 2,
                            spec.tmp_sampling_rate)
        down = design_lowpass(spec.down_taps, spec.out_cutoff, spec.out_half_width * 2,
                              spec.tmp_sampling_rate, radial=spec.down_radial)
        if up is not None:
            self.register_buffer("up_filter", up)
        if down is not None:
            self.register_buffer("down_filter", down)
        # ToRGB: no activation (slope 1, gain 1), the output scale folded in.
        self.scale = output_scale if spec.is_torgb else LRELU_GAIN
        self.clamp = None if conv_clamp is None else conv_clamp * (
            output_scale if spec.is_torgb else 1.0)
        self.padding = k - 1  # 'full' convolution; the filters' padding trims it
        for name, shape in (("weight_unit", self.weight.shape),
                            ("weight_sq", (spec.out_channels, spec.in_channels)),
                            ("gain", ()), ("gained_bias", (spec.out_channels,))):
            self.register_buffer(name, torch.zeros(shape), persistent=False)
        self._up_kernel_names = self._kernel_buffers("up", up, self.spec.up_factor**2)
        self._down_kernel_names = self._kernel_buffers("down", down, 1.0)
        self.mask = ChannelMask(LayerInfo(spec.name, spec.out_channels, spec.out_size,
                                          spec.out_size))
        self.style_offset = 0  # set by the network

    def prepare(self) -> None:
        """Fold the weight normalisation and every constant gain in once, after loading."""
        self.affine.prepare()
        input_gain = self.magnitude_ema.rsqrt()
        if self.is_torgb:  # no demodulation: the weight gain scales the styles instead
            self.weight_unit.copy_(self.weight / math.sqrt(self.weight[0].numel()))
        else:
            self.weight_unit.copy_(
                self.weight * self.weight.square().mean(dim=(1, 2, 3), keepdim=True).rsqrt())
        self.weight_sq.copy_(self.weight_unit.square().sum(dim=(2, 3)))
        self.gain.copy_(input_gain * self.scale)
        self.gained_bias.copy_(self.bias * self.scale)
        for kind, gain in (("up", self.spec.up_factor**2), ("down", 1.0)):
            taps = getattr(self, f"{kind}_filter", None)
            if taps is not None:  # the checkpoint's filters, as depthwise kernels
                kernels = depthwise_kernels(taps, self.out_channels, gain)
                names = getattr(self, f"_{kind}_kernel_names")
                for name, kernel in zip(names, kernels, strict=True):
                    getattr(self, name).copy_(kernel)

    def lay_out(self, memory_format: torch.memory_format) -> None:
        """Run in `memory_format`, with the weights (and the mask) held in that order."""
        self.memory_format = memory_format
        self.weight_unit = self.weight_unit.contiguous(memory_format=memory_format)
        self.mask.lay_out(memory_format)

    def _kernel_buffers(self, kind: str, taps: Tensor | None, gain: float) -> tuple[str, ...]:
        """Non-persistent buffers for a filter's depthwise passes; their names."""
        if taps is None:
            return ()
        names = []
        for index, kernel in enumerate(depthwise_kernels(taps, self.out_channels, gain)):
            names.append(f"{kind}_kernel{index}")
            self.register_buffer(names[-1], kernel, persistent=False)
        return tuple(names)

    def _kernels(self, names: tuple[str, ...]) -> tuple[Tensor, ...]:
        return tuple(getattr(self, name) for name in names)

    def forward(self, x: Tensor, styles: Tensor) -> Tensor:
        """x (N, I, in_size, in_size), styles network-wide -> (N, O, out_size, out_size)."""
        batch = x.shape[0]
        x = x.to(self.dtype).contiguous(memory_format=self.memory_format)
        s = styles.narrow(1, self.style_offset, self.in_channels)  # (N, I)
        if self.is_torgb:
            w = self.weight_unit.unsqueeze(0) * (s * self.gain)[:, None, :, None, None]
        else:
            w = modulated_weights(self.weight_unit, self.weight_sq, s, self.gain)
        w = w.reshape(batch * self.out_channels, self.in_channels, *w.shape[3:]).to(x.dtype)
        bias = self.gained_bias.to(x.dtype)
        x = F.conv2d(samples_as_groups(x), w, bias if batch == 1 else bias.repeat(batch),
                     padding=self.padding, groups=batch)
        x = groups_as_samples(x, batch)
        x = self.filtered_lrelu(x)
        return x if self.is_torgb else self.mask(x)

    def filtered_lrelu(self, x: Tensor) -> Tensor:
        """Upsample, leaky ReLU (gain already in), clamp, downsample; bias already added."""
        spec = self.spec
        if self._up_kernel_names:
            x = upsample(x, self._kernels(self._up_kernel_names), spec.up_factor, spec.padding)
        else:
            x = _pad(x, spec.padding)
        if self.clamp is not None:
            low = -self.clamp if self.is_torgb else -self.clamp / LRELU_SLOPE
            x = x.clamp_(low, self.clamp)
        if not self.is_torgb:
            x = F.leaky_relu_(x, LRELU_SLOPE)
        if self._down_kernel_names:
            x = downsample(x, self._kernels(self._down_kernel_names), spec.down_factor)
        return x


def _pad(x: Tensor, padding: tuple[int, int, int, int]) -> Tensor:
    x0, x1, y0, y1 = padding
    return x if not any(padding) else F.pad(x, [x0, x1, y0, y1])
