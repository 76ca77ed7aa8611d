"""The MIDI command-line options, apart from the listener: building the parser (even for
`performer layers`) must not load mido or python-rtmidi."""

from __future__ import annotations

import argparse
from pathlib import Path

from performer.env import MIDI_APIS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the MIDI listener of `performer run` (read by `service.start`)."""
    group = parser.add_argument_group("MIDI")
    group.add_argument("--midi", action="append", default=[], metavar="NAME",
                       help="open MIDI inputs whose name contains NAME (case-insensitive; a "
                            "regex works too; repeatable). Default: every port a bundled "
                            "profile knows")
    add_api_argument(group)
    group.add_argument("--no-midi", action="store_true", help="do not listen to MIDI")
    group.add_argument("--midi-mapping", type=Path, default=None, metavar="FILE",
                       help="learned MIDI mappings file (default: "
                            "$PERFORMER_MIDI_MAPPING or ~/.config/performer/midi.toml)")


def add_api_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--midi-api`, shared by `performer run` and `performer midi list`."""
    parser.add_argument("--midi-api", choices=sorted(MIDI_APIS), default=None,
                        help="MIDI system for python-rtmidi (sets MIDO_BACKEND unless it "
                             "is already set)")
