"""Hostile rosinality checkpoints (.pt and .pth, zip and legacy torch formats): refused in
one plain line that names the file and the refused global, and the payload never runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from performer.models.base import ModelError
from performer.models.loading import load_model

CPU = torch.device("cpu")


class Touch:
    """Unpickling this calls os.system (recorded as 'posix.system') to create a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


class Write:
    """Unpickling this calls open (recorded as 'io.open') to create a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.marker), "w")


@pytest.mark.parametrize("suffix", [".pt", ".pth"])
@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
@pytest.mark.parametrize(("payload", "refused"),
                         [(Touch, "posix.system"), (Write, "io.open")])
def test_a_poisoned_checkpoint_is_refused_in_one_line(
    tmp_path: Path, suffix: str, zipped: bool, payload: type, refused: str
) -> None:
    marker = tmp_path / "payload-ran"
    path = tmp_path / f"poisoned{suffix}"
    torch.save({"g_ema": {"input.input": payload(marker)}}, path,
               _use_new_zipfile_serialization=zipped)
    with pytest.raises(ModelError) as raised:
        load_model(str(path), CPU)
    message = str(raised.value)
    assert not marker.exists(), "the payload ran"
    assert f"refused global '{refused}' in {path}" in message
    assert "\n" not in message and "\x1b" not in message
    assert "weights_only" not in message
