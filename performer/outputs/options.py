"""Command-line options for the outputs, and the outputs they ask for.

Builds only plain objects: each output's library is imported when it opens (on its own
thread), so `performer --help` and a show without NDI never load NDI.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from performer.outputs import ndi, spout, syphon, vcam
from performer.outputs.recorder import CODECS
from performer.video import VideoOutput


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("outputs (the projector's picture, elsewhere too)")
    group.add_argument("--ndi", nargs="?", const=ndi.DEFAULT_NAME, default=None,
                       metavar="NAME", help=f"send NDI as source NAME (default "
                                            f"{ndi.DEFAULT_NAME!r})")
    group.add_argument("--syphon", nargs="?", const=syphon.DEFAULT_NAME, default=None,
                       metavar="NAME", help="publish a Syphon server (macOS; extra 'syphon')")
    group.add_argument("--spout", nargs="?", const=spout.DEFAULT_NAME, default=None,
                       metavar="NAME", help="publish a Spout sender (Windows; extra 'spout')")
    group.add_argument("--vcam", nargs="?", const="", default=None, metavar="DEVICE",
                       help="send to a virtual camera (extra 'vcam'; DEVICE e.g. /dev/video10)")
    group.add_argument("--record", type=Path, default=None, metavar="FILE",
                       help="record the output from the start: .mp4 (H.264), .mov (HAP) or "
                            ".mkv (lossless FFV1); output.record (Shift+R) starts and stops it")
    group.add_argument("--record-codec", choices=CODECS, default=None,
                       help="default: from the file extension")


def streaming_outputs(args: argparse.Namespace) -> list[VideoOutput]:
    """The outputs that run for the whole show (the recording comes and goes)."""
    outputs: list[VideoOutput] = []
    if args.ndi is not None:
        outputs.append(ndi.NdiOutput(args.ndi))
    if args.syphon is not None:
        outputs.append(syphon.SyphonOutput(args.syphon))
    if args.spout is not None:
        outputs.append(spout.SpoutOutput(args.spout))
    if args.vcam is not None:
        outputs.append(vcam.VirtualCameraOutput(args.vcam or None))
    return outputs


def wants_output(args: argparse.Namespace) -> bool:
    """Whether the command line asks for any output (a show without a window needs one)."""
    return any(getattr(args, name) is not None
               for name in ("ndi", "syphon", "spout", "vcam", "record"))
