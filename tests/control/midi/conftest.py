"""A real JACK server (dummy driver) for the MIDI port tests, one per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from performer.bench.jack_dummy import JACK_BACKEND, JackUnavailable, dummy_server


@pytest.fixture(scope="session")
def jack() -> Iterator[str]:
    """The mido backend name for the session's JACK server (fails, never skips, without it)."""
    try:
        with dummy_server(period=1024):
            yield JACK_BACKEND
    except JackUnavailable as err:
        pytest.fail(f"{err}: install it (make test does, via scripts/system_deps.sh)")


@pytest.fixture(autouse=True)
def mido_backend_as_found() -> Iterator[None]:
    """Every MIDI test leaves MIDO_BACKEND as it found it: choose_backend sets it when it
    is unset, and a later test would then run on that backend."""
    before = os.environ.get("MIDO_BACKEND")
    yield
    assert os.environ.get("MIDO_BACKEND") == before, "this test left MIDO_BACKEND changed"


@pytest.fixture
def without_mido_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """MIDO_BACKEND unset for one test, and back as it was afterwards whatever the test
    writes (delenv of an unset variable records nothing to undo; setenv first does)."""
    monkeypatch.setenv("MIDO_BACKEND", "")
    monkeypatch.delenv("MIDO_BACKEND")
