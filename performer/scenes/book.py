"""The scenes of a show, in memory: what a recall moves to and what a store writes.

Pure values, no file: the engine keeps a `SceneBook` and stores into it on the frame a
store arrives (so a replay repeats it), and the show file is saved from it elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from performer.controls import AUDIO_LEVELS
from performer.params import Kind, Param, Value

# Never stored by a store of "every parameter": the scene controls themselves, MIDI learn,
# the tempo (the clock drives it), the window's fullscreen, the recording switch (a recall
# must never start or stop a recording) and the audio analysis's measurements (the sound of
# the moment, not a setting; the routes that use them are stored).
UNSTORED_GROUPS = frozenset({"scene", "midi", "tempo"})
UNSTORED = frozenset({"output.fullscreen", "output.record", *AUDIO_LEVELS})


@dataclass(frozen=True)
class Scene:
    """A named set of values (any subset of the registry)."""

    name: str
    values: Mapping[str, Value]

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(name.split(".", 1)[0] for name in self.values)


def storable(param: Param) -> bool:
    """Whether a store of every parameter takes this one (triggers are events, not state)."""
    return (param.kind is not Kind.TRIGGER and param.group not in UNSTORED_GROUPS
            and param.name not in UNSTORED)


def stored_values(existing: Scene | None, current: Mapping[str, Value],
                  params: Iterable[Param]) -> dict[str, Value]:
    """What a store writes: every storable parameter into a new scene; into an existing
    one, the storable parameters of the groups it already holds (its own choice of what
    it is about), plus any parameter it names outside them."""
    params = [p for p in params if p.name in current and p.kind is not Kind.TRIGGER]
    if existing is None:
        chosen = [p for p in params if storable(p)]
    else:
        chosen = [p for p in params if p.name in existing.values
                  or (storable(p) and p.group in existing.groups)]
    return {p.name: current[p.name] for p in chosen}


class SceneBook:
    """Scenes by name, in show-file order; names are matched exactly (the registry's
    choices already give them their written case)."""

    def __init__(self, scenes: Iterable[Scene] = ()) -> None:
        self._scenes: dict[str, Scene] = {scene.name: scene for scene in scenes}

    def __len__(self) -> int:
        return len(self._scenes)

    def scenes(self) -> list[Scene]:
        return list(self._scenes.values())

    def get(self, name: str) -> Scene | None:
        return self._scenes.get(name)

    def store(self, name: str, current: Mapping[str, Value], params: Iterable[Param]) -> Scene:
        """Store `current` into scene `name` (made if new); returns the scene as stored."""
        scene = Scene(name, stored_values(self._scenes.get(name), current, params))
        self._scenes[name] = scene
        return scene
