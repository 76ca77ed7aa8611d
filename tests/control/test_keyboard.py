"""The key table, without a window: keys change the registry or name a window action."""

from __future__ import annotations

import pytest

from performer.control import keyboard
from performer.control.keyboard import BINDINGS, WindowAction, help_text, key_label
from performer.controls import make_registry
from performer.params import Registry
from tests.helpers import LAYERS


@pytest.fixture
def registry() -> Registry:
    return make_registry(LAYERS)


def test_every_key_does_what_its_help_says(registry: Registry) -> None:
    def press(key: str) -> WindowAction | None:
        return keyboard.handle(key, registry)

    press("UP")
    assert float(registry.value("ablation.rate")) > 0
    press("DOWN")
    assert float(registry.value("ablation.rate")) == 0
    press("SHIFT+RIGHT")
    assert float(registry.value("ablation.dead")) == 0.1
    press("LEFT")
    assert abs(float(registry.value("ablation.dead")) - 0.09) < 1e-9
    press("O")
    assert registry.value("ablation.order") == "random"  # wraps around from importance
    press("I")
    assert registry.value("ablation.fill") == "noise"
    press("RIGHT_BRACKET")
    assert float(registry.value("drift.speed")) > 0
    for key, name in (("R", "ablation.revive"), ("SPACE", "drift.freeze"), ("M", "output.map"),
                      ("F", "output.fullscreen"), ("SHIFT+R", "output.record")):
        assert press(key) is None
        assert registry.value(name) is True, key
    press("N")
    press("BACKSPACE")
    press("T")
    assert registry.snapshot().fired == {"drift.new", "ablation.reset", "tempo.tap"}
    assert [press(k) for k in ("S", "SHIFT+SLASH", "H", "Q", "ESCAPE", "SHIFT+UP")] == [
        WindowAction.RELOAD, WindowAction.HELP, WindowAction.HELP, WindowAction.QUIT,
        WindowAction.QUIT, None]
    assert float(registry.value("ablation.rate")) > 0  # Shift+Up acts as Up
    assert press("F12") is None


def test_b_fires_the_fade_and_the_engine_runs_it(registry: Registry) -> None:
    """B is a trigger like any other, so OSC and MIDI can fire the same fade."""
    assert keyboard.handle("B", registry) is None
    snapshot = registry.snapshot()
    assert snapshot.fired == {"output.fade"}
    assert registry.value("output.blackout") == 0.0  # the engine fades it, frame by frame


def test_k_arms_learn_for_the_last_parameter_and_shift_k_disarms(registry: Registry) -> None:
    keyboard.handle("K", registry)
    assert registry.value("midi.learn") == "last"
    keyboard.handle("SHIFT+K", registry)
    assert registry.value("midi.learn") == "off"


def test_a_window_action_leaves_the_registry_alone(registry: Registry) -> None:
    heard: list[str] = []
    registry.subscribe(lambda change: heard.append(change.name))
    for binding in BINDINGS:
        if isinstance(binding.action, WindowAction):
            assert keyboard.handle(binding.keys[0], registry) is binding.action
    assert heard == [] and registry.snapshot().fired == frozenset()


def test_every_binding_names_its_keys_once_and_every_key_is_known() -> None:
    keys = [key for binding in BINDINGS for key in binding.keys]
    assert len(keys) == len(set(keys))
    assert {b.action for b in BINDINGS if isinstance(b.action, WindowAction)} == set(WindowAction)
    params = {p.name for p in make_registry(LAYERS).params()}
    assert "output.fade" in params  # B's trigger is declared


def test_help_lists_every_key_as_people_write_it() -> None:
    text = help_text()
    assert "Backspace" in text and "?" in text
    assert "fade to black / back" in text
    assert len(text.splitlines()) == len(BINDINGS)
    assert key_label("SHIFT+LEFT") == "Shift+Left"
    assert key_label("LEFT_BRACKET") == "["
    assert key_label("SHIFT+SLASH") == "?"


def test_number_keys_recall_scenes_and_shifted_ones_store_into_them() -> None:
    registry = make_registry(LAYERS, scene_names=["intro", "storm"])
    keyboard.handle("2", registry)
    assert registry.value("scene.recall") == "storm"
    keyboard.handle("0", registry)
    assert registry.value("scene.recall") == "scene 10"
    keyboard.handle("SHIFT+1", registry)
    assert registry.value("scene.store") == "intro"
