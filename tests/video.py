"""Reading video files back for the tests, through the ffmpeg imageio-ffmpeg ships."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np


def decode(path: Path) -> tuple[dict[str, Any], list[np.ndarray]]:
    """(metadata, frames as (H, W, 3) uint8 arrays) of a video file."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader]
    return meta, frames
