"""MIDI latency for `performer bench`: a CC sent over JACK -> the first frame that used it.

A private JACK dummy server carries the messages; a virtual port plays a nanoKONTROL2
whose fader 1 scrubs `ablation.dead`; the engine runs on its thread, paced by an
offscreen display refreshing at 60 Hz, exactly as in a show. Each sample alternates the
fader between two positions and waits for the first generated frame whose dead-neuron
count matches. `performer bench` runs this in a child process with a time limit, so a
stuck MIDI system can never hang the bench. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from collections.abc import Callable

import mido

from performer.bench.jack_dummy import JACK_BACKEND, JackUnavailable, dummy_server, period_ms
from performer.control.midi.ports import CLIENT_LOCK, quiet
from performer.control.midi.service import MidiService
from performer.engine.ablation import dead_count
from performer.engine.session import open_session
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Look, Pipeline

# JACK frames per period: 5.3 ms at 48 kHz. Shorter periods (64) made the non-realtime
# dummy server drop ("zombify") clients on the loaded 2-core development machine.
PERIOD = 256
REFRESH_HZ = 60.0
SIZE = (1280, 720)
POSITIONS = (20, 100)  # fader values the samples alternate between


class StampedMailbox(Mailbox[Frame]):
    """A mailbox that notes when each frame was posted (generated)."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: dict[int, float] = {}

    def post(self, value: Frame) -> None:
        self.stamps[value.index] = time.perf_counter()
        super().post(value)


def measure(model: str | None, device: str | None, samples: int,
            report: Callable[[dict[str, object]], None]) -> None:
    """Measure, then `report` the figures before closing the ports (closing JACK clients
    on an overloaded machine with a short period has been seen to hang)."""
    session = open_session(model, device)
    registry, engine = session.registry, session.engine
    total = session.model.neuron_count
    mailbox = StampedMailbox()
    found: dict[int, float] = {}  # sample -> post time of the first frame that used it
    expect: list[int | None] = [None]  # alive count the current sample waits for
    sample = [0]
    stop = threading.Event()
    generator_ms: list[float] = []

    def display() -> None:
        with Offscreen(SIZE) as target:
            pipeline = Pipeline(target.ctx)
            look = Look(blackout=0.0, show_map=False, crossfade=0.0)
            while not stop.is_set():
                tick = time.perf_counter()
                registry.drain()
                frame = mailbox.take(0.0)
                if frame is not None:
                    generator_ms.append(frame.generator_ms)
                    wanted = expect[0]
                    if wanted is not None and frame.neurons.alive_count == wanted:
                        found.setdefault(sample[0], mailbox.stamps[frame.index])
                        expect[0] = None
                    pipeline.upload(frame)
                target.use()
                pipeline.draw(SIZE, look)
                target.finish()
                time.sleep(max(0.0, 1.0 / REFRESH_HZ - (time.perf_counter() - tick)))

    with dummy_server(period=PERIOD):
        backend = mido.Backend(JACK_BACKEND, load=True)
        with CLIENT_LOCK:
            controller = backend.open_output("nanoKONTROL2 bench", virtual=True)
            quiet(controller._rt)
        service = MidiService(registry, JACK_BACKEND, user_path=None).start()
        shower = threading.Thread(target=display, daemon=True)
        engine.start(mailbox)
        shower.start()
        latencies: list[float] = []
        lost_in_row = 0
        try:
            deadline = time.monotonic() + 20.0
            while not service.connected():
                if time.monotonic() > deadline:
                    raise RuntimeError("the MIDI service never opened the bench port")
                time.sleep(0.05)
            time.sleep(0.5)  # let the first frames pass
            for index in range(samples):
                value = POSITIONS[index % 2]
                sample[0] = index
                expect[0] = total - dead_count(value / 127, total)
                sent = time.perf_counter()
                controller.send(mido.Message("control_change", control=0, value=value))
                give_up = sent + 2.0
                while index not in found and time.perf_counter() < give_up:
                    time.sleep(0.0005)
                if index in found:
                    latencies.append((found[index] - sent) * 1000.0)
                    lost_in_row = 0
                else:
                    lost_in_row += 1
                    if lost_in_row >= 5:
                        break  # the server dropped our clients: report what there is
                time.sleep(random.uniform(0.05, 0.15))  # any phase of the refresh
            stop.set()
            engine.stop()
            shower.join(timeout=5.0)
            report(figures(latencies, generator_ms, samples))
        finally:
            stop.set()
            engine.stop()
            service.stop()
            with CLIENT_LOCK:
                controller.close()


def figures(latencies: list[float], generator_ms: list[float],
            samples: int) -> dict[str, object]:
    if not latencies:
        return {"midi_skipped": "no MIDI message reached a frame"}
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    step_ms = statistics.median(generator_ms)
    return {
        "midi_latency_p50_ms": statistics.median(latencies),
        "midi_latency_p99_ms": cuts[98],
        "midi_latency_goal_ms": period_ms(PERIOD) + 1000.0 / REFRESH_HZ + step_ms,
        "midi_generator_ms": step_ms,
        "midi_jack_period_ms": period_ms(PERIOD),
        "midi_samples": len(latencies),
        "midi_lost": samples - len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    def report(found: dict[str, object]) -> None:
        print(json.dumps(found), flush=True)

    try:
        measure(args.model, args.device, args.samples, report)
    except JackUnavailable as err:
        report({"midi_skipped": str(err)})


if __name__ == "__main__":
    main()
