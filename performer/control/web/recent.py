"""The last warnings and errors of the show, kept for the console (a logging handler)."""

from __future__ import annotations

import collections
import logging
import threading

KEPT = 20


class RecentWarnings(logging.Handler):
    """Keeps the last KEPT records at WARNING or above, each with a running number so a
    console can tell new ones from those it already shows."""

    def __init__(self, kept: int = KEPT) -> None:
        super().__init__(logging.WARNING)
        self._records: collections.deque[tuple[int, float, str, str]] = collections.deque(
            maxlen=kept)
        self._count = 0
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed log call: keep what can be kept
            text = str(record.msg)
        with self._guard:
            self._count += 1
            self._records.append((self._count, record.created, record.levelname, text))

    def latest(self) -> list[dict[str, object]]:
        with self._guard:
            return [{"n": n, "time": t, "level": level, "text": text}
                    for n, t, level, text in self._records]
