"""Keyboard controls: one table of bindings, used by the window and printed by `?`.

Keys are named as GLFW names them ("UP", "L", "LEFT_BRACKET"), with "SHIFT+" for shifted
keys, so the table is testable without a window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from performer.controls import LEARN_LAST, LEARN_OFF
from performer.params import ParamChange, Registry

RATE_STEP = 0.05  # normalised fader steps for rate and drift keys
SCRUB_STEP = 0.01
SCRUB_BIG_STEP = 0.10
SOURCE = "keyboard"


class WindowAction(Enum):
    """What only the window can do; `handle` returns it and the window carries it out."""

    QUIT = "quit"
    HELP = "help"
    RELOAD = "reload"


RegistryAction = Callable[[Registry], object]  # what it returns is ignored
SCENE_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")  # scenes 1..10


@dataclass(frozen=True)
class SceneKeys:
    """A row of number keys on a scene control: key 1 is the first scene, 0 the tenth."""

    param: str
    shifted: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f"SHIFT+{k}" if self.shifted else k for k in SCENE_KEYS)

    def __call__(self, registry: Registry, key: str) -> None:
        index = self.keys.index(key)  # a choice's 0-based index: scene index + 1
        registry.set(self.param, registry.param(self.param).choices[index], SOURCE)


@dataclass(frozen=True)
class Binding:
    """Keys, their help line, and either a change to the registry or a window action."""

    keys: tuple[str, ...]
    help: str
    action: RegistryAction | WindowAction | SceneKeys

    @property
    def label(self) -> str:
        """The keys as the help shows them: a row of number keys as its first … last."""
        if len(self.keys) > 4:
            return f"{key_label(self.keys[0])} … {key_label(self.keys[-1])}"
        return " / ".join(key_label(k) for k in self.keys)


def _step_normalized(name: str, step: float) -> RegistryAction:
    return lambda reg: reg.set_normalized(name, reg.normalized(name) + step, SOURCE)


def _nudge(name: str, delta: float) -> RegistryAction:
    return lambda reg: reg.nudge(name, delta, SOURCE)


def _toggle(name: str) -> RegistryAction:
    return lambda reg: reg.set(name, not reg.value(name), SOURCE)


def _set(name: str, value: object) -> RegistryAction:
    return lambda reg: reg.set(name, value, SOURCE)


def _fire(name: str) -> RegistryAction:
    return _set(name, True)


def _cycle(name: str, step: int) -> RegistryAction:
    return lambda reg: reg.cycle(name, step, SOURCE)


def _learn_last(reg: Registry) -> None:
    """Arm MIDI learn for the parameter touched last. Off, then "last", in one batch: a
    second K while armed then re-targets learn (setting "last" again would change nothing,
    so the learner would never hear of it)."""
    reg.apply([ParamChange("midi.learn", LEARN_OFF, SOURCE),
               ParamChange("midi.learn", LEARN_LAST, SOURCE)])


BINDINGS: tuple[Binding, ...] = (
    Binding(("UP",), "ablation rate up", _step_normalized("ablation.rate", RATE_STEP)),
    Binding(("DOWN",), "ablation rate down", _step_normalized("ablation.rate", -RATE_STEP)),
    Binding(("RIGHT",), "scrub: kill 1 % more", _nudge("ablation.dead", SCRUB_STEP)),
    Binding(("LEFT",), "scrub: revive 1 %", _nudge("ablation.dead", -SCRUB_STEP)),
    Binding(("SHIFT+RIGHT",), "scrub: kill 10 % more", _nudge("ablation.dead", SCRUB_BIG_STEP)),
    Binding(("SHIFT+LEFT",), "scrub: revive 10 %", _nudge("ablation.dead", -SCRUB_BIG_STEP)),
    Binding(("R",), "revive on/off (the rate brings neurons back)", _toggle("ablation.revive")),
    Binding(("SHIFT+R",), "record the output on/off", _toggle("output.record")),
    Binding(("BACKSPACE",), "reset: every neuron alive, rate 0", _fire("ablation.reset")),
    Binding(("L",), "next layer (all, block0, ...)", _cycle("ablation.layer", 1)),
    Binding(("SHIFT+L",), "previous layer", _cycle("ablation.layer", -1)),
    Binding(("O",), "next death order", _cycle("ablation.order", 1)),
    Binding(("I",), "next fill (zero, mean, noise)", _cycle("ablation.fill", 1)),
    Binding(("RIGHT_BRACKET",), "drift faster", _step_normalized("drift.speed", RATE_STEP)),
    Binding(("LEFT_BRACKET",), "drift slower", _step_normalized("drift.speed", -RATE_STEP)),
    Binding(("N",), "glide to a new face", _fire("drift.new")),
    Binding(("SPACE",), "freeze / unfreeze the face", _toggle("drift.freeze")),
    Binding(("M",), "neural memory map on/off", _toggle("output.map")),
    Binding(("F",), "fullscreen on/off", _toggle("output.fullscreen")),
    Binding(("B",), "fade to black / back", _fire("output.fade")),
    Binding(("T",), "tap tempo", _fire("tempo.tap")),
    Binding(("K",), "MIDI learn: the next control moved drives the last parameter you changed",
            _learn_last),
    Binding(("SHIFT+K",), "MIDI learn off", _set("midi.learn", LEARN_OFF)),
    Binding(SceneKeys("scene.recall").keys, "recall scene 1 … 10 (its number; 0 is 10)",
            SceneKeys("scene.recall")),
    Binding(SceneKeys("scene.store", shifted=True).keys,
            "store the picture into scene 1 … 10", SceneKeys("scene.store", shifted=True)),
    Binding(("S",), "reload shaders from disk", WindowAction.RELOAD),
    Binding(("SHIFT+SLASH", "H"), "show these keys", WindowAction.HELP),
    Binding(("ESCAPE", "Q"), "quit", WindowAction.QUIT),
)

_BY_KEY = {key: binding for binding in BINDINGS for key in binding.keys}


def handle(key: str, registry: Registry) -> WindowAction | None:
    """Carry out the binding for `key`: a registry change is made here (ParamError if the
    registry refuses it); a window action is returned for the window to carry out.

    A shifted key with no binding of its own acts as the plain key.
    """
    binding = _BY_KEY.get(key)
    if binding is None:
        key = key.removeprefix("SHIFT+")
        binding = _BY_KEY.get(key)
    if binding is None:
        return None
    if isinstance(binding.action, WindowAction):
        return binding.action
    if isinstance(binding.action, SceneKeys):
        binding.action(registry, key)
        return None
    binding.action(registry)
    return None


_LABELS = {"SHIFT+SLASH": "?", "LEFT_BRACKET": "[", "RIGHT_BRACKET": "]"}


def key_label(key: str) -> str:
    """How a key is written for people: 'SHIFT+LEFT' -> 'Shift+Left'."""
    return _LABELS.get(key, key.replace("_", " ").title())


def help_text() -> str:
    """The key table as the `?` key prints it, one binding a line."""
    rows = [(b.label, b.help) for b in BINDINGS]
    width = max(len(keys) for keys, _ in rows)
    return "\n".join(f"  {keys:<{width}}  {text}" for keys, text in rows)
