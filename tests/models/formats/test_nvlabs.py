"""NVlabs StyleGAN2-ADA pickles: read as data where their code does not exist, never run.

Every pickle here is written by `tests.models.nvlabs_fixtures` with NVlabs' structure
(persistent objects carrying module source, EasyDicts, numpy scalars, parameters) and read
back with the stand-in `torch_utils` / `dnnlib` modules gone. Malicious payloads are shown
to be live (plain `pickle` runs them, in a child process) and then shown not to run here.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from performer.models.base import ModelError
from performer.models.formats.nvlabs import read_nvlabs_pickle
from tests.helpers import wait_until
from tests.models import nvlabs_fixtures as fixtures

ROOT = Path(__file__).resolve().parents[3]

VARIANTS = [
    pytest.param(dict(resolution=32), id="32px-fp32-unconditional"),
    pytest.param(dict(resolution=32, c_dim=4, num_fp16_res=2, conv_clamp=256), id="32px-fp16-cond"),
    pytest.param(dict(resolution=64, num_fp16_res=4, conv_clamp=256), id="64px-fp16-clamp"),
    pytest.param(dict(resolution=64, c_dim=3, channel_base=1024, channel_max=32), id="64px-cond"),
]


def assert_no_stand_ins() -> None:
    for name in ("torch_utils", "torch_utils.persistence", "dnnlib", "dnnlib.util"):
        assert name not in sys.modules, f"{name} must not exist while loading"


@pytest.mark.parametrize("options", VARIANTS)
def test_every_tensor_comes_back_with_its_name_shape_and_values(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    path = tmp_path / "network-snapshot-000100.pkl"
    written = fixtures.write_nvlabs_pickle(path, **options)
    assert_no_stand_ins()

    checkpoint = read_nvlabs_pickle(path)

    assert checkpoint.path == path
    assert sorted(checkpoint.tensors) == sorted(written)
    for name, tensor in written.items():
        loaded = checkpoint.tensors[name]
        assert loaded.dtype == torch.float32 and loaded.device.type == "cpu"
        assert torch.equal(loaded, tensor), name
    assert_no_stand_ins()


def test_names_are_those_of_nvlabs_state_dict(tmp_path: Path) -> None:
    # Literal names of an 8 px conditional Generator(mapping_kwargs={'num_layers': 2}) in
    # stylegan2-ada-pytorch, written out by hand from training/networks.py.
    path = tmp_path / "g.pkl"
    fixtures.write_nvlabs_pickle(path, resolution=8, c_dim=2, mapping_layers=2)
    layer = [
        "resample_filter",
        "affine.weight",
        "affine.bias",
        "weight",
        "noise_const",
        "noise_strength",
        "bias",
    ]
    torgb = ["affine.weight", "affine.bias", "weight", "bias"]
    expected = (
        [f"mapping.{fc}.{p}" for fc in ("embed", "fc0", "fc1") for p in ("weight", "bias")]
        + ["mapping.w_avg", "synthesis.b4.const", "synthesis.b4.resample_filter"]
        + [f"synthesis.b4.conv1.{n}" for n in layer]
        + [f"synthesis.b4.torgb.{n}" for n in torgb]
        + ["synthesis.b8.resample_filter"]
        + [f"synthesis.b8.{conv}.{n}" for conv in ("conv0", "conv1") for n in layer]
        + [f"synthesis.b8.torgb.{n}" for n in torgb]
    )

    checkpoint = read_nvlabs_pickle(path)

    assert sorted(checkpoint.tensors) == sorted(expected)
    shapes = {name: tuple(tensor.shape) for name, tensor in checkpoint.tensors.items()}
    # channel_base 512, channel_max 64: 64 channels at 4 px and at 8 px; z = w = 32.
    assert shapes["mapping.embed.weight"] == (32, 2)
    assert shapes["mapping.fc0.weight"] == (32, 64)  # z_dim + embed_features
    assert shapes["synthesis.b4.const"] == (64, 4, 4)
    assert shapes["synthesis.b8.conv0.weight"] == (64, 64, 3, 3)
    assert shapes["synthesis.b8.conv0.noise_const"] == (8, 8)
    assert shapes["synthesis.b8.conv0.noise_strength"] == ()
    assert shapes["synthesis.b8.conv0.resample_filter"] == (4, 4)
    assert shapes["synthesis.b8.torgb.weight"] == (3, 64, 1, 1)
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
    assert torch.allclose(
        checkpoint.tensors["synthesis.b8.resample_filter"], torch.outer(taps, taps) / 64
    )


def test_constructor_arguments_are_plain_python(tmp_path: Path) -> None:
    path = tmp_path / "g.pkl"
    fixtures.write_nvlabs_pickle(path, resolution=32, c_dim=4, num_fp16_res=2, conv_clamp=256)

    init_kwargs = read_nvlabs_pickle(path).init_kwargs

    assert init_kwargs == {
        "z_dim": 32,
        "w_dim": 32,
        "c_dim": 4,
        "img_resolution": 32,
        "img_channels": 3,
        "mapping_kwargs": {"num_layers": 2},
        "synthesis_kwargs": {
            "channel_base": 512,
            "channel_max": 64,
            "num_fp16_res": 2,
            "conv_clamp": 256,
        },
    }
    assert type(init_kwargs) is dict
    assert type(init_kwargs["mapping_kwargs"]) is dict
    assert type(init_kwargs["synthesis_kwargs"]) is dict
    json.dumps(init_kwargs)  # nothing but plain values inside


def test_attributes_and_class_names_are_read_as_plain_values(tmp_path: Path) -> None:
    path = tmp_path / "g.pkl"
    fixtures.write_nvlabs_pickle(path, resolution=32, num_fp16_res=2, conv_clamp=256)

    checkpoint = read_nvlabs_pickle(path)
    attributes = checkpoint.attributes

    act_gain = attributes["synthesis.b8.conv0.act_gain"]
    assert type(act_gain) is float and act_gain == math.sqrt(2)  # was a numpy float64
    assert type(attributes["synthesis.b8.torgb.weight_gain"]) is float
    assert attributes["mapping.fc0.weight_gain"] == pytest.approx(0.01 / math.sqrt(32))
    assert attributes["mapping.fc0.bias_gain"] == 0.01
    assert attributes["synthesis.b8.conv0.conv_clamp"] == 256
    assert attributes["synthesis.b8.conv0.activation"] == "lrelu"
    assert attributes["synthesis.b8.conv0.up"] == 2
    assert attributes["synthesis.b8.conv1.up"] == 1
    assert attributes["synthesis.b32.architecture"] == "skip"
    assert attributes["synthesis.num_ws"] == 8
    assert attributes["synthesis.block_resolutions"] == [4, 8, 16, 32]
    # num_fp16_res=2: the two top resolutions run in fp16 (the weights are float32 anyway).
    assert [attributes[f"synthesis.b{r}.use_fp16"] for r in (4, 8, 16, 32)] == [
        False,
        False,
        True,
        True,
    ]
    assert checkpoint.class_names[""] == "Generator"
    assert checkpoint.class_names["synthesis"] == "SynthesisNetwork"
    assert checkpoint.class_names["synthesis.b8"] == "SynthesisBlock"
    assert checkpoint.class_names["synthesis.b8.conv0"] == "SynthesisLayer"
    assert checkpoint.class_names["synthesis.b8.torgb"] == "ToRGBLayer"
    assert checkpoint.class_names["mapping.fc1"] == "FullyConnectedLayer"


def test_without_conv_clamp_the_attribute_is_none(tmp_path: Path) -> None:
    path = tmp_path / "g.pkl"
    fixtures.write_nvlabs_pickle(path, resolution=32)
    attributes = read_nvlabs_pickle(path).attributes
    assert attributes["synthesis.b32.conv1.conv_clamp"] is None
    assert attributes["synthesis.b32.use_fp16"] is False


def test_loads_in_a_fresh_process_where_nvlabs_code_cannot_be_imported(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.pkl"
    written = fixtures.write_nvlabs_pickle(path, resolution=32, c_dim=2, conv_clamp=256)
    out = tmp_path / "tensors.pt"
    script = textwrap.dedent(
        f"""
        import importlib.util, sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        for name in ("torch_utils", "dnnlib", "training"):
            assert importlib.util.find_spec(name) is None, name
        import torch
        from performer.models.formats.nvlabs import read_nvlabs_pickle
        checkpoint = read_nvlabs_pickle(Path({str(path)!r}))
        leaked = [m for m in sys.modules if m.startswith(("torch_utils", "dnnlib", "_imported"))]
        assert not leaked, leaked
        torch.save(checkpoint.tensors, {str(out)!r})
        """
    )
    # -I: no PYTHONPATH, no user site, no current directory on the path.
    result = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    loaded = torch.load(out, weights_only=True)
    assert sorted(loaded) == sorted(written)
    assert all(torch.equal(loaded[name], tensor) for name, tensor in written.items())


def test_falls_back_to_g_when_there_is_no_g_ema(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "g-only.pkl"
    written = fixtures.write_nvlabs_pickle(path, include_g_ema=False)
    with caplog.at_level(logging.WARNING):
        checkpoint = read_nvlabs_pickle(path)
    assert "using 'G'" in caplog.text
    assert all(torch.equal(checkpoint.tensors[name], t) for name, t in written.items())


def test_g_ema_is_the_default_and_g_can_be_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.pkl"
    written = fixtures.write_nvlabs_pickle(path)
    ema = read_nvlabs_pickle(path)
    trained = read_nvlabs_pickle(path, network="G")
    weight = "synthesis.b8.conv0.weight"
    assert torch.equal(ema.tensors[weight], written[weight])
    assert not torch.equal(trained.tensors[weight], written[weight])
    with pytest.raises(ModelError, match=r"has no network 'D2'.*'G_ema'"):
        read_nvlabs_pickle(path, network="D2")


# ---------------------------------------------------------------------------------------
# Refused content. Each payload is also run by a plain unpickler in a child process, so
# "the file was not created" proves the refusal, not a broken payload.


def plain_unpickle_in_child(path: Path) -> subprocess.CompletedProcess[str]:
    script = f"import pickle; pickle.load(open({str(path)!r}, 'rb'))"
    return subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60
    )


# (module, name, arguments) of classic payloads; "{marker}" becomes the file each creates.
MALICIOUS_CALLS = [
    pytest.param("os", "system", ["touch {marker}"], id="os.system"),
    pytest.param("posix", "system", ["touch {marker}"], id="posix.system"),
    pytest.param("builtins", "eval", ["open('{marker}', 'w').close()"], id="eval"),
    pytest.param("builtins", "exec", ["open('{marker}', 'w').close()"], id="exec"),
    pytest.param("subprocess", "Popen", [["touch", "{marker}"]], id="subprocess.Popen"),
]


@pytest.mark.parametrize(("module", "name", "templates"), MALICIOUS_CALLS)
def test_a_malicious_reduce_is_refused_and_never_runs(
    tmp_path: Path, module: str, name: str, templates: list[Any]
) -> None:
    marker = tmp_path / "side-effect-happened"
    args = [_with_marker(template, marker) for template in templates]
    path = tmp_path / "evil.pkl"
    fixtures.write_malicious_pickle(path, module, name, *args)

    with pytest.raises(ModelError) as refused:
        read_nvlabs_pickle(path)
    message = str(refused.value)
    assert message.startswith(f"refused global '{module}.{name}' in {path}")
    assert "\n" not in message
    time.sleep(0.2)  # a spawned process would have had time to run
    assert not marker.exists()

    # The same file is a live payload for an unrestricted unpickler.
    plain_unpickle_in_child(path)
    wait_until(marker.exists, interval=0.05,
               what=f"the {module}.{name} payload to work in the control")


def _with_marker(template: Any, marker: Path) -> Any:
    if isinstance(template, list):
        return [_with_marker(item, marker) for item in template]
    return template.format(marker=marker)


def test_module_source_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "module-src-ran"
    source = f"open({str(marker)!r}, 'w').write('ran')\n"
    path = tmp_path / "snapshot.pkl"
    written = fixtures.write_module_src_pickle(path, source)
    assert source.encode() in path.read_bytes()

    checkpoint = read_nvlabs_pickle(path)

    assert sorted(checkpoint.tensors) == sorted(written)
    assert not marker.exists()
    # NVlabs' loader would exec this source; doing so does have the side effect.
    subprocess.run([sys.executable, "-I", "-c", source], check=True, timeout=60)
    assert marker.exists()


def test_an_unknown_global_among_real_ones_is_named(tmp_path: Path) -> None:
    path = tmp_path / "odd.pkl"
    fixtures.write_malicious_pickle(path, "torch.nn.modules.linear", "Linear", "x")
    with pytest.raises(ModelError, match=r"refused global 'torch\.nn\.modules\.linear\.Linear'"):
        read_nvlabs_pickle(path)


def test_a_persistent_object_that_is_not_a_class_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "function.pkl"
    fixtures.write_persistent_pickle(path, {"type": "function", "version": 6, "state": {}})
    with pytest.raises(ModelError, match=r"persistent object of type 'function'"):
        read_nvlabs_pickle(path)


def test_tensorflow_pickle_asks_for_conversion(tmp_path: Path) -> None:
    path = tmp_path / "stylegan2-ffhq-config-f.pkl"
    fixtures.write_tensorflow_pickle(path)
    with pytest.raises(ModelError) as refused:
        read_nvlabs_pickle(path)
    message = str(refused.value)
    assert str(path) in message
    assert "TensorFlow StyleGAN2 pickle: convert it to PyTorch first" in message
    assert "legacy.py" in message


# ---------------------------------------------------------------------------------------
# Broken files: one line naming the file, whatever the damage.


def assert_one_line_about(path: Path, error: ModelError) -> None:
    message = str(error)
    assert str(path) in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.pkl"
    with pytest.raises(ModelError, match="not found") as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pkl"
    path.write_bytes(b"")
    with pytest.raises(ModelError, match="empty") as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)


def test_a_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as raised:
        read_nvlabs_pickle(tmp_path)
    assert_one_line_about(tmp_path, raised.value)


def test_truncated_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "cut.pkl"
    fixtures.write_nvlabs_pickle(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelError, match="truncated") as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.pkl"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(ModelError) as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)


def test_a_pickle_that_is_not_a_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "list.pkl"
    path.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(ModelError, match="does not hold a StyleGAN snapshot") as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)


def test_a_dict_without_a_generator(tmp_path: Path) -> None:
    path = tmp_path / "dict.pkl"
    path.write_bytes(pickle.dumps({"D": None, "step": 3}))
    with pytest.raises(ModelError, match=r"no network 'G_ema' \(keys: 'D', 'step'\)"):
        read_nvlabs_pickle(path)


def test_a_huge_memo_index_is_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "memo.pkl"
    path.write_bytes(b"\x80\x04N" + b"r" + (1 << 31).to_bytes(4, "little") + b".")
    with pytest.raises(ModelError, match="memo index") as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)


@pytest.fixture(scope="module")
def valid_snapshot(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("valid") / "snapshot.pkl"
    fixtures.write_nvlabs_pickle(path, resolution=8, channel_base=64, channel_max=8)
    return path.read_bytes()


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def only_model_errors(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        read_nvlabs_pickle(path)
    except ModelError as error:
        assert_one_line_about(path, error)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes_only_ever_raise_model_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.pkl"
    path.write_bytes(data)
    with pytest.raises(ModelError) as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)


@FUZZ
@given(fraction=st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_every_truncation_raises_model_error(
    tmp_path: Path, valid_snapshot: bytes, fraction: float
) -> None:
    path = tmp_path / "cut.pkl"
    path.write_bytes(valid_snapshot[: int(len(valid_snapshot) * fraction)])
    with pytest.raises(ModelError) as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)


@FUZZ
@given(
    edits=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_corrupted_bytes_load_or_raise_model_error(
    tmp_path: Path, valid_snapshot: bytes, edits: list[tuple[float, int]]
) -> None:
    data = bytearray(valid_snapshot)
    for where, value in edits:
        data[int(where * len(data))] = value
    only_model_errors(tmp_path / "corrupt.pkl", bytes(data))


@pytest.mark.parametrize("layout", fixtures.LAYOUTS)
def test_synthesis_arguments_are_nested_whatever_repository_wrote_them(
    tmp_path: Path, layout: str
) -> None:
    path = tmp_path / f"{layout}.pkl"
    written = fixtures.write_nvlabs_pickle(path, conv_clamp=256, num_fp16_res=1, layout=layout)

    checkpoint = read_nvlabs_pickle(path)

    init_kwargs = checkpoint.init_kwargs
    assert set(init_kwargs) == {
        "z_dim",
        "c_dim",
        "w_dim",
        "img_resolution",
        "img_channels",
        "mapping_kwargs",
        "synthesis_kwargs",
    }
    synthesis = init_kwargs["synthesis_kwargs"]
    assert synthesis["channel_base"] == 512 and synthesis["channel_max"] == 64
    assert synthesis["num_fp16_res"] == 1 and synthesis["conv_clamp"] == 256
    assert init_kwargs["mapping_kwargs"]["num_layers"] == 2
    if layout == "ada-converted":
        assert synthesis["resample_filter"] == [1, 3, 3, 1]
        assert init_kwargs["mapping_kwargs"]["lr_multiplier"] == 0.01
    if layout == "stylegan3-repo":
        assert synthesis["fused_modconv_default"] == "inference_only"
    json.dumps(init_kwargs)
    assert sorted(checkpoint.tensors) == sorted(written)


def test_numpy_object_dtypes_and_object_arrays_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "numpy.pkl"
    path.write_bytes(pickle.dumps({"G_ema": np.dtype(object)}))
    with pytest.raises(ModelError, match=r"refused numpy dtype 'O8'"):
        read_nvlabs_pickle(path)
    path.write_bytes(pickle.dumps({"G_ema": np.array([print, 1], dtype=object)}))
    with pytest.raises(ModelError, match=r"refused numpy dtype 'O8'"):
        read_nvlabs_pickle(path)
    # Numeric arrays (StyleGAN3 layers keep their sizes in them) are plain data.
    path.write_bytes(pickle.dumps({"G_ema": np.arange(3)}))
    with pytest.raises(ModelError, match=r"'G_ema' is not a network object \(ndarray\)"):
        read_nvlabs_pickle(path)


def _text(value: str) -> bytes:
    data = value.encode()
    return b"X" + len(data).to_bytes(4, "little") + data


def _storage_payload() -> bytes:
    buffer = io.BytesIO()
    torch.save(
        torch.arange(6, dtype=torch.float32).untyped_storage(),
        buffer,
        _use_new_zipfile_serialization=False,
    )
    payload = buffer.getvalue()
    return b"B" + len(payload).to_bytes(4, "little") + payload


# A grammar of pickled values: numbers, the words a snapshot uses, a real storage payload,
# containers, and calls of every allowed global (and a refused one) with arguments of
# any shape, persistent objects with random states included. Everything it builds is a
# well-formed pickle, so the fuzzing reaches the allowed functions and the state walk.
GLOBALS = [
    ("collections", "OrderedDict"),
    ("builtins", "set"),
    ("_codecs", "encode"),
    ("dnnlib.util", "EasyDict"),
    ("numpy", "dtype"),
    ("numpy._core.multiarray", "scalar"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch.storage", "_load_from_bytes"),
    ("torch_utils.persistence", "_reconstruct_persistent_obj"),
    ("os", "system"),
]
WORDS = [
    "G_ema",
    "G",
    "type",
    "class",
    "class_name",
    "state",
    "_modules",
    "_parameters",
    "_buffers",
    "_init_kwargs",
    "_non_persistent_buffers_set",
    "synthesis",
    "input",
    "L0_36_512",
    "synthesis_kwargs",
    "weight",
    "f8",
    "O8",
    "latin1",
    "SynthesisInput",
]
STORAGE = _storage_payload()

leaves = st.one_of(
    st.just(b"N"),
    st.sampled_from([b"\x88", b"\x89"]),
    st.integers(-(2**31), 2**31 - 1).map(lambda n: b"J" + n.to_bytes(4, "little", signed=True)),
    st.floats(allow_nan=True).map(lambda x: b"G" + struct.pack(">d", x)),
    st.sampled_from(WORDS).map(_text),
    st.binary(max_size=16).map(lambda b: b"C" + bytes([len(b)]) + b),
    st.just(STORAGE),
)


def _containers(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    items = st.lists(children, max_size=5).map(b"".join)
    pairs = st.lists(st.tuples(st.sampled_from(WORDS).map(_text), children), max_size=5).map(
        lambda kv: b"".join(k + v for k, v in kv)
    )
    calls = st.tuples(st.sampled_from(GLOBALS), items).map(
        lambda call: f"c{call[0][0]}\n{call[0][1]}\n".encode() + b"(" + call[1] + b"tR"
    )
    return st.one_of(
        items.map(lambda body: b"(" + body + b"l"),
        items.map(lambda body: b"(" + body + b"t"),
        pairs.map(lambda body: b"(" + body + b"d"),
        calls,
        pairs.map(
            lambda body: (
                b"ctorch_utils.persistence\n_reconstruct_persistent_obj\n("
                + b"("
                + _text("type")
                + _text("class")
                + _text("class_name")
                + _text("SynthesisNetwork")
                + _text("state")
                + b"("
                + body
                + b"d"
                + b"d"
                + b"tR"
            )
        ),
    )


pickled_values = st.recursive(leaves, _containers, max_leaves=30)


@FUZZ
@given(value=pickled_values, as_snapshot=st.booleans())
def test_well_formed_pickles_of_anything_load_or_raise_model_error(
    tmp_path: Path, value: bytes, as_snapshot: bool
) -> None:
    body = b"(" + _text("G_ema") + value + b"d" if as_snapshot else value
    only_model_errors(tmp_path / "anything.pkl", b"\x80\x04" + body + b".")


def test_a_storage_payload_that_runs_code_is_rejected_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "storage-payload-ran"
    path = tmp_path / "evil-storage.pkl"
    fixtures.write_malicious_storage_pickle(path, f"touch {marker}")

    with pytest.raises(ModelError, match="corrupt or unsafe tensor storage") as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)
    assert not marker.exists()

    # Unpickled as torch itself would (torch.storage._load_from_bytes), it runs.
    plain_unpickle_in_child(path)
    wait_until(marker.exists, interval=0.05, what="the storage payload to work in the control")


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_pickle_protocol_a_snapshot_may_use(tmp_path: Path, protocol: int) -> None:
    # Protocol 3 (Python 3.7) pickles sets through builtins.set; protocol 2 bytes through
    # _codecs.encode. Both are on the allow-list; nothing else changes.
    path = tmp_path / f"protocol-{protocol}.pkl"
    written = fixtures.write_nvlabs_pickle(path, protocol=protocol, c_dim=2, conv_clamp=256)
    checkpoint = read_nvlabs_pickle(path)
    assert sorted(checkpoint.tensors) == sorted(written)
    assert all(torch.equal(checkpoint.tensors[name], t) for name, t in written.items())
    assert checkpoint.init_kwargs["synthesis_kwargs"]["conv_clamp"] == 256


def test_a_file_holding_one_network_gives_that_network(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.pkl"
    fixtures.write_nvlabs_pickle(snapshot)
    single = tmp_path / "g_ema-only.pkl"
    fixtures.write_single_network_pickle(single)
    checkpoint = read_nvlabs_pickle(single)
    assert checkpoint.class_names[""] == "Generator"
    assert "synthesis.b4.const" in checkpoint.tensors


def test_a_network_that_contains_itself_is_malformed_not_endless(tmp_path: Path) -> None:
    # A persistent Generator whose state's _modules, filled in after it was built through
    # the memo, holds the Generator itself.
    reconstruct = b"ctorch_utils.persistence\n_reconstruct_persistent_obj\n("
    meta = (
        b"}"
        + _text("type")
        + _text("class")
        + b"s"
        + _text("class_name")
        + _text("Generator")
        + b"s"
        + _text("state")
        + b"}"
        + _text("_modules")
        + b"}q\x01"
        + b"s"
        + b"s"
    )
    tie_the_knot = b"h\x01" + _text("x") + b"h\x02" + b"s0"
    data = b"\x80\x02}" + _text("G_ema") + reconstruct + meta + b"tRq\x02" + tie_the_knot + b"s."
    path = tmp_path / "cycle.pkl"
    path.write_bytes(data)
    with pytest.raises(ModelError, match=r"module 'x' appears twice") as raised:
        read_nvlabs_pickle(path)
    assert_one_line_about(path, raised.value)
