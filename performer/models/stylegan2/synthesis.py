"""The synthesis network: a constant 4x4 input grown by blocks to the output resolution.

Every block (named `b4`, `b8`, ... as in NVlabs' checkpoints) runs two modulated convs
(the first up-samples) and adds its ToRGB output to the up-sampled image of the block
below ('skip' architecture). All styles of a frame come from one matmul; all noise maps
live in one flat tensor that changes only when the noise settings do (or per frame in
random mode), so the per-layer work in a frame is just the convolutions.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from performer.models.device import conv_memory_format
from performer.models.stylegan2.config import StyleGAN2Config
from performer.models.stylegan2.fir import Upsample2x, filter_2d
from performer.models.stylegan2.synthesis_layer import SynthesisLayer
from performer.models.stylegan2.torgb import ToRGB


class SynthesisBlock(nn.Module):
    resample_filter: Tensor

    def __init__(self, config: StyleGAN2Config, resolution: int) -> None:
        super().__init__()
        out_channels = config.channels(resolution)
        self.resolution = resolution
        self.first = resolution == 4
        self.use_fp16 = resolution >= config.fp16_resolution and config.num_fp16_res > 0
        self.dtype = torch.float32  # float16 only where use_fp16 and on CUDA (set_device)
        self.memory_format = torch.contiguous_format  # channels-last on the CPU (set_device)
        if self.first:
            self.const = nn.Parameter(torch.zeros(out_channels, 4, 4))  # (C, 4, 4)
        else:
            in_channels = config.channels(resolution // 2)
            self.conv0 = SynthesisLayer(config, f"b{resolution}.conv0", in_channels,
                                        out_channels, resolution, up=True)
            self.upsample = Upsample2x(config.img_channels, config.resample_filter)
        self.conv1 = SynthesisLayer(config, f"b{resolution}.conv1", out_channels, out_channels,
                                    resolution, up=False)
        self.torgb = ToRGB(config, out_channels)
        self.register_buffer("resample_filter", filter_2d(config.resample_filter))

    @property
    def convs(self) -> tuple[SynthesisLayer, ...]:
        return (self.conv1,) if self.first else (self.conv0, self.conv1)

    def forward(self, x: Tensor | None, img: Tensor | None, styles: Tensor, noise: Tensor,
                ) -> tuple[Tensor, Tensor]:
        if x is None:
            batch = styles.shape[0]
            x = self.const.to(self.dtype).unsqueeze(0).expand(batch, -1, -1, -1).contiguous(
                memory_format=self.memory_format)
        else:
            x = self.conv0(x.to(self.dtype), styles, noise)
        x = self.conv1(x, styles, noise)
        y = self.torgb(x, styles)
        img = y if img is None else self.upsample(img).add_(y)
        return x, img


class SynthesisNetwork(nn.Module):
    style_weight_t: Tensor
    style_bias: Tensor
    noise_const_pool: Tensor
    noise_gain_pool: Tensor
    noise: Tensor

    def __init__(self, config: StyleGAN2Config) -> None:
        super().__init__()
        blocks = []
        for resolution in config.block_resolutions:
            block = SynthesisBlock(config, resolution)
            setattr(self, f"b{resolution}", block)
            blocks.append(block)
        self.blocks: tuple[SynthesisBlock, ...] = tuple(blocks)
        self.layers: tuple[SynthesisLayer, ...] = tuple(c for b in blocks for c in b.convs)
        styled: list[SynthesisLayer | ToRGB] = []
        for block in blocks:
            styled += [*block.convs, block.torgb]
        self.styled = tuple(styled)
        offset = 0
        for module in self.styled:
            module.style_offset = offset
            offset += module.in_channels
        self.register_buffer("style_weight_t", torch.zeros(config.w_dim, offset),
                             persistent=False)
        self.register_buffer("style_bias", torch.zeros(offset), persistent=False)
        pixels = 0
        for layer in self.layers:
            layer.noise_offset = pixels
            pixels += layer.noise_pixels
        # noise = noise_const_pool (or fresh Gaussian noise) x noise_gain_pool, per pixel.
        for name in ("noise_const_pool", "noise_gain_pool", "noise"):
            self.register_buffer(name, torch.zeros(pixels), persistent=False)

    def prepare(self) -> None:
        """Gather what the weights imply once: all affines as one matrix, noise maps."""
        for module in self.styled:
            module.prepare()
        weights, biases = [], []
        for module in self.styled:
            gain = module.weight_gain if isinstance(module, ToRGB) else 1.0
            weights.append(module.affine.scaled_weight_t * gain)
            biases.append(module.affine.scaled_bias * gain)
        self.style_weight_t.copy_(torch.cat(weights, dim=1))
        self.style_bias.copy_(torch.cat(biases))
        for layer in self.layers:
            if layer.use_noise:
                view = slice(layer.noise_offset, layer.noise_offset + layer.noise_pixels)
                self.noise_const_pool[view] = layer.noise_const.reshape(-1)

    def set_noise(self, level: float, random: bool, generator: torch.Generator | None) -> None:
        """Each layer's noise = its trained noise_strength x `level`; const or fresh maps."""
        for layer in self.layers:
            if layer.use_noise:
                view = slice(layer.noise_offset, layer.noise_offset + layer.noise_pixels)
                # x act_gain: the layer applies its activation gain before the noise.
                self.noise_gain_pool[view] = layer.noise_strength.detach() * (
                    level * layer.act_gain)
        self.refresh_noise(random, generator)

    def refresh_noise(self, random: bool, generator: torch.Generator | None) -> None:
        """Two ops for all layers: fresh noise (random mode) or the stored maps, then gains."""
        if random:
            self.noise.normal_(generator=generator)
            self.noise.mul_(self.noise_gain_pool)
        else:
            torch.mul(self.noise_const_pool, self.noise_gain_pool, out=self.noise)

    def set_device(self, device: torch.device) -> None:
        """float16 where NVlabs trained in it, on CUDA only; the device's memory order."""
        memory_format = conv_memory_format(device)
        for block in self.blocks:
            use_half = block.use_fp16 and device.type == "cuda"
            block.dtype = torch.float16 if use_half else torch.float32
            block.memory_format = memory_format
            for layer in block.convs:
                layer.lay_out(memory_format)
                layer.styles_on_maps = layer.maps_smaller and not use_half

    def forward(self, w: Tensor) -> Tensor:
        """w (N, w_dim), already truncated -> image (N, C, R, R), float32, about [-1, 1]."""
        styles = torch.addmm(self.style_bias, w.float(), self.style_weight_t)  # (N, all styles)
        x: Tensor | None = None
        img: Tensor | None = None
        for block in self.blocks:
            x, img = block(x, img, styles, self.noise)
        assert img is not None
        return img
