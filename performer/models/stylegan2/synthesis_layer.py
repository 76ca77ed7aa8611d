"""One synthesis convolution: modulated, demodulated, noise added, biased, activated, masked.

The modulated convolution runs as one grouped convolution over the batch (each sample's
weights scaled by its style and normalised per output channel). What depends only on the
weights (the squared-weight sums for demodulation, the FIR kernel) is computed at load.

On the CPU each pass over an activation map costs about as much as a small convolution,
so passes are saved where the algebra allows: the activation gain (lrelu and relu are
positively homogeneous) is folded into the demodulation factors, the bias and the noise
strength; the bias rides in the convolution (or blur) that produces the map. What is left
per layer is the convolution, the noise add, the activation (a clamp before it where the
checkpoint sets conv_clamp) and the ablation mask.

On the CPU the layers run channels-last (`models.device.conv_memory_format`), and the
weights are kept in the order the convolution reads them there, so the per-frame
modulation writes them in that order directly, in one pass.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from performer.models.base import ChannelMask, LayerInfo
from performer.models.stylegan2.config import ConfigError, StyleGAN2Config
from performer.models.stylegan2.equalized import ACTIVATION_GAIN, EqualizedLinear, activate_
from performer.models.stylegan2.fir import Blur, filter_2d

DEMOD_EPS = 1e-8


def demodulation(styles: Tensor, weight_sq: Tensor, gain: float | Tensor) -> Tensor:
    """Each sample's demodulation factors times `gain`: styles (N, I) -> (N, O).

    With `weight_sq` (O, I) = sum over the kernel of weight², the factor
    rsqrt(sum_{i,k} (w·s)²) is one small matmul instead of a pass over the weights.
    """
    return (styles.square() @ weight_sq.t() + DEMOD_EPS).rsqrt().mul_(gain)


def modulated_weights(weight: Tensor, styles: Tensor, demod: Tensor) -> Tensor:
    """Per-sample modulated, demodulated weights: (O, I, k, k) -> (N, O, I, k, k)."""
    scale = demod[:, :, None] * styles[:, None, :]  # (N, O, I): one pass over the weights
    return weight.unsqueeze(0) * scale[:, :, :, None, None]  # in `weight`'s memory order


def samples_as_groups(x: Tensor) -> Tensor:
    """(N, C, H, W) -> (1, N·C, H, W), for a convolution grouped by sample. At N = 1, `x`
    itself: a reshape would rewrite the batch stride, and oneDNN then takes a channels-last
    map for NCHW and copies it."""
    return x if x.shape[0] == 1 else x.reshape(1, -1, *x.shape[2:])


def groups_as_samples(x: Tensor, batch: int) -> Tensor:
    """The inverse of `samples_as_groups`."""
    return x if batch == 1 else x.reshape(batch, -1, *x.shape[2:])


class SynthesisLayer(nn.Module):
    """Parameters carry NVlabs' names: affine.{weight,bias}, weight, bias, noise_const,
    noise_strength, resample_filter. `style_offset` and `noise_offset` locate this layer's
    styles and noise in the network-wide tensors computed once per frame."""

    noise_const: Tensor
    resample_filter: Tensor
    weight_sq: Tensor
    gained_bias: Tensor

    def __init__(self, config: StyleGAN2Config, name: str, in_channels: int, out_channels: int,
                 resolution: int, up: bool) -> None:
        super().__init__()
        k = config.kernel_size
        self.in_channels, self.out_channels = in_channels, out_channels
        self.resolution = resolution
        self.up = up
        self.affine = EqualizedLinear(config.w_dim, in_channels)
        self.weight = nn.Parameter(torch.zeros(out_channels, in_channels, k, k))  # (O, I, k, k)
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.use_noise = config.use_noise
        if config.use_noise:
            self.register_buffer("noise_const", torch.zeros(resolution, resolution))
            self.noise_strength = nn.Parameter(torch.zeros(()))
        self.register_buffer("resample_filter", filter_2d(config.resample_filter))
        self.activation = config.activation
        self.act_gain = ACTIVATION_GAIN[config.activation]
        self.clamp = config.conv_clamp
        self.padding = k // 2
        if up:
            taps = len(config.resample_filter)
            before = k // 2 + (taps + 1) // 2 - (k - 1)  # NVlabs' padding after the transposed conv
            after = k // 2 + (taps - 2) // 2 - (k - 2)
            if before != after or before < 0:
                raise ConfigError(f"kernel {k} with a {taps}-tap filter is not supported")
            self.blur = Blur(out_channels, config.resample_filter, gain=4.0, padding=before)
        self.register_buffer("weight_sq", torch.zeros(out_channels, in_channels), persistent=False)
        self.register_buffer("gained_bias", torch.zeros(out_channels), persistent=False)
        self.mask = ChannelMask(LayerInfo(name, out_channels, resolution, resolution))
        # Styles go where they cost less per frame: on the weights (O·I·k² values), or on
        # the input and output maps when those are smaller (the low resolutions), in
        # float32 only (set_device): float16 maps scaled by raw styles could overflow.
        in_size = resolution // 2 if up else resolution
        self.maps_smaller = out_channels * in_channels * k * k > (
            in_channels * in_size**2 + out_channels * resolution**2)
        self.styles_on_maps = self.maps_smaller
        self.style_offset = 0  # set by the network
        self.noise_offset = 0

    @property
    def noise_pixels(self) -> int:
        return self.resolution * self.resolution if self.use_noise else 0

    def prepare(self) -> None:
        self.affine.prepare()
        self.weight_sq.copy_(self.weight.square().sum(dim=(2, 3)))
        self.gained_bias.copy_(self.bias * self.act_gain)

    def lay_out(self, memory_format: torch.memory_format) -> None:
        """Keep the weights (and the mask) in the memory order the convolution reads on this
        device: channels-last for (O, I, k, k), or for the transposed convolution's
        (I, O, k, k) view of them."""
        weight = self.weight.detach()
        if memory_format == torch.channels_last and self.up:
            weight = weight.permute(1, 2, 3, 0).contiguous().permute(3, 0, 1, 2)
        else:
            weight = weight.contiguous(memory_format=memory_format)
        self.weight.data = weight
        self.mask.lay_out(memory_format)

    def forward(self, x: Tensor, styles: Tensor, noise: Tensor) -> Tensor:
        """x (N, I, H, W) -> (N, O, R, R), R = H or 2H; `styles` and `noise` network-wide."""
        s = styles.narrow(1, self.style_offset, self.in_channels)  # (N, I)
        demod = demodulation(s, self.weight_sq, self.act_gain)  # (N, O)
        if self.styles_on_maps:
            x = self._convolve_styled_maps(x, s, demod)
        else:
            x = self._convolve_styled_weights(x, s, demod)
        if self.use_noise:  # noise_strength x the performer's noise level x the act gain
            pixels = noise.narrow(0, self.noise_offset, self.noise_pixels)
            x.add_(pixels.view(1, 1, self.resolution, self.resolution))
        activate_(x, self.activation, 1.0, self.clamp)  # the gain is already in
        return self.mask(x)

    def _convolve_styled_weights(self, x: Tensor, s: Tensor, demod: Tensor) -> Tensor:
        """Each sample's own weights, as one convolution grouped by sample; the bias rides
        in it (or in the blur)."""
        batch = x.shape[0]
        w = modulated_weights(self.weight, s, demod).to(x.dtype)
        bias = self.gained_bias.to(x.dtype)
        k = w.shape[-1]
        x = samples_as_groups(x)
        if self.up:
            # Transposed stride-2 convolution, groups = samples: weights as (N·I, O, k, k).
            w = w.transpose(1, 2).reshape(batch * self.in_channels, self.out_channels, k, k)
            x = F.conv_transpose2d(x, w, stride=2, groups=batch)
            return self.blur(groups_as_samples(x, batch), bias)
        w = w.reshape(batch * self.out_channels, self.in_channels, k, k)
        x = F.conv2d(x, w, bias if batch == 1 else bias.repeat(batch), padding=self.padding,
                     groups=batch)
        return groups_as_samples(x, batch)

    def _convolve_styled_maps(self, x: Tensor, s: Tensor, demod: Tensor) -> Tensor:
        """The checkpoint's own weights; the styles scale the input maps and the
        demodulation the output maps (a convolution is linear in each input channel)."""
        x = x * s.to(x.dtype)[:, :, None, None]
        weight = self.weight.to(x.dtype)
        if self.up:
            x = self.blur(F.conv_transpose2d(x, weight.transpose(0, 1), stride=2))
        else:
            x = F.conv2d(x, weight, padding=self.padding)
        return x.mul_(demod.to(x.dtype)[:, :, None, None]).add_(
            self.gained_bias.to(x.dtype)[None, :, None, None])
