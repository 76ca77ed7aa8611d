"""Writing the show log off the render thread: the engine hands each step to a queue, a
thread turns it into lines, compresses them and flushes at least every FLUSH_S, so a
`kill -9` loses at most the last second. A log stops (one warning) at its size limit;
old logs in the default folder are deleted beyond the newest KEEP.
"""

from __future__ import annotations

import gzip
import logging
import queue
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from performer.engine.engine import Step
from performer.params import Kind, ParamChange, Registry, Value
from performer.showlog.format import (
    SUFFIX,
    Header,
    LoggedModel,
    change_line,
    loaded_line,
    step_line,
    stopped_line,
)

log = logging.getLogger(__name__)

FLUSH_S = 0.5  # flushed this often at least: a kill -9 loses no more
KEEP = 20  # show logs kept in the default folder (the newest)
MAX_BYTES = 512 * 1024 * 1024  # a log stops growing here (compressed)
QUEUE_STEPS = 10_000  # steps waiting for the writer; beyond, the log ends with a gap
ENGINE = "engine"


def default_log_path(folder: Path, now: datetime | None = None) -> Path:
    """A new log's name in `folder`: show-YYYYmmdd-HHMMSS.jsonl.gz (made unique)."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S")
    path = folder / f"show-{stamp}{SUFFIX}"
    number = 1
    while path.exists():
        number += 1
        path = folder / f"show-{stamp}-{number}{SUFFIX}"
    return path


def prune(folder: Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest `keep` show logs in `folder`; returns those deleted."""
    logs = sorted(folder.glob(f"show-*{SUFFIX}"), key=lambda p: p.stat().st_mtime)
    old = logs[:-keep] if keep > 0 else logs
    for path in old:
        path.unlink(missing_ok=True)
    return old


def registry_state(registry: Registry) -> dict[str, Value]:
    """Every parameter's value but the triggers' (events, logged when they fire)."""
    values = registry.values()
    return {p.name: values[p.name] for p in registry.params() if p.kind is not Kind.TRIGGER}


class ShowLogWriter:
    """Logs every step the engine observes into `path` (see performer.showlog.format)."""

    def __init__(self, path: Path, header: Header, *, max_bytes: int = MAX_BYTES,
                 flush_s: float = FLUSH_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.flush_s = flush_s
        self.dropped = 0  # steps not logged (the writer fell behind): the log ends before
        self._clock = clock
        self._last: dict[str, Value] = dict(header.registry)
        self._sources: dict[str, str] = {}
        self._models = {header.models[0].name}  # shown from the start; the rest: when loaded
        self._queue: queue.Queue[Step | None] = queue.Queue(QUEUE_STEPS)
        self._stopped = False  # size limit or a gap: no more lines
        path.parent.mkdir(parents=True, exist_ok=True)
        self._raw: IO[bytes] = path.open("wb")
        self._gzip = gzip.GzipFile(fileobj=self._raw, mode="wb", compresslevel=6)
        self._write(header.encode())
        self._flush()
        self._thread = threading.Thread(target=self._run, name="performer-show-log",
                                        daemon=True)
        self._thread.start()

    # --- on other threads ---------------------------------------------------------------
    def heard(self, change: ParamChange) -> None:
        """A registry listener: remember who last changed each parameter (not the engine),
        to name the source of the changes a step consumed."""
        if change.source != ENGINE:
            self._sources[change.name] = change.source

    def observe(self, step: Step) -> None:
        """An engine observer: queue the step, never block. A full queue ends the log."""
        if self._stopped:
            return
        try:
            self._queue.put_nowait(step)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Write what is queued, end the gzip stream and close the file."""
        self._queue.put(None)
        self._thread.join(timeout=30.0)
        try:
            self._gzip.close()
            self._raw.close()
        except OSError as err:
            log.warning("show log %s: %s", self.path, err.strerror or err)
        if self.dropped:
            log.warning("show log %s: the disk fell behind, %d steps at the end are not "
                        "logged", self.path, self.dropped)

    # --- the writer thread --------------------------------------------------------------
    def _run(self) -> None:
        last_flush = self._clock()
        while True:
            wait = max(0.0, self.flush_s - (self._clock() - last_flush))
            step: Step | None = None
            try:
                step = self._queue.get(timeout=wait)
                if step is None:
                    return
            except queue.Empty:
                pass  # nothing new: only the flush is due
            try:
                if step is not None and not self._stopped:
                    self._log(step)
                if self._clock() - last_flush >= self.flush_s:
                    self._flush()
                    last_flush = self._clock()
                    self._check_size()
            except OSError as err:
                log.warning("show log %s stopped: %s", self.path, err.strerror or err)
                self._stopped = True

    def _log(self, step: Step) -> None:
        if self.dropped:  # a gap: what follows would not replay
            self._stop("the disk fell behind the show")
            return
        index, shown = step.index, step.time
        lines = []
        for name, value in step.snapshot.data.items():
            if self._last.get(name, value) != value:  # triggers: below, when fired
                lines.append(change_line(index, shown, name, value,
                                         self._sources.get(name, "api")))
        for name, times in step.snapshot.fired_at.items():
            lines.append(change_line(index, shown, name, True, self._sources.get(name, "api"),
                                     times))
        for name in step.models:
            if name not in self._models:
                self._models.add(name)
                lines.append(loaded_line(index, shown, name))
        lines.append(step_line(index, shown, step.dt))
        self._last = dict(step.values.data)
        self._write("\n".join(lines))

    def _check_size(self) -> None:
        """Past the size limit (measured at a flush: compressed bytes on disk) the log
        stops; what is there replays."""
        if not self._stopped and self._raw.tell() > self.max_bytes:
            log.warning("show log %s reached its limit of %g MB and stops here", self.path,
                        self.max_bytes / 1e6)
            self._stop(f"it reached its limit of {self.max_bytes / 1e6:g} MB")

    def _stop(self, why: str) -> None:
        """No more steps: a last line says why, so a replay can say where and why it ends."""
        self._write(stopped_line(why))
        self._flush()
        self._stopped = True

    def _write(self, text: str) -> None:
        self._gzip.write(text.encode("utf-8") + b"\n")

    def _flush(self) -> None:
        self._gzip.flush(zlib.Z_SYNC_FLUSH)  # a reader can decode up to here after a kill
        self._raw.flush()


def new_header(registry: Registry, models: Sequence[LoggedModel], size: tuple[int, int],
               shader: str, fx: Sequence[str] | None,
               scenes: Mapping[str, Mapping[str, Value]]) -> Header:
    """The header of a live show's log: models, size, wall clock, scenes, every value."""
    return Header(
        tuple(models), size, shader, None if fx is None else tuple(fx),
        "wall",
        datetime.now(timezone.utc).isoformat(timespec="seconds"),
        tuple((name, dict(values)) for name, values in scenes.items()),
        registry_state(registry),
    )
