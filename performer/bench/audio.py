"""Audio figures for `performer bench`: the analysis cost per frame, and the latency from
an onset in the input to the first frame made with it.

The latency runs like a show: a private JACK dummy server, a JACK client that plays a click
into performer's PortAudio input, the audio service analysing on its thread, the engine on
its own paced by a 60 Hz display loop; each sample is the time from the cycle that carried
the click to the post of the first frame whose snapshot had `audio.onset` fired. Run in a
child process with a time limit, like the MIDI figures. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time

import numpy as np

from performer.bench.jack_dummy import JackUnavailable, dummy_server, period_ms
from performer.bench.midi import StampedMailbox
from performer.control.audio.analysis import HOP, RATE, Analyzer
from performer.control.audio.service import AudioService
from performer.engine.session import open_session

PERIOD = 256
REFRESH_HZ = 60.0
CLICK = np.sin(2 * np.pi * 1000 * np.arange(480) / RATE).astype(np.float32)  # 10 ms


def analysis_cost(seconds: float = 10.0) -> dict[str, object]:
    """Analysis time per 60 Hz frame (6.25 hops) over clicks in faint noise."""
    rng = np.random.default_rng(0)
    sound = rng.normal(0.0, 0.01, int(seconds * RATE)).astype(np.float32)
    for start in range(RATE // 4, len(sound) - len(CLICK), RATE // 2):
        sound[start:start + len(CLICK)] += CLICK
    analyzer = Analyzer(RATE)
    started = time.perf_counter()
    hops = len(analyzer.process(sound))
    per_hop_ms = (time.perf_counter() - started) * 1000.0 / hops
    return {"audio_analysis_ms_per_frame": per_hop_ms * RATE / REFRESH_HZ / HOP,
            "audio_analysis_realtime_pct": per_hop_ms / (HOP / RATE * 1000.0) * 100.0}


class ClickPlayer:
    """A JACK client that plays one click on request and notes when its cycle began."""

    def __init__(self) -> None:
        import jack

        self.client = jack.Client("performer-bench-clicks", no_start_server=True)
        self.port = self.client.outports.register("out")
        self.pending = threading.Event()
        self.played_at: float | None = None
        self._position = -1
        self.client.set_process_callback(self._process)
        self.client.activate()
        for port in self.client.get_ports("PortAudio:", is_audio=True, is_input=True):
            self.client.connect(self.port, port)

    def _process(self, frames: int) -> None:
        out = self.port.get_array()
        out[:] = 0.0
        if self.pending.is_set() and self._position < 0:
            self.pending.clear()
            self._position = 0
            self.played_at = time.perf_counter()
        if self._position >= 0:
            chunk = CLICK[self._position:self._position + frames]
            out[:len(chunk)] = chunk
            self._position = -1 if self._position + frames >= len(CLICK) else \
                self._position + frames

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


def latency(model: str | None, device: str | None, samples: int) -> dict[str, object]:
    session = open_session(model, device)
    registry, engine = session.registry, session.engine
    mailbox = StampedMailbox()
    found: list[float] = []
    stop = threading.Event()

    def display() -> None:  # a 60 Hz refresh that takes frames, as the window does
        while not stop.is_set():
            tick = time.perf_counter()
            registry.drain()
            frame = mailbox.take(0.0)
            if frame is not None and "audio.onset" in frame.values.fired:
                found.append(mailbox.stamps[frame.index])
            time.sleep(max(0.0, 1.0 / REFRESH_HZ - (time.perf_counter() - tick)))

    with dummy_server(period=PERIOD):
        service = AudioService(registry, "system").start()
        shower = threading.Thread(target=display, daemon=True)
        engine.start(mailbox)
        shower.start()
        player: ClickPlayer | None = None
        latencies: list[float] = []
        try:
            deadline = time.monotonic() + 20.0
            while service.device is None:
                if time.monotonic() > deadline:
                    raise RuntimeError("the audio service never opened the JACK input")
                time.sleep(0.05)
            player = ClickPlayer()
            time.sleep(0.5)
            for _ in range(samples):
                before = len(found)
                player.pending.set()
                give_up = time.perf_counter() + 1.0
                while len(found) == before and time.perf_counter() < give_up:
                    time.sleep(0.0005)
                if len(found) > before and player.played_at is not None:
                    latencies.append((found[before] - player.played_at) * 1000.0)
                time.sleep(random.uniform(0.15, 0.3))  # any phase of the refresh
        finally:
            stop.set()
            engine.stop()
            if player is not None:
                player.close()
            service.stop()
    if not latencies:
        return {"audio_skipped": "no click reached a frame"}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"audio_latency_p50_ms": statistics.median(latencies),
            "audio_latency_p99_ms": cuts[98], "audio_samples": len(latencies),
            "audio_lost": samples - len(latencies), "audio_jack_period_ms": period_ms(PERIOD)}


def format_audio(figures: dict[str, object]) -> str:
    cost = (f"audio analysis: {figures['audio_analysis_ms_per_frame']:.2f} ms per 60 Hz frame "
            f"({figures['audio_analysis_realtime_pct']:.1f} % of real time)")
    if "audio_skipped" in figures:
        return f"{cost}\naudio latency: skipped ({figures['audio_skipped']})"
    return (f"{cost}\nonset in the input (JACK, period {figures['audio_jack_period_ms']:.2f} ms)"
            f" -> first frame made with it, {figures['audio_samples']} samples: p50 "
            f"{figures['audio_latency_p50_ms']:.1f} ms, p99 "
            f"{figures['audio_latency_p99_ms']:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    found = analysis_cost()
    try:
        found.update(latency(args.model, args.device, args.samples))
    except (JackUnavailable, RuntimeError) as err:
        found["audio_skipped"] = str(err)
    print(json.dumps(found), flush=True)


if __name__ == "__main__":
    main()
