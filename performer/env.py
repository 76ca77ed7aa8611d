"""The one place performer reads its environment (so tests and users can see it all)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path


def cache_dir() -> Path:
    """Where measured neuron statistics are cached ($XDG_CACHE_HOME/performer)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "performer"


def shader_path(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Extra shader folders from $PERFORMER_SHADER_PATH (os.pathsep-separated), searched first."""
    raw = (os.environ if environ is None else environ).get("PERFORMER_SHADER_PATH", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p]


def has_display() -> bool:
    """Whether a window can be opened at all (X11 or Wayland on Linux; always elsewhere)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
