"""A StyleGAN2 generator's shape, read from the constructor arguments its checkpoint records.

NVlabs pickles keep `G_ema._init_kwargs` (z_dim, c_dim, w_dim, img_resolution, img_channels,
mapping_kwargs, synthesis_kwargs); everything the network's structure depends on is here,
so the same config rebuilds the network from our cached safetensors without the pickle.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

log = logging.getLogger(__name__)

FAMILY = "stylegan2"
SUPPORTED_ARCHITECTURE = "skip"
ACTIVATIONS = ("lrelu", "relu", "linear")

# Keys of the NVlabs constructors that change nothing at inference time
# (fused_modconv_default: how the stylegan3 repository's StyleGAN2 schedules its kernels).
_IGNORED = {"fp16_channels_last", "channels_last", "epochs", "w_avg_beta_decay",
            "fused_modconv_default"}
# Far above any published StyleGAN2 (1024 px, 512-d latents, 8 mapping layers) and far
# below what would exhaust memory before the weights are even compared with the file's.
MAX_RESOLUTION = 4096
MAX_WIDTH = 8192  # z_dim, w_dim, c_dim, feature and channel counts
MAX_MAPPING_LAYERS = 64
MAX_CHANNEL_BASE = 1 << 20
MAX_KERNEL_SIZE = 15
_INTEGERS = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_layers",
             "embed_features", "layer_features", "channel_base", "channel_max", "num_fp16_res",
             "kernel_size")


class ConfigError(ValueError):
    """The recorded constructor arguments describe a network this implementation cannot build."""


def warn_unknown(parts: tuple[Mapping[str, Any], ...], ignored: set[str]) -> None:
    """What is left of the constructor arguments once read: one warning, never an error."""
    unknown = sorted({k for part in parts for k in part} - ignored)
    if unknown:
        log.warning("ignoring unknown constructor arguments: %s", ", ".join(unknown))


def check_basics(config: object, integers: tuple[str, ...], max_resolution: int) -> int:
    """Integers where they must be, a power-of-two side, and RGB: what every family checks
    before anything else. Returns the side."""
    values = {name: getattr(config, name) for name in integers}
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{name} {value!r} is not an integer")
    side, channels = values["img_resolution"], values["img_channels"]
    if side < 4 or side & (side - 1) or side > max_resolution:
        raise ConfigError(f"img_resolution {side} is not a power of two from 4 to "
                          f"{max_resolution}")
    if channels != 3:
        raise ConfigError(f"img_channels is {channels}: performer shows RGB, "
                          "so only 3-channel generators load")
    return int(side)


@dataclass(frozen=True)
class StyleGAN2Config:
    z_dim: int = 512  # length of the Gaussian latent z
    c_dim: int = 0  # length of the class label; 0 = unconditional
    w_dim: int = 512  # length of the intermediate latent w
    img_resolution: int = 1024  # output side, a power of two >= 4
    img_channels: int = 3  # RGB
    mapping_layers: int = 8  # fully connected layers z -> w
    embed_features: int = 512  # class embedding length (used when c_dim > 0)
    layer_features: int = 512  # width of the hidden mapping layers
    mapping_activation: str = "lrelu"
    lr_multiplier: float = 0.01  # the mapping layers' equalised learning-rate multiplier
    channel_base: int = 32768  # channels at resolution r: min(channel_base // r, channel_max)
    channel_max: int = 512
    num_fp16_res: int = 0  # the top N resolutions run in float16 on CUDA
    conv_clamp: float | None = None  # synthesis conv outputs clamped to +-conv_clamp
    activation: str = "lrelu"
    use_noise: bool = True
    kernel_size: int = 3
    resample_filter: tuple[int | float, ...] = field(default=(1, 3, 3, 1))

    # --- derived shape ----------------------------------------------------------------
    @property
    def block_resolutions(self) -> tuple[int, ...]:
        return tuple(2**i for i in range(2, int(math.log2(self.img_resolution)) + 1))

    def channels(self, resolution: int) -> int:
        return min(self.channel_base // resolution, self.channel_max)

    @property
    def fp16_resolution(self) -> int:
        """Blocks at this resolution and above run in float16 (on CUDA)."""
        log2 = int(math.log2(self.img_resolution))
        return max(2 ** (log2 + 1 - self.num_fp16_res), 8)

    # --- reading and writing ------------------------------------------------------------
    @classmethod
    def from_init_kwargs(cls, kwargs: Mapping[str, Any]) -> StyleGAN2Config:
        """NVlabs `Generator(**init_kwargs)` arguments -> config, or ConfigError saying why not."""
        try:
            top = dict(kwargs)
            mapping = dict(top.pop("mapping_kwargs", None) or {})
            synthesis = dict(top.pop("synthesis_kwargs", None) or {})
            w_dim = int(top.pop("w_dim"))
            values: dict[str, Any] = {
                "z_dim": int(top.pop("z_dim")),
                "c_dim": int(top.pop("c_dim", 0)),
                "w_dim": w_dim,
                "img_resolution": int(top.pop("img_resolution")),
                "img_channels": int(top.pop("img_channels", 3)),
                "mapping_layers": int(mapping.pop("num_layers", 8)),
                "embed_features": int(mapping.pop("embed_features", None) or w_dim),
                "layer_features": int(mapping.pop("layer_features", None) or w_dim),
                "mapping_activation": str(mapping.pop("activation", "lrelu")),
                "lr_multiplier": float(mapping.pop("lr_multiplier", 0.01)),
                "channel_base": int(synthesis.pop("channel_base", 32768)),
                "channel_max": int(synthesis.pop("channel_max", 512)),
                "num_fp16_res": int(synthesis.pop("num_fp16_res", 0)),
                "conv_clamp": _optional_float(synthesis.pop("conv_clamp", None)),
                "activation": str(synthesis.pop("activation", "lrelu")),
                "use_noise": bool(synthesis.pop("use_noise", True)),
                "kernel_size": int(synthesis.pop("kernel_size", 3)),
                "resample_filter": tuple(synthesis.pop("resample_filter", (1, 3, 3, 1))),
            }
            architecture = str(synthesis.pop("architecture", SUPPORTED_ARCHITECTURE))
            beta = mapping.pop("w_avg_beta", 0.995)
        except (KeyError, TypeError, ValueError, ArithmeticError) as err:
            raise ConfigError(f"unreadable constructor arguments ({err!r})") from err
        if architecture != SUPPORTED_ARCHITECTURE:
            raise ConfigError(
                f"architecture {architecture!r} is not supported (only the 'skip' generator "
                "that StyleGAN2-ADA trains by default)"
            )
        if beta is None:
            raise ConfigError("the mapping network tracks no w_avg (w_avg_beta=None)")
        warn_unknown((top, mapping, synthesis), _IGNORED)
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        """Refuses shapes we cannot build, or that would take more memory than any real
        checkpoint, before a single weight is allocated."""
        side = check_basics(self, _INTEGERS, MAX_RESOLUTION)
        lowest = {"z_dim": 1, "w_dim": 1, "c_dim": 0, "embed_features": 1, "layer_features": 1,
                  "channel_max": 1}
        for name, low in lowest.items():
            if not low <= getattr(self, name) <= MAX_WIDTH:
                raise ConfigError(f"{name} {getattr(self, name)} is outside {low}..{MAX_WIDTH}")
        if not 1 <= self.mapping_layers <= MAX_MAPPING_LAYERS:
            raise ConfigError(f"{self.mapping_layers} mapping layers is outside "
                              f"1..{MAX_MAPPING_LAYERS}")
        if not side <= self.channel_base <= MAX_CHANNEL_BASE:
            raise ConfigError(f"channel_base {self.channel_base} is outside {side}.."
                              f"{MAX_CHANNEL_BASE} (at least one channel at {side} px)")
        if not 0 <= self.num_fp16_res <= 16:
            raise ConfigError(f"num_fp16_res {self.num_fp16_res} is outside 0..16")
        if not 1 <= self.kernel_size <= MAX_KERNEL_SIZE:
            raise ConfigError(f"kernel_size {self.kernel_size} is outside 1..{MAX_KERNEL_SIZE}")
        for name in ("activation", "mapping_activation"):
            if getattr(self, name) not in ACTIVATIONS:
                raise ConfigError(f"{name} {getattr(self, name)!r} is not supported")
        if self.kernel_size % 2 != 1:
            raise ConfigError(f"kernel_size {self.kernel_size} must be odd")
        taps = list(self.resample_filter)
        if len(taps) != 4 or taps != taps[::-1]:
            raise ConfigError(f"resample_filter {taps} is not supported (only symmetric "
                              "4-tap filters such as the default [1, 3, 3, 1])")

    def to_dict(self) -> dict[str, Any]:
        return {"family": FAMILY, **asdict(self), "resample_filter": list(self.resample_filter)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StyleGAN2Config:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}  # family, source: metadata
        try:
            values["resample_filter"] = tuple(values.get("resample_filter", (1, 3, 3, 1)))
            config = cls(**values)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"unreadable config ({err})") from err
        config.validate()
        return config


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
