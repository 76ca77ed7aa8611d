"""PortAudio through sounddevice: finding input devices, and the one error this room raises.

sounddevice loads the PortAudio library when imported: without it (or without any audio
system) the import fails, which becomes `AudioUnavailable` with one clear line.
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass
from types import ModuleType

from performer.control.device_names import name_pattern
from performer.control.native_logs import quiet_native_audio_logs


class AudioUnavailable(RuntimeError):
    """No audio system, no such input device, or the device could not be opened."""


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    host_api: str
    channels: int
    default_rate: float

    @property
    def label(self) -> str:
        return f"{self.name} ({self.host_api})"


def sounddevice() -> ModuleType:
    """The sounddevice module, or AudioUnavailable with the reason."""
    try:
        import sounddevice as sd
    except ImportError as err:
        raise AudioUnavailable(
            "audio input needs sounddevice (pip install sounddevice)") from err
    except OSError as err:  # sounddevice raises OSError when PortAudio cannot be loaded
        raise AudioUnavailable(f"no audio system: {err} (on Debian/Ubuntu: apt-get install "
                               "libportaudio2)") from err
    return sd


def rescan(sd: ModuleType) -> None:
    """Make PortAudio list devices afresh (it lists them once, when it starts), so a
    device plugged in, or back after a failure, is found. Only with no stream open.

    Not through sounddevice's own start-up: that silences the whole process's stderr while
    PortAudio starts (other threads' log lines vanished with it); the audio libraries'
    chatter is silenced at its source instead (`quiet_native_audio_logs`)."""
    release(sd)
    quiet_native_audio_logs()
    error = sd._lib.Pa_Initialize()
    if error:
        raise AudioUnavailable("no audio system: " + sd.ffi.string(
            sd._lib.Pa_GetErrorText(error)).decode(errors="replace"))
    # sounddevice counts the starts: `release` and its exit handler end as many.
    setattr(sd, "_initialized", sd._initialized + 1)  # noqa: B010 (a module's private count)


def release(sd: ModuleType) -> None:
    """Let go of PortAudio (and so of the audio server, e.g. JACK's client)."""
    while sd._initialized:
        sd._terminate()


def abandon(sd: ModuleType) -> None:
    """PortAudio holds a stream it could not close (its audio server went away): leave
    PortAudio alone at the process's end too. sounddevice's exit handler would terminate
    it, and PortAudio then waits minutes on the dead server and aborts the process."""
    atexit.unregister(sd._exit_handler)


def inputs(sd: ModuleType) -> list[InputDevice]:
    """Every device with input channels."""
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
    except sd.PortAudioError as err:
        raise AudioUnavailable(f"no audio system: {err}") from err
    return [InputDevice(i, d["name"], apis[d["hostapi"]]["name"], d["max_input_channels"],
                        d["default_samplerate"])
            for i, d in enumerate(devices) if d["max_input_channels"] > 0]


def find_input(devices: list[InputDevice], wanted: str | None) -> InputDevice | None:
    """The device `wanted` names: an index, or text (a regex) found in the name or host API
    (case-insensitive); None picks the first. None if nothing matches."""
    if not devices:
        return None
    if wanted is None:
        return devices[0]
    if wanted.isdigit():
        return next((d for d in devices if d.index == int(wanted)), None)
    pattern = name_pattern(wanted)
    return next((d for d in devices if pattern.search(d.label)), None)
