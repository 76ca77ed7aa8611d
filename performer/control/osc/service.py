"""The OSC service of a live show: listener, feedback and OSCQuery, with their options.

`start` builds everything from the show's registry, so every parameter is reachable.
If the OSC port is taken the service is off (one line, the show goes on); if only the
OSCQuery port is taken, OSC runs without OSCQuery.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

from performer.control.osc.feedback import Feedback, Target, parse_target
from performer.control.osc.query import Namespace, OscQueryError, OscQueryServer, advertise
from performer.control.osc.routing import AddressTable
from performer.control.osc.server import OscServer
from performer.control.osc.state import FrameState
from performer.control.show import Show

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000  # TouchOSC's pair: the host listens on 8000, surfaces on 9000
DEFAULT_OUT = "127.0.0.1:9000"
DEFAULT_QUERY_PORT = 8001


def _target(text: str) -> Target:
    if text.strip().lower() == "none":
        return ("none", 0)
    try:
        return parse_target(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("OSC (TouchDesigner, TouchOSC, ...; see the README)")
    group.add_argument("--no-osc", action="store_true", help="do not listen for OSC")
    group.add_argument("--osc-host", default=DEFAULT_HOST, metavar="IP",
                       help="address to listen on (default 127.0.0.1; 0.0.0.0 accepts "
                            "other machines)")
    group.add_argument("--osc-port", type=int, default=DEFAULT_PORT, metavar="N",
                       help=f"UDP port to listen on (default {DEFAULT_PORT})")
    group.add_argument("--osc-out", type=_target, action="append", default=None,
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


class OscService:
    """Everything OSC for one show; `stop()` returns promptly and never raises."""

    name = "OSC"

    def __init__(
        self,
        show: Show,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        targets: list[Target] | None = None,
        reply: bool = False,
        allow: list[str] | None = None,
        query_port: int | None = DEFAULT_QUERY_PORT,
    ) -> None:
        registry = show.registry
        table = AddressTable(registry.params())
        state = FrameState(show.layer_names, show.latest_frame)
        self.server = OscServer(registry, table, host, port, allow or ())
        reply_to: Callable[[], Target | None] | None = (
            (lambda: self.server.last_sender) if reply else None)
        self.feedback = Feedback(registry, targets or [], state, reply_to)
        self.query: OscQueryServer | None = None
        self._unadvertise: Callable[[], None] | None = None
        if query_port is not None:
            try:
                self.query = OscQueryServer(Namespace(registry, table, state), host, query_port,
                                            self.server.port)
            except OscQueryError as err:
                log.error("OSCQuery is off: %s", err)

    def start(self) -> OscService:
        self.server.start()
        self.feedback.start()
        if self.query is not None:
            self.query.start()
            self._unadvertise = advertise(self.server.host, self.server.port, self.query.port)
        return self

    def stop(self) -> None:
        parts = [self._unadvertise, self.query.stop if self.query else None,
                 self.feedback.stop, self.server.stop]
        for part in parts:
            if part is None:
                continue
            try:
                part()
            except Exception:
                log.exception("stopping OSC failed")


def start(args: argparse.Namespace, show: Show) -> OscService | None:
    if args.no_osc:
        return None
    outs = args.osc_out if args.osc_out is not None else [parse_target(DEFAULT_OUT)]
    targets = [t for t in outs if t[0].lower() != "none"]
    return OscService(
        show,
        host=args.osc_host,
        port=args.osc_port,
        targets=targets,
        reply=args.osc_reply,
        allow=args.osc_allow,
        query_port=args.oscquery_port or None,
    ).start()
