"""Pure MIDI routing: literal mido messages in, parameter changes out (no ports)."""

from __future__ import annotations

import mido
import pytest

from performer.control.midi.mapping import (
    FLASH_S,
    Control,
    Encoding,
    LedStyle,
    Mode,
    Router,
    Source,
    decode_relative,
)
from performer.controls import declare
from performer.params import Curve, ParamChange, ParamError, Registry, Value
from tests.helpers import LAYERS

PARAMS = declare(LAYERS)
DEFAULTS = {p.name: p.default for p in PARAMS}


def router(*controls: Control, leds: LedStyle | None = None, **values: Value) -> Router:
    start = dict(DEFAULTS)
    start.update({k.replace("__", "."): v for k, v in values.items()})
    return Router(PARAMS, start, controls, leds)


def cc(number: int, value: int, channel: int = 0) -> mido.Message:
    return mido.Message("control_change", channel=channel, control=number, value=value)


def note(number: int, velocity: int = 100, channel: int = 0) -> mido.Message:
    return mido.Message("note_on", channel=channel, note=number, velocity=velocity)


def only(changes: list[ParamChange], source: str = "midi") -> Value:
    assert len(changes) == 1, changes
    assert changes[0].source == source
    return changes[0].value


FADER = Control(Source.CC, 0, "ablation.dead", Mode.ABSOLUTE)
RATE = Control(Source.CC, 16, "ablation.rate", Mode.ABSOLUTE)


# --- absolute --------------------------------------------------------------------------

def test_absolute_cc_spans_the_range_and_follows_the_parameter_curve() -> None:
    r = router(FADER, RATE)
    assert only(r.route(cc(0, 0))) == 0.0
    assert only(r.route(cc(0, 127))) == 1.0
    assert only(r.route(cc(0, 64))) == pytest.approx(64 / 127)
    # ablation.rate has a square curve: half way is a quarter of 2000
    assert only(r.route(cc(16, 127))) == pytest.approx(2000.0)
    assert only(r.route(cc(16, 64))) == pytest.approx(2000.0 * (64 / 127) ** 2)


def test_range_curve_and_invert_options() -> None:
    tempo = Control(Source.CC, 1, "tempo.bpm", Mode.ABSOLUTE, low=60.0, high=180.0)
    inverted = Control(Source.CC, 2, "output.blackout", Mode.ABSOLUTE, invert=True)
    linear = Control(Source.CC, 3, "drift.speed", Mode.ABSOLUTE, curve=Curve.LINEAR)
    r = router(tempo, inverted, linear)
    assert only(r.route(cc(1, 0))) == 60.0
    assert only(r.route(cc(1, 127))) == 180.0
    assert only(r.route(cc(2, 127))) == 0.0
    assert only(r.route(cc(2, 0))) == 1.0
    assert only(r.route(cc(3, 64))) == pytest.approx(2.0 * 64 / 127)


@pytest.mark.parametrize("name", ["ablation.rate", "drift.speed", "ablation.dead"])
def test_a_plain_control_moves_its_parameter_as_osc_does(name: str) -> None:
    """One curve: a knob with no range or curve of its own is the normalised OSC address."""
    param = next(p for p in PARAMS if p.name == name)
    knob = Control(Source.CC, 0, name, Mode.ABSOLUTE)
    for position in (0.0, 0.1, 0.37, 0.5, 0.9, 1.0):
        value = knob.to_value(param, position)
        assert value == pytest.approx(param.from_normalized(position))
        assert knob.to_position(param, value) == pytest.approx(param.to_normalized(value))
        assert knob.to_position(param, value) == pytest.approx(position)


def test_curves_shape_and_unshape_are_inverses() -> None:
    assert Curve.SQUARE.shape(0.5) == 0.25 and Curve.SQUARE.unshape(0.25) == 0.5
    assert Curve.LINEAR.shape(0.3) == 0.3 and Curve.LINEAR.unshape(0.3) == 0.3
    for curve in Curve:
        assert curve.shape(-1.0) == 0.0 and curve.shape(2.0) == 1.0  # positions are clamped
        assert curve.unshape(-0.5) == 0.0 and curve.unshape(1.5) == 1.0


def test_int_and_choice_parameters_take_positions() -> None:
    bars = Control(Source.CC, 1, "drift.bars", Mode.ABSOLUTE, low=0, high=16)
    layer = Control(Source.CC, 2, "ablation.layer", Mode.ABSOLUTE)
    r = router(bars, layer)
    assert only(r.route(cc(1, 127))) == 16
    assert only(r.route(cc(1, 64))) == 8
    assert only(r.route(cc(2, 0))) == "all"
    assert only(r.route(cc(2, 127))) == "block3"


def test_channel_number_and_message_type_must_match() -> None:
    on_two = Control(Source.CC, 0, "ablation.dead", Mode.ABSOLUTE, channel=1)
    r = router(on_two)
    assert r.route(cc(0, 100, channel=0)) == []
    assert r.route(cc(1, 100, channel=1)) == []
    assert r.route(note(0, channel=1)) == []
    assert only(r.route(cc(0, 127, channel=1))) == 1.0
    anywhere = router(Control(Source.CC, 0, "ablation.dead", Mode.ABSOLUTE, channel=None))
    assert only(anywhere.route(cc(0, 127, channel=9))) == 1.0
    assert router(FADER).route(mido.Message("clock")) == []


def test_pitch_bend_is_a_14_bit_position() -> None:
    bend = Control(Source.PITCHBEND, None, "output.blackout", Mode.ABSOLUTE)
    r = router(bend)
    assert only(r.route(mido.Message("pitchwheel", pitch=-8192))) == 0.0
    assert only(r.route(mido.Message("pitchwheel", pitch=8191))) == 1.0
    assert only(r.route(mido.Message("pitchwheel", pitch=0))) == pytest.approx(8192 / 16383)


def test_fourteen_bit_cc_combines_msb_and_lsb() -> None:
    fine = Control(Source.CC, 1, "output.blackout", Mode.ABSOLUTE, fourteen_bit=True)
    r = router(fine)
    assert only(r.route(cc(1, 64))) == pytest.approx(64 * 128 / 16383)  # MSB alone: coarse
    assert only(r.route(cc(33, 5))) == pytest.approx((64 * 128 + 5) / 16383)  # then the LSB
    assert only(r.route(cc(33, 127))) == pytest.approx((64 * 128 + 127) / 16383)
    assert only(r.route(cc(1, 127))) == pytest.approx(127 * 128 / 16383)
    assert only(r.route(cc(33, 127))) == 1.0
    # without fourteen_bit, CC 33 is just another (unmapped) control
    assert router(Control(Source.CC, 1, "output.blackout", Mode.ABSOLUTE)).route(cc(33, 5)) == []


def test_program_change_as_button_or_as_position() -> None:
    button = Control(Source.PROGRAM, 3, "drift.new", Mode.TRIGGER)
    position = Control(Source.PROGRAM, None, "output.blackout", Mode.ABSOLUTE)
    r = router(button, position)
    assert only(r.route(mido.Message("program_change", program=3))) is True
    assert only(r.route(mido.Message("program_change", program=127))) == 1.0


# --- relative encoders ------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "raw", "ticks"), [
    (Encoding.TWOS_COMPLEMENT, 1, 1), (Encoding.TWOS_COMPLEMENT, 127, -1),
    (Encoding.TWOS_COMPLEMENT, 5, 5), (Encoding.TWOS_COMPLEMENT, 120, -8),
    (Encoding.BINARY_OFFSET, 65, 1), (Encoding.BINARY_OFFSET, 63, -1),
    (Encoding.BINARY_OFFSET, 70, 6), (Encoding.BINARY_OFFSET, 64, 0),
    (Encoding.SIGNED_BIT, 1, 1), (Encoding.SIGNED_BIT, 65, -1),
    (Encoding.SIGNED_BIT, 67, -3), (Encoding.SIGNED_BIT, 3, 3),
])
def test_relative_encodings(encoding: Encoding, raw: int, ticks: int) -> None:
    assert decode_relative(raw, encoding) == ticks


def test_relative_encoder_moves_from_the_current_value() -> None:
    encoder = Control(Source.CC, 10, "output.blackout", Mode.RELATIVE,
                      encoding=Encoding.BINARY_OFFSET, sensitivity=0.1)
    r = router(encoder, output__blackout=0.5)
    assert only(r.route(cc(10, 65))) == pytest.approx(0.6)
    assert only(r.route(cc(10, 66))) == pytest.approx(0.8)  # builds on its own last write
    assert only(r.route(cc(10, 60))) == pytest.approx(0.4)
    r.notice(ParamChange("output.blackout", 0.9, "osc"))  # moved elsewhere: continue from there
    assert only(r.route(cc(10, 65))) == pytest.approx(1.0)
    assert only(r.route(cc(10, 65))) == 1.0  # clamped


def test_relative_encoder_on_a_square_curve_moves_in_control_space() -> None:
    encoder = Control(Source.CC, 10, "ablation.rate", Mode.RELATIVE, sensitivity=0.5)
    r = router(encoder)
    assert only(r.route(cc(10, 1))) == pytest.approx(500.0)  # (0.5)^2 * 2000
    assert only(r.route(cc(10, 127))) == pytest.approx(0.0)


# --- buttons ----------------------------------------------------------------------------

def test_note_toggle_flips_on_press_and_ignores_release() -> None:
    r = router(Control(Source.NOTE, 36, "ablation.revive", Mode.TOGGLE))
    assert only(r.route(note(36))) is True
    assert r.route(mido.Message("note_off", note=36)) == []
    assert r.route(note(36, velocity=0)) == []  # velocity 0 is a release
    assert only(r.route(note(36))) is False


def test_cc_button_toggle_uses_127_press_0_release() -> None:
    r = router(Control(Source.CC, 32, "drift.freeze", Mode.TOGGLE))
    assert only(r.route(cc(32, 127))) is True
    assert r.route(cc(32, 0)) == []
    assert only(r.route(cc(32, 127))) is False


def test_momentary_holds_while_pressed() -> None:
    r = router(Control(Source.NOTE, 40, "output.blackout", Mode.MOMENTARY))
    assert only(r.route(note(40))) == 1.0
    assert only(r.route(note(40, velocity=0))) == 0.0
    assert only(r.route(note(40))) == 1.0
    assert only(r.route(mido.Message("note_off", note=40))) == 0.0


def test_trigger_fires_on_press_only() -> None:
    r = router(Control(Source.NOTE, 41, "ablation.reset", Mode.TRIGGER))
    assert only(r.route(note(41))) is True
    assert r.route(note(41, velocity=0)) == []
    assert only(r.route(note(41))) is True


def test_step_cycles_a_choice_both_ways_with_wrap() -> None:
    up = Control(Source.NOTE, 45, "ablation.layer", Mode.STEP, step=1)
    down = Control(Source.NOTE, 44, "ablation.layer", Mode.STEP, step=-1)
    r = router(up, down)
    assert only(r.route(note(45))) == "block0"
    assert only(r.route(note(45))) == "block1"
    assert only(r.route(note(44))) == "block0"
    assert only(r.route(note(44))) == "all"
    assert only(r.route(note(44))) == "block3"  # wraps


def test_step_on_a_number_and_set_a_value() -> None:
    more = Control(Source.NOTE, 1, "drift.bars", Mode.STEP, step=4)
    random = Control(Source.NOTE, 2, "ablation.order", Mode.SET, value="random")
    r = router(more, random)
    assert only(r.route(note(1))) == 4
    assert only(r.route(note(1))) == 8
    assert only(r.route(note(2))) == "random"


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(ParamError):
        router(Control(Source.CC, 1, "ablation.nothing", Mode.ABSOLUTE))


# --- soft takeover ----------------------------------------------------------------------

def test_knob_acts_at_once_until_the_parameter_changes_elsewhere() -> None:
    r = router(FADER)
    assert only(r.route(cc(0, 30))) == pytest.approx(30 / 127)
    r.notice(ParamChange("ablation.dead", 30 / 127, "midi"))  # our own write, echoed back
    assert r.engaged(FADER)
    assert only(r.route(cc(0, 31))) == pytest.approx(31 / 127)


def test_a_fast_fader_throw_keeps_the_fader_in_control() -> None:
    """Sixty CCs of one fader before the registry drains once: every echo is ours, so the
    fader keeps the parameter (it used to recognise only its last 16 values)."""
    registry = Registry(PARAMS)
    r = Router(PARAMS, DEFAULTS, [FADER], source="midi:nanoKONTROL2 1")
    registry.subscribe(r.notice)
    batch = [change for value in range(60) for change in r.route(cc(0, value))]
    assert len(batch) == 60 and {c.source for c in batch} == {"midi:nanoKONTROL2 1"}
    registry.submit(batch)
    registry.drain()  # sixty echoes reach the router, oldest first
    assert r.engaged(FADER)
    assert r.values["ablation.dead"] == pytest.approx(59 / 127)
    assert only(r.route(cc(0, 61)), "midi:nanoKONTROL2 1") == pytest.approx(61 / 127)


def test_another_controller_on_the_same_parameter_is_a_change_elsewhere() -> None:
    mine = Router(PARAMS, DEFAULTS, [FADER], source="midi:nanoKONTROL2 1")
    mine.route(cc(0, 10))
    mine.notice(ParamChange("ablation.dead", 0.5, "midi:APC MINI 1"))
    assert not mine.engaged(FADER)
    assert mine.route(cc(0, 20)) == []


def test_soft_takeover_waits_until_the_knob_crosses_the_value() -> None:
    r = router(FADER)
    r.route(cc(0, 20))
    r.notice(ParamChange("ablation.dead", 0.5, "osc"))  # OSC moved it to the middle
    assert not r.engaged(FADER)
    assert r.route(cc(0, 30)) == []  # below the value: nothing
    assert r.route(cc(0, 50)) == []
    value = only(r.route(cc(0, 70)))  # crossed 63.5 between 50 and 70: takes over
    assert value == pytest.approx(70 / 127)
    assert r.engaged(FADER)
    assert only(r.route(cc(0, 10))) == pytest.approx(10 / 127)


def test_soft_takeover_from_above_and_when_landing_on_the_value() -> None:
    r = router(FADER)
    r.notice(ParamChange("ablation.dead", 0.25, "keyboard"))
    assert r.route(cc(0, 100)) == []
    assert r.route(cc(0, 90)) == []
    assert only(r.route(cc(0, 32))) == pytest.approx(32 / 127)  # 0.25 * 127 = 31.75 is near
    r.notice(ParamChange("ablation.dead", 0.8, "engine"))  # automation counts as elsewhere
    assert r.route(cc(0, 33)) == []
    assert r.route(cc(0, 102)) == [ParamChange("ablation.dead", pytest.approx(102 / 127), "midi")]


def test_soft_takeover_respects_invert_and_curve() -> None:
    knob = Control(Source.CC, 16, "ablation.rate", Mode.ABSOLUTE)  # square curve
    r = router(knob)
    r.notice(ParamChange("ablation.rate", 500.0, "osc"))  # position sqrt(0.25) = 0.5
    assert r.route(cc(16, 40)) == []
    assert r.route(cc(16, 60)) == []
    assert only(r.route(cc(16, 66))) == pytest.approx(2000 * (66 / 127) ** 2)


def test_a_controller_connected_after_changes_picks_them_up() -> None:
    r = router(FADER, RATE, ablation__dead=0.5)  # e.g. plugged in mid-show
    assert not r.engaged(FADER)
    assert r.engaged(RATE)  # still at its default: acts at once
    assert r.route(cc(0, 10)) == []
    assert only(r.route(cc(0, 70))) == pytest.approx(70 / 127)
    assert only(r.route(cc(16, 127))) == pytest.approx(2000.0)


def test_a_second_knob_on_the_same_parameter_must_pick_up() -> None:
    other = Control(Source.CC, 7, "ablation.dead", Mode.ABSOLUTE)
    r = router(FADER, other)
    assert only(r.route(cc(0, 100))) == pytest.approx(100 / 127)
    assert not r.engaged(other)  # the fader moved the value away from knob 7
    assert r.route(cc(7, 11)) == []
    assert only(r.route(cc(7, 101))) == pytest.approx(101 / 127)  # crossed: knob 7 has it
    assert not r.engaged(FADER)


def test_relative_and_buttons_ignore_takeover() -> None:
    encoder = Control(Source.CC, 10, "output.blackout", Mode.RELATIVE, sensitivity=0.25)
    r = router(encoder)
    r.notice(ParamChange("output.blackout", 0.5, "osc"))
    assert only(r.route(cc(10, 1))) == pytest.approx(0.75)


# --- LEDs -------------------------------------------------------------------------------

def test_leds_follow_toggles_sets_and_flash_triggers() -> None:
    revive = Control(Source.NOTE, 0, "ablation.revive", Mode.TOGGLE, led_on=3)
    reset = Control(Source.CC, 42, "ablation.reset", Mode.TRIGGER)
    random = Control(Source.NOTE, 16, "ablation.order", Mode.SET, value="random")
    index = Control(Source.NOTE, 17, "ablation.order", Mode.SET, value="index")
    quiet = Control(Source.NOTE, 5, "drift.freeze", Mode.TOGGLE, led=False)
    r = router(revive, reset, random, index, quiet, leds=LedStyle(on=1, off=0))

    lit = r.lights(ParamChange("ablation.revive", True, "keyboard"))
    assert [(d, m.type, m.note, m.velocity) for d, m in lit] == [(0.0, "note_on", 0, 3)]
    dark = r.lights(ParamChange("ablation.revive", False, "osc"))
    assert [m.velocity for _, m in dark] == [0]

    flash = r.lights(ParamChange("ablation.reset", True, "keyboard"))
    assert [(d, m.type, m.control, m.value) for d, m in flash] == [
        (0.0, "control_change", 42, 1), (FLASH_S, "control_change", 42, 0)]

    radio = r.lights(ParamChange("ablation.order", "index", "osc"))
    assert sorted((m.note, m.velocity) for _, m in radio) == [(16, 0), (17, 1)]
    assert r.lights(ParamChange("drift.freeze", True, "osc")) == []


def test_all_lights_reflects_current_values_and_output_channel() -> None:
    revive = Control(Source.NOTE, 0, "ablation.revive", Mode.TOGGLE)
    importance = Control(Source.NOTE, 19, "ablation.order", Mode.SET, value="importance")
    r = router(revive, importance, leds=LedStyle(on=21, off=0, channel=6),
               ablation__revive=True)
    messages = {(m.note, m.velocity, m.channel) for m in r.all_lights()}
    assert messages == {(0, 21, 6), (19, 21, 6)}


def test_no_led_table_means_no_led_messages() -> None:
    r = router(Control(Source.NOTE, 0, "ablation.revive", Mode.TOGGLE))
    assert r.lights(ParamChange("ablation.revive", True, "osc")) == []
    assert r.all_lights() == []


def test_a_drum_pad_fires_an_envelope_with_its_velocity() -> None:
    pad = Control(Source.NOTE, 36, "env.1.hit", Mode.TRIGGER)
    changes = router(pad).route(note(36, velocity=127))
    assert [(c.name, c.value) for c in changes] == [("env.1.velocity", 1.0), ("env.1.hit", True)]
    soft = router(pad).route(note(36, velocity=32))
    assert soft[0].value == pytest.approx(32 / 127) and soft[1].name == "env.1.hit"
    assert router(pad).route(note(36, velocity=0)) == []  # a release fires nothing
    button = Control(Source.CC, 40, "env.1.hit", Mode.TRIGGER)  # a CC button: its value
    assert [(c.name, c.value) for c in router(button).route(cc(40, 127))] == [
        ("env.1.velocity", 1.0), ("env.1.hit", True)]
