"""Which MIDI system: MIDO_BACKEND wins and is never overridden; --midi-api sets it."""

from __future__ import annotations

import logging
import os

import pytest

from performer.app.cli import build_parser
from performer.control.device_names import name_pattern
from performer.control.midi.ports import choose_backend


@pytest.mark.usefixtures("without_mido_backend")
def test_midi_api_sets_mido_backend_when_unset() -> None:
    assert choose_backend("jack") == "mido.backends.rtmidi/UNIX_JACK"
    assert os.environ["MIDO_BACKEND"] == "mido.backends.rtmidi/UNIX_JACK"


def test_mido_backend_is_never_overridden(monkeypatch: pytest.MonkeyPatch,
                                          caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("MIDO_BACKEND", "mido.backends.rtmidi/LINUX_ALSA")
    with caplog.at_level(logging.WARNING):
        assert choose_backend("jack") == "mido.backends.rtmidi/LINUX_ALSA"
    assert "MIDO_BACKEND=mido.backends.rtmidi/LINUX_ALSA is set and wins" in caplog.text
    assert os.environ["MIDO_BACKEND"] == "mido.backends.rtmidi/LINUX_ALSA"
    assert choose_backend(None) == "mido.backends.rtmidi/LINUX_ALSA"


@pytest.mark.usefixtures("without_mido_backend")
def test_default_is_rtmidi_with_the_platform_api() -> None:
    assert choose_backend(None) == "mido.backends.rtmidi"
    assert "MIDO_BACKEND" not in os.environ


def test_port_names_match_as_substring_or_regex() -> None:
    assert name_pattern("nano").search("nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0")
    assert name_pattern("NANO").search("nanoKONTROL2 MIDI 1")
    assert name_pattern("MIDI Mix|APC").search("APC MINI MIDI 1")
    assert name_pattern("knobs (left").search("My knobs (left) 1")  # not a regex: a substring
    assert not name_pattern("nano").search("MIDI Mix")


def test_run_takes_the_midi_options() -> None:
    args = build_parser().parse_args(
        ["run", "--midi", "nano", "--midi", "apc", "--midi-api", "alsa", "--no-midi"])
    assert (args.midi, args.midi_api, args.no_midi) == (["nano", "apc"], "alsa", True)
    listing = build_parser().parse_args(["midi", "list", "--midi-api", "jack"])
    assert (listing.command, listing.midi_command, listing.midi_api) == ("midi", "list", "jack")
