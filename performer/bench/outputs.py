"""The output stage's figures: read-back cost, and the show's refresh rate at 1920x1080 with
NDI (received by a real NDI receiver on loopback) and with a live recording, each against
the same loop with no output, in interleaved rounds of one run."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from performer.bench.ndi_receiver import NdiReceiver
from performer.bench.timing import interleaved
from performer.engine.clock import WallClock
from performer.engine.session import Session
from performer.frame import Frame
from performer.mailbox import Mailbox
from performer.outputs.fanout import Fanout
from performer.outputs.ndi import NdiOutput
from performer.outputs.recording import RecordingOutput
from performer.render.drawer import FrameDrawer
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Pipeline
from performer.render.readback import DEPTH, Readback, depth_for

log = logging.getLogger(__name__)

SIZE = (1920, 1080)
FPS = 30.0


def readback_ms(target: Offscreen, seconds: float) -> dict[str, float | str]:
    """Milliseconds per picture (the copy alone, no drawing between reads): through the PBO
    ring and read directly; the show uses the one `depth_for` picks for this renderer."""
    ring, direct = Readback(target.ctx, SIZE, DEPTH), Readback(target.ctx, SIZE, 0)
    rates = interleaved({
        "ring": lambda: ring.push(target.fbo, 0, 0.0, FPS),
        "direct": lambda: direct.push(target.fbo, 0, 0.0, FPS),
    }, seconds)
    ring.release()
    return {"readback_ring_ms": 1000 / rates["ring"], "readback_direct_ms": 1000 / rates["direct"],
            "readback_used": "ring" if depth_for(target.ctx) else "direct"}


def output_figures(session: Session, seconds: float) -> dict[str, float | str]:
    """Refreshes per second of the whole show loop (newest frame, draw, read back, hand to
    the outputs) at 1920x1080, with the engine generating beside it."""
    registry, engine = session.registry, session.engine
    registry.set("drift.speed", 0.3)
    registry.set("ablation.rate", 8.0)
    name = f"performer-bench-{uuid.uuid4().hex[:6]}"
    with Offscreen(SIZE) as target, tempfile.TemporaryDirectory() as folder:
        pipeline = Pipeline(target.ctx)
        drawer = FrameDrawer(pipeline)
        readback = Readback(target.ctx, SIZE, depth_for(target.ctx))
        mailbox: Mailbox[Frame] = Mailbox()
        ndi = Fanout([NdiOutput(name)])
        record = Fanout([RecordingOutput(Path(folder) / "bench.mp4")])

        def loop(outputs: Fanout | None) -> Callable[[], None]:
            def refresh() -> None:
                drawer.take(mailbox.take(0.0), time.perf_counter())
                target.use()
                drawer.draw(SIZE, time.perf_counter())
                target.finish()  # the drawing done (the GIL free meanwhile), as in the show
                if outputs is None:
                    return
                latest = drawer.latest
                assert latest is not None
                picture = readback.push(target.fbo, latest.index, latest.time, FPS)
                if picture is not None:
                    outputs.post(picture)
            return refresh

        engine.clock = WallClock()
        engine.start(mailbox)
        stop = threading.Event()
        receiver: NdiReceiver | None = None
        drainer: threading.Thread | None = None
        try:
            while mailbox.peek() is None:
                time.sleep(0.01)
            for _ in range(5):  # fills the read-back ring and opens the NDI source
                loop(ndi)()
                time.sleep(0.05)
            receiver = NdiReceiver(name)
            drainer = threading.Thread(target=receiver.drain, args=(stop,), daemon=True)
            drainer.start()
            rates = interleaved({"off": loop(None), "ndi": loop(ndi), "record": loop(record)},
                                seconds)
            figures: dict[str, float | str] = dict(readback_ms(target, seconds / 3))
        finally:
            engine.stop()
            stop.set()
            if drainer is not None:
                drainer.join()
            if receiver is not None:
                receiver.close()
            finals = {f.name: f for f in ndi.close() + record.close()}
            readback.release()
            pipeline.release()
    figures.update({
        "output_fps_off": rates["off"],
        "output_fps_ndi": rates["ndi"],
        "output_ndi_ratio": rates["ndi"] / rates["off"],
        "output_fps_record": rates["record"],
        "output_record_ratio": rates["record"] / rates["off"],
        "ndi_sent": finals["ndi"].sent,
        "ndi_dropped": finals["ndi"].dropped,
        "record_sent": finals["record"].sent,
        "record_dropped": finals["record"].dropped,
    })
    return figures


def format_outputs(figures: dict[str, object]) -> str:
    """The outputs' lines of the bench report."""
    if "outputs_skipped" in figures:
        return f"Outputs: skipped ({figures['outputs_skipped']})"
    f = figures
    return "\n".join([
        f"Outputs at {SIZE[0]}x{SIZE[1]} (the show loop: newest frame, draw, read back, hand "
        f"to the outputs; refreshes per second, interleaved rounds):",
        f"  read-back: {f['readback_ring_ms']:.2f} ms a picture through the PBO ring, "
        f"{f['readback_direct_ms']:.2f} ms read directly (the show uses: "
        f"{f['readback_used']})",
        f"  no output {f['output_fps_off']:.1f} fps | NDI on {f['output_fps_ndi']:.1f} fps "
        f"(ratio {f['output_ndi_ratio']:.2f}; NDI sent {f['ndi_sent']}, dropped "
        f"{f['ndi_dropped']}, to a real receiver on loopback)",
        f"  --record (H.264 .mp4) {f['output_fps_record']:.1f} fps (ratio "
        f"{f['output_record_ratio']:.2f}; recorded {f['record_sent']}, dropped "
        f"{f['record_dropped']})",
    ])


def measure(session: Session, seconds: float) -> dict[str, object]:
    """The outputs' figures, or one line saying why they were skipped."""
    try:
        return dict(output_figures(session, seconds))
    except Exception as err:  # NDI missing or no receiver found: the rest of the bench stands
        log.warning("outputs bench skipped: %s", err)
        return {"outputs_skipped": " ".join(str(err).split()) or type(err).__name__}
