"""The audio command-line options, apart from the input: building the parser must not load
sounddevice (or PortAudio)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the audio input of `performer run` (read by `service.start`)."""
    group = parser.add_argument_group("audio input (see the README's 'Moving with the music')")
    group.add_argument("--audio", default=None, metavar="DEVICE",
                       help="analyse this sound input: an index or part of the name from "
                            "`performer audio list`, or 'default' (off unless given)")
