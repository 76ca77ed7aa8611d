"""The terminal status line: fps, generator time, living neurons and the key parameters,
all read from the frame on screen."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from performer.controls import SCENE_NONE
from performer.frame import Frame


def status_text(frame: Frame | None, display_fps: float) -> str:
    """One line from the frame on screen: speed, neurons, and the values it was made with."""
    if frame is None:
        return f"display {display_fps:5.1f} fps | waiting for the first frame"
    v, figures, neurons = frame.values, frame.figures, frame.neurons
    return (
        f"display {display_fps:5.1f} fps | gen {figures.fps:5.1f} fps"
        f" {figures.generator_ms:5.1f} ms | alive {neurons.alive_count}/{neurons.total}"
        f" | dead {frame.dead:6.1%} rate {v.float('ablation.rate'):.1f}/s"
        f"{' revive' if v.bool('ablation.revive') else ''}"
        f" | layer {v['ablation.layer']} order {v['ablation.order']} fill {v['ablation.fill']}"
        f" | drift {v.float('drift.speed'):.2f} face {frame.face_seed}"
        f"{' frozen' if v.bool('drift.freeze') else ''}"
        f"{model_text(frame)}"
        f"{'' if v.str('scene.recall') == SCENE_NONE else ' | scene ' + v.str('scene.recall')}"
    )


def model_text(frame: Frame) -> str:
    """The model on screen and its memory; statistics still measured and notes, if any."""
    status = frame.model
    if not status.name:
        return ""
    text = f" | model {status.name} {status.memory_mb:.0f} MB"
    if status.statistics != "ready":
        text += f" statistics {status.statistics}"
    return text + (f" | {status.note}" if status.note else "")


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
        self.last = 0.0  # the rate the last report gave (for readers on other threads)

    def count(self) -> None:
        self._count += 1

    def rate(self) -> float:
        now = time.perf_counter()
        rate = self._count / max(now - self._since, 1e-6)
        self._count, self._since, self.last = 0, now, rate
        return rate
