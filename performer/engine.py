"""The per-frame loop body, and the thread that runs it.

Each frame: one registry snapshot; triggers and automation (rate, new face) written back
to the registry so feedback sees them; masks and latent updated; one forward pass; the
frame posted to the mailbox. Nothing else on this path allocates more than the image.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

from performer.ablation import Ablation, AblationState
from performer.clock import Clock
from performer.drift import Drift
from performer.frame import Frame
from performer.latent_space import SpaceDrift, has_w_space
from performer.mailbox import Mailbox
from performer.models.base import AblatableGenerator
from performer.models.stats import ModelStats
from performer.params import ParamChange, Registry, Snapshot

log = logging.getLogger(__name__)

ENGINE = "engine"  # the source of the changes the engine writes back (automation)
OUTPUT_GROUP = "output."  # parameters only the display reads

BEATS_PER_BAR = 4  # drift.bars counts bars of four beats at tempo.bpm


@dataclass
class EngineStats:
    """Figures for the status line, published with every frame."""

    fps: float = 0.0
    generator_ms: float = 0.0
    frames: int = 0


def to_rgb8(images: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) in [-1, 1] -> (H, W, 3) uint8 on the CPU."""
    rgb = images[0].add(1.0).mul_(127.5).clamp_(0.0, 255.0).round_()
    return rgb.to(torch.uint8).permute(1, 2, 0).contiguous().cpu().numpy()


class Engine:
    def __init__(
        self,
        model: AblatableGenerator,
        stats: ModelStats,
        registry: Registry,
        clock: Clock,
        device: torch.device | None = None,
    ) -> None:
        self.model = model
        self.registry = registry
        self.clock = clock
        self.device = device or next(model.parameters()).device
        self.ablation = Ablation(model, stats)
        seed = int(registry.value("drift.seed"))
        # Models with a mapping network drift in Z or W (drift.space); others in Z.
        self.space_drift = SpaceDrift(model, seed, self.device) if has_w_space(model) else None
        self.drift = self.space_drift.z if self.space_drift else Drift(self._face, seed)
        self._z = torch.empty(1, model.latent_size, device=self.device)
        self.time = 0.0
        self.index = 0
        self._beats = 0.0  # beats since the last drift.bars glide
        self.stats = EngineStats()
        self._thread: threading.Thread | None = None
        self._mailbox: Mailbox[Frame] | None = None
        self._running = threading.Event()

    def _face(self, seed: int) -> np.ndarray:
        return self.model.sample_latents(1, seed)[0].double().numpy()

    # --- one frame ----------------------------------------------------------------
    def step(self) -> Frame:
        """Advance the timeline by one clock tick and generate its frame."""
        if self._mailbox is not None:
            self._mailbox.clear_wake()  # changes until now are in this snapshot
        snap = self.registry.snapshot()
        dt = self.clock.tick()
        self.time += dt
        index, self.index = self.index, self.index + 1  # time and index advance together
        face_seed = self._triggers(snap, new_face=self._bars_passed(snap, dt))
        self._automate(snap, dt)
        state = AblationState(
            layer=snap.str("ablation.layer"),
            order=snap.str("ablation.order"),
            seed=snap.int("ablation.seed"),
            dead=float(self.registry.value("ablation.dead")),
            fill=snap.str("ablation.fill"),
        )
        self.ablation.seed_noise(index)
        self.ablation.apply(state)
        speed, glide_s = snap.float("drift.speed"), snap.float("drift.glide")
        frozen = snap.bool("drift.freeze")
        self.model.apply_params(snap, index, dt)
        if self.space_drift is not None:
            latent = self.space_drift.step(dt, speed, face_seed, glide_s, frozen,
                                           space=str(snap.data.get("drift.space", "z")))
        else:
            z = self.drift.step(dt, speed=speed, seed=face_seed, glide_s=glide_s, frozen=frozen)
            self._z.copy_(torch.from_numpy(z[None].astype(np.float32)))  # MPS has no float64
            latent = self._z
        started = time.perf_counter()
        with torch.inference_mode():
            drawn = self.space_drift.draw(latent) if self.space_drift else self.model(latent)
            image = to_rgb8(drawn)
        generator_ms = (time.perf_counter() - started) * 1000.0
        return Frame(index, self.time, image, self.ablation.neuron_map(), generator_ms)

    def _bars_passed(self, snap: Snapshot, dt: float) -> bool:
        """drift.bars: True on the frame that completes another N bars at tempo.bpm."""
        bars = snap.int("drift.bars")
        if bars <= 0:
            self._beats = 0.0
            return False
        self._beats += dt * snap.float("tempo.bpm") / 60.0
        if "tempo.downbeat" in snap.fired:  # this frame is bar 1, beat 1
            self._beats = 0.0
        if self._beats < bars * BEATS_PER_BAR:
            return False
        self._beats %= bars * BEATS_PER_BAR
        return True

    def _triggers(self, snap: Snapshot, new_face: bool = False) -> int:
        """Apply fired triggers; returns the face seed this frame uses."""
        if "ablation.reset" in snap.fired:
            self.registry.set("ablation.dead", 0.0, source=ENGINE)
            self.registry.set("ablation.rate", 0.0, source=ENGINE)
        if "drift.new" in snap.fired or new_face:
            seeds = int(self.registry.param("drift.seed").maximum) + 1
            after = (snap.int("drift.seed") + 1) % seeds  # wraps, so "new" always changes
            return int(self.registry.set("drift.seed", after, source=ENGINE))
        return snap.int("drift.seed")

    def _automate(self, snap: Snapshot, dt: float) -> None:
        """Move `ablation.dead` by rate × dt neurons, towards death or back with revive."""
        rate = snap.float("ablation.rate")
        if snap.bool("ablation.sync"):  # neurons per beat
            rate *= snap.float("tempo.bpm") / 60.0
        if rate <= 0.0 or dt <= 0.0 or "ablation.reset" in snap.fired:
            return  # a reset frame stays reset (the snapshot's rate predates it)
        size = self.ablation.target_size(snap.str("ablation.layer"))
        direction = -1.0 if snap.bool("ablation.revive") else 1.0
        self.registry.nudge("ablation.dead", direction * rate * dt / size, source=ENGINE)

    # --- the thread -----------------------------------------------------------------
    def start(self, mailbox: Mailbox[Frame], max_wait: float = 0.1) -> None:
        """Run frames on a thread, each one made once the display took the previous one.

        A control change that arrives while a finished frame still waits for the display
        makes that frame stale: it is made again, once, with the change (late latching), so
        a knob reaches the next refresh instead of the one after it. Changes the engine
        makes itself, and output-only parameters, never cause a redo.
        """
        self._running.set()
        self._mailbox = mailbox

        def on_change(change: ParamChange) -> None:
            if threading.current_thread() is self._thread:
                return  # applied by this frame's own snapshot: the frame has it already
            if change.source != ENGINE and not change.name.startswith(OUTPUT_GROUP):
                mailbox.wake()

        stop_watching = (self.registry.subscribe(on_change),
                         self.registry.watch_submissions(mailbox.wake))

        def loop() -> None:
            last = time.perf_counter()
            redo = False
            while self._running.is_set():
                # After one redo, wait for the display: never more than two steps a frame.
                redo = mailbox.wait_demand(max_wait, wakeable=not redo)
                if not self._running.is_set():
                    break
                try:
                    frame = self.step()
                except Exception:  # keep the show up; the last frame stays on screen
                    log.exception("frame %d failed", self.index - 1)
                    time.sleep(0.1)
                    continue
                mailbox.post(frame)
                now = time.perf_counter()
                self._count(now - last, frame.generator_ms)
                last = now

            for unsubscribe in stop_watching:
                unsubscribe()

        self._thread = threading.Thread(target=loop, name="performer-engine", daemon=True)
        self._thread.start()

    def _count(self, interval: float, generator_ms: float) -> None:
        fps = 1.0 / interval if interval > 0 else 0.0
        smooth = 0.9 if self.stats.frames else 0.0
        self.stats.fps = smooth * self.stats.fps + (1 - smooth) * fps
        self.stats.generator_ms = smooth * self.stats.generator_ms + (1 - smooth) * generator_ms
        self.stats.frames += 1

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
