"""The native audio and MIDI libraries' own stderr chatter, silenced at its source.

The audio input (PortAudio) and the MIDI ports (python-rtmidi) load libasound and libjack,
which print to stderr themselves before the Python side can say anything.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_quieted = False


def quiet_native_audio_logs() -> None:
    """Route libasound's and libjack's messages ("cannot find card '0'", "jack server is not
    running", "ALSA lib seq_hw.c: open /dev/snd/seq failed") to nowhere, once: PortAudio's
    and python-rtmidi's start-ups print dozens when a system has no card or no JACK
    server, and performer says what matters in one line.

    The handler is libc's `strlen`, a C function that reads its first argument (a message
    string) and does nothing else: no Python callback, which JACK's own threads would have
    to wait on the GIL to run."""
    global _quieted
    if _quieted or not sys.platform.startswith("linux"):
        return
    _quieted = True
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    nothing = ctypes.cast(ctypes.CDLL(libc_name).strlen, ctypes.c_void_p)
    for name, setters in (("asound", ("snd_lib_error_set_handler",)),
                          ("jack", ("jack_set_error_function", "jack_set_info_function"))):
        found = ctypes.util.find_library(name)
        if found is None:
            continue
        try:
            library = ctypes.CDLL(found)
            for setter in setters:
                getattr(library, setter)(nothing)
        except (OSError, AttributeError):
            continue
