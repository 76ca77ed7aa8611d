"""Video files from rendered frames: ffmpeg in its own process, fed raw pixels by a writer thread.

Used by `performer render` and by the live recording. The caller only puts frames on a bounded
queue; a thread pipes them to ffmpeg, so a slow encoder or disk never blocks a draw unless the
queue is full (and then `on_full="drop"` drops the frame instead of waiting, for live use).

Codecs: "h264" (libx264, yuv420p BT.709; .mp4, .m4v, .mkv or .mov), "hap" (Vidvox HAP, DXT1,
for VJ software such as Resolume; .mov only) and "ffv1" (lossless FFV1 in Matroska, bgr0: the
exact RGB of every pixel, for archives). Without a codec, the file's extension decides: .mov
means HAP, .mkv FFV1, .mp4 and .m4v H.264.

`crash_safe=True` (live recording) writes a file that stays playable if performer or ffmpeg
is killed: fragmented MP4/MOV (a fragment per keyframe, a keyframe a second) and Matroska
clusters of at most a second, each flushed to disk as it is written. Otherwise MP4 gets
`+faststart` (the index first, playable while downloading).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import subprocess
import threading
from collections import deque
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

import numpy as np

log = logging.getLogger(__name__)

Codec = Literal["h264", "hap", "ffv1"]
CODECS: tuple[Codec, ...] = ("h264", "hap", "ffv1")
CONTAINERS: dict[str, tuple[str, ...]] = {
    "h264": (".mp4", ".m4v", ".mkv", ".mov"),
    "hap": (".mov",),
    "ffv1": (".mkv",),
}
BY_EXTENSION: dict[str, Codec] = {".mov": "hap", ".mkv": "ffv1", ".mp4": "h264", ".m4v": "h264"}
# yuv420p needs even sizes; HAP's DXT blocks are 4x4; FFV1 in RGB takes any size.
SIZE_MULTIPLE = {"h264": 2, "hap": 4, "ffv1": 1}
PIXEL_FORMATS = {3: "rgb24", 4: "rgba"}  # what write() takes, by channel count
CRASH_SAFE_INTERVAL_S = 1.0  # at most this much is lost when the recording is killed


class RecorderError(RuntimeError):
    """A video could not be written; the message is one line."""


def codec_for(path: str | Path, codec: str | None = None) -> Codec:
    """The codec to use: the one asked for (checked against the container), else by extension."""
    suffix = Path(path).suffix.lower()
    if codec is None:
        if suffix in BY_EXTENSION:
            return BY_EXTENSION[suffix]
        raise RecorderError(f"cannot tell the codec from {str(path)!r}: use .mp4 (H.264), "
                            f".mov (HAP) or .mkv (lossless FFV1), or name the codec")
    name = next((known for known in CODECS if known == codec), None)
    if name is None:
        raise RecorderError(f"unknown codec {codec!r}: choose {', '.join(CODECS)}")
    if suffix not in CONTAINERS[name]:
        raise RecorderError(f"{name} cannot go in a {suffix or 'extension-less'} file: use "
                            f"{' or '.join(CONTAINERS[name])}")
    return name


def encodable_size(size: tuple[int, int], codec: Codec) -> tuple[int, int]:
    """`size` rounded down to what the codec accepts (even for H.264, multiples of 4 for HAP)."""
    m = SIZE_MULTIPLE[codec]
    return (max(m, size[0] // m * m), max(m, size[1] // m * m))


def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg (or the one IMAGEIO_FFMPEG_EXE names)."""
    import imageio_ffmpeg

    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as err:
        raise RecorderError(f"no ffmpeg found: {err}") from err


@functools.lru_cache(maxsize=4)
def has_encoder(ffmpeg: str, encoder: str) -> bool:
    """Whether this ffmpeg build lists `encoder` (HAP is missing from some builds)."""
    listing = subprocess.run([ffmpeg, "-hide_banner", "-encoders"], capture_output=True,
                             text=True, check=False).stdout
    return any(line.split()[1:2] == [encoder] for line in listing.splitlines() if line.strip())


def ffmpeg_command(ffmpeg: str, path: Path, size: tuple[int, int], fps: float, codec: Codec,
                   crf: int = 18, preset: str = "veryfast", *, channels: int = 3,
                   crash_safe: bool = False, audio: Path | None = None) -> list[str]:
    """The ffmpeg command line that reads raw frames (rgb24, or rgba with `channels=4`) on
    stdin and writes `path`, with `audio`'s sound muxed in (cut to the video's length) when
    given."""
    rate = Fraction(fps).limit_denominator(1001)
    command = [
        ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", PIXEL_FORMATS[channels], "-s", f"{size[0]}x{size[1]}",
        "-framerate", str(rate), "-i", "-",
    ]
    if audio is None:
        command.append("-an")
    else:
        sound = ["-c:a", "aac", "-b:a", "192k"] if codec == "h264" else ["-c:a", "pcm_s16le"]
        command += ["-i", str(audio), "-map", "0:v", "-map", "1:a", *sound, "-shortest"]
    keyframe_every = max(1, round(fps * CRASH_SAFE_INTERVAL_S))
    if codec == "h264":
        command += [
            "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
            "-vf", "scale=out_color_matrix=bt709:out_range=tv", "-pix_fmt", "yuv420p",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-color_range", "tv",
        ]
        if crash_safe:
            command += ["-g", str(keyframe_every)]
    elif codec == "hap":
        command += ["-c:v", "hap", "-format", "hap"]
    else:  # FFV1 version 3, every frame a keyframe with checksummed slices; RGB kept exactly
        command += ["-c:v", "ffv1", "-level", "3", "-g", "1", "-slicecrc", "1",
                    "-pix_fmt", "bgr0"]
    if path.suffix.lower() == ".mkv":
        if crash_safe:
            limit_ms = str(round(CRASH_SAFE_INTERVAL_S * 1000))
            command += ["-cluster_time_limit", limit_ms, "-flush_packets", "1"]
    elif crash_safe:
        command += ["-movflags", "+frag_keyframe+empty_moov+default_base_moof",
                    "-flush_packets", "1"]
    else:
        command += ["-movflags", "+faststart"]
    return [*command, str(path)]


class Recorder:
    """Encode frames of `size` (w, h) at `fps` into `path`; see the module notes for codecs.

    `write` queues a frame (copied, so the caller may reuse its buffer) of `channels` (3 RGB,
    4 RGBA, alpha ignored); `close` waits for ffmpeg and raises RecorderError if it failed.
    Use as a context manager.
    """

    def __init__(self, path: str | Path, size: tuple[int, int], fps: float,
                 codec: str | None = None, *, queue_frames: int = 8,
                 on_full: Literal["block", "drop"] = "block", crf: int = 18,
                 preset: str = "veryfast", ffmpeg: str | None = None, channels: int = 3,
                 crash_safe: bool = False, audio: Path | None = None) -> None:
        self.path = Path(path)
        self.codec = codec_for(self.path, codec)
        self.size = (int(size[0]), int(size[1]))
        self.fps = float(fps)
        self.on_full = on_full
        if channels not in PIXEL_FORMATS:
            raise RecorderError(f"frames must have 3 (RGB) or 4 (RGBA) channels, not {channels}")
        self.channels = channels
        if self.fps <= 0:
            raise RecorderError(f"fps must be positive, got {fps}")
        multiple = SIZE_MULTIPLE[self.codec]
        if self.size[0] % multiple or self.size[1] % multiple or min(self.size) < 1:
            w, h = encodable_size(self.size, self.codec)
            raise RecorderError(f"{self.codec} needs width and height in multiples of "
                                f"{multiple}, got {self.size[0]}x{self.size[1]} (try {w}x{h})")
        exe = ffmpeg or ffmpeg_exe()
        if self.codec == "hap" and not has_encoder(exe, "hap"):
            raise RecorderError(f"this ffmpeg ({exe}) has no HAP encoder: record H.264 (.mp4)")

        self.frames_written = 0  # frames queued for ffmpeg
        self.dropped = 0  # frames dropped because the queue was full (on_full="drop")
        self._stderr_tail: deque[str] = deque(maxlen=40)
        self._stderr_first: str | None = None
        self._failure: str | None = None
        self._closed = False
        self._reported = False
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=max(1, queue_frames))
        command = ffmpeg_command(exe, self.path, self.size, self.fps, self.codec, crf, preset,
                                 channels=channels, crash_safe=crash_safe, audio=audio)
        log.debug("recorder: %s", " ".join(command))
        try:
            self._proc = subprocess.Popen(command, stdin=subprocess.PIPE,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as err:
            raise RecorderError(f"cannot start ffmpeg ({exe}): {err.strerror}") from err
        assert self._proc.stdin is not None and self._proc.stderr is not None
        self._stderr_reader = threading.Thread(
            target=self._read_stderr, args=(self._proc.stderr,), name="recorder-stderr",
            daemon=True)
        self._writer = threading.Thread(
            target=self._pump, args=(self._proc.stdin,), name="recorder-writer", daemon=True)
        self._stderr_reader.start()
        self._writer.start()
        log.info("recording %s: %dx%d at %g fps, %s", self.path, *self.size, self.fps, self.codec)

    def write(self, rgb: np.ndarray) -> bool:
        """Queue one (h, w, channels) uint8 frame, row 0 at the top. False if it was dropped."""
        if self._closed:
            raise RecorderError(f"recorder for {self.path} is closed")
        if self._failure is not None:
            self._raise_failure()
        h_w = (self.size[1], self.size[0], self.channels)
        if rgb.shape != h_w or rgb.dtype != np.uint8:
            raise RecorderError(f"frame is {rgb.shape} {rgb.dtype}, expected {h_w} uint8")
        frame = np.array(rgb, dtype=np.uint8, order="C", copy=True)
        if self.on_full == "drop":
            try:
                self._queue.put_nowait(frame)
            except queue.Full:
                self.dropped += 1
                return False
        else:
            self._queue.put(frame)
        self.frames_written += 1
        return True

    def close(self) -> None:
        """Finish the file: flush the queue, wait for ffmpeg, check its exit status."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join()
        with contextlib.suppress(OSError):  # a broken pipe is reported through the exit status
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        code = self._proc.wait()
        self._stderr_reader.join(timeout=5.0)
        if code != 0 or self._failure is not None:
            if self._reported:  # write() already raised this failure
                return
            self._raise_failure()
        log.debug("wrote %s: %d frames (%d dropped)", self.path, self.frames_written, self.dropped)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.close()
            return
        try:  # the body's own exception is the one to see
            self.close()
        except RecorderError as err:
            log.error("%s", err)

    # -- threads ----------------------------------------------------------------------------

    def _pump(self, stdin: IO[bytes]) -> None:
        """Writer thread: queue → ffmpeg's stdin. After a failure, keep draining to the end."""
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            if self._failure is not None:
                continue
            try:
                stdin.write(frame.data.cast("B"))
            except OSError as err:  # BrokenPipeError: ffmpeg exited
                self._failure = err.strerror or type(err).__name__

    def _read_stderr(self, stderr: IO[bytes]) -> None:
        for raw in stderr:
            line = raw.decode("utf-8", errors="replace").strip()
            if line:
                if self._stderr_first is None:
                    self._stderr_first = line
                self._stderr_tail.append(line)

    def _raise_failure(self) -> None:
        """Raise ffmpeg's failure once, as one line; the whole stderr tail goes to the log."""
        try:  # ffmpeg has stopped reading: let it finish saying why
            code: int | None = self._proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr_reader.join(timeout=5.0)
        for line in self._stderr_tail:
            log.error("ffmpeg: %s", line)
        # ffmpeg's first error line names the cause; the lines after it are consequences
        # ("Error while opening encoder", "Nothing was written into output file").
        cause = self._stderr_first or self._failure or "no message"
        status = f"exit {code}" if code is not None else "stopped taking frames"
        self._reported = True
        raise RecorderError(f"ffmpeg failed ({status}) writing {self.path}: {cause}")
