"""Controller profiles: every bundled one loads cleanly; bad entries name file and line."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from performer.control.midi.mapping import Mode, Router, Source
from performer.control.midi.profiles import (
    ProfileError,
    builtin_mapping_dir,
    builtin_profiles,
    load_profile,
    parse_profile,
    profile_for,
)
from performer.controls import declare

PARAMS = declare(("block0", "block1", "block2", "block3"))
BUNDLED = sorted(builtin_mapping_dir().glob("*.toml"))
EXPECTED = {"korg_nanokontrol2", "akai_midimix", "novation_launch_control_xl", "akai_apc_mini",
            "akai_apc_mini_mk2", "arturia_beatstep", "generic"}


def test_every_controller_of_the_issue_has_a_profile() -> None:
    assert {p.stem for p in BUNDLED} == EXPECTED


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_profile_loads_without_errors(path: Path) -> None:
    profile = load_profile(path, PARAMS)
    assert profile.errors == []
    assert len(profile.controls) >= 20
    params = {c.param for c in profile.controls}
    # the musically sensible core: scrub, rate, drift, and the show buttons
    for name in ("ablation.dead", "ablation.rate", "drift.speed", "ablation.revive",
                 "ablation.reset", "drift.new", "drift.freeze", "output.blackout"):
        assert name in params, f"{path.name} does not map {name}"
    steps = {c.step for c in profile.controls if c.param == "ablation.layer" and c.mode is
             Mode.STEP}
    assert steps == {1.0, -1.0}, f"{path.name}: layer next and previous"


def test_the_profiles_follow_the_default_layout() -> None:
    by_stem = {p.path.stem: p for p in builtin_profiles(PARAMS) if p.path}
    nano = {(c.source, c.number): c.param for c in by_stem["korg_nanokontrol2"].controls}
    assert nano[(Source.CC, 0)] == "ablation.dead"  # fader 1
    assert nano[(Source.CC, 16)] == "ablation.rate"  # knob 1
    assert nano[(Source.CC, 17)] == "drift.speed"  # knob 2
    mix = {(c.source, c.number): c.param for c in by_stem["akai_midimix"].controls}
    assert (mix[(Source.CC, 19)], mix[(Source.CC, 16)], mix[(Source.CC, 20)]) == (
        "ablation.dead", "ablation.rate", "drift.speed")


@pytest.mark.parametrize(("port", "profile"), [
    ("nanoKONTROL2:nanoKONTROL2 MIDI 1 20:0", "Korg nanoKONTROL2"),
    ("MIDI Mix:MIDI Mix MIDI 1 24:0", "Akai MIDImix"),
    ("Launch Control XL:Launch Control XL MIDI 1", "Novation Launch Control XL"),
    ("APC MINI:APC MINI MIDI 1 28:0", "Akai APC mini"),
    ("APC mini mk2:APC mini mk2 APC mini mk2 Contr 28:0", "Akai APC mini mk2"),
    ("Arturia BeatStep:Arturia BeatStep MIDI 1 32:0", "Arturia BeatStep"),
    ("Some Keyboard:Some Keyboard MIDI 1", "Generic 8-knob controller"),
])
def test_port_names_pick_their_profile(port: str, profile: str) -> None:
    found = profile_for(port, builtin_profiles(PARAMS))
    assert found is not None and found.name == profile


def test_apc_mini_mk2_lights_pads_at_full_brightness() -> None:
    mk2 = next(p for p in builtin_profiles(PARAMS) if p.name == "Akai APC mini mk2")
    router = Router(PARAMS, {p.name: p.default for p in PARAMS}, mk2.controls, mk2.leds)
    lights = {(m.note, m.velocity, m.channel) for m in router.all_lights()}
    assert (19, 13, 6) in lights  # importance order is the default: its pad is yellow
    assert (0, 0, 6) in lights  # revive is off


BROKEN = """\
name = "Broken"
ports = "broken"
colour = "red"

[[control]]
cc = 0
param = "ablation.dead"

[[control]]
cc = 1
param = "ablation.deadd"

[[control]]
note = 200
param = "drift.new"

[[control]]
cc = 2
param = "drift.speed"
mode = "wobble"

[[control]]
param = "drift.freeze"

[[control]]
note = 3
param = "ablation.reset"
mode = "toggle"

[[control]]
cc = 40
param = "output.blackout"
fourteen_bit = true

[[control]]
cc = 0
param = "output.blackout"

[[control]]
cc = 4
param = "ablation.order"
mode = "set"
value = "backwards"

[[control]]
cc = 5
param = "drift.speed"
range = [0.1]

[[control]]
note = 36
param = "ablation.revive"
"""


def test_bad_entries_are_reported_with_file_and_line_and_the_rest_works() -> None:
    path = Path("broken.toml")
    profile = parse_profile(BROKEN, path, PARAMS)
    assert [(c.source, c.number, c.param) for c in profile.controls] == [
        (Source.CC, 0, "ablation.dead"), (Source.NOTE, 36, "ablation.revive")]
    expected = [
        ("broken.toml:3:", "unknown key 'colour'"),
        ("broken.toml:11:", "unknown parameter 'ablation.deadd'"),
        ("broken.toml:14:", "note must be a number 0..127"),
        ("broken.toml:20:", "unknown mode 'wobble'"),
        ("broken.toml:22:", "exactly one of cc, note, pitchbend, program"),
        ("broken.toml:28:", "mode toggle does not suit trigger parameter ablation.reset"),
        ("broken.toml:33:", "fourteen_bit needs a cc 0..31"),
        ("broken.toml:35:", "cc 0 (channel 1) is already mapped at broken.toml:5"),
        ("broken.toml:43:", "'backwards' is not one of"),
        ("broken.toml:48:", "range must be [low, high]"),
    ]
    assert len(profile.errors) == len(expected), profile.errors
    for (where, text), error in zip(expected, profile.errors, strict=True):
        assert error.startswith(where + " ") and text in error, error


def test_range_must_be_two_numbers() -> None:
    text = 'name = "x"\n\n[[control]]\ncc = 5\nparam = "drift.speed"\nrange = [0.1]\n'
    profile = parse_profile(text, Path("x.toml"), PARAMS)
    assert profile.controls == []
    assert profile.errors == ["x.toml:6: range must be [low, high], two finite numbers"]


NOT_FINITE = """\
name = "x"

[[control]]
cc = 1
param = "drift.speed"
range = [nan, 1]

[[control]]
cc = 2
param = "drift.speed"
range = [0, inf]

[[control]]
cc = 3
param = "output.blackout"
mode = "relative"
sensitivity = nan

[[control]]
cc = 4
param = "drift.seed"
mode = "step"
step = -inf

[[control]]
cc = 5
param = "ablation.dead"
"""


def test_a_number_that_is_not_finite_costs_its_entry_only() -> None:
    profile = parse_profile(NOT_FINITE, Path("x.toml"), PARAMS)
    assert [(c.number, c.param) for c in profile.controls] == [(5, "ablation.dead")]
    assert profile.errors == [
        "x.toml:6: range must be [low, high], two finite numbers",
        "x.toml:11: range must be [low, high], two finite numbers",
        "x.toml:17: sensitivity must be a finite non-zero number",
        "x.toml:23: step must be a finite non-zero number",
    ]


def test_toml_syntax_error_names_the_line() -> None:
    with pytest.raises(ProfileError, match=r"bad\.toml:3: not valid TOML"):
        parse_profile('name = "x"\n\n[[control]\ncc = 1\n', Path("bad.toml"), PARAMS)


def test_profile_channel_any_and_default_modes() -> None:
    text = """\
name = "x"
channel = "any"

[[control]]
note = 36
param = "ablation.layer"

[[control]]
note = 37
param = "output.blackout"

[[control]]
cc = 7
param = "drift.freeze"
channel = 3
"""
    profile = parse_profile(text, Path("x.toml"), PARAMS)
    assert profile.errors == []
    layer, blackout, freeze = profile.controls
    assert (layer.mode, layer.channel) == (Mode.STEP, None)
    assert blackout.mode is Mode.MOMENTARY
    assert (freeze.mode, freeze.channel) == (Mode.TOGGLE, 2)
    router = Router(PARAMS, {p.name: p.default for p in PARAMS}, profile.controls)
    changes = router.route(mido.Message("note_on", channel=9, note=36, velocity=90))
    assert [c.value for c in changes] == ["block0"]
