"""StyleGAN3 test material: NVlabs' reference tensors, and pickles shaped like their snapshots.

tests/fixtures/stylegan3_reference.safetensors was written by
scripts/make_stylegan3_reference.py with NVlabs' own stylegan3 code: random weights under
their state-dict names, latents, labels, psi, a pan-and-spin transform and their images.

`write_stylegan3_pickle` pickles a snapshot holding those weights the way NVlabs' code
does: every network object is `torch_utils.persistence._reconstruct_persistent_obj(meta)`
with its module `__dict__` as state, including the attributes their layers keep (sizes as
numpy arrays, sampling rates, cutoffs, `_init_kwargs`). It goes through the stand-in
persistence and dnnlib modules of nvlabs_fixtures, which exist only while writing.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open

from performer.models.stylegan3 import StyleGAN3Config
from performer.models.stylegan3.config import LayerSpec
from tests.models import nvlabs_fixtures as sg2

FIXTURE = Path(__file__).parents[1] / "fixtures" / "stylegan3_reference.safetensors"
VARIANTS = ("t", "r")
_SAMPLES = ("z", "c", "image", "image_plain")
_GENERATOR_OWN = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs")


@dataclass(frozen=True)
class Reference:
    init_kwargs: dict[str, Any]  # as NVlabs' Generator recorded them: synthesis ones flat
    tensors: dict[str, torch.Tensor]  # G's state dict, input transform = identity
    z: torch.Tensor  # (N, z_dim)
    c: torch.Tensor  # (N, c_dim) one-hot labels
    psi: float
    transform: tuple[float, float, float]  # translate x, y (image widths), rotate (degrees)
    image: torch.Tensor  # (N, 3, R, R) with the transform
    image_plain: torch.Tensor  # (N, 3, R, R) without it

    @property
    def nested_kwargs(self) -> dict[str, Any]:
        """The constructor arguments as performer's pickle reader hands them over."""
        kwargs = {k: v for k, v in self.init_kwargs.items() if k in _GENERATOR_OWN}
        kwargs["synthesis_kwargs"] = {k: v for k, v in self.init_kwargs.items()
                                      if k not in _GENERATOR_OWN}
        return kwargs


def reference(variant: str) -> Reference:
    with safe_open(str(FIXTURE), "pt") as handle:
        meta = handle.metadata()
        prefix = f"{variant}/"
        data = {k[len(prefix):]: handle.get_tensor(k) for k in handle.keys()  # noqa: SIM118
                if k.startswith(prefix)}
    x, y, degrees = json.loads(meta["transform"])
    return Reference(
        init_kwargs=json.loads(meta[f"{variant}/init_kwargs"]),
        tensors={k: v for k, v in data.items() if k not in _SAMPLES},
        z=data["z"], c=data["c"], psi=float(meta["psi"]), transform=(x, y, degrees),
        image=data["image"], image_plain=data["image_plain"])


# ----------------------------------------------------------------------------------------
# Modules with NVlabs' class names, state-dict names and plain attributes (state only).


class FullyConnectedLayer(sg2.Persistent):
    class_name = "FullyConnectedLayer"

    def __init__(self, in_features: int, out_features: int, activation: str = "linear",
                 lr_multiplier: float = 1.0) -> None:
        super().__init__()
        self.record_init(in_features, out_features, activation=activation,
                         lr_multiplier=lr_multiplier)
        self.in_features, self.out_features = in_features, out_features
        self.activation = activation
        self.weight = sg2._frozen(torch.zeros(out_features, in_features))
        self.bias = sg2._frozen(torch.zeros(out_features))
        self.weight_gain = lr_multiplier / np.sqrt(in_features)
        self.bias_gain = lr_multiplier


class MappingNetwork(sg2.Persistent):
    class_name = "MappingNetwork"

    def __init__(self, config: StyleGAN3Config) -> None:
        super().__init__()
        self.record_init(z_dim=config.z_dim, c_dim=config.c_dim, w_dim=config.w_dim,
                         num_ws=config.num_ws, num_layers=config.mapping_layers)
        self.z_dim, self.c_dim, self.w_dim = config.z_dim, config.c_dim, config.w_dim
        self.num_ws, self.num_layers, self.w_avg_beta = config.num_ws, config.mapping_layers, 0.998
        self.embed = FullyConnectedLayer(config.c_dim, config.w_dim) if config.c_dim else None
        widths = [config.z_dim + (config.w_dim if config.c_dim else 0)]
        widths += [config.w_dim] * config.mapping_layers
        for i in range(config.mapping_layers):
            setattr(self, f"fc{i}", FullyConnectedLayer(widths[i], widths[i + 1], "lrelu", 0.01))
        self.register_buffer("w_avg", torch.zeros(config.w_dim))


class SynthesisInput(sg2.Persistent):
    class_name = "SynthesisInput"

    def __init__(self, w_dim: int, spec: LayerSpec) -> None:
        super().__init__()
        channels = spec.in_channels
        self.record_init(w_dim=w_dim, channels=channels, size=spec.in_size,
                         sampling_rate=np.float64(spec.in_sampling_rate),
                         bandwidth=np.float64(spec.in_cutoff))
        self.w_dim, self.channels = w_dim, channels
        self.size = np.broadcast_to(np.asarray(spec.in_size), [2])
        self.sampling_rate = np.float64(spec.in_sampling_rate)
        self.bandwidth = np.float64(spec.in_cutoff)
        self.weight = sg2._frozen(torch.zeros(channels, channels))
        self.affine = FullyConnectedLayer(w_dim, 4)
        self.register_buffer("transform", torch.eye(3))
        self.register_buffer("freqs", torch.zeros(channels, 2))
        self.register_buffer("phases", torch.zeros(channels))


class SynthesisLayer(sg2.Persistent):
    class_name = "SynthesisLayer"

    def __init__(self, w_dim: int, spec: LayerSpec, conv_clamp: float | None) -> None:
        super().__init__()
        self.record_init(w_dim=w_dim, is_torgb=spec.is_torgb,
                         is_critically_sampled=spec.is_critically_sampled,
                         use_fp16=spec.use_fp16, in_channels=spec.in_channels,
                         out_channels=spec.out_channels, in_size=spec.in_size,
                         out_size=spec.out_size, conv_clamp=conv_clamp)
        for name in ("is_torgb", "is_critically_sampled", "use_fp16", "in_channels",
                     "out_channels", "in_sampling_rate", "out_sampling_rate", "conv_kernel",
                     "up_factor", "up_taps", "down_factor", "down_taps", "down_radial"):
            setattr(self, name, getattr(spec, name))
        for name in ("in_cutoff", "out_cutoff", "in_half_width", "out_half_width"):
            setattr(self, name, np.float64(getattr(spec, name)))
        self.w_dim = w_dim
        self.in_size = np.broadcast_to(np.asarray(spec.in_size), [2])
        self.out_size = np.broadcast_to(np.asarray(spec.out_size), [2])
        self.tmp_sampling_rate = spec.tmp_sampling_rate
        self.conv_clamp = conv_clamp
        self.magnitude_ema_beta = 0.999
        self.padding = list(spec.padding)
        k = spec.conv_kernel
        self.affine = FullyConnectedLayer(w_dim, spec.in_channels)
        self.weight = sg2._frozen(torch.zeros(spec.out_channels, spec.in_channels, k, k))
        self.bias = sg2._frozen(torch.zeros(spec.out_channels))
        self.register_buffer("magnitude_ema", torch.ones([]))
        self.register_buffer("up_filter", torch.zeros(spec.up_taps) if spec.up_taps > 1 else None)
        down_shape = [spec.down_taps] * (2 if spec.down_radial else 1)
        self.register_buffer("down_filter",
                             torch.zeros(down_shape) if spec.down_taps > 1 else None)


class SynthesisNetwork(sg2.Persistent):
    class_name = "SynthesisNetwork"

    def __init__(self, config: StyleGAN3Config) -> None:
        super().__init__()
        specs = config.layer_specs()
        self.w_dim, self.num_ws = config.w_dim, config.num_ws
        self.img_resolution, self.img_channels = config.img_resolution, config.img_channels
        self.num_layers, self.num_critical = config.num_layers, config.num_critical
        self.margin_size, self.output_scale = config.margin_size, config.output_scale
        self.num_fp16_res = config.num_fp16_res
        self.input = SynthesisInput(config.w_dim, specs[0])
        self.layer_names = []
        for spec in specs:
            setattr(self, spec.name, SynthesisLayer(config.w_dim, spec, config.conv_clamp))
            self.layer_names.append(spec.name)


class Generator(sg2.Persistent):
    class_name = "Generator"

    def __init__(self, init_kwargs: dict[str, Any]) -> None:
        super().__init__()
        nested = {k: v for k, v in init_kwargs.items() if k in _GENERATOR_OWN}
        nested["synthesis_kwargs"] = {k: v for k, v in init_kwargs.items()
                                      if k not in _GENERATOR_OWN}
        config = StyleGAN3Config.from_init_kwargs(nested)
        self._init_args = ()
        self._init_kwargs = sg2.EasyDict(init_kwargs)  # flat, as their Generator records it
        self.z_dim, self.c_dim, self.w_dim = config.z_dim, config.c_dim, config.w_dim
        self.img_resolution, self.img_channels = config.img_resolution, config.img_channels
        self.synthesis = SynthesisNetwork(config)
        self.num_ws = config.num_ws
        self.mapping = MappingNetwork(config)


def stylegan3_network(ref: Reference) -> Generator:
    """A persistent G holding the reference weights (call inside stand_in_modules)."""
    kwargs = dict(ref.init_kwargs)
    kwargs["mapping_kwargs"] = sg2.EasyDict(kwargs["mapping_kwargs"])
    network = Generator(kwargs).eval()
    network.load_state_dict(ref.tensors, strict=True)
    return network


def write_stylegan3_pickle(path: Path, variant: str = "t",
                           protocol: int = pickle.DEFAULT_PROTOCOL) -> Reference:
    """A snapshot `dict(G, D, G_ema, augment_pipe, training_set_kwargs)` whose G and G_ema
    hold the reference weights of `variant`; returns the reference."""
    ref = reference(variant)
    with sg2.stand_in_modules():
        snapshot = {
            "G": stylegan3_network(ref),
            "D": None,
            "G_ema": stylegan3_network(ref),
            "augment_pipe": None,
            "training_set_kwargs": sg2.EasyDict(resolution=ref.init_kwargs["img_resolution"]),
        }
        sg2._dump(path, snapshot, protocol)
    return ref
