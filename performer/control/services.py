"""The control services a live show starts next to the window (OSC, MIDI, ...).

A service listens on its own threads, only translates what arrives into
`Registry.submit(...)` batches, and sends feedback from `Registry.subscribe`. Each kind
adds its command-line options and a start function here; a service that cannot start
(port in use, no MIDI subsystem) logs one line and the show goes on without it.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from performer.control.audio import options as audio_options
from performer.control.link import options as link_options
from performer.control.midi import options as midi_options
from performer.control.osc import options as osc_options
from performer.control.show import Show
from performer.control.web import options as web_options

log = logging.getLogger(__name__)


class Service(Protocol):
    """A running listener; `stop()` must return promptly and never raise."""

    name: str

    def stop(self) -> None: ...


@dataclass(frozen=True)
class ServiceKind:
    name: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    # Returns None when the command line switched the service off.
    start: Callable[[argparse.Namespace, Show], Service | None]


def _start_osc(args: argparse.Namespace, show: Show) -> Service | None:
    from performer.control.osc.service import start

    return start(args, show)


def _start_midi(args: argparse.Namespace, show: Show) -> Service | None:
    from performer.control.midi.service import start

    return start(args, show)


def _start_audio(args: argparse.Namespace, show: Show) -> Service | None:
    from performer.control.audio.service import start

    return start(args, show)


def _start_link(args: argparse.Namespace, show: Show) -> Service | None:
    from performer.control.link.service import start

    return start(args, show)


def _start_web(args: argparse.Namespace, show: Show) -> Service | None:
    from performer.control.web.service import start

    return start(args, show)


# In start order. The options modules import no third-party library, so every command can
# build its parser without loading python-osc or mido; the services load them when started.
KINDS = (
    ServiceKind("OSC", osc_options.add_arguments, _start_osc),
    ServiceKind("MIDI", midi_options.add_arguments, _start_midi),
    ServiceKind("audio input", audio_options.add_arguments, _start_audio),
    ServiceKind("Link", link_options.add_arguments, _start_link),
    ServiceKind("web console", web_options.add_arguments, _start_web),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for kind in KINDS:
        kind.add_arguments(parser)


def start_services(args: argparse.Namespace, show: Show) -> list[Service]:
    """Start every enabled service; one that fails is reported in one line and skipped."""
    started: list[Service] = []
    for kind in KINDS:
        try:
            service = kind.start(args, show)
        except Exception as err:  # a control surface must never stop the show
            log.error("%s is off: %s", kind.name, err)
            continue
        if service is not None:
            started.append(service)
    return started


def stop_services(services: Sequence[Service]) -> None:
    for service in reversed(services):
        try:
            service.stop()
        except Exception:
            log.exception("stopping %s failed", service.name)
