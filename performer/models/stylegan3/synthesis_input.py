"""StyleGAN3's synthesis input: Fourier features on a grid, turned and moved by w.

The input is not a learned constant as in StyleGAN2 but `channels` sinusoids of fixed
frequencies (`freqs`, `phases`), sampled on a grid a margin wider than the image. w sets
a rotation and a translation; the checkpoint's `transform` buffer and the performer's own
pan and spin (`set_user_transform`) are inverse transforms applied on top, as NVlabs'
visualizer does. Moving the features rather than the pixels is what lets the image pan
and spin smoothly, without texture sticking.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from performer.models.stylegan2.equalized import EqualizedLinear
from performer.models.stylegan3.config import StyleGAN3Config


def inverse_user_transform(translate_x: float, translate_y: float, degrees: float) -> Tensor:
    """The inverse of 'turn by `degrees`, move by (x, y) image widths': (3, 3) float32."""
    angle = math.radians(degrees)
    s, c = math.sin(angle), math.cos(angle)
    forward = np.array([[c, s, translate_x], [-s, c, translate_y], [0.0, 0.0, 1.0]])
    return torch.from_numpy(np.linalg.inv(forward)).float()


class SynthesisInput(nn.Module):
    """Parameters and buffers carry NVlabs' names: weight, affine.{weight,bias},
    transform, freqs, phases."""

    transform: Tensor
    freqs: Tensor
    phases: Tensor
    user_transform: Tensor
    grid: Tensor

    def __init__(self, config: StyleGAN3Config, channels: int, size: int,
                 sampling_rate: float, bandwidth: float) -> None:
        super().__init__()
        self.channels, self.size = channels, size
        self.sampling_rate, self.bandwidth = sampling_rate, bandwidth
        self.weight = nn.Parameter(torch.zeros(channels, channels))  # (C, C)
        self.affine = EqualizedLinear(config.w_dim, 4)  # w -> (r_c, r_s, t_x, t_y)
        self.register_buffer("transform", torch.eye(3))  # the checkpoint's, usually identity
        self.register_buffer("freqs", torch.zeros(channels, 2))  # (C, xy), cycles per width
        self.register_buffer("phases", torch.zeros(channels))  # (C,), in cycles
        self.register_buffer("user_transform", torch.eye(3), persistent=False)
        # Sample positions, as NVlabs' affine_grid gives them: (size², xy).
        scale = 0.5 * size / sampling_rate
        theta = torch.tensor([[[scale, 0.0, 0.0], [0.0, scale, 0.0]]])
        grid = F.affine_grid(theta, [1, 1, size, size], align_corners=False)
        self.register_buffer("grid", grid.reshape(size * size, 2), persistent=False)
        self.style_offset = 0  # set by the network: where w's (r_c, r_s, t_x, t_y) start

    def set_user_transform(self, translate_x: float, translate_y: float, degrees: float) -> None:
        self.user_transform.copy_(inverse_user_transform(translate_x, translate_y, degrees))

    def forward(self, styles: Tensor) -> Tensor:
        """Network-wide styles (N, ...) -> features (N, C, size, size), float32."""
        t = styles.narrow(1, self.style_offset, 4)  # (N, 4): r_c, r_s, t_x, t_y
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        batch = t.shape[0]
        rotation = torch.eye(3, device=t.device).repeat(batch, 1, 1)
        rotation[:, 0, 0], rotation[:, 0, 1] = t[:, 0], -t[:, 1]
        rotation[:, 1, 0], rotation[:, 1, 1] = t[:, 1], t[:, 0]
        translation = torch.eye(3, device=t.device).repeat(batch, 1, 1)
        translation[:, 0, 2], translation[:, 1, 2] = -t[:, 2], -t[:, 3]
        transforms = rotation @ translation @ (self.transform @ self.user_transform)
        phases = self.phases + (self.freqs @ transforms[:, :2, 2:]).squeeze(2)  # (N, C)
        freqs = self.freqs @ transforms[:, :2, :2]  # (N, C, 2)
        # Frequencies the transform pushed out of band fade instead of aliasing.
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth)
                      / (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)  # (N, C)
        x = self.grid @ freqs.transpose(1, 2) + phases[:, None, :]  # (N, size², C)
        x = torch.sin(x * (2 * math.pi)) * amplitudes[:, None, :]
        weight = self.weight / math.sqrt(self.channels)
        x = x @ weight.t()  # (N, size², C)
        return x.transpose(1, 2).reshape(batch, self.channels, self.size, self.size)

