"""Scene recall, morph, quantize and store: what the engine does with the scene controls.

Computed each frame from the snapshot alone (plus the morph under way), written back with
the rest of the automation, so a replay of the same snapshots repeats it exactly.

A recall moves from where the picture is (a recall during a morph starts from the values
on screen) to the scene's values over `scene.morph` seconds, eased in and out like a glide:
- floats move along their own curve (the position a fader would travel);
- toggles, choices and ints switch at the midpoint of the morph;
- `drift.seed` switches at the start, so the face glides there over `drift.glide`;
- the death order (`ablation.layer`, `.order`, `.seed`) switches at the end, so the dead
  fraction morphs along the order on screen: the face is scrubbed, never reshuffled.
A value changed by hand during a morph is the performer's again (the morph lets go of it);
a change by hand to a value the scene holds, once it is on screen, sets `scene.recall`
back to none, so pressing the scene again recalls it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from performer.controls import SCENE_NONE
from performer.engine.beats import BeatClock
from performer.engine.drift import smoothstep
from performer.params import Kind, Param, Snapshot, Value
from performer.scenes.book import Scene, SceneBook

SWITCH_AT_START = frozenset({"drift.seed"})
SWITCH_AT_END = frozenset({"ablation.layer", "ablation.order", "ablation.seed"})
MIDPOINT = 0.5
TIME_EPSILON = 1e-9  # frame times summed to the morph's length end it (0.1 × 10 < 1.0)


def switch_point(param: Param) -> float:
    """Where along a morph (0..1 of its time) a value that cannot move switches."""
    if param.name in SWITCH_AT_START:
        return 0.0
    if param.name in SWITCH_AT_END:
        return 1.0
    return MIDPOINT


def morph_value(param: Param, start: Value, end: Value, progress: float) -> Value:
    """The value `progress` (0..1 of the morph's time) of the way from `start` to `end`."""
    if progress >= 1.0:
        return end
    if param.kind is Kind.FLOAT:
        eased = smoothstep(progress)
        a, b = param.to_normalized(start), param.to_normalized(end)
        return param.from_normalized(a + (b - a) * eased)
    point = switch_point(param)
    return end if point < 1.0 and progress >= point else start


@dataclass
class Morph:
    """A recall under way: from the values on screen to the scene's, over `duration`."""

    scene: str
    start: dict[str, Value]
    end: dict[str, Value]
    duration: float
    elapsed: float = 0.0
    written: dict[str, Value] = field(default_factory=dict)  # what the last frame wrote

    @property
    def progress(self) -> float:
        if self.elapsed >= self.duration - TIME_EPSILON:
            return 1.0
        return self.elapsed / self.duration


class SceneDirector:
    """The scene controls' effect on each frame; owns the scene book and the morph."""

    def __init__(self, book: SceneBook, params: Mapping[str, Param], beat: BeatClock) -> None:
        self.book = book
        self.params = params
        self.morph: Morph | None = None
        self.pending: str | None = None  # a quantized recall waiting for its beat
        self.beat = beat  # the engine's, stepped by it before the scenes
        self.stored: list[Scene] = []  # stores of the last frame, for whoever saves them

    def automate(self, snap: Snapshot, dt: float,
                 previous: Mapping[str, Value] | None) -> dict[str, Value]:
        """The values the scene controls move this frame. `previous` is the last frame's
        resolved values (None on the first), so changes made since are told apart from
        the engine's own."""
        writes: dict[str, Value] = {}
        self.stored = []
        changed = _changed(snap, previous)
        on_beat, on_bar = self.beat.beat_started, self.beat.bar_started
        store = snap.str("scene.store")
        if store != SCENE_NONE:
            self.stored.append(self.book.store(store, snap.data, self.params.values()))
            writes["scene.store"] = SCENE_NONE
            writes["scene.recall"] = store  # the picture is that scene now
            self.morph = None
            self.pending = None
        recall = snap.str("scene.recall")
        if "scene.recall" in changed and recall != SCENE_NONE and store == SCENE_NONE:
            self.pending = recall
        if self.pending is not None:
            quantize = snap.str("scene.quantize")
            due = quantize == "now" or (quantize == "beat" and on_beat) or \
                (quantize == "bar" and on_bar)
            if due:
                name, self.pending = self.pending, None
                if not self._start(name, snap):
                    writes["scene.recall"] = SCENE_NONE
                changed = set()  # this frame's other changes are overridden by the scene
        writes.update(self._advance(snap, dt, changed))
        if self.pending is None and store == SCENE_NONE:
            active = self.book.get(recall)
            if active is not None and changed & active.values.keys():
                writes["scene.recall"] = SCENE_NONE  # edited by hand: no longer that scene
        return writes

    def _start(self, name: str, snap: Snapshot) -> bool:
        scene = self.book.get(name)
        if scene is None:
            return False  # an empty slot: nothing to recall
        end = {n: v for n, v in scene.values.items() if n in snap.data}
        self.morph = Morph(name, {n: snap[n] for n in end}, end, snap.float("scene.morph"))
        return True

    def _advance(self, snap: Snapshot, dt: float, changed: set[str]) -> dict[str, Value]:
        morph = self.morph
        if morph is None:
            return {}
        for name in changed & morph.end.keys():  # moved by hand: the performer's again
            del morph.end[name]
        if morph.written:
            morph.elapsed += dt
        progress = morph.progress
        writes = {n: morph_value(self.params[n], morph.start[n], end, progress)
                  for n, end in morph.end.items()}
        morph.written = writes
        if progress >= 1.0:
            self.morph = None
        return writes


def _changed(snap: Snapshot, previous: Mapping[str, Value] | None) -> set[str]:
    """Names whose value differs from the last frame's: changes made since, not the
    engine's (the last frame's values include its own writes)."""
    if previous is None:
        return {n for n, v in snap.data.items() if n.startswith("scene.") and v != SCENE_NONE}
    return {n for n, v in snap.data.items() if previous.get(n) != v}
