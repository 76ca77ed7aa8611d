"""Small crafted pickles must not cost memory or time out of proportion to their size.

Each file here is a few hundred bytes to a megabyte, written with the pickle module (and
opcodes where the shape matters), and describes something huge: a tensor view larger than
its storage, many views of one storage, a value tree shared through the memo, thousands
of modules. Each must be refused with one line naming the file, or read in linear time.
"""

from __future__ import annotations

import collections
import io
import pickle
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from performer.models.base import ModelError
from performer.models.formats.nvlabs import read_nvlabs_pickle
from tests.models import nvlabs_fixtures as fixtures


class _Storage:
    """Pickles as torch does a storage: `torch.storage._load_from_bytes(payload)`."""

    def __init__(self, elements: int) -> None:
        buffer = io.BytesIO()
        with warnings.catch_warnings():  # TypedStorage is deprecated, and what NVlabs saved
            warnings.simplefilter("ignore", UserWarning)
            storage = torch.zeros(elements).storage()
        torch.save(storage, buffer, _use_new_zipfile_serialization=False)
        self.payload = buffer.getvalue()

    def __reduce__(self) -> tuple[Any, ...]:
        return (torch.storage._load_from_bytes, (self.payload,))


class _Tensor:
    """Pickles as `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, ...)`."""

    def __init__(self, storage: _Storage, size: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.size, self.stride = storage, size, stride

    def __reduce__(self) -> tuple[Any, ...]:
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, 0, self.size, self.stride, False, collections.OrderedDict()))


def write_generator(path: Path, state: dict[str, Any], protocol: int = 2) -> None:
    """A snapshot whose G_ema is one persistent Generator with `state` as its __dict__."""
    with fixtures.stand_in_modules():
        meta = {"type": "class", "version": 1, "module_src": "", "class_name": "Generator",
                "state": state}
        with path.open("wb") as handle:
            pickle.dump({"G_ema": fixtures.PersistentCall(meta)}, handle, protocol=protocol)


def refused(path: Path, match: str) -> str:
    started = time.perf_counter()
    with pytest.raises(ModelError, match=match) as raised:
        read_nvlabs_pickle(path)
    # Only a guard against reading the whole hostile structure (minutes): speed figures
    # belong in `performer bench`, and this machine is shared.
    assert time.perf_counter() - started < 60
    message = str(raised.value)
    assert str(path) in message and "\n" not in message
    return message


def test_a_stride_0_view_larger_than_its_storage_is_refused(tmp_path: Path) -> None:
    # 100 million float32 elements (400 MB once made contiguous) from a one-element storage.
    path = tmp_path / "stride0.pkl"
    write_generator(path, {"_parameters": {"p": _Tensor(_Storage(1), (10**8,), (0,))}})
    assert path.stat().st_size < 2000
    refused(path, r"a tensor of 100000000 elements viewing a storage of 1\b")


def test_a_strided_view_within_its_storage_still_loads(tmp_path: Path) -> None:
    # Every other element of a 6-element storage: a view no larger than its storage.
    path = tmp_path / "strided.pkl"
    write_generator(path, {"_parameters": {"p": _Tensor(_Storage(6), (3,), (2,))}})
    assert read_nvlabs_pickle(path).tensors["p"].shape == (3,)


def test_many_views_of_one_storage_cannot_outgrow_the_file(tmp_path: Path) -> None:
    # Each view is as large as the storage (legal alone); 200 of them share it through the
    # memo, so 800 KB of float32 would be materialised from a file of about 17 KB.
    path = tmp_path / "shared.pkl"
    storage = _Storage(1024)
    views = {f"p{i}": _Tensor(storage, (1024,), (1,)) for i in range(200)}
    write_generator(path, {"_parameters": views})
    size = path.stat().st_size
    assert size < 200 * 1024
    refused(path, rf"more elements than the file has bytes \({size}\)")


def test_a_value_shared_through_the_memo_is_converted_once(tmp_path: Path) -> None:
    # x = [x, x] forty times: 2**40 leaves if copied at every use, 41 lists if shared.
    value: list[Any] = [0]
    for _ in range(40):
        value = [value, value]
    path = tmp_path / "dag.pkl"
    write_generator(path, {"_init_kwargs": {"z_dim": 8, "blob": value}, "blob": value})
    assert path.stat().st_size < 2000
    started = time.perf_counter()
    checkpoint = read_nvlabs_pickle(path)
    assert time.perf_counter() - started < 5
    blob = checkpoint.attributes["blob"]
    for _ in range(40):
        assert blob[0] is blob[1]
        blob = blob[0]
    assert blob == [0]


def test_a_value_nested_too_deeply_is_refused(tmp_path: Path) -> None:
    value: list[Any] = []
    for _ in range(100):
        value = [value]
    path = tmp_path / "deep.pkl"
    write_generator(path, {"blob": value})
    refused(path, "a recorded value is nested too deeply")


def test_too_many_recorded_values_are_refused(tmp_path: Path) -> None:
    # About 1.1 million distinct empty lists, one byte each: EMPTY_LIST per item in a list.
    body = b"(" + b"]" * 1_100_000 + b"l"
    state = b"}" + b"X\x04\x00\x00\x00blob" + body + b"s"
    meta = (b"}" + b"X\x04\x00\x00\x00type" + b"X\x05\x00\x00\x00class" + b"s"
            + b"X\x0a\x00\x00\x00class_name" + b"X\x09\x00\x00\x00Generator" + b"s"
            + b"X\x05\x00\x00\x00state" + state + b"s")
    call = b"ctorch_utils.persistence\n_reconstruct_persistent_obj\n(" + meta + b"tR"
    path = tmp_path / "wide-values.pkl"
    path.write_bytes(b"\x80\x02}" + b"X\x05\x00\x00\x00G_ema" + call + b"s.")
    refused(path, "recorded values hold too many items")


def test_more_modules_than_any_generator_has_are_refused(tmp_path: Path) -> None:
    with fixtures.stand_in_modules():
        modules = {
            f"m{i}": fixtures.PersistentCall({"type": "class", "class_name": "X", "state": {}})
            for i in range(10_001)
        }
    path = tmp_path / "modules.pkl"
    write_generator(path, {"_modules": modules}, protocol=4)
    refused(path, "more than 10000 modules in the network")
