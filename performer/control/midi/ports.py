"""MIDI ports: list, open, read and write, whatever the MIDI system.

Input is read by polling, never through a callback into Python. With python-rtmidi the
MIDI system's own thread (JACK's process thread, ALSA's input thread) only stores each
message in rtmidi's C++ queue; it never waits for Python's GIL. That matters under JACK:
opening or listing ports makes the server re-sort its graph, which waits for every
client's process cycle, and a process cycle that waits for the GIL held by the thread
opening the port deadlocks the whole process (seen with mido's callback ports).
Listing uses one long-lived client instead of opening a new one per call, and every
client opened or closed in this process goes through `CLIENT_LOCK`: two JACK clients of
one process closing at the same moment were seen to hang both.

`MIDO_BACKEND` chooses the backend: an rtmidi one (`mido.backends.rtmidi`, optionally
`/UNIX_JACK`, `/LINUX_ALSA`, ...) is driven directly through python-rtmidi with that
API; any other mido backend is used through mido, whose ports queue what they receive.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from typing import Any, Protocol

import mido

from performer.control.native_logs import quiet_native_audio_logs
from performer.env import MIDI_APIS, MIDI_BACKEND_DEFAULT, midi_backend

log = logging.getLogger(__name__)

CLIENT_NAME = "performer"
OWN_PORT = re.compile(rf"^{CLIENT_NAME}(-\d+)?:|\bRtMidi (input|output)\b", re.IGNORECASE)
QUEUE_SIZE = 4096  # messages rtmidi holds per input between two polls
CLIENT_LOCK = threading.RLock()  # opening and closing MIDI clients, one at a time


class MidiUnavailable(RuntimeError):
    """No MIDI subsystem (no ALSA sequencer, no JACK server) or no such backend."""


def choose_backend(api: str | None) -> str:
    """The mido backend to use: $MIDO_BACKEND if set (never overridden), else --midi-api."""
    from_env = midi_backend()
    wanted = f"{MIDI_BACKEND_DEFAULT}/{MIDI_APIS[api]}" if api else None
    if from_env:
        if wanted and wanted != from_env:
            log.warning("MIDO_BACKEND=%s is set and wins over --midi-api %s "
                        "(unset it to choose with --midi-api)", from_env, api)
        return from_env
    if wanted:
        os.environ["MIDO_BACKEND"] = wanted  # so mido itself (and child processes) agree
        return wanted
    return MIDI_BACKEND_DEFAULT


class InPort(Protocol):
    name: str

    def receive(self) -> list[tuple[float, mido.Message]]:
        """Everything that arrived since the last call, with arrival times (perf_counter
        seconds); never blocks."""
        ...

    def close(self) -> None: ...


class OutPort(Protocol):
    name: str

    def send(self, message: mido.Message) -> None: ...

    def close(self) -> None: ...


class Ports(Protocol):
    backend_name: str

    def inputs(self) -> list[str]: ...

    def outputs(self) -> list[str]: ...

    def open_input(self, name: str) -> InPort: ...

    def open_output(self, name: str) -> OutPort: ...

    def close(self) -> None: ...


def open_ports(backend: str) -> Ports:
    """Ports for a mido backend name. Raises MidiUnavailable."""
    module, _, api = backend.partition("/")
    if module == MIDI_BACKEND_DEFAULT:
        return RtMidiPorts(backend, api or None)
    return MidoPorts(backend)


def quiet(rt: Any) -> Any:
    """Drop python-rtmidi's default error handler: it calls into Python from the MIDI
    system's threads (needing the GIL, which a thread closing a JACK client holds while
    JACK waits for those threads). Errors still reach us: RtMidi raises them itself."""
    rt.cancel_error_callback()
    return rt


def _own(names: list[str]) -> list[str]:
    return [n for n in names if not OWN_PORT.search(n)]


# --- python-rtmidi, directly ------------------------------------------------------------


class _RtIn:
    def __init__(self, rt: Any, name: str) -> None:
        self._rt, self.name = rt, name
        self._last: float | None = None

    def receive(self) -> list[tuple[float, mido.Message]]:
        out: list[tuple[float, mido.Message]] = []
        now = time.perf_counter()
        while True:
            event = self._rt.get_message()
            if event is None:
                return out
            data, delta = event
            # rtmidi's deltas come from the MIDI system's own clock: exact spacing for
            # tempo, even when this poll ran late.
            when = now if self._last is None or not out else self._last + delta
            self._last = when
            try:
                out.append((when, mido.Message.from_bytes(data)))
            except ValueError:
                continue  # a malformed or unsupported message (sysex fragments)

    def close(self) -> None:
        with CLIENT_LOCK:
            self._rt.close_port()
            self._rt.delete()


class RtOutPort:
    """An open python-rtmidi output (LEDs; tests play controllers through it too)."""

    def __init__(self, rt: Any, name: str) -> None:
        self._rt, self.name = rt, name

    def send(self, message: mido.Message) -> None:
        self._rt.send_message(message.bytes())

    def close(self) -> None:
        with CLIENT_LOCK:
            self._rt.close_port()
            self._rt.delete()


class RtMidiPorts:
    """python-rtmidi with the API the backend name asks for (default: the platform's)."""

    def __init__(self, backend: str, api: str | None) -> None:
        import rtmidi

        quiet_native_audio_logs()
        self._rtmidi = rtmidi
        self.backend_name = backend
        if api is None:
            self._api = rtmidi.API_UNSPECIFIED
        else:
            self._api = getattr(rtmidi, f"API_{api}", None)
            if self._api is None or self._api not in rtmidi.get_compiled_api():
                raise MidiUnavailable(f"this python-rtmidi has no {api} API")
        try:  # one client each for listing, kept for the whole show
            with CLIENT_LOCK:
                self._lister_in = quiet(rtmidi.MidiIn(self._api, CLIENT_NAME))
                self._lister_out = quiet(rtmidi.MidiOut(self._api, CLIENT_NAME))
        except Exception as err:  # rtmidi's SystemError: no ALSA sequencer, no JACK server
            raise MidiUnavailable(f"no MIDI subsystem ({backend}): "
                                  f"{str(err).strip() or type(err).__name__}") from err

    def inputs(self) -> list[str]:
        with CLIENT_LOCK:
            return _own(self._lister_in.get_ports())

    def outputs(self) -> list[str]:
        with CLIENT_LOCK:
            return _own(self._lister_out.get_ports())

    def _index(self, lister: Any, name: str) -> int:
        names = lister.get_ports()
        if name not in names:
            raise OSError(f"no MIDI port {name!r}")
        return int(names.index(name))

    def open_input(self, name: str) -> InPort:
        try:
            with CLIENT_LOCK:
                rt = quiet(self._rtmidi.MidiIn(self._api, CLIENT_NAME, QUEUE_SIZE))
                rt.ignore_types(sysex=True, timing=False, active_sense=True)  # keep MIDI clock
                rt.open_port(self._index(self._lister_in, name), "in")
        except OSError:
            raise
        except Exception as err:
            raise OSError(str(err).strip() or type(err).__name__) from err
        return _RtIn(rt, name)

    def open_output(self, name: str) -> OutPort:
        try:
            with CLIENT_LOCK:
                rt = quiet(self._rtmidi.MidiOut(self._api, CLIENT_NAME))
                rt.open_port(self._index(self._lister_out, name), "leds")
        except OSError:
            raise
        except Exception as err:
            raise OSError(str(err).strip() or type(err).__name__) from err
        return RtOutPort(rt, name)

    def close(self) -> None:
        with CLIENT_LOCK:
            for lister in (self._lister_in, self._lister_out):
                lister.delete()


# --- any other mido backend -------------------------------------------------------------


class _MidoIn:
    def __init__(self, port: Any) -> None:
        self._port, self.name = port, port.name

    def receive(self) -> list[tuple[float, mido.Message]]:
        now = time.perf_counter()
        return [(now, message) for message in self._port.iter_pending()]

    def close(self) -> None:
        self._port.close()


class _MidoOut:
    def __init__(self, port: Any) -> None:
        self._port, self.name = port, port.name

    def send(self, message: mido.Message) -> None:
        self._port.send(message)

    def close(self) -> None:
        self._port.close()


class MidoPorts:
    """Any mido backend (portmidi, ...): its ports queue what arrives; we poll them."""

    def __init__(self, backend: str) -> None:
        self.backend_name = backend
        try:
            self._backend = mido.Backend(backend, load=True)
        except (ImportError, ValueError) as err:
            raise MidiUnavailable(f"MIDI backend {backend!r} cannot load: {err}") from err
        self.inputs()  # fail now if the MIDI system is missing

    def _list(self, names: Any) -> list[str]:
        try:
            return _own(list(names()))
        except Exception as err:
            raise MidiUnavailable(f"no MIDI subsystem ({self.backend_name}): "
                                  f"{str(err).strip() or type(err).__name__}") from err

    def inputs(self) -> list[str]:
        return self._list(self._backend.get_input_names)

    def outputs(self) -> list[str]:
        return self._list(self._backend.get_output_names)

    def open_input(self, name: str) -> InPort:
        try:
            return _MidoIn(self._backend.open_input(name))
        except Exception as err:
            raise OSError(str(err).strip() or type(err).__name__) from err

    def open_output(self, name: str) -> OutPort:
        try:
            return _MidoOut(self._backend.open_output(name))
        except Exception as err:
            raise OSError(str(err).strip() or type(err).__name__) from err

    def close(self) -> None:
        return None
