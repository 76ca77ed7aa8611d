"""The per-frame loop body, and the thread that runs it.

Each frame: one registry snapshot; every piece of automation (the rate moving the dead
fraction, resets, new faces, the blackout fade, tap tempo, class and face glides, scene
recalls, morphs and stores) computed from that snapshot alone and written back to the
registry once, as one batch, so feedback sees it; the step handed to its observers (the
show log); masks and latent updated; one forward pass; a frame posted to the mailbox that
carries every value it was made with. Nothing else on this path allocates more than the
image.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from performer.controls import ALL_LAYERS, AUDIO_LEVELS, BLACKOUT_FADE_S
from performer.engine.ablation import Ablation, AblationState
from performer.engine.beats import BeatClock
from performer.engine.clock import Clock
from performer.engine.directions import KNOBS
from performer.engine.drift import ClassBlend
from performer.engine.latent_space import LatentPath
from performer.engine.modulation.modulator import Modulator
from performer.engine.scenes import SceneDirector
from performer.engine.slot import ABLATION_STATE, ModelSlot
from performer.engine.tempo import TapTempo
from performer.frame import EngineFigures, Fade, Frame
from performer.mailbox import Mailbox
from performer.models.base import AblatableGenerator
from performer.models.directions import Directions
from performer.models.stats import ModelStats
from performer.params import ParamChange, Registry, Snapshot, Value
from performer.scenes.book import Scene, SceneBook

log = logging.getLogger(__name__)

ENGINE = "engine"  # the source of the changes the engine writes back (automation)



@dataclass(frozen=True)
class Step:
    """What one engine step consumed and made, for observers that must see every step
    (the show log, the show file's saver), not only the frames the display took."""

    index: int
    time: float
    dt: float
    snapshot: Snapshot  # the registry's values as this step consumed them
    values: Snapshot  # ... plus the automation it wrote back
    stored: tuple[Scene, ...] = ()  # scenes stored on this step
    models: tuple[str, ...] = ()  # the models model.select could show on this step


StepObserver = Callable[[Step], None]


def to_rgb8(images: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) in [-1, 1] -> (H, W, 3) uint8 on the CPU."""
    rgb = images[0].add(1.0).mul_(127.5).clamp_(0.0, 255.0).round_()
    return rgb.to(torch.uint8).permute(1, 2, 0).contiguous().cpu().numpy()


class Engine:
    def __init__(
        self,
        model: AblatableGenerator,
        stats: ModelStats | None,
        registry: Registry,
        clock: Clock,
        device: torch.device | None = None,
        scenes: SceneBook | None = None,
        directions: Directions | None = None,
    ) -> None:
        """`stats` None: not measured yet (engine/measurement.py offers them later)."""
        self.registry = registry
        self.clock = clock
        self.device = device or next(model.parameters()).device
        self.slot = ModelSlot(model, stats, int(registry.value("drift.seed")), self.device,
                              directions)
        self._slots = {self.slot.name: self.slot}  # every model loaded so far, by name
        self._failed: set[str] = set()  # models that could not be loaded
        self._slots_lock = threading.Lock()
        self._note = ""  # about a model asked for and not (yet) shown
        self.taps = TapTempo()
        self.beats = BeatClock()  # the show's one beat clock, stepped in `automate`
        params = {p.name: p for p in registry.params()}
        self.modulator = Modulator(params, self.beats)
        self.scenes = SceneDirector(scenes or SceneBook(), params, self.beats)
        self._observers: list[StepObserver] = []
        self._previous: Mapping[str, Value] | None = None  # the last step's values
        self.time = 0.0
        self.index = 0
        self._bars = 0  # bars since the last drift.bars glide
        self._fade: Fade | None = None  # the output.fade under way
        self.figures = EngineFigures()
        self._last_post: float | None = None
        self._last: Frame | None = None  # the newest good frame
        self._thread: threading.Thread | None = None
        self._mailbox: Mailbox[Frame] | None = None
        self._unwatch: tuple[Callable[[], None], ...] = ()
        self._stepping: int | None = None  # the thread inside step(), if any
        self._running = threading.Event()

    # --- the model on screen, and the others loaded ------------------------------------
    @property
    def model(self) -> AblatableGenerator:
        return self.slot.model

    @property
    def ablation(self) -> Ablation:
        return self.slot.ablation

    @property
    def latents(self) -> LatentPath:
        return self.slot.latents

    @property
    def classes(self) -> ClassBlend | None:
        return self.slot.classes

    def add_model(self, slot: ModelSlot) -> None:
        """From any thread: `slot` can be selected (model.select) from the next frame on."""
        with self._slots_lock:
            self._slots[slot.name] = slot

    def model_failed(self, name: str) -> None:
        """From any thread: `name` could not be loaded (the loader said why, in one line)."""
        with self._slots_lock:
            self._failed.add(name)

    def failed_models(self) -> list[str]:
        """The models that could not be loaded, by name."""
        with self._slots_lock:
            return sorted(self._failed)

    def _select(self, snap: Snapshot, loaded: Mapping[str, ModelSlot]) -> dict[str, Value]:
        """Follow model.select: switch to a loaded model (restoring its own ablation values,
        returned as writes), wait for one still loading, refuse one that failed."""
        wanted = snap.str("model.select", default=self.slot.name)
        if wanted == self.slot.name:
            self._note = ""
            return {}
        with self._slots_lock:
            failed = wanted in self._failed
        target = loaded.get(wanted)
        if failed:
            self._note = ""
            return {"model.select": self.slot.name}  # the show stays on the model it shows
        if target is None:
            self._note = f"{wanted} is loading; {self.slot.name} stays until it is ready"
            return {}
        if not target.saved:  # shown for the first time
            target.start_walk(snap.int("drift.seed"))
        self.slot.saved = {name: snap[name] for name in ABLATION_STATE if name in snap}
        restored = dict(target.saved) or {"ablation.dead": 0.0, "ablation.rate": 0.0,
                                          "ablation.revive": False}
        layer = str(restored.get("ablation.layer", snap.get("ablation.layer", ALL_LAYERS)))
        if layer != ALL_LAYERS and layer not in target.ablation.layer_names:
            restored["ablation.layer"] = ALL_LAYERS
        log.info("showing %s", wanted)
        self.slot, self._note = target, ""
        return {name: self.registry.param(name).coerce(value) for name, value in restored.items()
                if name in self.registry}

    def _layer(self, snap: Snapshot) -> str:
        """ablation.layer for the model on screen: a layer only another model has is 'all'."""
        layer = snap.str("ablation.layer")
        if layer == ALL_LAYERS or layer in self.ablation.layer_names:
            return layer
        with self._slots_lock:
            elsewhere = any(layer in slot.ablation.layer_names for slot in self._slots.values())
        return ALL_LAYERS if elsewhere else layer  # an unknown name fails the frame, said once

    # --- one frame ----------------------------------------------------------------
    def step(self) -> Frame:
        """Advance the timeline by one clock tick and generate its frame."""
        self._stepping = threading.get_ident()
        try:
            return self._step()
        finally:
            self._stepping = None

    def _step(self) -> Frame:
        if self._mailbox is not None:
            self._mailbox.clear_wake()  # changes until now are in this snapshot
        taken = self.registry.snapshot()
        dt = self.clock.tick()
        self.time += dt
        index, self.index = self.index, self.index + 1  # time and index advance together
        with self._slots_lock:  # the models this step may show (one may be loading now)
            loaded = dict(self._slots)
        switched = self._select(taken, loaded)  # a new model brings back its ablation values
        snap = Snapshot({**taken.data, **switched}, taken.fired_at) if switched else taken
        self.slot.refresh()
        writes = {**switched, **self.automate(snap, dt)}
        self.registry.write_back(writes, taken, source=ENGINE)
        values = Snapshot({**snap.data, **writes}, snap.fired_at)
        self._previous = values.data
        # The step consumed `taken`: the values a switch restores are the engine's own
        # writes (a replay switches, and restores them, again).
        step = Step(index, self.time, dt, taken, values, tuple(self.scenes.stored),
                    tuple(loaded))
        for observer in self._observers:
            observer(step)
        # Modulation rides on the base values: the frame is made with (and carries) the
        # modulated ones; the registry, the show log and scenes keep the base (the knob
        # stays where it was put; a replay modulates again, the same way).
        alive = self.ablation.alive_count / max(self.ablation.total, 1)  # as last frame left it
        modulation = self.modulator.step(values, dt, alive)
        values = Snapshot({**values.data, **modulation.values}, snap.fired_at)

        self.ablation.seed_noise(index)
        self.ablation.apply(AblationState(
            layer=self._layer(values),
            order=values.str("ablation.order"),
            seed=values.int("ablation.seed"),
            dead=values.float("ablation.dead"),
            fill=values.str("ablation.fill"),
        ))
        self.model.apply_controls(self.model.read_controls(values), index)
        if self.classes is not None:
            label = self.classes.step(values.int("model.class"), values.float("drift.glide"), dt)
            if label is not None:
                self.model.set_class_weights(label)
        latent = self.latents.step(
            dt, values.float("drift.speed"), values.int("drift.seed"),
            values.float("drift.glide"), values.bool("drift.freeze"),
            space=values.str("drift.space", default="z"),  # declared by models with a W
        )
        knobs = [values.float(name) for name in KNOBS if name in values]
        latent = self.slot.knobs.apply(latent, knobs, self.latents.output_space)
        started = time.perf_counter()
        with torch.inference_mode():
            image = to_rgb8(self.latents.draw(latent))
        generator_ms = (time.perf_counter() - started) * 1000.0
        return Frame(index, self.time, image, self.ablation.neuron_map(), generator_ms,
                     values, self.figures, self._fade, modulation.sources,
                     self.slot.status(self._note))

    # --- automation: a pure function of the snapshot and dt (plus the engine's timers) ---
    def automate(self, snap: Snapshot, dt: float) -> dict[str, Value]:
        """Every value the engine moves this frame, computed from `snap` alone."""
        self.beats.step(dt, snap.float("tempo.bpm"), "tempo.downbeat" in snap.fired,
                        "tempo.bar" in snap.fired)
        writes: dict[str, Value] = {}
        if "ablation.reset" in snap.fired:
            writes["ablation.dead"] = 0.0
            writes["ablation.rate"] = 0.0
        else:
            dead = self._dead_after(snap, dt)
            if dead is not None:
                writes["ablation.dead"] = dead
        bar_done = self._bars_passed(snap)  # counts every frame, a new face or not
        if "drift.new" in snap.fired or bar_done:
            seeds = int(self.registry.param("drift.seed").maximum) + 1
            writes["drift.seed"] = (snap.int("drift.seed") + 1) % seeds  # wraps: always new
        blackout = self._blackout_after(snap, dt)
        if blackout is not None:
            writes["output.blackout"] = blackout
        for when in snap.fired_at.get("tempo.tap", ()):
            bpm = self.taps.tap(when)
            if bpm is not None:
                writes["tempo.bpm"] = bpm
        writes.update(self.scenes.automate(snap, dt, self._previous))
        return {name: self.registry.param(name).coerce(value) for name, value in writes.items()}

    def _dead_after(self, snap: Snapshot, dt: float) -> float | None:
        """`ablation.dead` moved by rate × dt neurons, towards death or back with revive."""
        rate = snap.float("ablation.rate")
        if snap.bool("ablation.sync"):  # neurons per beat
            rate *= snap.float("tempo.bpm") / 60.0
        if rate <= 0.0 or dt <= 0.0:
            return None
        size = self.ablation.target_size(self._layer(snap))
        direction = -1.0 if snap.bool("ablation.revive") else 1.0
        return snap.float("ablation.dead") + direction * rate * dt / size

    def _bars_passed(self, snap: Snapshot) -> bool:
        """drift.bars: True on the frame that starts the Nth bar since the last glide (a
        downbeat starts the count again: that frame is bar 1, beat 1)."""
        bars = snap.int("drift.bars")
        if bars <= 0 or "tempo.downbeat" in snap.fired:
            self._bars = 0
            return False
        if self.beats.bar_started:
            self._bars += 1
        if self._bars < bars:
            return False
        self._bars = 0
        return True

    def _blackout_after(self, snap: Snapshot, dt: float) -> float | None:
        """output.fade: towards black, or back from black if mostly black, over
        BLACKOUT_FADE_S; None when no fade runs."""
        current = snap.float("output.blackout")
        if "output.fade" in snap.fired:
            self._fade = Fade(0.0 if current > 0.5 else 1.0, 1.0 / BLACKOUT_FADE_S)
        if self._fade is None:
            return None
        after = self._fade.at(current, dt)
        if after == self._fade.target:
            self._fade = None
        return after

    def observe(self, observer: StepObserver) -> None:
        """Call `observer` on the engine thread after every step; it must only hand the
        step on (a queue), never block."""
        self._observers.append(observer)

    def unobserve(self, observer: StepObserver) -> None:
        self._observers.remove(observer)

    # --- the thread -----------------------------------------------------------------
    def attach(self, mailbox: Mailbox[Frame]) -> None:
        """Post frames to `mailbox`, and let control changes mark its waiting frame stale.

        A control change that arrives while a finished frame still waits for the display
        makes that frame stale: it is made again, once, with the change (late latching), so
        a knob reaches the next refresh instead of the one after it. Changes the engine
        makes itself, and changes its own snapshot already applied, never cause a redo.
        """
        self.detach()
        self._mailbox = mailbox

        def on_change(change: ParamChange) -> None:
            if threading.get_ident() == self._stepping:
                return  # applied by this frame's own snapshot: the frame has it already
            if change.source != ENGINE and change.name not in AUDIO_LEVELS:
                mailbox.wake()  # (audio levels are a stream: they ride with the next frame)

        self._unwatch = (self.registry.subscribe(on_change),
                         self.registry.watch_submissions(mailbox.wake))

    def detach(self) -> None:
        for unsubscribe in self._unwatch:
            unsubscribe()
        self._unwatch = ()

    def turn(self, redo: bool, max_wait: float) -> bool:
        """One turn of the engine thread: wait until the display took the waiting frame (or
        it went stale, or `max_wait` passed), then make the next one. Returns True when
        this frame was a redo of a stale one; after a redo the next turn waits for the
        display, so there are never more than two steps per displayed frame."""
        assert self._mailbox is not None, "attach a mailbox first"
        stale = self._mailbox.wait_demand(max_wait, wakeable=not redo)
        if self._running.is_set() or self._thread is None:
            self.run_once(self._mailbox)
        return stale

    def start(self, mailbox: Mailbox[Frame], max_wait: float = 0.1) -> None:
        """Run turns on a thread until `stop()`."""
        self.attach(mailbox)
        self._running.set()

        def loop() -> None:
            redo = False
            while self._running.is_set():
                redo = self.turn(redo, max_wait)
            self.detach()

        self._thread = threading.Thread(target=loop, name="performer-engine", daemon=True)
        self._thread.start()

    def run_once(self, mailbox: Mailbox[Frame]) -> Frame | None:
        """The thread's body for one frame: step, post, count.

        A failing frame is logged and the last good image stays on screen with the values
        as they stand now, so blackout, the map and fullscreen still answer while the
        generator is broken (the show goes on).
        """
        try:
            frame = self.step()
        except Exception:
            log.exception("frame %d failed", self.index - 1)
            if self._last is not None:
                mailbox.post(dataclasses.replace(self._last, values=self.registry.values(),
                                                 fade=self._fade))
            time.sleep(0.1)
            return None
        self._last = frame
        mailbox.post(frame)
        self._count(time.perf_counter(), frame.generator_ms)
        return frame

    def _count(self, now: float, generator_ms: float) -> None:
        """Smoothed fps and generator time, carried by the next frame."""
        last, self._last_post = self._last_post, now
        if last is None:
            self.figures = EngineFigures(0.0, generator_ms)
            return
        fps = 1.0 / (now - last) if now > last else 0.0
        smooth = 0.9 if self.figures.fps else 0.0  # the first interval is taken as it is
        self.figures = EngineFigures(
            smooth * self.figures.fps + (1 - smooth) * fps,
            smooth * self.figures.generator_ms + (1 - smooth) * generator_ms,
        )

    def stop(self) -> None:
        """Stop the thread; it ends after its current frame."""
        self._running.clear()
        if self._mailbox is not None:
            self._mailbox.wake()  # end a wait for the display at once
        if self._thread is not None:
            self._thread.join(timeout=30.0)
            if self._thread.is_alive():
                log.warning("the engine thread did not stop within 30 s")
            self._thread = None
