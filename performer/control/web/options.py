"""The console's command-line options, apart from the server: building the parser (even
for `performer layers`) must not load aiohttp."""

from __future__ import annotations

import argparse

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8002


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the console of `performer run` (read by `service.start`)."""
    group = parser.add_argument_group("web console (a browser on this machine, a tablet, a "
                                      "phone; see the README)")
    group.add_argument("--no-web", action="store_true", help="do not serve the console")
    group.add_argument("--web-host", default=DEFAULT_HOST, metavar="IP",
                       help="address to serve on (default 127.0.0.1; 0.0.0.0 serves the "
                            "venue network and asks for a token)")
    group.add_argument("--web-port", type=int, default=DEFAULT_PORT, metavar="N",
                       help=f"TCP port of the console (default {DEFAULT_PORT})")
    group.add_argument("--web-token", default=None, metavar="TEXT",
                       help="the token a browser on the network must give (default: a new "
                            "random one, printed at start)")
