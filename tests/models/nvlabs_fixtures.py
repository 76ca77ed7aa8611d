"""Writes pickles shaped like NVlabs stylegan2-ada-pytorch snapshots, for the tests.

A real snapshot is `pickle.dump(dict(G, D, G_ema, augment_pipe, training_set_kwargs))`
where every network object pickles itself as
`torch_utils.persistence._reconstruct_persistent_obj(meta)` with `meta['state']` being the
module's `__dict__`. The modules here are real `torch.nn.Module`s with the same names,
parameter and buffer shapes and plain attributes as NVlabs' `training/networks.py`
(numpy float64 gains included), and the same persistence `__reduce__`. The stand-in
`torch_utils.persistence` and `dnnlib.util` modules exist in `sys.modules` only while a
fixture is written, so the loader under test can never import them.

Also writes the files the loader must refuse: TensorFlow-era pickles,
pickles whose reduce calls `os.system` / `eval` / `subprocess.Popen`, and a persistent
object whose `module_src` has a side effect.
"""

from __future__ import annotations

import contextlib
import pickle
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

# What NVlabs' loader would exec; performer must never run it.
MODULE_SRC = "# training/networks.py of stylegan2-ada-pytorch would be here\n"
PERSISTENCE_VERSION = 6
FILTER_TAPS = [1.0, 3.0, 3.0, 1.0]
SQRT2 = np.sqrt(2)  # bias_act's default gain for 'lrelu', a numpy float64 as in theirs
_module_src = [MODULE_SRC]  # what Persistent.__reduce__ records; replaced for one test


# ----------------------------------------------------------------------------------------
# Stand-in modules, present only while writing.


def _reconstruct_persistent_obj(meta: dict[str, Any]) -> Any:  # pragma: no cover
    raise RuntimeError("the stand-in persistence module never loads anything")


class EasyDict(dict):  # type: ignore[type-arg]
    """dnnlib.util.EasyDict's pickled shape: a dict subclass with no instance state."""


class TFNetwork:
    """dnnlib.tflib.network.Network's pickled shape: its state is a dict of variables."""

    def __init__(self, name: str, variables: list[tuple[str, np.ndarray]]) -> None:
        self.name = name
        self.variables = variables

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 4,
            "name": self.name,
            "static_kwargs": {},
            "components": {},
            "build_module_src": "raise SystemExit('TensorFlow build code')\n",
            "build_func_name": "G_main",
            "variables": self.variables,
        }


_STAND_INS: dict[str, dict[str, Any]] = {
    "torch_utils": {},
    "torch_utils.persistence": {"_reconstruct_persistent_obj": _reconstruct_persistent_obj},
    "dnnlib": {},
    "dnnlib.util": {"EasyDict": EasyDict},
    "dnnlib.tflib": {},
    "dnnlib.tflib.network": {"Network": TFNetwork},
}


@contextlib.contextmanager
def stand_in_modules() -> Iterator[None]:
    """Installs torch_utils.persistence, dnnlib.util and dnnlib.tflib.network for pickling."""
    clashes = [name for name in _STAND_INS if name in sys.modules]
    if clashes:
        raise RuntimeError(f"real modules already imported: {clashes}")
    originals = {
        _reconstruct_persistent_obj: _reconstruct_persistent_obj.__module__,
        EasyDict: EasyDict.__module__,
        TFNetwork: TFNetwork.__module__,
    }
    try:
        for module_name, members in _STAND_INS.items():
            module = types.ModuleType(module_name)
            for member_name, member in members.items():
                member.__module__ = module_name
                member.__qualname__ = member_name
                setattr(module, member_name, member)
            sys.modules[module_name] = module
        yield
    finally:
        for module_name in _STAND_INS:
            sys.modules.pop(module_name, None)
        for member, module_name in originals.items():
            member.__module__ = module_name
        _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
        EasyDict.__qualname__ = "EasyDict"
        TFNetwork.__qualname__ = "TFNetwork"


def _persistence_function() -> Any:
    return sys.modules["torch_utils.persistence"]._reconstruct_persistent_obj


# ----------------------------------------------------------------------------------------
# Modules with NVlabs' names, shapes and attributes (no forward pass: only their state
# matters to a pickle).


class Persistent(nn.Module):
    """Pickles as NVlabs' persistent_class decorator does: reconstruct(meta) with the state."""

    class_name = "Module"

    def record_init(self, *args: Any, **kwargs: Any) -> None:
        self._init_args = args
        self._init_kwargs = kwargs

    def __reduce__(self) -> tuple[Any, ...]:
        fields = list(super().__reduce__())
        meta = {
            "type": "class",
            "version": PERSISTENCE_VERSION,
            "module_src": _module_src[0],
            "class_name": self.class_name,
            "state": fields[2],
        }
        return (_persistence_function(), (meta,), None)


def _filter() -> torch.Tensor:
    taps = torch.tensor(FILTER_TAPS)
    kernel = torch.outer(taps, taps)
    return kernel / kernel.sum()


def _frozen(tensor: torch.Tensor) -> nn.Parameter:
    return nn.Parameter(tensor, requires_grad=False)  # G_ema is saved with requires_grad off


class FullyConnectedLayer(Persistent):
    class_name = "FullyConnectedLayer"

    def __init__(
        self,
        gen: torch.Generator,
        in_features: int,
        out_features: int,
        activation: str = "linear",
        lr_multiplier: float = 1,
        bias_init: float = 0,
    ) -> None:
        super().__init__()
        self.record_init(
            in_features,
            out_features,
            activation=activation,
            lr_multiplier=lr_multiplier,
            bias_init=bias_init,
        )
        self.activation = activation
        weight = torch.randn([out_features, in_features], generator=gen) / lr_multiplier
        bias = bias_init + 0.1 * torch.randn([out_features], generator=gen)
        self.weight = _frozen(weight)
        self.bias = _frozen(bias)
        self.weight_gain = lr_multiplier / np.sqrt(in_features)
        self.bias_gain = lr_multiplier


class MappingNetwork(Persistent):
    class_name = "MappingNetwork"

    def __init__(
        self,
        gen: torch.Generator,
        z_dim: int,
        c_dim: int,
        w_dim: int,
        num_ws: int,
        num_layers: int = 8,
        lr_multiplier: float = 0.01,
        w_avg_beta: float = 0.995,
    ) -> None:
        super().__init__()
        self.record_init(
            z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, num_ws=num_ws, num_layers=num_layers
        )
        self.z_dim = z_dim
        self.c_dim = c_dim
        self.w_dim = w_dim
        self.num_ws = num_ws
        self.num_layers = num_layers
        self.w_avg_beta = w_avg_beta
        embed_features = w_dim if c_dim > 0 else 0
        features = [z_dim + embed_features] + [w_dim] * num_layers
        if c_dim > 0:
            self.embed = FullyConnectedLayer(gen, c_dim, embed_features)
        for index in range(num_layers):
            layer = FullyConnectedLayer(
                gen,
                features[index],
                features[index + 1],
                activation="lrelu",
                lr_multiplier=lr_multiplier,
            )
            setattr(self, f"fc{index}", layer)
        self.register_buffer("w_avg", torch.randn([w_dim], generator=gen))


class SynthesisLayer(Persistent):
    class_name = "SynthesisLayer"

    def __init__(
        self,
        gen: torch.Generator,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        up: int = 1,
        conv_clamp: float | None = None,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        self.record_init(
            in_channels,
            out_channels,
            w_dim=w_dim,
            resolution=resolution,
            up=up,
            resample_filter=FILTER_TAPS,
            conv_clamp=conv_clamp,
            channels_last=channels_last,
        )
        self.resolution = resolution
        self.up = up
        self.use_noise = True
        self.activation = "lrelu"
        self.conv_clamp = conv_clamp
        self.register_buffer("resample_filter", _filter())
        self.padding = 1
        self.act_gain = SQRT2
        self.affine = FullyConnectedLayer(gen, w_dim, in_channels, bias_init=1)
        self.weight = _frozen(torch.randn([out_channels, in_channels, 3, 3], generator=gen))
        self.register_buffer("noise_const", torch.randn([resolution, resolution], generator=gen))
        self.noise_strength = _frozen(0.1 * torch.randn([], generator=gen))
        self.bias = _frozen(0.1 * torch.randn([out_channels], generator=gen))


class ToRGBLayer(Persistent):
    class_name = "ToRGBLayer"

    def __init__(
        self,
        gen: torch.Generator,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        conv_clamp: float | None = None,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        self.record_init(
            in_channels,
            out_channels,
            w_dim=w_dim,
            conv_clamp=conv_clamp,
            channels_last=channels_last,
        )
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(gen, w_dim, in_channels, bias_init=1)
        self.weight = _frozen(torch.randn([out_channels, in_channels, 1, 1], generator=gen))
        self.bias = _frozen(0.1 * torch.randn([out_channels], generator=gen))
        self.weight_gain = 1 / np.sqrt(in_channels)


class SynthesisBlock(Persistent):
    class_name = "SynthesisBlock"

    def __init__(
        self,
        gen: torch.Generator,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        img_channels: int,
        is_last: bool,
        use_fp16: bool,
        conv_clamp: float | None,
    ) -> None:
        super().__init__()
        self.record_init(
            in_channels,
            out_channels,
            w_dim=w_dim,
            resolution=resolution,
            img_channels=img_channels,
            is_last=is_last,
            use_fp16=use_fp16,
            conv_clamp=conv_clamp,
        )
        self.in_channels = in_channels
        self.w_dim = w_dim
        self.resolution = resolution
        self.img_channels = img_channels
        self.is_last = is_last
        self.architecture = "skip"
        self.use_fp16 = use_fp16
        self.channels_last = False
        self.register_buffer("resample_filter", _filter())
        self.num_conv = 0
        self.num_torgb = 0
        if in_channels == 0:
            self.const = _frozen(torch.randn([out_channels, resolution, resolution], generator=gen))
        else:
            self.conv0 = SynthesisLayer(
                gen, in_channels, out_channels, w_dim, resolution, up=2, conv_clamp=conv_clamp
            )
            self.num_conv += 1
        self.conv1 = SynthesisLayer(
            gen, out_channels, out_channels, w_dim, resolution, conv_clamp=conv_clamp
        )
        self.num_conv += 1
        self.torgb = ToRGBLayer(gen, out_channels, img_channels, w_dim, conv_clamp=conv_clamp)
        self.num_torgb += 1


def channels_for(resolution: int, channel_base: int, channel_max: int) -> int:
    """NVlabs' channel count at one resolution."""
    return min(channel_base // resolution, channel_max)


class SynthesisNetwork(Persistent):
    class_name = "SynthesisNetwork"

    def __init__(
        self,
        gen: torch.Generator,
        w_dim: int,
        img_resolution: int,
        img_channels: int,
        channel_base: int,
        channel_max: int,
        num_fp16_res: int,
        conv_clamp: float | None,
    ) -> None:
        super().__init__()
        self.record_init(
            w_dim=w_dim,
            img_resolution=img_resolution,
            img_channels=img_channels,
            channel_base=channel_base,
            channel_max=channel_max,
            num_fp16_res=num_fp16_res,
            conv_clamp=conv_clamp,
        )
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_resolution_log2 = int(np.log2(img_resolution))
        self.img_channels = img_channels
        self.block_resolutions = [2**i for i in range(2, self.img_resolution_log2 + 1)]
        fp16_resolution = max(2 ** (self.img_resolution_log2 + 1 - num_fp16_res), 8)
        self.num_ws = 0
        for res in self.block_resolutions:
            in_channels = channels_for(res // 2, channel_base, channel_max) if res > 4 else 0
            out_channels = channels_for(res, channel_base, channel_max)
            is_last = res == img_resolution
            block = SynthesisBlock(
                gen,
                in_channels,
                out_channels,
                w_dim,
                res,
                img_channels,
                is_last,
                use_fp16=res >= fp16_resolution,
                conv_clamp=conv_clamp,
            )
            self.num_ws += block.num_conv + (block.num_torgb if is_last else 0)
            setattr(self, f"b{res}", block)


class Generator(Persistent):
    class_name = "Generator"

    def __init__(self, gen: torch.Generator, init_kwargs: dict[str, Any]) -> None:
        super().__init__()
        self.record_init(**init_kwargs)
        self.z_dim = init_kwargs["z_dim"]
        self.c_dim = init_kwargs["c_dim"]
        self.w_dim = init_kwargs["w_dim"]
        self.img_resolution = init_kwargs["img_resolution"]
        self.img_channels = init_kwargs["img_channels"]
        synthesis = _synthesis_arguments(init_kwargs)
        self.synthesis = SynthesisNetwork(
            gen, self.w_dim, self.img_resolution, self.img_channels, **synthesis
        )
        self.num_ws = self.synthesis.num_ws
        mapping = {
            key: value
            for key, value in init_kwargs["mapping_kwargs"].items()
            if key in ("num_layers", "lr_multiplier", "w_avg_beta")
        }
        self.mapping = MappingNetwork(
            gen, self.z_dim, self.c_dim, self.w_dim, self.num_ws, **mapping
        )


# Arguments that the writers may record with their default value only.
_DEFAULTS = {
    "architecture": "skip",
    "resample_filter": FILTER_TAPS,
    "use_noise": True,
    "activation": "lrelu",
    "fused_modconv_default": "inference_only",
    "embed_features": None,
    "layer_features": None,
}
_GENERATOR_OWN = ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs")


def _synthesis_arguments(init_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The synthesis network's arguments, nested (ada-pytorch) or flat (stylegan3 repo)."""
    arguments = dict(init_kwargs.get("synthesis_kwargs", {}))
    arguments.update(
        (key, value)
        for key, value in init_kwargs.items()
        if key not in _GENERATOR_OWN and key != "synthesis_kwargs"
    )
    for key, default in _DEFAULTS.items():
        assert arguments.pop(key, default) == default, key
    return arguments


class Conv2dLayer(Persistent):
    class_name = "Conv2dLayer"

    def __init__(
        self,
        gen: torch.Generator,
        in_ch: int,
        out_ch: int,
        kernel: int,
        down: int,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.record_init(in_ch, out_ch, kernel_size=kernel, bias=bias, down=down)
        self.activation = "lrelu"
        self.up = 1
        self.down = down
        self.conv_clamp = None
        self.register_buffer("resample_filter", _filter())
        self.padding = kernel // 2
        self.weight_gain = 1 / np.sqrt(in_ch * kernel**2)
        self.act_gain = SQRT2
        self.weight = _frozen(torch.randn([out_ch, in_ch, kernel, kernel], generator=gen))
        # Without a bias NVlabs sets `self.bias = None`: an attribute, not a parameter.
        self.bias = _frozen(0.1 * torch.randn([out_ch], generator=gen)) if bias else None


class DiscriminatorBlock(Persistent):
    class_name = "DiscriminatorBlock"

    def __init__(self, gen: torch.Generator, in_ch: int, out_ch: int, resolution: int) -> None:
        super().__init__()
        self.record_init(in_ch, in_ch or out_ch, out_ch, resolution=resolution)
        self.in_channels = in_ch
        self.resolution = resolution
        self.architecture = "resnet"
        self.use_fp16 = False
        self.register_buffer("resample_filter", _filter())
        tmp = in_ch or out_ch
        if in_ch == 0:
            self.fromrgb = Conv2dLayer(gen, 3, tmp, 1, 1)
        self.conv0 = Conv2dLayer(gen, tmp, tmp, 3, 1)
        self.conv1 = Conv2dLayer(gen, tmp, out_ch, 3, 2)
        self.skip = Conv2dLayer(gen, tmp, out_ch, 1, 2, bias=False)


class Discriminator(Persistent):
    """Enough of NVlabs' Discriminator for the snapshot to have a realistic 'D' entry."""

    class_name = "Discriminator"

    def __init__(self, gen: torch.Generator, resolution: int, channels: int) -> None:
        super().__init__()
        self.record_init(c_dim=0, img_resolution=resolution, img_channels=3)
        self.img_resolution = resolution
        self.block_resolutions = [2**i for i in range(int(np.log2(resolution)), 2, -1)]
        for index, res in enumerate(self.block_resolutions):
            setattr(
                self,
                f"b{res}",
                DiscriminatorBlock(gen, 0 if index == 0 else channels, channels, res),
            )
        self.b4 = DiscriminatorEpilogue(gen, channels)


class MinibatchStdLayer(Persistent):
    class_name = "MinibatchStdLayer"

    def __init__(self, group_size: int = 4, num_channels: int = 1) -> None:
        super().__init__()
        self.record_init(group_size=group_size, num_channels=num_channels)
        self.group_size = group_size
        self.num_channels = num_channels


class DiscriminatorEpilogue(Persistent):
    class_name = "DiscriminatorEpilogue"

    def __init__(self, gen: torch.Generator, channels: int) -> None:
        super().__init__()
        self.record_init(channels, cmap_dim=0, resolution=4, img_channels=3)
        self.in_channels = channels
        self.cmap_dim = 0
        self.resolution = 4
        self.architecture = "resnet"
        self.mbstd = MinibatchStdLayer()
        self.conv = Conv2dLayer(gen, channels + 1, channels, 3, 1)
        self.fc = FullyConnectedLayer(gen, channels * 16, channels, activation="lrelu")
        self.out = FullyConnectedLayer(gen, channels, 1)


class AugmentPipe(Persistent):
    class_name = "AugmentPipe"

    def __init__(self) -> None:
        super().__init__()
        self.record_init(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1)
        self.register_buffer("p", torch.zeros([]))
        self.xflip = 1.0
        self.rotate90 = 1.0
        self.register_buffer("Hz_geom", torch.randn([12]))


# ----------------------------------------------------------------------------------------
# Writers.


LAYOUTS = ("ada", "ada-converted", "stylegan3-repo")


def generator_init_kwargs(
    *,
    resolution: int,
    c_dim: int,
    num_fp16_res: int,
    conv_clamp: float | None,
    channel_base: int,
    channel_max: int,
    z_dim: int,
    w_dim: int,
    mapping_layers: int,
    layout: str = "ada",
) -> EasyDict:
    """G's constructor arguments as each origin records them (EasyDicts inside).

    'ada': stylegan2-ada-pytorch's train.py. 'ada-converted': its legacy.py converting a
    TensorFlow network (every mapping and synthesis argument spelled out, as in NVlabs'
    published pickles). 'stylegan3-repo': the StyleGAN2 config of the stylegan3
    repository, whose Generator takes the synthesis arguments flat.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    mapping = EasyDict(num_layers=mapping_layers)
    synthesis = EasyDict(
        channel_base=channel_base,
        channel_max=channel_max,
        num_fp16_res=num_fp16_res,
        conv_clamp=conv_clamp,
    )
    if layout == "ada-converted":
        mapping.update(
            embed_features=None,
            layer_features=None,
            activation="lrelu",
            lr_multiplier=0.01,
            w_avg_beta=0.995,
        )
        synthesis.update(
            architecture="skip",
            resample_filter=[1, 3, 3, 1],  # as legacy.py records it
            use_noise=True,
            activation="lrelu",
        )
    common = EasyDict(z_dim=z_dim, w_dim=w_dim, mapping_kwargs=mapping)
    if layout == "stylegan3-repo":
        common.update(synthesis, fused_modconv_default="inference_only")
    else:
        common.update(synthesis_kwargs=synthesis)
    common.update(c_dim=c_dim, img_resolution=resolution, img_channels=3)
    return common


def write_nvlabs_pickle(
    path: Path,
    *,
    resolution: int = 32,
    c_dim: int = 0,
    num_fp16_res: int = 0,
    conv_clamp: float | None = None,
    channel_base: int = 512,
    channel_max: int = 64,
    z_dim: int = 32,
    w_dim: int = 32,
    mapping_layers: int = 2,
    seed: int = 0,
    include_g_ema: bool = True,
    layout: str = "ada",
    protocol: int = pickle.DEFAULT_PROTOCOL,
) -> dict[str, torch.Tensor]:
    """Writes a snapshot pickle with random weights; returns G_ema's state_dict (or G's).

    `layout` picks how the constructor arguments are recorded (see generator_init_kwargs);
    `protocol` the pickle protocol (Python 3.7, which NVlabs' code targeted, wrote 3).
    The defaults keep a 32 px network small (64 channels at most) so tests stay fast;
    pass channel_base=32768, channel_max=512, z_dim=w_dim=512, mapping_layers=8 for the
    real proportions.
    """
    gen = torch.Generator().manual_seed(seed)
    with stand_in_modules():
        init_kwargs = generator_init_kwargs(
            resolution=resolution,
            c_dim=c_dim,
            num_fp16_res=num_fp16_res,
            conv_clamp=conv_clamp,
            channel_base=channel_base,
            channel_max=channel_max,
            z_dim=z_dim,
            w_dim=w_dim,
            mapping_layers=mapping_layers,
            layout=layout,
        )
        G = Generator(gen, init_kwargs).eval()
        G_ema = Generator(gen, init_kwargs).eval()
        snapshot: dict[str, Any] = {
            "G": G,
            "D": Discriminator(gen, resolution, channel_max).eval(),
            "augment_pipe": AugmentPipe(),
            "training_set_kwargs": EasyDict(
                class_name="training.dataset.ImageFolderDataset",
                path="~/datasets/faces.zip",
                use_labels=c_dim > 0,
                max_size=70000,
                xflip=False,
                resolution=resolution,
            ),
        }
        if include_g_ema:
            snapshot["G_ema"] = G_ema
        _dump(path, snapshot, protocol)
    written = G_ema if include_g_ema else G
    return {name: tensor.detach().clone() for name, tensor in written.state_dict().items()}


def _dump(path: Path, obj: Any, protocol: int = pickle.DEFAULT_PROTOCOL) -> None:
    with path.open("wb") as handle:
        pickle.dump(obj, handle, protocol=protocol)


def write_tensorflow_pickle(path: Path) -> None:
    """A TensorFlow-era StyleGAN2 pickle: the tuple (G, D, Gs) of dnnlib.tflib Networks."""
    with stand_in_modules():
        variables = [("G_mapping/Dense0/weight", np.zeros([8, 8], dtype=np.float32))]
        networks = tuple(TFNetwork(name, variables) for name in ("G", "D", "Gs"))
        _dump(path, networks)


def _unicode(text: str) -> bytes:
    encoded = text.encode("utf-8")
    return b"X" + len(encoded).to_bytes(4, "little") + encoded


def _argument(value: str | list[str]) -> bytes:
    if isinstance(value, str):
        return _unicode(value)
    return b"](" + b"".join(_unicode(item) for item in value) + b"e"


def write_malicious_pickle(path: Path, module: str, name: str, *args: str | list[str]) -> None:
    """A snapshot-looking dict whose 'G_ema' entry calls `module.name(*args)` when unpickled.

    Written opcode by opcode so the file names the global exactly as an attacker would
    ('os.system', not the 'posix.system' that pickling os.system itself records).
    """
    call = (
        b"c"
        + module.encode()
        + b"\n"
        + name.encode()
        + b"\n"
        + b"("
        + b"".join(_argument(arg) for arg in args)
        + b"tR"
    )
    data = b"\x80\x02}" + _unicode("G_ema") + call + b"s."
    path.write_bytes(data)


def write_module_src_pickle(path: Path, module_src: str) -> dict[str, torch.Tensor]:
    """A valid snapshot whose persistent objects carry `module_src` (NVlabs would exec it)."""
    gen = torch.Generator().manual_seed(3)
    with stand_in_modules():
        init_kwargs = generator_init_kwargs(
            resolution=8,
            c_dim=0,
            num_fp16_res=0,
            conv_clamp=None,
            channel_base=64,
            channel_max=8,
            z_dim=8,
            w_dim=8,
            mapping_layers=1,
        )
        G_ema = Generator(gen, init_kwargs).eval()
        _module_src[0] = module_src
        try:
            _dump(path, {"G_ema": G_ema})
        finally:
            _module_src[0] = MODULE_SRC
    return {name: tensor.detach().clone() for name, tensor in G_ema.state_dict().items()}


def truncations(path: Path) -> Iterator[bytes]:
    """Prefixes of a valid pickle, from empty to one byte short."""
    data = path.read_bytes()
    step = max(1, len(data) // 64)
    yield from (data[:end] for end in range(0, len(data), step))
    yield data[:-1]


class PersistentCall:
    """Pickles as `_reconstruct_persistent_obj(meta)` with a hand-made meta."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta

    def __reduce__(self) -> tuple[Any, ...]:
        return (_persistence_function(), (self.meta,))


def write_persistent_pickle(path: Path, meta: dict[str, Any]) -> None:
    """A snapshot whose 'G_ema' is one persistent object described by `meta` as given."""
    with stand_in_modules():
        _dump(path, {"G_ema": PersistentCall(meta)})


def write_malicious_storage_pickle(path: Path, command: str) -> None:
    """A snapshot whose one tensor's storage bytes, loaded as torch does, run `command`.

    torch's own `_load_from_bytes` reads the bytes with `torch.load(weights_only=False)`,
    whose first step unpickles them: here that pickle calls `os.system(command)`.
    """
    payload = b"\x80\x02cos\nsystem\n(" + _unicode(command) + b"tR."
    tensor = (
        b"ctorch._utils\n_rebuild_tensor_v2\n("
        + b"ctorch.storage\n_load_from_bytes\n(B"
        + len(payload).to_bytes(4, "little")
        + payload
        + b"tR"
        + b"K\x00(K\x01t(K\x01t\x89ccollections\nOrderedDict\n)R"
        + b"tR"
    )
    path.write_bytes(b"\x80\x02}" + _unicode("G_ema") + tensor + b"s.")


def write_single_network_pickle(path: Path) -> dict[str, torch.Tensor]:
    """A file holding one pickled Generator rather than a snapshot dict."""
    gen = torch.Generator().manual_seed(4)
    with stand_in_modules():
        init_kwargs = generator_init_kwargs(
            resolution=8,
            c_dim=0,
            num_fp16_res=0,
            conv_clamp=None,
            channel_base=64,
            channel_max=8,
            z_dim=8,
            w_dim=8,
            mapping_layers=1,
        )
        network = Generator(gen, init_kwargs).eval()
        _dump(path, network)
    return {name: tensor.detach().clone() for name, tensor in network.state_dict().items()}
