"""StyleGAN3 snapshot pickles, loaded where NVlabs' code does not exist, and hostile ones
refused with their side effects provably not happening."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from performer.models.base import ModelError
from performer.models.formats.nvlabs import read_nvlabs_pickle
from performer.models.loading import load_model
from performer.models.stylegan3 import StyleGAN3Generator
from tests.helpers import wait_until
from tests.models import nvlabs_fixtures as sg2
from tests.models import stylegan3_fixtures as fixtures
from tests.models.test_stylegan3_reference import TOLERANCE, generate

CPU = torch.device("cpu")
STAND_INS = ("torch_utils", "torch_utils.persistence", "dnnlib", "dnnlib.util")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Snapshots of both configs and a private cache directory."""
    root = tmp_path_factory.mktemp("stylegan3")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        for variant in fixtures.VARIANTS:
            fixtures.write_stylegan3_pickle(root / f"stylegan3-{variant}.pkl", variant)
        yield root


@pytest.mark.parametrize("variant", fixtures.VARIANTS)
def test_a_snapshot_loads_and_reproduces_nvlabs_image(folder: Path, variant: str) -> None:
    assert not any(name in sys.modules for name in STAND_INS)  # their code is not here
    ref = fixtures.reference(variant)
    for _ in range(2):  # the first load converts, the second reads the converted cache
        model = load_model(str(folder / f"stylegan3-{variant}.pkl"), CPU)
        assert isinstance(model, StyleGAN3Generator)
        assert (generate(model, ref) - ref.image_plain).abs().max() <= TOLERANCE
        model.set_transform(*ref.transform)
        assert (generate(model, ref) - ref.image).abs().max() <= TOLERANCE
    cache = folder / "cache" / "performer" / "models"
    converted = list(cache.glob(f"stylegan3-{variant}-*.safetensors"))
    assert len(converted) == 1 and model.weights_path == converted[0]
    assert not any(name in sys.modules for name in STAND_INS)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_pickle_protocol_reads(tmp_path: Path, protocol: int) -> None:
    path = tmp_path / "snapshot.pkl"
    ref = fixtures.write_stylegan3_pickle(path, "r", protocol=protocol)
    checkpoint = read_nvlabs_pickle(path)
    assert checkpoint.family == "stylegan3"
    assert sorted(checkpoint.tensors) == sorted(ref.tensors)
    assert all(torch.equal(checkpoint.tensors[k], v) for k, v in ref.tensors.items())
    layer = checkpoint.attributes["synthesis.L0_36_64.in_size"]
    assert isinstance(layer, np.ndarray) and layer.tolist() == [36, 36]
    assert checkpoint.class_names["synthesis.input"] == "SynthesisInput"
    assert checkpoint.init_kwargs["synthesis_kwargs"]["conv_kernel"] == 1


def test_performer_layers_lists_the_stylegan3_layers(folder: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "performer", "layers", "--model",
         str(folder / "stylegan3-t.pkl"), "--device", "cpu"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[1:-1]]
    assert [row[1] for row in rows] == ["L0_36_32", "L1_36_32", "L2_52_32", "L3_52_27",
                                        "L4_52_16", "L5_32_16"]
    total = result.stdout.splitlines()[-1].split()
    assert total[:2] == ["total", str(32 * 3 + 27 + 16 * 2)] and total[-1] == "memory)"


# --- hostile files -----------------------------------------------------------------------


class Payload:
    """Pickles as a call of `os.system(command)`: the classic hostile reduce."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (self.command,))


def write_hostile_snapshot(path: Path, command: str) -> None:
    """A real StyleGAN3 snapshot with an `os.system` call hidden in one layer's state."""
    ref = fixtures.reference("t")
    with sg2.stand_in_modules():
        network = fixtures.stylegan3_network(ref)
        network.synthesis.L2_52_32.__dict__["magnitude_ema_beta"] = Payload(command)
        sg2._dump(path, {"G_ema": network})


def unpickle_with_their_modules(path: Path, tmp_path: Path) -> None:
    """The control: an unrestricted unpickler with (stand-ins of) NVlabs' modules present."""
    stubs = tmp_path / "their-code"
    for package, source in (("torch_utils", "def _reconstruct_persistent_obj(meta):\n"
                                            "    return meta\n"),
                            ("dnnlib", "class EasyDict(dict):\n    pass\n")):
        module = "persistence" if package == "torch_utils" else "util"
        (stubs / package).mkdir(parents=True, exist_ok=True)
        (stubs / package / "__init__.py").write_text("")
        (stubs / package / f"{module}.py").write_text(source)
    script = (f"import sys; sys.path.insert(0, {str(stubs)!r}); import pickle; "
              f"pickle.load(open({str(path)!r}, 'rb'))")
    subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, timeout=120)


def test_a_hostile_call_inside_a_stylegan3_layer_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "side-effect-happened"
    path = tmp_path / "stylegan3-t-hostile.pkl"
    write_hostile_snapshot(path, f"touch {marker}")

    with pytest.raises(ModelError) as refused:
        load_model(str(path), CPU)
    message = str(refused.value)
    assert message.startswith(f"refused global 'posix.system' in {path}"), message
    assert "\n" not in message
    time.sleep(0.2)  # a spawned process would have had time to run
    assert not marker.exists()

    # The same file is a live payload for an unpickler that has NVlabs' modules.
    unpickle_with_their_modules(path, tmp_path)
    wait_until(marker.exists, interval=0.05, what="the payload to work in the control")


def test_stylegan3_module_source_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "module-src-ran"
    source = f"open({str(marker)!r}, 'w').write('ran')\n"
    path = tmp_path / "stylegan3-t.pkl"
    sg2._module_src[0] = source
    try:
        ref = fixtures.write_stylegan3_pickle(path, "t")
    finally:
        sg2._module_src[0] = sg2.MODULE_SRC
    assert source.encode() in path.read_bytes()
    model = load_model(str(path), CPU)
    assert (generate(model, ref) - ref.image_plain).abs().max() <= TOLERANCE
    assert not marker.exists()
    # NVlabs' loader would exec this source; doing so does have the side effect.
    subprocess.run([sys.executable, "-I", "-c", source], check=True, timeout=60)
    assert marker.exists()


def _opcode_pickle(body: bytes) -> bytes:
    return b"\x80\x02}" + b"X\x05\x00\x00\x00G_ema" + body + b"s."


@pytest.mark.parametrize(("body", "refusal"), [
    # ndarray called directly could allocate an array of any size.
    (b"cnumpy\nndarray\n(J\x00\x00\x00\x40tR", "not a readable model pickle"),
    # numpy's rebuild aimed at another class than ndarray.
    (b"cnumpy.core.multiarray\n_reconstruct\n(cposix\nsystem\n", "refused global 'posix.system'"),
    (b"cnumpy.core.multiarray\n_reconstruct\n(ccollections\nOrderedDict\n(K\x00tC\x01btR",
     "refused a numpy array rebuild other than an empty ndarray"),
    # an object array: its dtype is refused before any element is built.
    (b"cnumpy\ndtype\n(X\x02\x00\x00\x00O8\x89\x88tR", "refused numpy dtype 'O8'"),
])
def test_numpy_rebuilds_are_limited_to_plain_arrays(tmp_path: Path, body: bytes,
                                                    refusal: str) -> None:
    path = tmp_path / "numpy.pkl"
    path.write_bytes(_opcode_pickle(body))
    with pytest.raises(ModelError) as refused:
        read_nvlabs_pickle(path)
    message = str(refused.value)
    assert refusal in message and str(path) in message and "\n" not in message


def test_a_stylegan3_pickle_is_told_apart_from_stylegan2(tmp_path: Path) -> None:
    path = tmp_path / "sg2.pkl"
    sg2.write_nvlabs_pickle(path)
    assert read_nvlabs_pickle(path).family == "stylegan2"
    assert pickle.DEFAULT_PROTOCOL >= 2


@pytest.mark.parametrize(("changes", "expected"), [
    # plausible but not what the file holds: compared on the meta device, nothing allocated
    ({"img_resolution": 4096, "channel_base": 1 << 22, "channel_max": 8192},
     "weights do not fit a StyleGAN3 generator with config T, 4096 px"),
    # absurd: refused by the config before any shape is built
    ({"num_layers": 10**6}, "num_layers 1000000 is outside 1..64"),
    ({"channel_max": 10**9}, "channel_max 1000000000 is outside 1..8192"),
])
def test_recorded_arguments_the_weights_do_not_back_are_refused(
        tmp_path: Path, changes: dict[str, int], expected: str) -> None:
    path = tmp_path / "stylegan3-claims.pkl"
    with sg2.stand_in_modules():
        network = fixtures.stylegan3_network(fixtures.reference("t"))
        network._init_kwargs.update(changes)
        sg2._dump(path, {"G_ema": network})
    with pytest.raises(ModelError) as refused:
        load_model(str(path), CPU)
    message = str(refused.value)
    assert expected in message and str(path) in message and "\n" not in message
