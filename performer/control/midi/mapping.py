"""MIDI message -> parameter changes: the pure part of the MIDI listener.

A `Control` says what one knob, fader, pad or encoder does; a `Router` holds the controls
of one controller and turns each `mido.Message` into `ParamChange`s. It keeps a mirror of
the parameter values (fed by `notice`) so that toggles, steps and relative encoders work
without reading the registry, and so that absolute controls can do soft takeover: after
a parameter changed elsewhere, a knob only takes over once it crosses the current value.
A router marks its changes with its own source (`midi:<port name>`), so that it knows
its own writes when the registry echoes them back, however many arrive between two
drains. No ports and no threads here; tests feed literal messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

import mido

from performer.params import Curve, Kind, Param, ParamChange, ParamError, Value

SOURCE = "midi"  # a change's source names its kind first: "midi" or "midi:<port>"
PICKUP_TOLERANCE = 1.5 / 127  # a knob this close to the value takes over at once
FLASH_S = 0.15  # how long a trigger's LED stays lit


class Source(str, Enum):
    """What kind of MIDI message a control sends."""

    CC = "cc"
    NOTE = "note"
    PITCHBEND = "pitchbend"
    PROGRAM = "program"


class Mode(str, Enum):
    ABSOLUTE = "absolute"  # the position is the value (knobs, faders)
    RELATIVE = "relative"  # endless encoder: each message moves the value by some ticks
    TOGGLE = "toggle"  # each press flips it
    MOMENTARY = "momentary"  # on while held
    TRIGGER = "trigger"  # each press fires
    STEP = "step"  # each press moves a choice (wrapping) or a number by `step`
    SET = "set"  # each press sets a fixed value


class Encoding(str, Enum):
    """How relative encoders write a signed number of ticks into 7 bits."""

    TWOS_COMPLEMENT = "twos_complement"  # 1 = +1, 127 = -1
    BINARY_OFFSET = "binary_offset"  # 65 = +1, 63 = -1
    SIGNED_BIT = "signed_bit"  # 1 = +1, 65 = -1


def decode_relative(raw: int, encoding: Encoding) -> int:
    """A relative encoder's 7-bit value -> signed ticks."""
    if encoding is Encoding.TWOS_COMPLEMENT:
        return raw if raw < 64 else raw - 128
    if encoding is Encoding.BINARY_OFFSET:
        return raw - 64
    return -(raw & 63) if raw & 64 else raw & 63


Key = tuple[Source, int | None, int | None]  # source, channel (None: any), number


@dataclass(frozen=True)
class Control:
    """One mapping entry; channels are 0-based here (1-based in the TOML files)."""

    source: Source
    number: int | None  # CC, note or program number; None for pitch bend
    param: str
    mode: Mode
    channel: int | None = 0  # None: any channel
    low: float | None = None  # range in the parameter's units (default: its whole range)
    high: float | None = None
    curve: Curve | None = None  # default: the parameter's own curve
    invert: bool = False
    encoding: Encoding = Encoding.TWOS_COMPLEMENT
    sensitivity: float = 1.0 / 128  # relative: fraction of the range per tick
    fourteen_bit: bool = False  # CC n carries the MSB, CC n + 32 the LSB
    step: float = 1.0
    value: Value | None = None  # for SET
    led: bool = True
    led_on: int | None = None
    led_off: int | None = None
    where: str = ""  # "file:line", for messages

    @property
    def key(self) -> Key:
        return (self.source, self.channel, self.number)

    def describe(self) -> str:
        channel = "any channel" if self.channel is None else f"channel {self.channel + 1}"
        number = "" if self.number is None else f" {self.number}"
        return f"{self.source.value}{number} ({channel})"

    # --- position <-> value ------------------------------------------------------------
    def bounds(self, param: Param) -> tuple[float, float]:
        low = param.minimum if self.low is None else self.low
        high = param.maximum if self.high is None else self.high
        return low, high

    def curve_for(self, param: Param) -> Curve:
        """The control's own curve, else the parameter's."""
        return self.curve or param.curve

    def to_value(self, param: Param, position: float) -> Value:
        """A 0..1 control position -> the parameter value (range, curve, invert)."""
        position = min(max(position, 0.0), 1.0)
        if self.invert:
            position = 1.0 - position
        if param.kind in (Kind.CHOICE, Kind.TOGGLE, Kind.TRIGGER):
            return param.from_normalized(position)
        low, high = self.bounds(param)
        return param.coerce(low + self.curve_for(param).shape(position) * (high - low))

    def to_position(self, param: Param, value: Value) -> float:
        """Where the control would sit for `value` (the inverse of `to_value`)."""
        if param.kind in (Kind.CHOICE, Kind.TOGGLE, Kind.TRIGGER):
            position = param.to_normalized(value)
        else:
            low, high = self.bounds(param)
            span = high - low
            position = self.curve_for(param).unshape((float(value) - low) / span if span else 0.0)
        return 1.0 - position if self.invert else position

    def on_off(self, param: Param) -> tuple[Value, Value]:
        """The values a toggle or momentary button switches between."""
        if param.kind is Kind.TOGGLE:
            return True, False
        low, high = self.bounds(param)
        return param.coerce(high), param.coerce(low)


@dataclass(frozen=True)
class LedStyle:
    """How a controller lights a button: velocities (or CC values), and an output channel."""

    on: int = 127
    off: int = 0
    channel: int | None = None  # default: the control's own channel


@dataclass
class _Pickup:
    engaged: bool = True  # nothing changed elsewhere yet: the control acts at once
    last: float | None = None  # the control's last position


@dataclass
class _Inputs:
    """One message reduced to what controls need: a position, or a press / release."""

    position: float | None = None
    raw: int | None = None
    pressed: bool | None = None
    lsb: bool = False


class Router:
    """The controls of one controller, and the state they need between messages."""

    def __init__(
        self,
        params: Iterable[Param],
        values: Mapping[str, Value],
        controls: Iterable[Control] = (),
        leds: LedStyle | None = None,
        source: str = SOURCE,
    ) -> None:
        self.params = {p.name: p for p in params}
        self.values: dict[str, Value] = dict(values)
        self.leds = leds
        self.source = source  # unique per router: its echoes are recognised by it
        self._controls: dict[Key, Control] = {}
        self._pickup: dict[Key, _Pickup] = {}
        self._msb: dict[tuple[int, int], int] = {}  # (channel, cc) -> last 14-bit MSB
        self._lsb: dict[tuple[int, int], int] = {}
        for control in controls:
            self.add(control)

    @property
    def controls(self) -> list[Control]:
        return list(self._controls.values())

    def add(self, control: Control) -> None:
        """Add a control, replacing one on the same message (learned ones override)."""
        if control.param not in self.params:
            raise ParamError(f"unknown parameter {control.param!r}")
        self._controls[control.key] = control
        # A parameter still at its default has not been changed elsewhere: the control acts
        # at once. One that was (a --set, a key, a controller plugged in mid-show) waits to
        # be picked up, since nobody knows where the knob stands.
        param = self.params[control.param]
        self._pickup[control.key] = _Pickup(engaged=self.values[param.name] == param.default)

    def find(self, source: Source, channel: int, number: int | None) -> Control | None:
        return self._controls.get((source, channel, number)) or self._controls.get(
            (source, None, number)
        )

    # --- messages in ------------------------------------------------------------------
    def route(self, message: mido.Message) -> list[ParamChange]:
        """One incoming message -> the changes it asks for (often none)."""
        found = self._match(message)
        if found is None:
            return []
        control, inputs = found
        param = self.params[control.param]
        value = self._value_for(control, param, inputs)
        if value is None:
            return []
        change = self._write(control, param, value)
        if param.strength and value is True and inputs.position is not None:
            strength = self.params[param.strength]  # a drum pad's velocity, with the hit
            return [ParamChange(strength.name, strength.from_normalized(inputs.position),
                                self.source), change]
        return [change]

    def _match(self, message: mido.Message) -> tuple[Control, _Inputs] | None:
        kind = message.type
        if kind == "control_change":
            channel, number, raw = message.channel, message.control, message.value
            control = self.find(Source.CC, channel, number)
            if control is not None and control.fourteen_bit:
                self._msb[(channel, number)] = raw
                self._lsb[(channel, number)] = 0  # a new MSB starts a new coarse value
                return control, _Inputs(position=raw * 128 / 16383, raw=raw, pressed=raw >= 64)
            if control is None and 32 <= number < 64:
                coarse = self.find(Source.CC, channel, number - 32)
                if coarse is not None and coarse.fourteen_bit:
                    msb = self._msb.get((channel, number - 32), 0)
                    self._lsb[(channel, number - 32)] = raw
                    return coarse, _Inputs(position=(msb * 128 + raw) / 16383, lsb=True)
            if control is None:
                return None
            return control, _Inputs(position=raw / 127, raw=raw, pressed=raw >= 64)
        if kind in ("note_on", "note_off"):
            control = self.find(Source.NOTE, message.channel, message.note)
            if control is None:
                return None
            velocity = message.velocity if kind == "note_on" else 0
            pressed = velocity > 0  # a note-on with velocity 0 is a release
            return control, _Inputs(position=velocity / 127 if pressed else None, pressed=pressed)
        if kind == "pitchwheel":
            control = self.find(Source.PITCHBEND, message.channel, None)
            if control is None:
                return None
            return control, _Inputs(position=(message.pitch + 8192) / 16383)
        if kind == "program_change":
            control = self.find(Source.PROGRAM, message.channel, message.program)
            if control is not None:
                return control, _Inputs(pressed=True)
            control = self.find(Source.PROGRAM, message.channel, None)
            if control is None:
                return None
            return control, _Inputs(position=message.program / 127)
        return None

    def _value_for(self, control: Control, param: Param, inputs: _Inputs) -> Value | None:
        mode = control.mode
        current = self.values[param.name]
        if mode is Mode.ABSOLUTE:
            if inputs.position is None:
                return None
            return self._absolute(control, param, inputs.position)
        if mode is Mode.RELATIVE:
            if inputs.raw is None:
                return None
            ticks = decode_relative(inputs.raw, control.encoding)
            if control.invert:
                ticks = -ticks
            position = control.to_position(param, current) + ticks * control.sensitivity
            return control.to_value(param, position)
        if inputs.pressed is None:
            return None
        if mode is Mode.MOMENTARY:
            on, off = control.on_off(param)
            return on if inputs.pressed else off
        if not inputs.pressed:
            return None  # the other button modes act on press only
        if mode is Mode.TRIGGER:
            return True
        if mode is Mode.TOGGLE:
            on, off = control.on_off(param)
            return off if current == on else on
        if mode is Mode.SET:
            return control.value
        # STEP
        if param.kind is Kind.CHOICE:
            index = param.choices.index(str(current))
            return param.choices[(index + round(control.step)) % len(param.choices)]
        if param.kind is Kind.TOGGLE:
            return not current
        return param.coerce(float(current) + control.step)

    def _absolute(self, control: Control, param: Param, position: float) -> Value | None:
        pickup = self._pickup[control.key]
        last, pickup.last = pickup.last, position
        if not pickup.engaged:
            target = control.to_position(param, self.values[param.name])
            crossed = last is not None and (last - target) * (position - target) <= 0
            if not crossed and abs(position - target) > PICKUP_TOLERANCE:
                return None
            pickup.engaged = True
        return control.to_value(param, position)

    def _write(self, control: Control, param: Param, value: Value) -> ParamChange:
        value = param.coerce(value)
        if param.kind is not Kind.TRIGGER:
            self.values[param.name] = value
        for other in self._controls.values():  # another knob on the same parameter must pick up
            if other is not control and other.param == param.name:
                self._pickup[other.key].engaged = False
        return ParamChange(param.name, value, self.source)

    # --- the registry ---------------------------------------------------------------
    def notice(self, change: ParamChange) -> None:
        """A change applied in the registry: mirror it; if it came from elsewhere, the
        absolute controls on that parameter wait to pick it up. Our own writes coming back
        are skipped whatever their value: the mirror is already ahead of them (a fast
        fader throw queues many before the registry drains)."""
        param = self.params.get(change.name)
        if param is None or param.kind is Kind.TRIGGER or change.source == self.source:
            return
        self.values[change.name] = change.value
        for control in self._controls.values():
            if control.param == change.name:
                self._pickup[control.key].engaged = False

    def engaged(self, control: Control) -> bool:
        return self._pickup[control.key].engaged

    # --- LEDs out ---------------------------------------------------------------------
    def lights(self, change: ParamChange) -> list[tuple[float, mido.Message]]:
        """(delay in seconds, message) to send so the buttons show `change`."""
        if self.leds is None:
            return []
        out: list[tuple[float, mido.Message]] = []
        for control in self._controls.values():
            if control.param != change.name or not control.led:
                continue
            if control.mode is Mode.TRIGGER:
                if change.value:
                    out.append((0.0, self._led(control, True)))
                    out.append((FLASH_S, self._led(control, False)))
            elif control.mode in (Mode.TOGGLE, Mode.MOMENTARY, Mode.SET):
                out.append((0.0, self._led(control, self._lit(control, change.value))))
        return out

    def all_lights(self) -> list[mido.Message]:
        """Every button's LED as the values stand now (sent when a controller connects)."""
        if self.leds is None:
            return []
        return [
            self._led(c, self._lit(c, self.values[c.param]))
            for c in self._controls.values()
            if c.led and c.mode in (Mode.TOGGLE, Mode.MOMENTARY, Mode.SET, Mode.TRIGGER)
        ]

    def _lit(self, control: Control, value: Value) -> bool:
        param = self.params[control.param]
        if control.mode is Mode.TRIGGER:
            return False
        if control.mode is Mode.SET:
            return bool(value == param.coerce(control.value))
        return bool(value == control.on_off(param)[0])

    def _led(self, control: Control, lit: bool) -> mido.Message:
        assert self.leds is not None
        style = self.leds
        level = (control.led_on if lit else control.led_off)
        if level is None:
            level = style.on if lit else style.off
        channel = style.channel if style.channel is not None else (control.channel or 0)
        number = control.number or 0
        if control.source is Source.CC:
            return mido.Message("control_change", channel=channel, control=number, value=level)
        return mido.Message("note_on", channel=channel, note=number, velocity=level)

