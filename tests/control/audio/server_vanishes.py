"""Run in a child process by test_live_input: a JACK server dies under a running input,
the service gives the input up and stops, and the process exits.

A child of its own because what is checked includes the process's exit (PortAudio, left
holding a stream it cannot close, must not be terminated then: it would wait minutes and
abort), and because a PortAudio stuck that way is no use to later tests."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from performer.bench.jack_dummy import dummy_server
from performer.control.audio.service import AudioService
from performer.controls import make_registry
from tests.helpers import LAYERS, wait_until


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(message)s")
    registry = make_registry(LAYERS)
    with dummy_server(period=256) as name:
        service = AudioService(registry, "system", retry_s=0.1, stale_s=0.3).start()
        try:
            wait_until(lambda: service.hops > 0, what="sound analysed")
            ours = subprocess.run(["pgrep", "-f", f"jackd .*-n {name} "],
                                  capture_output=True, text=True, check=True).stdout.split()
            assert len(ours) == 1
            os.kill(int(ours[0]), signal.SIGTERM)  # the server this process started
            wait_until(lambda: service.stuck, what="the input given up")
            started = time.monotonic()
            service.stop()
            print(f"stopped in {time.monotonic() - started:.3f} s", flush=True)
        finally:
            service.stop()


if __name__ == "__main__":
    main()
