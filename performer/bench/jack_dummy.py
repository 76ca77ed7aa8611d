"""A private JACK server with the dummy driver: real MIDI ports with no sound card.

The test suite and `performer bench` use it. It runs under a unique server name, set in
this process's JACK_DEFAULT_SERVER so python-rtmidi's JACK clients reach it, and never
touches a JACK server the user may be running.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

JACK_BACKEND = "mido.backends.rtmidi/UNIX_JACK"
RATE = 48000
PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


class JackUnavailable(RuntimeError):
    """jackd is not installed, or the server did not come up."""


@contextmanager
def dummy_server(period: int = 64, start_timeout: float = 10.0,
                 name: str | None = None) -> Iterator[str]:
    """Run `jackd -d dummy` under `name` (default: a fresh one); yields the name. Period in
    frames."""
    if shutil.which("jackd") is None:
        raise JackUnavailable("jackd is not installed (Debian/Ubuntu package jackd2)")
    name = name or f"performer-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    server = subprocess.Popen(
        ["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", str(RATE),
         "-p", str(period)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent,
    )
    saved = {key: os.environ.get(key) for key in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")}
    os.environ["JACK_DEFAULT_SERVER"] = name
    os.environ["JACK_NO_START_SERVER"] = "1"  # a typo must not start a second server
    try:
        _wait_for(server, name, start_timeout)
        yield name
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _die_with_parent() -> None:
    """In the child: on Linux, end the server when the process that started it dies (a
    test run killed by a time limit must not leave servers behind: JACK allows only a few
    at a time on one machine)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_for(server: subprocess.Popen[bytes], name: str, timeout: float) -> None:
    if shutil.which("jack_wait") is not None:
        done = subprocess.run(["jack_wait", "-w", "-t", str(int(timeout)), "-s", name],
                              capture_output=True, text=True)
        if done.returncode == 0 and server.poll() is None:
            return
    else:  # jack_wait comes with jackd2; without it, give the server a moment
        import time

        time.sleep(1.0)
        if server.poll() is None:
            return
    server.kill()
    error = server.stderr.read().decode(errors="replace") if server.stderr else ""
    last = (error.strip().splitlines() or ["no output"])[-1]
    raise JackUnavailable(f"the JACK dummy server did not start: {last}")


def period_ms(period: int) -> float:
    return period / RATE * 1000.0
