"""The live audio input: a PortAudio stream, the analysis thread, and reopening.

Threads and what they may do:
- PortAudio's callback only copies its block into the ring buffer (`ring.Ring`);
- the analysis thread opens the stream, analyses what the ring holds (`analysis`) and
  submits the features to the registry as read-only source values (source "audio"):
  levels as a stream that rides with the next frame, onsets and beats at once (they wake
  the engine, so a hit reaches the very next frame). A stream that stops delivering (the
  device vanished, the audio server went away) is closed and looked for again until it
  is back; the show goes on meanwhile.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections import deque
from types import ModuleType
from typing import Any

import numpy as np

from performer.control.audio.analysis import RATE, Analyzer, Features
from performer.control.audio.devices import (
    AudioUnavailable,
    InputDevice,
    abandon,
    find_input,
    inputs,
    release,
    rescan,
    sounddevice,
)
from performer.control.audio.ring import Ring
from performer.control.show import Show
from performer.controls import AUDIO_LEVELS
from performer.params import ParamChange, Registry

log = logging.getLogger(__name__)

SOURCE = "audio"
RING_S = 2.0  # seconds of input the ring holds
STALE_S = 1.0  # no audio for this long: the device is gone
RETRY_S = 1.0  # how often a missing device is looked for
CLOSE_S = 1.0  # a stream that takes longer to close is given up on
LEVEL_DIGITS = 3  # levels are sent rounded: no flood of inaudible changes


class AudioService:
    """Listens to one input device and feeds its features to the registry."""

    name = "audio"

    def __init__(self, registry: Registry, wanted: str | None, retry_s: float = RETRY_S,
                 stale_s: float = STALE_S) -> None:
        self.sd: ModuleType = sounddevice()  # AudioUnavailable without an audio system
        self.registry = registry
        self.wanted = wanted
        self.retry_s = retry_s
        self.stale_s = stale_s
        self.device: InputDevice | None = None  # the device open now
        self.opened = 0  # times a stream was opened (a reopen counts again)
        self.stuck = False  # a stream would not close: PortAudio cannot start afresh
        self.analysis_s = 0.0  # time spent analysing, for the bench
        self.hops = 0
        # (input seconds the onset is placed at, perf_counter() when it was found), newest
        # last: what the bench times and the tests check
        self.onsets: deque[tuple[float, float]] = deque(maxlen=256)
        self._stream: Any = None
        self._ring = Ring(int(RING_S * RATE))
        self._read_at = 0
        self._analyzer: Analyzer | None = None
        self._levels: tuple[float, ...] = ()
        self._missing_noted = False
        self._running = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life cycle -----------------------------------------------------------------------
    def start(self) -> AudioService:
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="performer-audio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running.clear()
        self._ring.ready.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self._close()
        if not self.stuck:
            release(self.sd)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the analysis thread -----------------------------------------------------------------
    def _run(self) -> None:
        while self._running.is_set():
            try:
                if self._stream is None:
                    if not self._open():
                        self._sleep(self.retry_s)
                    continue
                self._ring.ready.wait(0.1)
                self._ring.ready.clear()
                self.analyse()
                if time.perf_counter() - self._ring.written_at > self.stale_s:
                    assert self.device is not None
                    log.warning("audio: %s stopped delivering; waiting for it to come back",
                                self.device.label)
                    self._close()
            except Exception:  # the show goes on; the next turn tries again
                log.exception("audio: analysis failed")
                self._close()
                self._sleep(self.retry_s)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._running.is_set() and time.monotonic() < deadline:
            time.sleep(min(0.05, seconds))

    def _open(self) -> bool:
        """Find the device and open a stream on it; False (said once) while it is absent."""
        if self.stuck:  # PortAudio would hang or abort starting afresh: stay off
            self._note("audio: PortAudio cannot let go of the input that stopped (its audio "
                       "server went away?); audio stays off until performer restarts")
            return False
        try:
            rescan(self.sd)  # PortAudio lists devices once: look again (one may be back)
            devices = inputs(self.sd)
        except AudioUnavailable as err:
            self._note(f"audio: {err}")
            return False
        device = find_input(devices, self.wanted)
        if device is None:
            names = ", ".join(d.label for d in devices) or "none"
            self._note(f"audio: no input matches {self.wanted!r} (inputs: {names})")
            return False
        rate = RATE
        try:
            self.sd.check_input_settings(device.index, channels=1, samplerate=RATE,
                                         dtype="float32")
        except Exception:
            rate = int(device.default_rate)  # the analysis runs at the device's own rate
        try:
            stream = self.sd.InputStream(device=device.index, channels=1, samplerate=rate,
                                         dtype="float32", latency="low",
                                         callback=self._callback)
            stream.start()
        except Exception as err:
            self._note(f"audio: cannot open {device.label}: {err}")
            return False
        self._ring = Ring(int(RING_S * rate))
        self._ring.written_at = time.perf_counter()
        self._read_at = 0
        self._analyzer = Analyzer(rate)
        self._stream, self.device = stream, device
        self.opened += 1
        self._missing_noted = False
        log.info("audio: listening to %s at %d Hz", device.label, rate)
        return True

    def _note(self, message: str) -> None:
        """Say once why there is no input, until there is one again."""
        if not self._missing_noted:
            again = "" if self.stuck else f", and performer looks again every {self.retry_s:g} s"
            log.warning("%s; the show runs without it%s", message, again)
            self._missing_noted = True

    def _close(self) -> None:
        """Close the stream on a thread of its own: PortAudio can hang for good closing a
        stream whose audio server went away (JACK), and nothing may wait on that."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        closed = threading.Event()

        def close() -> None:
            try:
                stream.abort()
                stream.close()
            except Exception as err:
                log.debug("audio: closing the stream: %s", err)
            closed.set()

        threading.Thread(target=close, name="performer-audio-close", daemon=True).start()
        if not closed.wait(CLOSE_S):
            self.stuck = True
            abandon(self.sd)

    def _callback(self, indata: np.ndarray, frames: int, when: Any, status: Any) -> None:
        """PortAudio's real-time thread: copy, nothing else."""
        self._ring.write(indata[:, 0])

    def analyse(self) -> list[Features]:
        """Analyse what the ring holds and submit it; returns the features (for tests)."""
        samples, self._read_at = self._ring.read(self._read_at)
        if self._analyzer is None or not len(samples):
            return []
        started = time.perf_counter()
        features = self._analyzer.process(samples)
        self.analysis_s += time.perf_counter() - started
        self.hops += len(features)
        found = time.perf_counter()
        self.onsets.extend((f.onset, found) for f in features if f.onset is not None)
        if features:
            self.submit(features)
        return features

    def submit(self, features: list[Features]) -> None:
        """The newest levels (when they changed) and every hit, as one batch."""
        last = features[-1]
        levels = tuple(round(v, LEVEL_DIGITS) for v in (last.level, last.low, last.mid,
                                                         last.high))
        batch = []
        if levels != self._levels:
            self._levels = levels
            batch += [ParamChange(n, v, SOURCE) for n, v in zip(AUDIO_LEVELS, levels,
                                                                 strict=True)]
        hits = [ParamChange(name, True, SOURCE) for f in features
                for name, at in (("audio.onset", f.onset), ("audio.beat", f.beat))
                if at is not None]
        if batch or hits:
            self.registry.submit(batch + hits, wake=bool(hits))


def start(args: argparse.Namespace, show: Show) -> AudioService | None:
    if args.audio is None:
        return None
    wanted = None if args.audio.lower() == "default" else args.audio
    return AudioService(show.registry, wanted).start()


def list_devices() -> int:
    """`performer audio list`: every input device, by index, with its host API."""
    try:
        devices = inputs(sounddevice())
    except AudioUnavailable as err:
        print(f"performer: {err}")
        return 1
    print("audio inputs (use the index or part of the name with --audio):")
    for device in devices or []:
        print(f"  {device.index:>3}  {device.label}  {device.channels} in, "
              f"{device.default_rate:g} Hz")
    if not devices:
        print("  (none)")
    return 0
