"""The Link command-line option, apart from the session: building the parser must not load
aalink."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Ableton Link")
    group.add_argument("--link", action="store_true",
                       help="join the Ableton Link session on the network: its tempo sets "
                            "tempo.bpm, its bars line up beat-synced LFOs, and a tempo set "
                            "here (tap, MIDI clock, OSC) goes to the other peers")
