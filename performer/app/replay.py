"""`performer render --replay LOG`: a show rendered again from its show log.

The engine is fed exactly what it consumed live: each step's changes, its fired triggers
(with their times, for tap tempo) and its time step, so its state, and every frame, are
the same as the show's. The scenes are the ones the show started with; stores happen again
on the step they happened. At the live size and timing each step is one video frame; at
another `--fps` the timeline is sampled by show time (the frame on screen at each tick).
"""

from __future__ import annotations

import argparse
import logging
import math
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from performer.engine.session import Session, open_session
from performer.engine.slot import ModelSlot
from performer.models.base import ModelError
from performer.models.loading import resolve
from performer.outputs.recorder import Recorder
from performer.params import Kind, ParamChange
from performer.render.fx.setup import resolve_chain
from performer.render.fx.source import EffectFile
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Look, Pipeline
from performer.scenes.book import Scene, SceneBook
from performer.showlog.format import LoggedModel, LoggedStep, ShowLogError, file_sha256
from performer.showlog.reader import ShowLog

log = logging.getLogger(__name__)

SOURCE = "replay"
DEFAULT_FPS = 30.0  # a log with a single step has no timing of its own
DEFAULT_SHADER = "face.frag"  # render's --shader default: the show's own shader is used


class LoggedTime:
    """The engine's clock in a replay: the logged time step, tick by tick."""

    def __init__(self) -> None:
        self.dt = 0.0

    def tick(self) -> float:
        return self.dt


class TriggerTime:
    """The registry's clock in a replay: the time a trigger fired live."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Replay:
    log: ShowLog
    session: Session
    clock: LoggedTime
    trigger_time: TriggerTime
    effects: list[EffectFile] = field(default_factory=list)  # the chain, as `--fx` chose it
    held: dict[str, ModelSlot] = field(default_factory=dict)  # loaded, not selectable yet

    def step(self, logged: LoggedStep) -> None:
        """Give the registry what this step consumed live, then run the step."""
        registry = self.session.registry
        if logged.changes:
            registry.apply([ParamChange(name, value, SOURCE)
                            for name, value in logged.changes.items()])
        for name, times in logged.fired.items():
            for when in times:
                self.trigger_time.now = when
                registry.apply([ParamChange(name, True, SOURCE)])
        for name in logged.loaded:  # selectable from this step on, as in the show
            slot = self.held.pop(name, None)
            if slot is not None:
                self.session.engine.add_model(slot)
        self.clock.dt = logged.dt


def open_replay(path: Path, models: Sequence[str], device: str | None,
                fx: Sequence[str] | None = None) -> Replay:
    """The log's header checked, and a session set to the show's starting state, with every
    model the show had loaded before the first step; `models` stand in for the logged files
    (`--model`, one per model, in order; none: the logged files); `fx` is the effect chain as
    `--fx` gives it (None: the show's own chain, from the log)."""
    show_log = ShowLog(path)
    header = show_log.header
    try:
        specs = checked_models(path, header.models, models)
    except ShowLogError:
        show_log.close()
        raise
    clock, trigger_time = LoggedTime(), TriggerTime()
    effects, fx_params = resolve_chain(header.fx if fx is None else fx)
    session = open_session(specs, device, clock,
                           scene_names=[name for name, _ in header.scenes],
                           registry_clock=trigger_time, extra=fx_params,
                           names=[model.name for model in header.models], hold_models=True)
    session.settle()  # every model loaded, with the statistics the show used
    for name in session.engine.failed_models():
        log.warning("%s: the show's model %s could not be loaded here: where the show "
                    "switched to it, the replay stays on the model before", path, name)
    registry = session.registry
    unknown = [name for name in header.registry if name not in registry]
    if unknown:
        raise ShowLogError(f"{path}: parameters this model does not have: {', '.join(unknown)}")
    registry.apply([ParamChange(name, value, SOURCE) for name, value in header.registry.items()
                    if registry.param(name).kind is not Kind.TRIGGER])
    session.engine.scenes.book = SceneBook(Scene(name, values) for name, values in header.scenes)
    return Replay(show_log, session, clock, trigger_time, effects, session.held or {})


def checked_models(path: Path, logged: Sequence[LoggedModel], given: Sequence[str],
                   ) -> list[str]:
    """The files to load for the logged models: `given` in their place, or the logged files;
    each must be the very file the show used (its sha256)."""
    if given and len(given) != len(logged):
        names = ", ".join(model.name for model in logged)
        raise ShowLogError(f"{path}: the show had {len(logged)} model(s) ({names}): give "
                           "--model once for each, in that order")
    specs = list(given) or [model.file for model in logged]
    for spec, model in zip(specs, logged, strict=True):
        try:
            file = resolve(spec)
        except ModelError as err:
            raise ShowLogError(f"{path}: {err}: pass --model with the show's model") from None
        if file_sha256(file) != model.sha256:
            raise ShowLogError(f"{path}: the show used model {model.name} (sha256 "
                               f"{model.sha256[:12]}...), not {file}: pass --model with the "
                               "show's model")
    return specs


def replay_frames(replay: Replay, size: tuple[int, int], fps: float | None = None,
                  shader: str | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """(show time, RGB picture) as the output showed it: every step, or with `fps` the
    picture on screen at each 1/fps tick of show time. The face shader is the show's,
    unless `shader` names another."""
    engine = replay.session.engine
    with Offscreen(size) as target:
        pipeline = Pipeline(target.ctx, face_shader=shader or replay.log.header.shader,
                            fx=replay.effects)
        tick = 0
        shown: tuple[float, np.ndarray] | None = None
        for logged in replay.log.steps():
            replay.step(logged)
            frame = engine.step()
            if fps is not None and shown is not None:
                while tick / fps < frame.time:  # the previous picture was on screen then
                    yield tick / fps, shown[1]
                    tick += 1
            pipeline.upload(frame)
            target.use()
            pipeline.draw(size, Look.of(frame))
            shown = (frame.time, target.read_rgb())
            if fps is None:
                yield shown
        if fps is not None and shown is not None and tick / fps <= shown[0] + 1e-9:
            yield tick / fps, shown[1]


def live_fps(path: Path) -> float:
    """The live run's mean frame rate, read from the log (for the video's nominal rate)."""
    show_log = ShowLog(path)
    try:
        last = deque(show_log.steps(), maxlen=1)
    finally:
        show_log.close()
    if not last or last[0].time <= 0:
        return DEFAULT_FPS
    return last[0].index / last[0].time


def replay_video(args: argparse.Namespace) -> int:
    replay = open_replay(args.replay, args.models, args.device, args.fx)
    size = args.size or replay.log.header.size
    rate = args.fps or live_fps(args.replay)
    if not math.isfinite(rate) or rate <= 0:
        rate = DEFAULT_FPS
    frames = 0
    try:
        with Recorder(args.out, size, rate, args.codec) as recorder:
            shader = None if args.shader == DEFAULT_SHADER else args.shader
            for _, rgb in replay_frames(replay, size, args.fps, shader):
                recorder.write(rgb)
                frames += 1
    finally:
        replay.log.close()
    if replay.log.problem is not None:
        log.warning("%s", replay.log.problem)
    log.info("wrote %s: %d frames of %s at %dx%d, %g fps", args.out, frames, args.replay,
             *size, rate)
    return 0
