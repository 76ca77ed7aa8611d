"""`performer render`: the performance rendered offscreen into a video file.

Same engine, same shader chain as the live window, driven by a fixed clock so the file is
exactly repeatable; frames are encoded by ffmpeg in its own process.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time

from performer.control.audio.track import Track
from performer.controls import apply_settings, fill_routes, resolve_layer
from performer.engine.clock import FixedClock
from performer.engine.session import open_session
from performer.outputs.recorder import Recorder
from performer.params import Registry
from performer.render.fx.setup import resolve_chain
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Look, Pipeline

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 60.0


def configure(registry: Registry, args: argparse.Namespace, layer: str, target_size: int,
              frames: int) -> None:
    """Command-line schedule -> registry values (the default: all targets die by the end).

    Frame i shows time i / fps, so the last frame is at (frames - 1) / fps: the default rate
    is set so that every target neuron is dead on that frame.
    """
    source = "render"
    registry.set("ablation.layer", layer, source)
    registry.set("ablation.order", args.order, source)
    registry.set("ablation.fill", args.fill, source)
    registry.set("ablation.seed", args.seed, source)
    registry.set("drift.seed", args.seed, source)
    registry.set("drift.speed", args.drift, source)
    registry.set("output.map", args.map, source)
    last_frame_time = max(frames - 1, 1) / args.fps
    rate = args.rate if args.rate is not None else target_size / last_frame_time
    registry.set("ablation.rate", rate, source)


class Progress:
    """A one-line progress bar on a terminal; a line per 10 % elsewhere."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.live = sys.stderr.isatty()
        self._shown = -1

    def update(self, done: int) -> None:
        percent = done * 100 // self.total
        if self.live:
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\rrendering [{bar:<25}] {done}/{self.total} frames")
            if done == self.total:
                sys.stderr.write("\n")
        elif percent // 10 != self._shown:
            self._shown = percent // 10
            sys.stderr.write(f"rendering {done}/{self.total} frames\n")
        sys.stderr.flush()


def render_video(args: argparse.Namespace) -> int:
    track = Track.load(args.audio) if args.audio is not None else None  # bad file: fail first
    seconds = args.seconds if args.seconds is not None else (
        track.duration if track is not None else DEFAULT_SECONDS)
    effects, fx_params = resolve_chain(args.fx)
    session = open_session(args.model, args.device, FixedClock(args.fps), extra=fx_params)
    session.settle()  # finished statistics: the same video on every run
    registry, engine = session.registry, session.engine
    layer = resolve_layer(args.layer, [layer.name for layer in session.model.layers])
    frames = max(1, math.ceil(seconds * args.fps - 1e-9))
    configure(registry, args, layer, engine.ablation.target_size(layer), frames)
    apply_settings(registry, args.settings, "cli")
    fill_routes(registry, args.routes, "cli")
    started = time.perf_counter()
    progress = Progress(frames)
    with Offscreen(args.size) as target, Recorder(args.out, args.size, args.fps, args.codec,
                                                  audio=args.audio) as rec:
        pipeline = Pipeline(target.ctx, face_shader=args.shader, fx=effects)
        for index in range(frames):
            if track is not None:  # the sound's features at this frame's time
                registry.apply(track.changes(index, args.fps))
            frame = engine.step()
            pipeline.upload(frame)
            target.use()
            pipeline.draw(args.size, Look.of(frame))
            rec.write(target.read_rgb())
            progress.update(index + 1)
    elapsed = time.perf_counter() - started
    log.info(
        "wrote %s: %d frames, %dx%d at %g fps, %d/%d neurons alive at the end (%.1f s)",
        args.out, frames, *args.size, args.fps, frame.neurons.alive_count,
        frame.neurons.total, elapsed,
    )
    return 0
