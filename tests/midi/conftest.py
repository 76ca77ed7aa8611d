"""A real JACK server (dummy driver) for the MIDI port tests, one per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from performer.control.jack_dummy import JACK_BACKEND, JackUnavailable, dummy_server


@pytest.fixture(scope="session")
def jack() -> Iterator[str]:
    """The mido backend name for the session's JACK server (fails, never skips, without it)."""
    try:
        with dummy_server(period=1024):
            yield JACK_BACKEND
    except JackUnavailable as err:
        pytest.fail(f"{err}: install it (make test does, via scripts/system_deps.sh)")
