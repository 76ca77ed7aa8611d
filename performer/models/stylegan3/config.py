"""A StyleGAN3 generator's shape, read from the constructor arguments its checkpoint records.

NVlabs' stylegan3 pickles keep `G_ema._init_kwargs`; the synthesis network derives every
layer from a handful of numbers (a geometric progression of cutoff frequencies from
`first_cutoff` to half the image resolution), so those numbers rebuild the network from
our cached safetensors without the pickle. `layer_specs` is that derivation, computed in
float64 as NVlabs does so sizes, filter lengths and paddings come out the same.

Config T is the default; config R is `conv_kernel=1, use_radial_filters=True` with twice
the channels.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from performer.models.stylegan2.config import ConfigError, check_basics, warn_unknown

log = logging.getLogger(__name__)

FAMILY = "stylegan3"
# Keys of the NVlabs constructors that change nothing at inference time.
_IGNORED = {"magnitude_ema_beta", "w_avg_beta", "channels_last", "fused_modconv_default"}
# Far above any published StyleGAN3 (1024 px, 512-d latents, 14 layers, 1024 channels) and
# far below what would exhaust memory before the weights are compared with the file's.
MAX_RESOLUTION = 4096
MAX_WIDTH = 8192  # z_dim, w_dim, c_dim, channel_max
MAX_MAPPING_LAYERS = 64
MAX_LAYERS = 64
MAX_CHANNEL_BASE = 1 << 22
MAX_KERNEL_SIZE = 15
MAX_FILTER_SIZE = 32
MAX_LRELU_UPSAMPLING = 8
MAX_MARGIN = 256
_INTEGERS = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_layers",
             "channel_base", "channel_max", "num_layers", "num_critical", "margin_size",
             "num_fp16_res", "conv_kernel", "filter_size", "lrelu_upsampling")


@dataclass(frozen=True)
class LayerSpec:
    """One synthesis layer as NVlabs' SynthesisNetwork lays it out (sizes in pixels,
    sampling rates in samples per image width, cutoffs and half-widths in cycles)."""

    index: int
    name: str  # NVlabs' attribute name, L{index}_{out_size}_{out_channels}
    is_torgb: bool
    is_critically_sampled: bool
    use_fp16: bool  # on CUDA only
    in_channels: int
    out_channels: int
    in_size: int
    out_size: int
    in_sampling_rate: int
    out_sampling_rate: int
    in_cutoff: float
    out_cutoff: float
    in_half_width: float
    out_half_width: float
    conv_kernel: int
    up_factor: int
    down_factor: int
    up_taps: int  # 1 = no up filter
    down_taps: int  # 1 = no down filter
    down_radial: bool  # a 2-D radially symmetric down filter instead of a separable one
    padding: tuple[int, int, int, int]  # x before, x after, y before, y after (upsampled)
    tmp_sampling_rate: int


@dataclass(frozen=True)
class StyleGAN3Config:
    z_dim: int = 512  # length of the Gaussian latent z
    c_dim: int = 0  # length of the class label; 0 = unconditional
    w_dim: int = 512  # length of the intermediate latent w
    img_resolution: int = 1024  # output side, a power of two
    img_channels: int = 3  # RGB
    mapping_layers: int = 2  # fully connected layers z -> w
    lr_multiplier: float = 0.01  # the mapping layers' equalised learning-rate multiplier
    channel_base: int = 32768  # channels of a layer: min(channel_base / 2 / cutoff, max)
    channel_max: int = 512
    num_layers: int = 14  # synthesis layers, not counting the input and ToRGB
    num_critical: int = 2  # critically sampled layers at the end
    first_cutoff: float = 2.0  # cutoff frequency of the first layer
    first_stopband: float = 2**2.1
    last_stopband_rel: float = 2**0.3  # the last layer's stopband relative to its cutoff
    margin_size: int = 10  # pixels computed outside the image on each side
    output_scale: float = 0.25  # the image is the last layer's output times this
    num_fp16_res: int = 4  # layers at the N highest resolutions run in float16 on CUDA
    conv_kernel: int = 3  # 3 for config T, 1 for config R
    filter_size: int = 6  # low-pass taps per factor of up- or downsampling
    lrelu_upsampling: int = 2  # the leaky ReLU runs at this multiple of the sampling rate
    use_radial_filters: bool = False  # config R: radially symmetric down filters
    conv_clamp: float | None = 256.0  # layer outputs clamped to +-conv_clamp

    # --- derived shape ----------------------------------------------------------------
    @property
    def num_ws(self) -> int:
        return self.num_layers + 2

    def layer_specs(self) -> tuple[LayerSpec, ...]:
        """Every layer, L0 .. L{num_layers} (the last is ToRGB), as NVlabs derives them."""
        last_cutoff = self.img_resolution / 2
        last_stopband = last_cutoff * self.last_stopband_rel
        exponents = np.minimum(np.arange(self.num_layers + 1)
                               / (self.num_layers - self.num_critical), 1)
        cutoffs = self.first_cutoff * (last_cutoff / self.first_cutoff) ** exponents
        stopbands = self.first_stopband * (last_stopband / self.first_stopband) ** exponents
        rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, self.img_resolution))))
        half_widths = np.maximum(stopbands, rates / 2) - cutoffs
        sizes = rates + self.margin_size * 2
        sizes[-2:] = self.img_resolution
        channels = np.rint(np.minimum((self.channel_base / 2) / cutoffs, self.channel_max))
        channels[-1] = self.img_channels
        specs = []
        for idx in range(self.num_layers + 1):
            prev = max(idx - 1, 0)
            specs.append(self._layer(idx, prev, cutoffs, half_widths, rates, sizes, channels))
        return tuple(specs)

    def _layer(self, idx: int, prev: int, cutoffs: np.ndarray, half_widths: np.ndarray,
               rates: np.ndarray, sizes: np.ndarray, channels: np.ndarray) -> LayerSpec:
        is_torgb = idx == self.num_layers
        critical = idx >= self.num_layers - self.num_critical
        in_rate, out_rate = int(rates[prev]), int(rates[idx])
        tmp_rate = max(in_rate, out_rate) * (1 if is_torgb else self.lrelu_upsampling)
        up, down = round(tmp_rate / in_rate), round(tmp_rate / out_rate)
        if in_rate * up != tmp_rate or out_rate * down != tmp_rate:
            raise ConfigError(f"layer {idx}: sampling rates {in_rate} -> {out_rate} are not "
                              "integer factors of each other")
        kernel = 1 if is_torgb else self.conv_kernel
        up_taps = self.filter_size * up if up > 1 and not is_torgb else 1
        down_taps = self.filter_size * down if down > 1 and not is_torgb else 1
        in_size, out_size = int(sizes[prev]), int(sizes[idx])
        total = (out_size - 1) * down + 1 - (in_size + kernel - 1) * up + up_taps + down_taps - 2
        before = (total + up) // 2  # the symmetric interpretation (paper, appendix C.3)
        after = total - before
        out_channels = int(channels[idx])
        return LayerSpec(
            index=idx, name=f"L{idx}_{out_size}_{out_channels}", is_torgb=is_torgb,
            is_critically_sampled=critical,
            use_fp16=bool(rates[idx] * 2**self.num_fp16_res > self.img_resolution),
            in_channels=int(channels[prev]), out_channels=out_channels,
            in_size=in_size, out_size=out_size, in_sampling_rate=in_rate,
            out_sampling_rate=out_rate, in_cutoff=float(cutoffs[prev]),
            out_cutoff=float(cutoffs[idx]), in_half_width=float(half_widths[prev]),
            out_half_width=float(half_widths[idx]), conv_kernel=kernel, up_factor=up,
            down_factor=down, up_taps=up_taps, down_taps=down_taps,
            down_radial=self.use_radial_filters and not critical,
            padding=(before, after, before, after), tmp_sampling_rate=tmp_rate)

    # --- reading and writing ------------------------------------------------------------
    @classmethod
    def from_init_kwargs(cls, kwargs: Mapping[str, Any]) -> StyleGAN3Config:
        """NVlabs `Generator(**init_kwargs)` arguments (synthesis arguments nested under
        'synthesis_kwargs', as the pickle reader hands them) -> config, or ConfigError."""
        try:
            top = dict(kwargs)
            mapping = dict(top.pop("mapping_kwargs", None) or {})
            synthesis = dict(top.pop("synthesis_kwargs", None) or {})
            synthesis.update(top.pop("layer_kwargs", None) or {})
            values: dict[str, Any] = {
                "z_dim": int(top.pop("z_dim")),
                "c_dim": int(top.pop("c_dim", 0)),
                "w_dim": int(top.pop("w_dim")),
                "img_resolution": int(top.pop("img_resolution")),
                "img_channels": int(top.pop("img_channels", 3)),
                "mapping_layers": int(mapping.pop("num_layers", 2)),
                "lr_multiplier": float(mapping.pop("lr_multiplier", 0.01)),
            }
            defaults = cls()
            for name in ("channel_base", "channel_max", "num_layers", "num_critical",
                         "margin_size", "num_fp16_res", "conv_kernel", "filter_size",
                         "lrelu_upsampling"):
                values[name] = int(synthesis.pop(name, getattr(defaults, name)))
            for name in ("first_cutoff", "first_stopband", "last_stopband_rel",
                         "output_scale"):
                values[name] = float(synthesis.pop(name, getattr(defaults, name)))
            values["use_radial_filters"] = bool(synthesis.pop("use_radial_filters", False))
            clamp = synthesis.pop("conv_clamp", defaults.conv_clamp)
            values["conv_clamp"] = None if clamp is None else float(clamp)
        except (KeyError, TypeError, ValueError, ArithmeticError) as err:
            raise ConfigError(f"unreadable constructor arguments ({err!r})") from err
        warn_unknown((top, mapping, synthesis), _IGNORED)
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        """Refuses shapes we cannot build, or that would take more memory than any real
        checkpoint, before a single weight is allocated."""
        side = check_basics(self, _INTEGERS, MAX_RESOLUTION)
        ranges = {"z_dim": (1, MAX_WIDTH), "w_dim": (1, MAX_WIDTH), "c_dim": (0, MAX_WIDTH),
                  "channel_max": (1, MAX_WIDTH), "mapping_layers": (1, MAX_MAPPING_LAYERS),
                  "num_layers": (1, MAX_LAYERS), "num_critical": (0, self.num_layers - 1),
                  "channel_base": (1, MAX_CHANNEL_BASE), "margin_size": (0, MAX_MARGIN),
                  "num_fp16_res": (0, 16), "conv_kernel": (1, MAX_KERNEL_SIZE),
                  "filter_size": (1, MAX_FILTER_SIZE),
                  "lrelu_upsampling": (1, MAX_LRELU_UPSAMPLING)}
        for name, (low, high) in ranges.items():
            if not low <= getattr(self, name) <= high:
                raise ConfigError(f"{name} {getattr(self, name)} is outside {low}..{high}")
        if self.conv_kernel % 2 != 1:
            raise ConfigError(f"conv_kernel {self.conv_kernel} must be odd")
        positive = ("first_cutoff", "first_stopband", "last_stopband_rel", "output_scale")
        for name in positive:
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ConfigError(f"{name} {value!r} must be a positive number")
        if not self.first_cutoff < side / 2:
            raise ConfigError(f"first_cutoff {self.first_cutoff} must be below half the "
                              f"resolution ({side / 2})")
        if self.conv_clamp is not None and not (np.isfinite(self.conv_clamp)
                                                and self.conv_clamp > 0):
            raise ConfigError(f"conv_clamp {self.conv_clamp!r} must be a positive number")
        specs = self.layer_specs()  # raises for non-integer resampling factors
        for spec in specs:
            if spec.in_channels < 1 or spec.out_channels < 1:
                raise ConfigError(f"layer {spec.name} has no channels (channel_base "
                                  f"{self.channel_base} is too small)")

    def to_dict(self) -> dict[str, Any]:
        return {"family": FAMILY, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StyleGAN3Config:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}  # family, source: metadata
        try:
            config = cls(**values)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"unreadable config ({err})") from err
        config.validate()
        return config
