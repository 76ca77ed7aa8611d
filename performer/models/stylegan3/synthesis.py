"""The alias-free synthesis network: Fourier features through `num_layers` layers to RGB.

Layers keep NVlabs' names (`L0_36_512`, ..., the last one ToRGB), so their state dict
loads as is. All styles of a frame (the input's rotation and translation, every layer's
modulation) come from one matmul of w; the image is the ToRGB output, scaled by
`output_scale` (folded into ToRGB).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from performer.models.device import conv_memory_format
from performer.models.stylegan3.config import StyleGAN3Config
from performer.models.stylegan3.synthesis_input import SynthesisInput
from performer.models.stylegan3.synthesis_layer import SynthesisLayer


class SynthesisNetwork(nn.Module):
    style_weight_t: Tensor
    style_bias: Tensor

    def __init__(self, config: StyleGAN3Config) -> None:
        super().__init__()
        specs = config.layer_specs()
        first = specs[0]
        self.input = SynthesisInput(config, first.in_channels, first.in_size,
                                    first.in_sampling_rate, first.in_cutoff)
        layers = []
        for spec in specs:
            layer = SynthesisLayer(spec, config.w_dim, config.conv_clamp, config.output_scale)
            setattr(self, spec.name, layer)
            layers.append(layer)
        self.all_layers: tuple[SynthesisLayer, ...] = tuple(layers)
        self.layers = self.all_layers[:-1]  # the ablatable ones: every layer but ToRGB
        offset = 4  # the input's four values come first
        for layer in layers:
            layer.style_offset = offset
            offset += layer.in_channels
        self.register_buffer("style_weight_t", torch.zeros(config.w_dim, offset),
                             persistent=False)
        self.register_buffer("style_bias", torch.zeros(offset), persistent=False)

    def prepare(self) -> None:
        """Gather what the weights imply once: every affine of a frame as one matrix."""
        self.input.affine.prepare()
        for layer in self.all_layers:
            layer.prepare()
        affines = [self.input.affine, *(layer.affine for layer in self.all_layers)]
        self.style_weight_t.copy_(torch.cat([a.scaled_weight_t for a in affines], dim=1))
        self.style_bias.copy_(torch.cat([a.scaled_bias for a in affines]))

    def set_device(self, device: torch.device) -> None:
        """float16 where NVlabs trained in it, on CUDA only; the device's memory order."""
        for layer in self.all_layers:
            use_half = layer.use_fp16 and device.type == "cuda"
            layer.dtype = torch.float16 if use_half else torch.float32
            layer.lay_out(conv_memory_format(device))

    def forward(self, w: Tensor) -> Tensor:
        """w (N, w_dim), already truncated -> image (N, C, R, R), float32, about [-1, 1]."""
        styles = torch.addmm(self.style_bias, w.float(), self.style_weight_t)  # (N, all)
        x = self.input(styles)
        for layer in self.all_layers:
            x = layer(x, styles)
        return x.float().contiguous()  # NCHW for the frame, whatever the layers ran in
