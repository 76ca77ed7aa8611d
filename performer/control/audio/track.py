"""A sound file as modulation: `performer render --audio FILE`.

The file is decoded by the ffmpeg imageio-ffmpeg ships (wav, flac, mp3 and the rest),
analysed whole by the same `Analyzer` as the live input, and handed out frame by frame:
frame i (at i / fps seconds) gets the levels of the newest hop by then and every onset and
beat placed after the previous frame, so the picture moves in step with the sound.
"""

from __future__ import annotations

import bisect
import subprocess
from pathlib import Path

import numpy as np

from performer.control.audio.analysis import RATE, Analyzer, Features
from performer.controls import AUDIO_LEVELS
from performer.params import ParamChange

SOURCE = "audio"


class AudioFileError(ValueError):
    """A sound file that cannot be read; the message is one line naming the file."""


def decode(path: Path, rate: int = RATE) -> np.ndarray:
    """The file's sound as mono float32 at `rate`."""
    import imageio_ffmpeg

    if not path.is_file():
        raise AudioFileError(f"{path}: no such file")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
               "-i", str(path), "-vn", "-f", "f32le", "-ac", "1", "-ar", str(rate), "-"]
    done = subprocess.run(command, capture_output=True, check=False)
    samples = np.frombuffer(done.stdout, dtype=np.float32)
    if done.returncode != 0 or samples.size == 0:
        why = (done.stderr.decode(errors="replace").strip().splitlines() or ["no sound in it"])
        raise AudioFileError(f"{path}: not a sound file performer can read ({why[-1]})")
    return samples


class Track:
    """A whole sound file, analysed: its features and the times of its hits."""

    def __init__(self, path: Path, duration: float, features: list[Features]) -> None:
        self.path = path
        self.duration = duration  # seconds
        self.features = features  # one per hop
        self._times = [f.time for f in features]
        self.onsets = sorted(f.onset for f in features if f.onset is not None)
        self.beats = sorted(f.beat for f in features if f.beat is not None)

    @classmethod
    def load(cls, path: Path) -> Track:
        """Decode and analyse `path`; AudioFileError if it is not a sound file."""
        samples = decode(path)
        return cls(path, len(samples) / RATE, Analyzer(RATE).process(samples))

    def changes(self, index: int, fps: float) -> list[ParamChange]:
        """What frame `index` (at index / fps seconds) is to be made with."""
        now = index / fps
        before = (index - 1) / fps if index else -1.0
        changes = []
        newest = bisect.bisect_right(self._times, now) - 1
        if newest >= 0:
            f = self.features[newest]
            changes += [ParamChange(n, v, SOURCE) for n, v in
                        zip(AUDIO_LEVELS, (f.level, f.low, f.mid, f.high), strict=True)]
        for name, times in (("audio.onset", self.onsets), ("audio.beat", self.beats)):
            if bisect.bisect_right(times, now) > bisect.bisect_right(times, before):
                changes.append(ParamChange(name, True, SOURCE))
        return changes
