"""Keyboard controls: one table of bindings, used by the window and printed by `?`.

Keys are named as GLFW names them ("UP", "L", "LEFT_BRACKET"), with "SHIFT+" for shifted
keys, so the table is testable without a window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from performer.controls import LEARN_LAST, LEARN_OFF
from performer.params import ParamChange, Registry

RATE_STEP = 0.05  # normalised fader steps for rate and drift keys
SCRUB_STEP = 0.01
SCRUB_BIG_STEP = 0.10
SOURCE = "keyboard"


@dataclass(frozen=True)
class Binding:
    keys: tuple[str, ...]
    help: str
    action: Callable[[Registry], object]


def _step_normalized(name: str, step: float) -> Callable[[Registry], object]:
    return lambda reg: reg.set_normalized(name, reg.normalized(name) + step, SOURCE)


def _nudge(name: str, delta: float) -> Callable[[Registry], object]:
    return lambda reg: reg.nudge(name, delta, SOURCE)


def _toggle(name: str) -> Callable[[Registry], object]:
    return lambda reg: reg.set(name, not reg.value(name), SOURCE)


def _fire(name: str) -> Callable[[Registry], object]:
    return lambda reg: reg.set(name, True, SOURCE)


def _cycle(name: str, step: int) -> Callable[[Registry], object]:
    return lambda reg: reg.cycle(name, step, SOURCE)


def _learn_last(reg: Registry) -> object:
    """Arm MIDI learn for the parameter touched last. Off, then "last", in one batch: a
    second K while armed then re-targets learn (setting "last" again would change nothing,
    so the learner would never hear of it)."""
    return reg.apply([ParamChange("midi.learn", LEARN_OFF, SOURCE),
                      ParamChange("midi.learn", LEARN_LAST, SOURCE)])


# Window-level actions (quit, fullscreen, help, shader reload, blackout fade) are named
# here so the help lists them, and carried out by the window itself.
WINDOW_ACTIONS = {"quit", "help", "reload", "blackout"}


BINDINGS: tuple[Binding, ...] = (
    Binding(("UP",), "ablation rate up", _step_normalized("ablation.rate", RATE_STEP)),
    Binding(("DOWN",), "ablation rate down", _step_normalized("ablation.rate", -RATE_STEP)),
    Binding(("RIGHT",), "scrub: kill 1 % more", _nudge("ablation.dead", SCRUB_STEP)),
    Binding(("LEFT",), "scrub: revive 1 %", _nudge("ablation.dead", -SCRUB_STEP)),
    Binding(("SHIFT+RIGHT",), "scrub: kill 10 % more", _nudge("ablation.dead", SCRUB_BIG_STEP)),
    Binding(("SHIFT+LEFT",), "scrub: revive 10 %", _nudge("ablation.dead", -SCRUB_BIG_STEP)),
    Binding(("R",), "revive on/off (the rate brings neurons back)", _toggle("ablation.revive")),
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
    Binding(("B",), "fade to black / back", lambda reg: "blackout"),
    Binding(("T",), "tap tempo", _fire("tempo.tap")),
    Binding(("K",), "MIDI learn: the next control moved drives the last parameter you changed",
            _learn_last),
    Binding(("SHIFT+K",), "MIDI learn off",
            lambda reg: reg.set("midi.learn", LEARN_OFF, SOURCE)),
    Binding(("S",), "reload shaders from disk", lambda reg: "reload"),
    Binding(("SHIFT+SLASH", "H"), "show these keys", lambda reg: "help"),
    Binding(("ESCAPE", "Q"), "quit", lambda reg: "quit"),
)

_BY_KEY = {key: binding for binding in BINDINGS for key in binding.keys}


def handle(key: str, registry: Registry) -> str | None:
    """Carry out the binding for `key`; returns a window action name, or None.

    A shifted key with no binding of its own acts as the plain key.
    """
    binding = _BY_KEY.get(key) or _BY_KEY.get(key.removeprefix("SHIFT+"))
    if binding is None:
        return None
    result = binding.action(registry)
    return result if isinstance(result, str) and result in WINDOW_ACTIONS else None


_LABELS = {"SHIFT+SLASH": "?", "LEFT_BRACKET": "[", "RIGHT_BRACKET": "]"}


def key_label(key: str) -> str:
    """How a key is written for people: 'SHIFT+LEFT' -> 'Shift+Left'."""
    return _LABELS.get(key, key.replace("_", " ").title())


def help_text() -> str:
    rows = [(" / ".join(key_label(k) for k in b.keys), b.help) for b in BINDINGS]
    width = max(len(keys) for keys, _ in rows)
    return "\n".join(f"  {keys:<{width}}  {text}" for keys, text in rows)
