"""`performer bench`, console part: what open consoles cost the show, and how fast a
console's fader reaches a frame.

- Pipeline fps at 1920x1080 offscreen (engine, drawing, the preview fed from every frame)
  with no console and with 3 consoles connected, in alternating rounds so a noisy machine
  slows both alike. A console here is what the page does on the wire, run in a separate
  interpreter (as browsers are separate processes): LISTEN to every parameter on `/ws`
  and read the monitor stream (preview pictures, map, status) on `/monitor`.
- Latency: a WebSocket client sends a binary OSC message on `/ws`, as the page does on a
  fader's input event; the clock stops when the engine posts the first frame whose
  living-neuron count shows the new value. The page's own step from the event to its
  send (JavaScript, well under a millisecond) is not in the figure.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
import time

import aiohttp
import numpy as np

from performer.bench.osc import (
    DEAD_A,
    DisplayStandIn,
    WatchedMailbox,
    control_latencies,
    osc_message,
)
from performer.control.show import Show
from performer.control.web.feed import FrameFeed
from performer.control.web.service import WebService
from performer.engine.clock import WallClock
from performer.engine.session import Session
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.params import Value
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Look, Pipeline

log = logging.getLogger(__name__)

CONSOLES = 3
ROUNDS = 4
LATENCY_SAMPLES = 300
SIZE = (1920, 1080)

# Consoles as browsers use the server, in their own interpreter. stdin: "open" / "close";
# stdout: "ready" once all are connected and have had their first values.
CONSOLES_CODE = """
import asyncio, json, sys
import aiohttp
base, count = sys.argv[1], int(sys.argv[2])

async def console(stop):
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(base + "/ws")
        monitor = await session.ws_connect(base + "/monitor")
        described = await (await session.get(base + "/console.json")).json()
        for group in described["groups"]:
            for p in group["params"]:
                if p["kind"] != "trigger":
                    await ws.send_str(json.dumps({"COMMAND": "LISTEN", "DATA": p["address"]}))
        async def drain(socket):
            async for _ in socket:
                pass
        tasks = [asyncio.create_task(drain(ws)), asyncio.create_task(drain(monitor))]
        await stop.wait()
        for t in tasks:
            t.cancel()
        await ws.close(); await monitor.close()

async def main():
    loop = asyncio.get_running_loop()
    stop, running = asyncio.Event(), []
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "open":
            stop = asyncio.Event()
            running = [asyncio.create_task(console(stop)) for _ in range(count)]
            await asyncio.sleep(0.5)
            print("ready", flush=True)
        elif line == "close":
            stop.set()
            await asyncio.gather(*running, return_exceptions=True)
            print("closed", flush=True)
        else:
            return

asyncio.run(main())
"""


def _pipeline_rounds(session: Session, web: WebService, seconds: float,
                     latest: list[Frame | None]) -> dict[str, float]:
    """Frames drawn per second with 0 and CONSOLES consoles, over alternating rounds;
    `latest[0]` is the newest frame drawn (what the console's status reads)."""
    engine = session.engine
    look = Look(blackout=0.0, show_map=True, crossfade=0.0)
    base = f"http://127.0.0.1:{web.server.port}"
    consoles = subprocess.Popen([sys.executable, "-c", CONSOLES_CODE, base, str(CONSOLES)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert consoles.stdin is not None and consoles.stdout is not None
    shown = {0: 0, CONSOLES: 0}
    spent = {0: 0.0, CONSOLES: 0.0}
    feed = FrameFeed(web.video_outputs)
    with Offscreen(SIZE) as target:
        pipeline = Pipeline(target.ctx)
        mailbox: Mailbox[Frame] = Mailbox()
        engine.clock = WallClock()
        engine.start(mailbox)
        try:
            for _ in range(ROUNDS):
                for count in (0, CONSOLES):
                    if count:
                        consoles.stdin.write("open\n")
                        consoles.stdin.flush()
                        consoles.stdout.readline()
                    started = time.perf_counter()
                    while time.perf_counter() - started < seconds / ROUNDS:
                        frame = mailbox.take(timeout=0.5)
                        if frame is None:
                            continue
                        pipeline.upload(frame)
                        target.use()
                        pipeline.draw(SIZE, look)
                        target.finish()
                        feed.offer(frame)
                        latest[0] = frame
                        shown[count] += 1
                    spent[count] += time.perf_counter() - started
                    if count:
                        consoles.stdin.write("close\n")
                        consoles.stdin.flush()
                        consoles.stdout.readline()
        finally:
            engine.stop()
            feed.close()
            consoles.stdin.write("quit\n")
            consoles.stdin.flush()
            consoles.wait(timeout=10)
    return {"web_pipeline_fps_0": shown[0] / spent[0],
            f"web_pipeline_fps_{CONSOLES}": shown[CONSOLES] / spent[CONSOLES]}


def _latencies(web: WebService, session: Session, samples: int) -> list[float]:
    """A console's fader message -> the first frame made with it, `samples` times."""
    engine, registry = session.engine, session.registry
    mailbox = WatchedMailbox()
    total = engine.ablation.total
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def connect() -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
        client = aiohttp.ClientSession()
        return client, await client.ws_connect(f"ws://127.0.0.1:{web.server.port}/ws")

    client, ws = asyncio.run_coroutine_threadsafe(connect(), loop).result(10)
    registry.set("ablation.dead", DEAD_A)
    engine.start(mailbox)
    try:
        with DisplayStandIn(mailbox):
            latencies = control_latencies(
                mailbox, total, samples,
                lambda dead: asyncio.run_coroutine_threadsafe(
                    ws.send_bytes(osc_message(dead)), loop), "a console")
    finally:
        engine.stop()
        asyncio.run_coroutine_threadsafe(client.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
    return latencies


def web_figures(session: Session, seconds: float) -> dict[str, float | int]:
    registry = session.registry
    for name, value in (("ablation.rate", 8.0), ("drift.speed", 0.3), ("output.map", True)):
        registry.set(name, value)
    frames: list[Frame | None] = [None]
    show = Show(registry, lambda: frames[0])
    web = WebService(show, "127.0.0.1", 0).start()
    try:
        figures: dict[str, float | int] = dict(
            _pipeline_rounds(session, web, seconds * 2, frames))
        still: tuple[tuple[str, Value], ...] = (
            ("ablation.rate", 0.0), ("ablation.layer", "all"), ("drift.speed", 0.0),
            ("output.map", False))
        for name, setting in still:
            registry.set(name, setting)
        samples = max(50, round(LATENCY_SAMPLES * min(1.0, seconds / 3.0)))
        latencies = _latencies(web, session, samples)
    finally:
        web.stop()
    figures["web_latency_p50_ms"] = float(np.percentile(latencies, 50)) if latencies else \
        float("nan")
    figures["web_latency_p99_ms"] = float(np.percentile(latencies, 99)) if latencies else \
        float("nan")
    figures["web_latency_samples"] = len(latencies)
    figures["web_pipeline_ratio"] = (figures[f"web_pipeline_fps_{CONSOLES}"]
                                     / figures["web_pipeline_fps_0"])
    return figures
