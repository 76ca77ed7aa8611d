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


# MIDI: mido reads MIDO_BACKEND itself; performer only reads it here, and never overrides it.
MIDI_BACKEND_DEFAULT = "mido.backends.rtmidi"
MIDI_APIS = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE",
             "winmm": "WINDOWS_MM"}


def midi_backend(environ: Mapping[str, str] | None = None) -> str | None:
    """The mido backend named by $MIDO_BACKEND (e.g. mido.backends.rtmidi/UNIX_JACK), if set."""
    return (os.environ if environ is None else environ).get("MIDO_BACKEND") or None


def user_midi_mapping(environ: Mapping[str, str] | None = None) -> Path:
    """Where MIDI learn saves: $PERFORMER_MIDI_MAPPING, else
    $XDG_CONFIG_HOME/performer/midi.toml (~/.config/performer/midi.toml)."""
    env = os.environ if environ is None else environ
    if env.get("PERFORMER_MIDI_MAPPING"):
        return Path(env["PERFORMER_MIDI_MAPPING"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "performer" / "midi.toml"


def config_dir() -> Path:
    """Where the user's show file lives by default (the platform's config folder)."""
    import platformdirs

    return platformdirs.user_config_path("performer")


def state_dir() -> Path:
    """Where show logs go by default (the platform's state folder)."""
    import platformdirs

    return platformdirs.user_state_path("performer")
