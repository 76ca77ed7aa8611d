"""open_session: the one place a show is put together (run, render and bench start here)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from performer.engine.clock import FixedClock
from performer.engine.session import open_session
from performer.models.base import ModelError


def test_the_builtin_show_is_wired_end_to_end() -> None:
    session = open_session(None, "cpu", FixedClock(10.0))
    assert session.device == torch.device("cpu") and session.load_seconds > 0
    names = [layer.name for layer in session.model.layers]
    assert session.registry.param("ablation.layer").choices == ("all", *names)
    assert session.engine.registry is session.registry and session.engine.model is session.model
    session.registry.set("ablation.dead", 0.5, "test")
    frame = session.engine.step()
    assert frame.values.float("ablation.dead") == 0.5
    assert frame.neurons.alive_count == session.model.neuron_count // 2
    assert frame.image.shape == (session.model.resolution, session.model.resolution, 3)
    assert session.engine.step().time == pytest.approx(0.1)  # the clock it was given


def test_a_model_that_cannot_be_read_is_one_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pkl"
    broken.write_bytes(b"not a pickle at all")
    with pytest.raises(ModelError) as raised:
        open_session(str(broken), "cpu")
    assert str(broken) in str(raised.value) and "\n" not in str(raised.value)
