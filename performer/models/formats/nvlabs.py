"""Reads NVlabs StyleGAN2 and StyleGAN3 pickles without running any code they carry.

Their snapshots (`network-snapshot-*.pkl`, both repositories) are a plain pickle of
`dict(G, D, G_ema, augment_pipe, training_set_kwargs)`. Each network object is stored as a
call to `torch_utils.persistence._reconstruct_persistent_obj(meta)`, and their own loader
`exec`s the Python source in `meta['module_src']` to rebuild the class. We never do that:
a restricted unpickler resolves only an explicit allow-list of globals, maps the
persistence call to a function that keeps `meta['state']` (the module's `__dict__`) as
data, and loads tensor storages through `torch.load(weights_only=True)`. Anything else
named in the file is refused with the global's name, before it could be imported or called.

The network's state is then walked into names exactly as `G_ema.state_dict()` would give
them, plus its constructor arguments and plain attributes, so performer's own generator
can be built from them.
"""

from __future__ import annotations

import collections
import importlib
import io
import logging
import math
import mmap
import pickle
import pickletools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn, cast

import numpy as np
import torch

from performer.models.base import ModelError

__all__ = ["NVlabsCheckpoint", "read_nvlabs_pickle"]

log = logging.getLogger(__name__)

# The class of StyleGAN3's synthesis input (Fourier features): its presence marks the family.
_STYLEGAN3_INPUT = "SynthesisInput"
# numpy dtype kinds a scalar may have: bool, signed/unsigned int, float, complex.
_SCALAR_KINDS = frozenset("biufc")
# Opcodes that store into the unpickler's memo, and the largest index a real snapshot
# needs (a few entries per tensor); larger ones only serve to make the memo table huge.
_MEMO_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_MAX_MEMO_INDEX = 1 << 22
_TENSORFLOW_MODULE = "dnnlib.tflib"
# The Generator's own constructor arguments; any others configure its synthesis network.
_GENERATOR_ARGUMENTS = frozenset(
    {
        "z_dim",
        "c_dim",
        "w_dim",
        "img_resolution",
        "img_channels",
        "mapping_kwargs",
        "synthesis_kwargs",
    }
)
# Keys of an nn.Module `__dict__` that are bookkeeping rather than attributes.
_MODULE_BOOKKEEPING = frozenset({"training"})
# A real G_ema has about a hundred modules and shallow, small recorded values; these
# bounds are far above that and stop a crafted file from making the walk endless.
_MAX_MODULES = 10_000
_MAX_VALUE_NODES = 1 << 20
_MAX_VALUE_DEPTH = 64


@dataclass(frozen=True)
class NVlabsCheckpoint:
    """One network read from an NVlabs pickle, as data only.

    `init_kwargs` are the recorded constructor arguments as plain Python values; for a
    Generator, synthesis arguments are always nested under 'synthesis_kwargs' (the
    stylegan3 repository records them flat) and 'mapping_kwargs' is always present.
    `tensors` names every parameter and buffer as `network.state_dict()` would (floating
    tensors as float32 on the CPU); `attributes` holds each module's plain attributes by
    dotted path ('synthesis.b8.conv0.conv_clamp'); `class_names` maps each module's dotted
    path ('' for the network itself) to the class name the pickle recorded.
    """

    path: Path
    init_kwargs: dict[str, Any]
    tensors: dict[str, torch.Tensor]
    attributes: dict[str, Any]
    class_names: dict[str, str]
    family: str


class _Refused(Exception):
    """The file names something outside the allow-list; the message says what."""


@dataclass(frozen=True, slots=True)
class _PersistentObject:
    """What `_reconstruct_persistent_obj(meta)` becomes: the recorded class name and state."""

    class_name: str
    state: Mapping[str, Any]


class _EasyDict(dict):
    """Stand-in for `dnnlib.util.EasyDict` while unpickling; turned into a plain dict after."""

    __slots__ = ()


def _refuse(message: str) -> NoReturn:
    raise _Refused(message)


def _numpy_scalar_function() -> Callable[..., Any]:
    """numpy's own scalar rebuild function, from whichever module this numpy version has."""
    for module_name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        function: Callable[..., Any] = module.scalar
        return function
    raise ImportError("numpy has no multiarray.scalar")  # pragma: no cover


_numpy_scalar = _numpy_scalar_function()


def _scalar(dtype: object, data: object = None) -> Any:
    """numpy scalar rebuild limited to numeric dtypes and raw bytes (no object scalars)."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in _SCALAR_KINDS:
        _refuse(f"a numpy scalar of dtype {dtype!r}")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        _refuse("a numpy scalar whose payload is not raw bytes of its size")
    return _numpy_scalar(dtype, data)


def _dtype(spec: object, align: object = False, copy: object = False) -> np.dtype[Any]:
    """numpy.dtype limited to numeric type codes such as 'f8' (what scalars use)."""
    if not isinstance(spec, str) or len(spec) > 8:
        _refuse(f"numpy dtype {spec!r}")
    dtype = np.dtype(spec, align=bool(align), copy=bool(copy))
    if dtype.kind not in _SCALAR_KINDS:
        _refuse(f"numpy dtype {spec!r}")
    return dtype


class _NDArrayName:
    """What the name `numpy.ndarray` resolves to: a token `_ndarray` accepts, not the class,
    so a file cannot call `ndarray(shape)` to allocate an array of any size."""


_NDARRAY = _NDArrayName()


def _ndarray(cls: object, shape: object, typecode: object) -> np.ndarray:
    """numpy's array rebuild (`multiarray._reconstruct`), for plain ndarrays only.

    StyleGAN3 layers keep their sizes as small integer arrays. The unpickler then fills
    the empty array through `ndarray.__setstate__`, whose dtype comes through `_dtype`
    (numeric only), so no object array can be built.
    """
    if cls is not _NDARRAY or shape != (0,) or not isinstance(typecode, bytes):
        _refuse("a numpy array rebuild other than an empty ndarray")
    return np.ndarray.__new__(np.ndarray, (0,), np.uint8)


def _load_storage(payload: object) -> torch.storage.TypedStorage:
    """A tensor storage from its `torch.save` bytes, read in weights-only mode."""
    if not isinstance(payload, bytes):
        _refuse("a tensor storage that is not stored as bytes")
    try:
        storage = torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:
        # torch's weights-only loader refused something inside; its message would
        # suggest loading without that protection, so it is not repeated.
        raise ValueError(
            "corrupt or unsafe tensor storage (rejected in weights-only mode)"
        ) from None
    except Exception as error:
        raise ValueError(f"corrupt tensor storage ({_first_line(error)})") from None
    if not isinstance(storage, torch.storage.TypedStorage):
        _refuse(f"a tensor storage payload holding {type(storage).__name__}")
    return storage


def _rebuild_tensor(
    storage: object,
    storage_offset: object,
    size: object,
    stride: object,
    requires_grad: object = False,
    backward_hooks: object = None,
    metadata: object = None,
) -> torch.Tensor:
    """A tensor view of a storage; hooks and metadata are dropped, never attached."""
    if not isinstance(storage, torch.storage.TypedStorage):
        _refuse("a tensor rebuilt from something that is not a storage")
    if not isinstance(storage_offset, int) or not _int_tuple(size) or not _int_tuple(stride):
        _refuse("a tensor with a malformed offset, size or stride")
    shape, steps = cast(tuple[int, ...], size), cast(tuple[int, ...], stride)
    if storage_offset < 0 or any(item < 0 for item in (*shape, *steps)):
        raise ValueError("a tensor with a negative offset, size or stride")
    # Overlapping strides (0 above all) could make a one-element storage look like a huge
    # tensor; a real tensor never has more elements than the storage it views.
    elements = math.prod(shape)
    if elements > storage.size() - storage_offset:
        raise ValueError(f"a tensor of {elements} elements viewing a storage of {storage.size()}")
    tensor: torch.Tensor = torch._utils._rebuild_tensor(storage, storage_offset, size, stride)
    return tensor


def _int_tuple(value: object) -> bool:
    return isinstance(value, tuple) and all(isinstance(item, int) for item in value)


def _rebuild_parameter(data: object, *_ignored: object) -> torch.Tensor:
    """A parameter becomes its plain tensor: we only read its values."""
    if not isinstance(data, torch.Tensor):
        _refuse("a parameter whose data is not a tensor")
    return data


def _reconstruct_persistent(meta: object) -> _PersistentObject:
    """Keeps a persistent object's recorded class name and state; never runs module_src."""
    if not isinstance(meta, dict):
        _refuse("a persistent object whose description is not a dict")
    if meta.get("type") != "class":
        _refuse(f"a persistent object of type {meta.get('type')!r} (only 'class' is read)")
    class_name = meta.get("class_name")
    state = meta.get("state")
    if not isinstance(class_name, str) or not isinstance(state, dict):
        _refuse("a persistent object without a class name and state")
    return _PersistentObject(class_name, state)


def _encode(text: object, encoding: object = "latin1") -> bytes:
    """`_codecs.encode`, which protocol-2 pickles use to store bytes."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        _refuse("_codecs.encode other than latin1 text to bytes")
    return text.encode("latin1")


# Every global a StyleGAN2-ADA or StyleGAN3 snapshot may name, and what it becomes here.
_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "set"): set,  # protocol 2 writes Python 2's module names
    ("__builtin__", "frozenset"): frozenset,
    ("_codecs", "encode"): _encode,
    ("dnnlib.util", "EasyDict"): _EasyDict,
    ("numpy", "dtype"): _dtype,
    ("numpy.core.multiarray", "scalar"): _scalar,
    ("numpy._core.multiarray", "scalar"): _scalar,
    ("numpy.core.multiarray", "_reconstruct"): _ndarray,
    ("numpy._core.multiarray", "_reconstruct"): _ndarray,
    ("numpy", "ndarray"): _NDARRAY,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch.storage", "_load_from_bytes"): _load_storage,
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the allow-list; imports nothing the file names."""

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith(_TENSORFLOW_MODULE):
            raise _TensorFlowPickle(f"{module}.{name}")
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            _refuse(f"global '{module}.{name}'")
        return allowed

    def persistent_load(self, pid: Any) -> NoReturn:
        _refuse("a persistent id (this is not a plain pickle)")


class _TensorFlowPickle(Exception):
    """The file is a TensorFlow-era pickle (dnnlib.tflib)."""


def read_nvlabs_pickle(path: Path, network: str = "G_ema") -> NVlabsCheckpoint:
    """Reads one network (default `G_ema`, else `G`) of an NVlabs pickle, as data.

    A file holding a single pickled network instead of a snapshot dict gives that network.
    Raises ModelError with a one-line message naming the file for anything that is not a
    readable StyleGAN2 or StyleGAN3 PyTorch pickle.
    """
    path = Path(path)
    data = _unpickle(path)
    walk = _Walk(path)
    try:
        root = _select_network(path, data, network)
        walk.module(root, "")
        init_kwargs = walk.plain(root.state.get("_init_kwargs", {}))
        if not isinstance(init_kwargs, dict):
            raise ModelError(f"{path}: the network's constructor arguments are not a dict")
        if root.class_name == "Generator":
            init_kwargs = _nest_synthesis_kwargs(init_kwargs)
    except ModelError:
        raise
    except Exception as error:  # a hand-made state can have any shape
        raise ModelError(f"{path}: malformed network state ({_first_line(error)})") from None
    return NVlabsCheckpoint(
        path=path,
        init_kwargs=init_kwargs,
        tensors=walk.tensors,
        attributes=walk.attributes,
        class_names=walk.class_names,
        family=_family(walk.class_names),
    )


def _unpickle(path: Path) -> object:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ModelError(f"model file not found: {path}") from None
    except OSError as error:
        raise ModelError(f"cannot open model file {path}: {error.strerror or error}") from None
    with handle:
        try:
            # Mapped, not read: the unpickler's reads are bounded by the file's real size,
            # so a forged length field cannot make it allocate more than the file holds.
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:
            raise ModelError(f"{path} is empty") from None
        except OSError as error:
            raise ModelError(f"cannot read model file {path}: {error.strerror or error}") from None
    with data:
        _scan(path, data)
        data.seek(0)
        return _load(path, data)


def _scan(path: Path, data: mmap.mmap) -> None:
    """Reads the opcodes once without building anything, to reject a file before loading.

    Catches what the loader cannot see in time or at all: a TensorFlow-era pickle (its
    globals may come after others), and memo indices so large that the unpickler would
    allocate gigabytes for its memo table.
    """
    try:
        for opcode, argument, _position in pickletools.genops(cast(IO[bytes], data)):
            if opcode.name in _MEMO_PUTS and isinstance(argument, int):
                if argument > _MAX_MEMO_INDEX:
                    raise ModelError(f"{path} is not a readable pickle: memo index {argument}")
            elif isinstance(argument, str) and argument.startswith(_TENSORFLOW_MODULE):
                raise ModelError(_tensorflow_message(path))
    except ModelError:
        raise
    except Exception as error:
        message = str(error)
        if "exhausted" in message or "remain" in message:
            raise ModelError(f"{path} is truncated: the pickle ends early") from None
        raise ModelError(f"{path} is not a readable pickle: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    """An exception as one short line, for a message that must stay on one line."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _tensorflow_message(path: Path) -> str:
    return (
        f"{path} is a TensorFlow StyleGAN2 pickle: convert it to PyTorch first "
        "(stylegan2-ada-pytorch legacy.py) — performer does not run TensorFlow"
    )


def _load(path: Path, data: mmap.mmap) -> object:
    with warnings.catch_warnings():
        # Rebuilding tensors goes through TypedStorage, which torch flags as deprecated.
        warnings.simplefilter("ignore", UserWarning)
        try:
            return _RestrictedUnpickler(data).load()
        except _Refused as refusal:
            raise ModelError(
                f"refused {refusal} in {path}: a StyleGAN pickle needs nothing else, "
                "and performer never runs code from a model file"
            ) from None
        except _TensorFlowPickle:
            raise ModelError(_tensorflow_message(path)) from None
        except EOFError:
            raise ModelError(f"{path} is truncated: the pickle ends early") from None
        except RecursionError:
            raise ModelError(f"{path} is not a readable pickle: nested too deeply") from None
        except Exception as error:
            raise ModelError(
                f"{path} is not a readable model pickle: {_first_line(error)}"
            ) from None


def _select_network(path: Path, data: object, network: str) -> _PersistentObject:
    if isinstance(data, _PersistentObject):
        log.info("%s holds a single network (%s), not a snapshot dict", path, data.class_name)
        return data
    if not isinstance(data, dict):
        raise ModelError(f"{path} does not hold a StyleGAN snapshot dict ({type(data).__name__})")
    chosen = network
    if chosen not in data and network == "G_ema" and "G" in data:
        log.warning("%s has no 'G_ema'; using 'G' (the non-averaged generator)", path)
        chosen = "G"
    if chosen not in data:
        keys = ", ".join(sorted(repr(key) for key in data)) or "none"
        raise ModelError(f"{path} has no network {network!r} (keys: {keys})")
    value = data[chosen]
    if not isinstance(value, _PersistentObject):
        raise ModelError(f"{path}: {chosen!r} is not a network object ({type(value).__name__})")
    return value


def _family(class_names: Mapping[str, str]) -> str:
    """'stylegan3' when the synthesis network starts from Fourier features, else 'stylegan2'."""
    return "stylegan3" if class_names.get("synthesis.input") == _STYLEGAN3_INPUT else "stylegan2"


def _modules(obj: _PersistentObject) -> Mapping[str, Any]:
    modules = obj.state.get("_modules", {})
    return modules if isinstance(modules, Mapping) else {}


class _Walk:
    """Collects tensors, attributes and class names of a module tree, state_dict style."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tensors: dict[str, torch.Tensor] = {}
        self.attributes: dict[str, Any] = {}
        self.class_names: dict[str, str] = {}
        self._seen: set[int] = set()
        # Every element of a real tensor occupies at least one byte of the file, so more
        # elements than bytes means views sharing storage (a crafted file), not weights.
        self._element_budget = path.stat().st_size
        self._elements = 0
        self._plain_done: dict[int, Any] = {}
        self._plain_nodes = 0

    def module(self, obj: _PersistentObject, prefix: str) -> None:
        if id(obj) in self._seen:
            raise ModelError(f"{self.path}: module {prefix!r} appears twice in the network")
        if len(self._seen) >= _MAX_MODULES:
            raise ModelError(f"{self.path}: more than {_MAX_MODULES} modules in the network")
        self._seen.add(id(obj))
        self.class_names[prefix] = obj.class_name
        state = obj.state
        non_persistent = state.get("_non_persistent_buffers_set") or set()
        self._tensors(prefix, state.get("_parameters"), "_parameters", set())
        self._tensors(prefix, state.get("_buffers"), "_buffers", set(non_persistent))
        for name, child in self._table(prefix, state.get("_modules"), "_modules").items():
            if child is None:
                continue
            if not isinstance(child, _PersistentObject):
                raise ModelError(
                    f"{self.path}: module {_join(prefix, name)!r} is not a network object"
                )
            self.module(child, _join(prefix, name))
        for key, value in state.items():
            if key.startswith("_") or key in _MODULE_BOOKKEEPING:
                continue
            self.attributes[_join(prefix, key)] = self.plain(value)

    def _table(self, prefix: str, table: object, what: str) -> Mapping[str, Any]:
        if table is None:
            return {}
        if not isinstance(table, Mapping) or not all(isinstance(key, str) for key in table):
            raise ModelError(f"{self.path}: {what} of module {prefix or 'root'!r} is malformed")
        return table

    def _tensors(self, prefix: str, table: object, what: str, skip: set[Any]) -> None:
        for name, tensor in self._table(prefix, table, what).items():
            if tensor is None or name in skip:
                continue
            full = _join(prefix, name)
            if not isinstance(tensor, torch.Tensor):
                raise ModelError(f"{self.path}: {full!r} is not a tensor")
            self._elements += tensor.numel()
            if self._elements > self._element_budget:
                raise ModelError(
                    f"{self.path}: its tensors hold more elements than the file has bytes "
                    f"({self._element_budget}); tensors sharing storage are not weights"
                )
            tensor = tensor.detach()
            if tensor.is_floating_point():
                tensor = tensor.to(torch.float32)
            self.tensors[full] = tensor.contiguous()

    def plain(self, value: Any, depth: int = 0) -> Any:
        """Recorded values as plain Python: dicts, lists, numbers, strings (numpy unwrapped).

        A value the pickle shares through its memo is converted once and shared again:
        copying it at every use would let a small file describe an exponential tree.
        """
        if not isinstance(value, (Mapping, tuple, list)):
            return _plain_leaf(value)
        done = self._plain_done.get(id(value))
        if done is not None:
            return done[1]
        if depth >= _MAX_VALUE_DEPTH:
            raise ModelError(f"{self.path}: a recorded value is nested too deeply")
        self._plain_nodes += 1
        if self._plain_nodes > _MAX_VALUE_NODES:
            raise ModelError(f"{self.path}: recorded values hold too many items")
        result: Any
        if isinstance(value, Mapping):
            result = {key: self.plain(item, depth + 1) for key, item in value.items()}
        elif isinstance(value, tuple):
            result = tuple(self.plain(item, depth + 1) for item in value)
        else:
            result = [self.plain(item, depth + 1) for item in value]
        # The original is kept with its result so that its id cannot be reused meanwhile.
        self._plain_done[id(value)] = (value, result)
        return result


def _nest_synthesis_kwargs(init_kwargs: dict[str, Any]) -> dict[str, Any]:
    """One layout for both repositories' StyleGAN2 Generator arguments.

    stylegan2-ada-pytorch records `synthesis_kwargs={...}`; the StyleGAN2 Generator of the
    stylegan3 repository takes them as `**synthesis_kwargs`, so they sit at the top level.
    Everything that is not one of the Generator's own arguments is moved into
    `synthesis_kwargs`, where the ada-pytorch layout has it.
    """
    nested = dict(init_kwargs)
    recorded = nested.get("synthesis_kwargs") or {}
    if not isinstance(recorded, dict):
        raise TypeError("synthesis_kwargs is not a dict")
    synthesis = dict(recorded)
    for key in [key for key in nested if key not in _GENERATOR_ARGUMENTS]:
        synthesis[key] = nested.pop(key)
    nested["synthesis_kwargs"] = synthesis
    nested.setdefault("mapping_kwargs", {})
    return nested


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _plain_leaf(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, _PersistentObject):
        return f"<{value.class_name}>"
    return value
