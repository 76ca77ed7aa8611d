"""The terminal status line: fps, generator time, living neurons and the key parameters."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from performer.engine import EngineStats
from performer.frame import Frame
from performer.params import Registry


def status_text(stats: EngineStats, display_fps: float, latest: Frame | None,
                registry: Registry) -> str:
    v = registry.value
    alive = latest.neurons.alive_count if latest else 0
    total = latest.neurons.total if latest else 0
    return (
        f"display {display_fps:5.1f} fps | gen {stats.fps:5.1f} fps {stats.generator_ms:5.1f} ms"
        f" | alive {alive}/{total} | dead {float(v('ablation.dead')):6.1%}"
        f" rate {float(v('ablation.rate')):.1f}/s{' revive' if v('ablation.revive') else ''}"
        f" | layer {v('ablation.layer')} order {v('ablation.order')} fill {v('ablation.fill')}"
        f" | drift {float(v('drift.speed')):.2f} face {v('drift.seed')}"
        f"{' frozen' if v('drift.freeze') else ''}"
    )


class StatusLine:
    """Rewrites one terminal line twice a second; on a non-terminal, a line every 10 s."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.interval = 0.5 if self.live else 10.0
        self._last = time.perf_counter()  # the first line after one interval, not at once

    def due(self) -> bool:
        return time.perf_counter() - self._last >= self.interval

    def show(self, text: str) -> None:
        self._last = time.perf_counter()
        if self.live:
            self.stream.write("\r\x1b[2K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


class RateMeter:
    """Counts events and reports their rate since the last report."""

    def __init__(self) -> None:
        self._count = 0
        self._since = time.perf_counter()

    def count(self) -> None:
        self._count += 1

    def rate(self) -> float:
        now = time.perf_counter()
        rate = self._count / max(now - self._since, 1e-6)
        self._count, self._since = 0, now
        return rate
