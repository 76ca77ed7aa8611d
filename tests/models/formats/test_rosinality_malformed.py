"""rosinality .pt files whose 'g_ema' is not a well-formed state dict: one line naming the
file, never a traceback from the renaming."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from performer.models.base import ModelError
from performer.models.formats.rosinality import from_nvlabs, read_rosinality
from performer.models.loading import load_model
from tests.models import nvlabs_fixtures as fixtures

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A valid rosinality checkpoint of a small 32 px network."""
    folder = tmp_path_factory.mktemp("rosinality")
    tensors = fixtures.write_nvlabs_pickle(folder / "twin.pkl", seed=21)
    return from_nvlabs(tensors, img_resolution=32, mapping_layers=2)


def _set(key: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda state: state.__setitem__(key, value)


CASES = {
    "1-D style weight": (_set("style.1.weight", torch.zeros(3)),
                         "style.1.weight has shape (3,), not 2 axes"),
    "1-D input": (_set("input.input", torch.zeros(3)), "input.input has shape (3,), not 4 axes"),
    "2-D conv weight": (_set("convs.0.conv.weight", torch.zeros(3, 3)),
                        "convs.0.conv.weight has shape (3, 3), not 5 axes"),
    "number for a tensor": (_set("input.input", 5),
                            "'g_ema' holds 'input.input': int, where a state dict"),
    "integer name": (_set(1, torch.zeros(1)), "'g_ema' holds 1: Tensor, where a state dict"),
    "blur kernel of another size": (_set("convs.0.conv.blur.kernel", torch.zeros(3)),
                                    "malformed 'g_ema' state ("),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_state_is_one_line_naming_the_file(
    tmp_path: Path, checkpoint: dict[str, Any], case: str
) -> None:
    change, expected = CASES[case]
    state = dict(checkpoint["g_ema"])
    change(state)
    path = tmp_path / "broken.pt"
    torch.save({**checkpoint, "g_ema": state}, path)
    with pytest.raises(ModelError) as raised:
        load_model(str(path), CPU)
    message = str(raised.value)
    assert str(path) in message and "\n" not in message
    assert expected in message


def test_corrupted_bytes_read_or_raise_model_error(
    tmp_path: Path, checkpoint: dict[str, Any]
) -> None:
    good = tmp_path / "good.pt"
    torch.save(checkpoint, good)
    data = good.read_bytes()
    rng = random.Random(0)
    path = tmp_path / "corrupt.pt"
    for attempt in range(200):
        damaged = bytearray(data)
        if attempt % 2:
            damaged = damaged[: rng.randrange(len(damaged))]
        else:
            for _ in range(5):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path.write_bytes(bytes(damaged))
        try:
            read_rosinality(path)
        except ModelError as error:
            assert str(path) in str(error) and "\n" not in str(error)
