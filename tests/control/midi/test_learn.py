"""MIDI learn: the control moved becomes a mapping, saved with the user's comments kept."""

from __future__ import annotations

from pathlib import Path

import mido

from performer.control import keyboard
from performer.control.midi.learn import Learner, control_for, learnable, save_learned
from performer.control.midi.mapping import Mode, Router, Source
from performer.control.midi.profiles import load_profile
from performer.controls import declare
from performer.params import Registry

PARAMS = declare(("block0", "block1"))
BY_NAME = {p.name: p for p in PARAMS}


def test_control_for_each_kind_of_message() -> None:
    knob = control_for(mido.Message("control_change", channel=2, control=21, value=5),
                       BY_NAME["drift.speed"])
    assert knob is not None
    assert (knob.source, knob.number, knob.channel, knob.mode) == (
        Source.CC, 21, 2, Mode.ABSOLUTE)
    pad = control_for(mido.Message("note_on", note=40, velocity=90), BY_NAME["drift.new"])
    assert pad is not None and (pad.source, pad.number, pad.mode) == (Source.NOTE, 40,
                                                                      Mode.TRIGGER)
    toggle = control_for(mido.Message("note_on", note=41, velocity=9), BY_NAME["drift.freeze"])
    assert toggle is not None and toggle.mode is Mode.TOGGLE
    bend = control_for(mido.Message("pitchwheel", pitch=100), BY_NAME["output.blackout"])
    assert bend is not None and (bend.source, bend.number) == (Source.PITCHBEND, None)
    assert control_for(mido.Message("note_on", note=40, velocity=0), BY_NAME["drift.new"]) is None
    assert control_for(mido.Message("clock"), BY_NAME["drift.new"]) is None


USER_FILE = """\
# my own mappings: the big red knob
name = "mine"

[[control]]
cc = 21   # the big red knob
channel = 3
param = "drift.speed"

# the footswitch
[[control]]
cc = 64
param = "drift.new"
"""


def test_save_keeps_comments_replaces_the_same_message_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "midi.toml"
    path.write_text(USER_FILE)
    knob = control_for(mido.Message("control_change", channel=2, control=21, value=0),
                       BY_NAME["ablation.rate"])
    pad = control_for(mido.Message("note_on", note=36, velocity=80), BY_NAME["ablation.revive"])
    assert knob is not None and pad is not None
    save_learned(path, knob, BY_NAME["ablation.rate"])
    save_learned(path, pad, BY_NAME["ablation.revive"])
    text = path.read_text()
    assert "# my own mappings: the big red knob" in text
    assert "# the footswitch" in text
    assert "cc = 21   # the big red knob" in text  # re-learned in place, comment kept
    assert text.count("cc = 21") == 1
    profile = load_profile(path, PARAMS)
    assert profile.errors == []
    mapped = {(c.source, c.number, c.channel): (c.param, c.mode) for c in profile.controls}
    assert mapped == {
        (Source.CC, 64, 0): ("drift.new", Mode.TRIGGER),
        (Source.CC, 21, 2): ("ablation.rate", Mode.ABSOLUTE),
        (Source.NOTE, 36, 0): ("ablation.revive", Mode.TOGGLE),
    }
    router = Router(PARAMS, {p.name: p.default for p in PARAMS}, profile.controls)
    changes = router.route(mido.Message("control_change", channel=2, control=21, value=127))
    assert [(c.name, c.value) for c in changes] == [("ablation.rate", 2000.0)]


def test_relearning_an_encoder_keeps_it_relative(tmp_path: Path) -> None:
    path = tmp_path / "midi.toml"
    path.write_text('[[control]]\ncc = 10\nparam = "drift.speed"\nmode = "relative"\n'
                    'encoding = "binary_offset"\nsensitivity = 0.02\n')
    knob = control_for(mido.Message("control_change", control=10, value=65),
                       BY_NAME["output.blackout"])
    assert knob is not None
    save_learned(path, knob, BY_NAME["output.blackout"])
    (control,) = load_profile(path, PARAMS).controls
    assert (control.param, control.mode, control.sensitivity) == (
        "output.blackout", Mode.RELATIVE, 0.02)
    toggle = control_for(mido.Message("control_change", control=10, value=65),
                         BY_NAME["drift.freeze"])
    assert toggle is not None
    save_learned(path, toggle, BY_NAME["drift.freeze"])
    (control,) = load_profile(path, PARAMS).controls
    assert (control.param, control.mode) == ("drift.freeze", Mode.TOGGLE)


def test_save_creates_the_file_and_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "config" / "performer" / "midi.toml"
    knob = control_for(mido.Message("control_change", control=1, value=0),
                       BY_NAME["output.blackout"])
    assert knob is not None
    save_learned(path, knob, BY_NAME["output.blackout"])
    assert path.read_text().startswith("# performer: MIDI mappings learned")
    profile = load_profile(path, PARAMS)
    assert profile.errors == []
    assert [(c.number, c.param) for c in profile.controls] == [(1, "output.blackout")]


def test_k_again_while_armed_retargets_learn() -> None:
    registry = Registry(PARAMS)
    learner = Learner(registry, None)
    registry.subscribe(learner.notice)  # as the MIDI worker does, one change at a time
    registry.set("drift.speed", 0.5, "keyboard")
    keyboard.handle("K", registry)
    assert learner.armed == "drift.speed"
    registry.set("drift.glide", 3.0, "osc")  # a second thought, before moving a control
    keyboard.handle("K", registry)
    assert learner.armed == "drift.glide"
    assert registry.value("midi.learn") == "last"
    keyboard.handle("SHIFT+K", registry)
    assert learner.armed is None


def test_k_learns_a_persons_change_never_a_controllers() -> None:
    registry = Registry(PARAMS)
    learner = Learner(registry, None)
    registry.subscribe(learner.notice)
    registry.set("drift.speed", 0.5, "keyboard")
    registry.set("drift.glide", 3.0, "midi:nanoKONTROL2 1")  # a controller's own change
    registry.set("tempo.bpm", 99.0, "midi")  # MIDI clock
    keyboard.handle("K", registry)
    assert learner.armed == "drift.speed"
    assert learnable("osc") and learnable("keyboard")
    assert not learnable("midi") and not learnable("midi:APC MINI 1")


def test_a_bad_number_in_the_learned_file_costs_its_entry_not_midi(tmp_path: Path) -> None:
    path = tmp_path / "midi.toml"
    path.write_text('[[control]]\ncc = 1\nparam = "drift.speed"\nrange = [nan, 1]\n\n'
                    '[[control]]\ncc = 2\nparam = "drift.glide"\n', encoding="utf-8")
    learner = Learner(Registry(PARAMS), path)
    assert [(c.number, c.param) for c in learner.controls] == [(2, "drift.glide")]
