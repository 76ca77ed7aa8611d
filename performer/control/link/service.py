"""The Link session: a thread running aalink's asyncio loop.

Link -> show: the session's tempo becomes `tempo.bpm` (checked ten times a second), and
every bar line of the session (quantum 4) fires `tempo.bar`, which pulls the engine's beat
count onto the session's bars. Show -> Link: a tempo set here from anywhere else (tap,
MIDI clock, OSC, a knob) is proposed to the session, so the other peers follow.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import threading
from typing import Any

from performer.control.show import Show
from performer.engine.beats import BEATS_PER_BAR
from performer.params import ParamChange, Registry

log = logging.getLogger(__name__)

SOURCE = "link"
TEMPO_POLL_S = 0.1
TEMPO_STEP = 0.05  # BPM: smaller differences are not a tempo change


class LinkUnavailable(RuntimeError):
    """aalink is not installed."""


class LinkService:
    name = "Link"

    def __init__(self, registry: Registry) -> None:
        try:
            import aalink
        except ImportError as err:
            raise LinkUnavailable("Ableton Link needs aalink (pip install aalink)") from err
        self._aalink = aalink
        self.registry = registry
        self.peers = 0
        self.bars = 0  # bar lines passed on to the show
        self._link: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []  # held, so they are not collected
        self._tempo = float(registry.value("tempo.bpm"))
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe = registry.subscribe(self._on_change)

    def start(self) -> LinkService:
        self._thread = threading.Thread(target=self._run, name="performer-link", daemon=True)
        self._thread.start()
        self._ready.wait(5.0)
        return self

    def stop(self) -> None:
        self._unsubscribe()
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None

    @property
    def tempo(self) -> float:
        """The session's tempo as last seen."""
        return self._tempo

    # --- the Link thread ------------------------------------------------------------------
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._join())
            self._tasks = [loop.create_task(self._follow_tempo()),
                           loop.create_task(self._follow_bars())]
            self._ready.set()
            loop.run_forever()
        except Exception:  # Link is an extra: the show goes on without it
            log.exception("Link stopped")
        finally:
            self._ready.set()
            if self._link is not None:
                self._link.enabled = False
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _join(self) -> None:
        self._link = self._aalink.Link(self._tempo)
        self._link.quantum = BEATS_PER_BAR
        self._link.enabled = True
        log.info("Link: joined the session (%g BPM)", self._tempo)

    async def _follow_tempo(self) -> None:
        while True:
            peers = int(self._link.num_peers)
            if peers != self.peers:
                self.peers = peers
                log.info("Link: %d other peer(s)", peers)
            tempo = float(self._link.tempo)
            if abs(tempo - self._tempo) >= TEMPO_STEP:
                self._tempo = tempo
                self.registry.submit(ParamChange("tempo.bpm", round(tempo, 2), SOURCE))
            await asyncio.sleep(TEMPO_POLL_S)

    async def _follow_bars(self) -> None:
        while True:
            await self._link.sync(BEATS_PER_BAR)
            self.bars += 1
            self.registry.submit(ParamChange("tempo.bar", True, SOURCE))

    # --- show -> Link ---------------------------------------------------------------------
    def _on_change(self, change: ParamChange) -> None:
        if change.name != "tempo.bpm" or change.source == SOURCE:
            return
        bpm = float(change.value)
        self._tempo = bpm
        loop = self._loop
        if loop is not None and self._link is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(setattr, self._link, "tempo", bpm)


def start(args: argparse.Namespace, show: Show) -> LinkService | None:
    if not args.link:
        return None
    return LinkService(show.registry).start()
