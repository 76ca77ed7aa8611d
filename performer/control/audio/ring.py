"""The ring buffer between the audio callback and the analysis thread.

The callback (PortAudio's real-time thread) only copies its block in and sets an event;
the analysis thread reads what is new. One writer, one reader, no lock: the writer moves
`written` after the copy, and a reader that was lapped (the analysis fell more than the
capacity behind) drops the oldest samples and counts them.
"""

from __future__ import annotations

import threading
import time

import numpy as np


class Ring:
    def __init__(self, capacity: int) -> None:
        self._data = np.zeros(capacity, dtype=np.float32)
        self.capacity = capacity
        self.written = 0  # samples written since the start
        self.written_at = 0.0  # perf_counter() of the newest block
        self.lost = 0  # samples the reader missed because it was lapped
        self.ready = threading.Event()

    def write(self, block: np.ndarray) -> None:
        """Copy a block in (the audio callback's only work)."""
        total = len(block)
        skipped = max(total - self.capacity, 0)  # a block longer than the ring: its end
        block, count = block[skipped:], total - skipped
        start = (self.written + skipped) % self.capacity
        first = min(count, self.capacity - start)
        self._data[start:start + first] = block[:first]
        self._data[:count - first] = block[first:]
        self.written += total
        self.written_at = time.perf_counter()
        self.ready.set()

    def read(self, since: int) -> tuple[np.ndarray, int]:
        """The samples written after position `since`, and the position to read from next."""
        end = self.written
        if end - since > self.capacity:
            self.lost += end - since - self.capacity
            since = end - self.capacity
        start, count = since % self.capacity, end - since
        first = min(count, self.capacity - start)
        samples = np.concatenate((self._data[start:start + first], self._data[:count - first]))
        if self.written - since > self.capacity:  # lapped while copying: drop the oldest
            overwritten = self.written - since - self.capacity
            self.lost += overwritten
            samples = samples[overwritten:]
        return samples, end
