"""The OSC service of a live show: listener, feedback and OSCQuery (options: options.py).

`start` builds everything from the show's registry, so every parameter is reachable.
If the OSC port is taken the service is off (one line, the show goes on); if only the
OSCQuery port is taken, OSC runs without OSCQuery.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

from performer.control.osc.feedback import Feedback
from performer.control.osc.options import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_QUERY_PORT,
    Target,
    targets_from,
)
from performer.control.osc.query import Namespace, advertise
from performer.control.osc.query_server import OscQueryError, OscQueryServer
from performer.control.osc.routing import AddressTable
from performer.control.osc.server import OscServer
from performer.control.osc.state import FrameState
from performer.control.show import Show
from performer.controls import layer_names

log = logging.getLogger(__name__)

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
        state = FrameState(layer_names(registry), show.latest_frame, show.output_figures,
                           registry.param("route.1.target").choices)
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
    return OscService(
        show,
        host=args.osc_host,
        port=args.osc_port,
        targets=targets_from(args),
        reply=args.osc_reply,
        allow=args.osc_allow,
        query_port=args.oscquery_port or None,
    ).start()
