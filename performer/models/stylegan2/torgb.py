"""ToRGB: a modulated 1x1 convolution (no demodulation) from features to an RGB image.

Not ablatable: its 3 output channels are colour planes of a partial image that the skip
architecture sums across resolutions, not features; switching one off is a colour filter.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from performer.models.stylegan2.config import StyleGAN2Config
from performer.models.stylegan2.equalized import EqualizedLinear


class ToRGB(nn.Module):
    bias_view: Tensor

    def __init__(self, config: StyleGAN2Config, in_channels: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.affine = EqualizedLinear(config.w_dim, in_channels)
        self.weight = nn.Parameter(torch.zeros(config.img_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(config.img_channels))
        self.weight_gain = 1.0 / math.sqrt(in_channels)  # folded into the styles
        self.clamp = config.conv_clamp
        self.register_buffer("bias_view", torch.zeros(1, config.img_channels, 1), persistent=False)
        self.style_offset = 0  # set by the network

    def prepare(self) -> None:
        self.affine.prepare()
        self.bias_view.copy_(self.bias.view(1, -1, 1))

    def forward(self, x: Tensor, styles: Tensor) -> Tensor:
        """x (N, I, H, W) -> float32 image (N, C, H, W)."""
        batch, _, height, width = x.shape
        s = styles.narrow(1, self.style_offset, self.in_channels)  # (N, I), gain included
        w = (self.weight[None, :, :, 0, 0] * s[:, None, :]).to(x.dtype)  # (N, C, I)
        y = torch.bmm(w, x.reshape(batch, self.in_channels, height * width))  # (N, C, HW)
        y = y.float().add_(self.bias_view)
        if self.clamp is not None:
            y.clamp_(-self.clamp, self.clamp)
        return y.view(batch, -1, height, width)
