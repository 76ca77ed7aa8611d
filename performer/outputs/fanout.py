"""The fan-out: every output picture to every `VideoOutput`, each on its own thread.

Each output sits behind a one-slot mailbox: the render loop posts and never waits; an
output slower than the show misses pictures (the newest one wins) and the mailbox counts
them. An output that raises (in open, send or close) is closed and reported in one line;
the show and the other outputs go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence

from performer.mailbox import Mailbox
from performer.video import OutputFigures, VideoFrame, VideoOutput, is_wanted

log = logging.getLogger(__name__)

RATE_WINDOW_S = 2.0  # fps is measured over the sends of the last two seconds
POLL_S = 0.2  # how often an idle worker looks whether it should stop


class OutputWorker:
    """One output on its own thread, opened with the first picture's size and rate."""

    def __init__(self, output: VideoOutput) -> None:
        self.output = output
        self.name = output.name
        self.mailbox: Mailbox[VideoFrame] = Mailbox()
        self.sent = 0
        self.failed = False
        self._send_times: deque[float] = deque(maxlen=512)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"output-{self.name}",
                                        daemon=True)
        self._thread.start()

    @property
    def taking(self) -> bool:
        """Whether this output takes pictures now: it has not failed and is wanted."""
        return not self.failed and is_wanted(self.output)

    def post(self, frame: VideoFrame) -> None:
        if self.taking:
            self.mailbox.post(frame)

    def figures(self) -> OutputFigures:
        now = time.perf_counter()
        recent = [t for t in list(self._send_times) if now - t <= RATE_WINDOW_S]
        span = min(RATE_WINDOW_S, now - recent[0]) if recent else 0.0
        fps = (len(recent) - 1) / span if len(recent) > 1 and span > 0 else 0.0
        # The last picture posted and not yet taken is not lost: it is still on its way.
        return OutputFigures(self.name, fps, self.sent, self.mailbox.dropped, self.failed)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking pictures, close the output, wait for the thread (up to `timeout`)."""
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("output %s did not stop within %.0f s; left behind", self.name, timeout)

    def _run(self) -> None:
        opened = False
        try:
            while not self._stop.is_set():
                frame = self.mailbox.take(POLL_S)
                if frame is None:
                    continue
                if not opened:
                    self.output.open(frame.size, frame.fps)
                    opened = True
                self.output.send(frame)
                self.sent += 1
                self._send_times.append(time.perf_counter())
        except Exception as err:
            self.failed = True
            log.error("output %s failed and is closed, the show goes on: %s", self.name,
                      _one_line(err))
        if opened:
            try:
                self.output.close()
            except Exception as err:
                log.error("output %s failed while closing: %s", self.name, _one_line(err))


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


class Fanout:
    """Every output of one show. `post` is for the render loop: it never blocks."""

    def __init__(self, outputs: Sequence[VideoOutput] = ()) -> None:
        self._workers: list[OutputWorker] = []
        self._lock = threading.Lock()
        for output in outputs:
            self.add(output)

    def add(self, output: VideoOutput) -> None:
        worker = OutputWorker(output)
        with self._lock:
            self._workers.append(worker)

    def remove(self, name: str) -> list[OutputFigures]:
        """Stop and close the output called `name` (if there is one); its final figures."""
        with self._lock:
            gone = [w for w in self._workers if w.name == name]
            self._workers = [w for w in self._workers if w.name != name]
        for worker in gone:
            worker.stop()
        return [worker.figures() for worker in gone]

    def names(self) -> list[str]:
        with self._lock:
            return [w.name for w in self._workers]

    @property
    def active(self) -> bool:
        """Whether any output still takes pictures (else reading them back is wasted)."""
        with self._lock:
            return any(w.taking for w in self._workers)

    def post(self, frame: VideoFrame) -> None:
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            worker.post(frame)

    def figures(self) -> list[OutputFigures]:
        with self._lock:
            workers = list(self._workers)
        return [w.figures() for w in workers]

    def close(self) -> list[OutputFigures]:
        """Stop and close every output; their final figures."""
        with self._lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()
        return [worker.figures() for worker in workers]
