"""The OSC command-line options and their defaults, apart from the listener: building the
parser (even for `performer layers`) must not load python-osc."""

from __future__ import annotations

import argparse

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000  # TouchOSC's pair: the host listens on 8000, surfaces on 9000
DEFAULT_OUT = "127.0.0.1:9000"
DEFAULT_QUERY_PORT = 8001

Target = tuple[str, int]  # where feedback goes: (host, port)
NO_TARGET: Target = ("none", 0)  # what `--osc-out none` parses to


def parse_target(text: str) -> Target:
    """'host:port' or ':port' or 'port' -> (host, port); raises ValueError."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "127.0.0.1", text
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"--osc-out wants HOST:PORT, not {text!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"--osc-out port {port} is out of range (1..65535)")
    return (host.strip("[]") or "127.0.0.1", port)


def target_option(text: str) -> Target:
    """`--osc-out`'s argument type: a target, or NO_TARGET for `none`."""
    if text.strip().lower() == "none":
        return NO_TARGET
    try:
        return parse_target(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def targets_from(args: argparse.Namespace) -> list[Target]:
    """The feedback targets the command line asks for (DEFAULT_OUT when it names none)."""
    outs = args.osc_out if args.osc_out is not None else [parse_target(DEFAULT_OUT)]
    return [t for t in outs if t[0].lower() != NO_TARGET[0]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the OSC service of `performer run` (read by `service.start`)."""
    group = parser.add_argument_group("OSC (TouchDesigner, TouchOSC, ...; see the README)")
    group.add_argument("--no-osc", action="store_true", help="do not listen for OSC")
    group.add_argument("--osc-host", default=DEFAULT_HOST, metavar="IP",
                       help="address to listen on (default 127.0.0.1; 0.0.0.0 accepts "
                            "other machines)")
    group.add_argument("--osc-port", type=int, default=DEFAULT_PORT, metavar="N",
                       help=f"UDP port to listen on (default {DEFAULT_PORT})")
    group.add_argument("--osc-out", type=target_option, action="append", default=None,
                       metavar="HOST:PORT",
                       help=f"send feedback there (repeatable; default {DEFAULT_OUT}; "
                            "--osc-out none sends none)")
    group.add_argument("--osc-reply", action="store_true",
                       help="also send feedback to the address and port the last message "
                            "came from")
    group.add_argument("--osc-allow", action="append", default=[], metavar="IP",
                       help="accept OSC only from this address (repeatable; default: anyone "
                            "who can reach --osc-host)")
    group.add_argument("--oscquery-port", type=int, default=DEFAULT_QUERY_PORT, metavar="N",
                       help=f"HTTP port for OSCQuery (default {DEFAULT_QUERY_PORT}; "
                            "0 turns it off)")
