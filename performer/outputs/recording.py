"""The live recording as an output: the projector's picture into a video file through ffmpeg.

H.264 (.mp4) and HAP (.mov) as `performer render` writes them, or lossless FFV1 (.mkv, the
exact RGB of every pixel). The file stays playable if performer or ffmpeg is killed
(fragmented MP4/MOV, Matroska; see recorder.py). When the encoder lags, the fan-out's
mailbox drops pictures and counts them: the show never waits for the disk.

Beside the video, `FILE.frames.tsv` names what each recorded picture shows: the engine
frame's index and show time (a frame stays up for several refreshes, and dropped pictures
leave gaps), so a replay of the show can be lined up with the recording picture by picture.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TextIO

from performer.outputs.recorder import Recorder, codec_for
from performer.video import VideoFrame

log = logging.getLogger(__name__)

QUEUE_FRAMES = 2  # a short queue: a lagging encoder shows up at once as dropped pictures


def frames_path(path: Path) -> Path:
    """The list of what each recorded picture shows, beside the video."""
    return path.with_name(path.name + ".frames.tsv")


class RecordingOutput:
    """One recording into `path`; `codec` None means by the file's extension."""

    name = "record"

    def __init__(self, path: Path, codec: str | None = None) -> None:
        self.path = path
        self.codec = codec_for(path, codec)  # a bad name or extension fails before the show
        self._recorder: Recorder | None = None
        self._frames: TextIO | None = None

    def open(self, size: tuple[int, int], fps: float) -> None:
        self._recorder = Recorder(self.path, size, fps, self.codec, queue_frames=QUEUE_FRAMES,
                                  channels=4, crash_safe=True)
        self._frames = frames_path(self.path).open("w", buffering=1)  # a line at a time
        self._frames.write("picture\tframe\ttime\n")

    def send(self, frame: VideoFrame) -> None:
        assert self._recorder is not None and self._frames is not None, "open() first"
        picture = self._recorder.frames_written
        self._recorder.write(frame.pixels)
        self._frames.write(f"{picture}\t{frame.index}\t{frame.time!r}\n")

    def close(self) -> None:
        if self._frames is not None:
            self._frames.close()
            self._frames = None
        if self._recorder is not None:
            recorder, self._recorder = self._recorder, None
            recorder.close()
            log.info("recorded %s: %d frames", self.path, recorder.frames_written)
