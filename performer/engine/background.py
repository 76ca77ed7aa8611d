"""One background thread for slow work (loading models, measuring their statistics), so the
engine thread never waits for it.

Jobs run one at a time, in the order given: on 2 cores two measurements at once would only
slow each other and the show. The thread asks the kernel for a lower priority (Linux nices
threads one by one), so the generator on screen keeps its frame rate while a job runs.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

NICENESS = 10  # added to the background thread's nice value (best effort)


class Background:
    def __init__(self, name: str = "performer-background") -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        """Run `job` after the jobs already given; it reports its own failures."""
        with self._lock:
            if not self._started:
                self._thread.start()
                self._started = True
                # Whatever way the program ends, a job running torch is let finish first
                # (a thread killed inside torch at exit aborts the process).
                atexit.register(self.stop)
        self._jobs.put(job)

    def _run(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:  # a job that failed must not end the thread (the show goes on)
                log.exception("a background job failed")

    def idle(self, timeout: float | None) -> bool:
        """Wait until every job given so far has run (tests, the bench); False on timeout."""
        done = threading.Event()
        self.submit(done.set)
        return done.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread after its current job (jobs not started are dropped)."""
        if not self._started or not self._thread.is_alive():
            return
        with contextlib.suppress(queue.Empty):
            while True:
                self._jobs.get_nowait()
        self._jobs.put(None)
        self._thread.join(timeout)
