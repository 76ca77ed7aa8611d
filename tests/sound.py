"""Click tracks for the audio tests, made by sox (package sox), and sound read back from
files through the ffmpeg imageio-ffmpeg ships."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import imageio_ffmpeg
import numpy as np

RATE = 48000
CLICK_S = 0.01  # each click: 10 ms of a 1 kHz sine at full scale


def click_track(path: Path, clicks: Sequence[float], seconds: float) -> Path:
    """A mono file (any extension sox writes: .wav, .flac, .mp3) with clicks at `clicks`."""
    assert shutil.which("sox"), "sox is missing: make test installs it (scripts/system_deps.sh)"
    parts = []
    for i, at in enumerate(clicks):
        part = path.with_name(f"{path.stem}-click{i}.wav")
        subprocess.run(["sox", "-n", "-r", str(RATE), "-c", "1", str(part), "synth",
                        str(CLICK_S), "sine", "1000", "pad", f"{at:.6f}",
                        f"{max(seconds - at - CLICK_S, 0):.6f}"], check=True)
        parts.append(str(part))
    subprocess.run(["sox", "-m", *parts, str(path)] if len(parts) > 1 else
                   ["sox", parts[0], str(path)], check=True)
    return path


def read_sound(path: Path) -> np.ndarray:
    """A file's first sound stream as mono float32 at RATE."""
    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path),
                           "-vn", "-f", "f32le", "-ac", "1", "-ar", str(RATE), "-"],
                          capture_output=True, check=True)
    return np.frombuffer(done.stdout, dtype=np.float32)


def click_starts(sound: np.ndarray, threshold: float = 0.1) -> list[float]:
    """Where each click in `sound` starts, in seconds."""
    loud = np.nonzero(np.abs(sound) > threshold)[0]
    if not len(loud):
        return []
    starts = loud[np.r_[True, np.diff(loud) > RATE // 20]]
    return [float(s) / RATE for s in starts]
