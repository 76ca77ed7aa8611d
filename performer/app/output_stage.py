"""The show's output stage: the fan-out of output pictures, and the recording that
`output.record` starts and stops.

The render loop (window or headless) hands each picture it read back to `post`; the stage
follows `output.record` in the frames on screen, so keys, OSC and MIDI all start and stop
the recording the same way.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from performer.frame import Frame
from performer.outputs.fanout import Fanout
from performer.outputs.recorder import CONTAINERS, codec_for
from performer.outputs.recording import RecordingOutput
from performer.video import OutputFigures, VideoFrame, VideoOutput

log = logging.getLogger(__name__)


def default_recording_path(codec: str | None = None) -> Path:
    """Where `output.record` records when no --record FILE was given: the working folder,
    named by the show's start, H.264 unless another codec is asked for."""
    suffix = CONTAINERS[codec][0] if codec else ".mp4"
    return Path(time.strftime("performer-%Y%m%d-%H%M%S") + suffix)


def numbered(path: Path, take: int) -> Path:
    """The file of the `take`-th recording: FILE, then FILE-2, FILE-3, ..."""
    return path if take == 1 else path.with_name(f"{path.stem}-{take}{path.suffix}")


class OutputStage:
    def __init__(self, outputs: list[VideoOutput],
                 record_path: Path | None = None, record_codec: str | None = None) -> None:
        self.fanout = Fanout(outputs)
        self.record_path = record_path or default_recording_path(record_codec)
        self.record_codec = record_codec
        codec_for(self.record_path, record_codec)  # a bad name fails before the show
        self._recording = False
        self._takes = 0

    @property
    def active(self) -> bool:
        """Whether any output takes pictures (else nothing is read back)."""
        return self.fanout.active

    def follow(self, frame: Frame | None) -> None:
        """Start or stop the recording as the frame on screen says (`output.record`)."""
        wanted = frame is not None and frame.values.bool("output.record")
        if wanted and not self._recording:
            self._start_recording()
        elif not wanted and self._recording:
            self._recording = False
            self._report(self.fanout.remove(RecordingOutput.name))

    def _start_recording(self) -> None:
        self._recording = True
        self._takes += 1
        path = numbered(self.record_path, self._takes)
        self.fanout.remove(RecordingOutput.name)  # a failed earlier take, if any
        self.fanout.add(RecordingOutput(path, self.record_codec))
        log.info("recording to %s", path)

    def add(self, output: VideoOutput) -> None:
        """An output that joins once the show runs (the console's preview)."""
        self.fanout.add(output)

    def post(self, picture: VideoFrame) -> None:
        self.fanout.post(picture)

    def figures(self) -> list[OutputFigures]:
        return self.fanout.figures()

    def status_text(self) -> str:
        """' | ndi 59.8 fps 0 dropped | ...' for the status line ('' without outputs)."""
        parts = []
        for figures in self.figures():
            state = "FAILED" if figures.failed else f"{figures.fps:4.1f} fps"
            parts.append(f"{figures.name} {state} {figures.dropped} dropped")
        return "".join(f" | {part}" for part in parts)

    def close(self) -> None:
        self._report(self.fanout.close())

    @staticmethod
    def _report(final: list[OutputFigures]) -> None:
        """One line per output that stops: what it sent, and what it missed."""
        for figures in final:
            lagged = f", {figures.dropped} dropped (it lagged)" if figures.dropped else ""
            log.info("%s: %d pictures sent%s%s", figures.name, figures.sent, lagged,
                     " before it failed" if figures.failed else "")
