"""Controller profiles: TOML files in `mappings/` that say what each control does.

Loading validates every entry against the declared parameters. A bad entry is reported
as `file:line: message` and skipped; the rest of the profile still works, because one
typo in a mapping must not leave a performer without a controller.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError

from performer.control.midi.mapping import Control, Encoding, LedStyle, Mode, Source
from performer.params import Curve, Kind, Param, ParamError, Value

log = logging.getLogger(__name__)

GENERIC = "generic"  # the profile for a port no other profile claims

PROFILE_KEYS = {"name", "ports", "channel", "description", "leds", "control"}
LED_KEYS = {"port", "on", "off", "channel"}
SOURCE_KEYS = {"cc": Source.CC, "note": Source.NOTE, "pitchbend": Source.PITCHBEND,
               "program": Source.PROGRAM}
CONTROL_KEYS = {*SOURCE_KEYS, "param", "mode", "label", "channel", "range", "curve", "invert",
                "encoding", "sensitivity", "fourteen_bit", "step", "value", "led", "led_on",
                "led_off"}

# Which modes make sense for which kind of parameter.
MODES_FOR = {
    Kind.FLOAT: {Mode.ABSOLUTE, Mode.RELATIVE, Mode.TOGGLE, Mode.MOMENTARY, Mode.STEP, Mode.SET},
    Kind.INT: {Mode.ABSOLUTE, Mode.RELATIVE, Mode.TOGGLE, Mode.MOMENTARY, Mode.STEP, Mode.SET},
    Kind.CHOICE: {Mode.ABSOLUTE, Mode.RELATIVE, Mode.STEP, Mode.SET},
    Kind.TOGGLE: {Mode.ABSOLUTE, Mode.TOGGLE, Mode.MOMENTARY, Mode.STEP, Mode.SET},
    Kind.TRIGGER: {Mode.TRIGGER},
}


class ProfileError(ValueError):
    """A profile that cannot be used at all (unreadable, not TOML)."""


@dataclass
class Profile:
    name: str
    path: Path | None
    ports: re.Pattern[str] | None  # None: opened only by --midi, or applies to every port
    controls: list[Control] = field(default_factory=list)
    leds: LedStyle | None = None
    led_ports: re.Pattern[str] | None = None
    errors: list[str] = field(default_factory=list)  # "file:line: message", entry skipped

    def matches(self, port: str) -> bool:
        return self.ports is not None and self.ports.search(port) is not None


# --- where things are -------------------------------------------------------------------


def builtin_mapping_dir() -> Path:
    """The bundled profiles: the repository's `mappings/`, or the installed data package."""
    beside = Path(__file__).resolve().parents[2] / "mappings"
    if beside.is_dir():
        return beside
    from importlib.resources import files

    return Path(str(files("performer.mappings")))


def builtin_profiles(params: Iterable[Param]) -> list[Profile]:
    """Every bundled profile, generic last; problems are logged, never raised."""
    params = list(params)
    paths = sorted(builtin_mapping_dir().glob("*.toml"), key=lambda p: (p.stem == GENERIC, p.name))
    profiles = []
    for path in paths:
        try:
            profile = load_profile(path, params)
        except ProfileError as err:
            log.error("%s", err)
            continue
        for error in profile.errors:
            log.warning("%s (entry skipped)", error)
        profiles.append(profile)
    return profiles


def profile_for(port: str, profiles: Iterable[Profile]) -> Profile | None:
    """The first profile whose port pattern matches, else the generic one."""
    profiles = list(profiles)
    for profile in profiles:
        if profile.matches(port):
            return profile
    return next((p for p in profiles if p.path is not None and p.path.stem == GENERIC), None)


# --- loading ----------------------------------------------------------------------------


def load_profile(path: Path, params: Iterable[Param]) -> Profile:
    """Read and validate one profile. Raises ProfileError only if nothing can be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ProfileError(f"{path}: cannot read: {err.strerror or err}") from err
    return parse_profile(text, path, params)


def parse_profile(text: str, path: Path, params: Iterable[Param]) -> Profile:
    try:
        document = tomlkit.parse(text).unwrap()
    except ParseError as err:
        raise ProfileError(f"{path}:{err.line}: not valid TOML: {_toml_reason(err)}") from err
    lines = _Lines(text, path)
    known = {p.name: p for p in params}
    profile = Profile(name=str(document.get("name", path.stem)), path=path, ports=None)
    for key in document:
        if key not in PROFILE_KEYS:
            profile.errors.append(f"{lines.top(key)}: unknown key {key!r}")
    profile.ports = _pattern(document.get("ports"), lines.top("ports"), profile.errors)
    channel = _channel(document.get("channel", 1), lines.top("channel"), profile.errors, 0)
    leds = document.get("leds")
    if isinstance(leds, dict):
        profile.leds, profile.led_ports = _leds(leds, lines, profile.errors)
        if profile.led_ports is None:
            profile.led_ports = profile.ports
    elif leds is not None:
        profile.errors.append(f"{lines.top('leds')}: [leds] must be a table")
    entries = document.get("control", [])
    if not isinstance(entries, list):
        profile.errors.append(f"{lines.top('control')}: use [[control]] tables for controls")
        entries = []
    seen: dict[tuple[object, ...], str] = {}
    for index, entry in enumerate(entries):
        where = lines.control(index)
        try:
            if not isinstance(entry, dict):
                raise _EntryError(where, "a control must be a table")
            control = _control(entry, index, lines, known, channel)
        except _EntryError as err:
            profile.errors.append(f"{err.where}: {err}")
            continue
        except ParamError as err:  # a value the parameter refuses costs its entry only
            profile.errors.append(f"{where}: {err}")
            continue
        if control.key in seen:
            profile.errors.append(f"{where}: {control.describe()} is already mapped at "
                                  f"{seen[control.key]}")
            continue
        seen[control.key] = where
        profile.controls.append(control)
    return profile


def _toml_reason(err: ParseError) -> str:
    return re.sub(r"\s*at line \d+ col \d+$", "", str(err))


class _EntryError(ValueError):
    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


class _Lines:
    """Line numbers of top-level keys and of `[[control]]` entries, for messages."""

    def __init__(self, text: str, path: Path) -> None:
        self.path = path
        self.text = text.splitlines()
        self.headers = [i for i, line in enumerate(self.text)
                        if re.match(r"\s*\[\[\s*control\s*\]\]", line)]
        first_table = next((i for i, line in enumerate(self.text)
                            if re.match(r"\s*\[", line)), len(self.text))
        self._top_end = first_table

    def _find(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        for i in range(start, min(end, len(self.text))):
            if pattern.match(self.text[i]):
                return i + 1
        return None

    def top(self, key: str) -> str:
        line = self._find(key, 0, self._top_end)
        if line is None:
            header = next((i + 1 for i, text in enumerate(self.text)
                           if re.match(rf"\s*\[+\s*{re.escape(key)}\s*\]", text)), 1)
            line = header
        return f"{self.path}:{line}"

    def table(self, name: str, key: str) -> str:
        start = next((i for i, text in enumerate(self.text)
                      if re.match(rf"\s*\[\s*{re.escape(name)}\s*\]", text)), 0)
        end = next((i for i in range(start + 1, len(self.text))
                    if re.match(r"\s*\[", self.text[i])), len(self.text))
        return f"{self.path}:{self._find(key, start, end) or start + 1}"

    def control(self, index: int, key: str | None = None) -> str:
        if index >= len(self.headers):  # written inline (control = [{...}])
            return f"{self.path}:{self._find('control', 0, len(self.text)) or 1}"
        start = self.headers[index]
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.text)
        line = self._find(key, start + 1, end) if key else None
        return f"{self.path}:{line or start + 1}"


def _pattern(value: object, where: str, errors: list[str]) -> re.Pattern[str] | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.append(f"{where}: ports must be a text pattern")
        return None
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as err:
        errors.append(f"{where}: bad port pattern {value!r}: {err}")
        return None


def _channel(value: object, where: str, errors: list[str], fallback: int | None) -> int | None:
    """1..16 or "any" in the file -> 0..15 or None."""
    if isinstance(value, str) and value.lower() == "any":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 16:
        errors.append(f"{where}: channel must be 1..16 or \"any\", not {value!r}")
        return fallback
    return value - 1


def _leds(table: Mapping[str, Any], lines: _Lines,
          errors: list[str]) -> tuple[LedStyle | None, re.Pattern[str] | None]:
    for key in table:
        if key not in LED_KEYS:
            errors.append(f"{lines.table('leds', key)}: unknown key {key!r} in [leds]")
    levels = {}
    for key, default in (("on", 127), ("off", 0)):
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 127:
            errors.append(f"{lines.table('leds', key)}: {key} must be 0..127, not {value!r}")
            value = default
        levels[key] = value
    channel = None
    if "channel" in table:
        channel = _channel(table["channel"], lines.table("leds", "channel"), errors, None)
    port = _pattern(table.get("port"), lines.table("leds", "port"), errors)
    return LedStyle(on=levels["on"], off=levels["off"], channel=channel), port


def default_mode(source: Source, number: int | None, param: Param) -> Mode:
    """What a control does when its entry names no mode."""
    if param.kind is Kind.TRIGGER:
        return Mode.TRIGGER
    if param.kind is Kind.TOGGLE:
        return Mode.TOGGLE
    button = source is Source.NOTE or (source is Source.PROGRAM and number is not None)
    if not button:
        return Mode.ABSOLUTE
    return Mode.STEP if param.kind is Kind.CHOICE else Mode.MOMENTARY


def _control(entry: Mapping[str, Any], index: int, lines: _Lines, known: Mapping[str, Param],
             channel: int | None) -> Control:
    def fail(message: str, key: str | None = None) -> _EntryError:
        return _EntryError(lines.control(index, key), message)

    for key in entry:
        if key not in CONTROL_KEYS:
            raise fail(f"unknown key {key!r}", key)
    sources = [key for key in SOURCE_KEYS if key in entry]
    if len(sources) != 1:
        raise fail("a control needs exactly one of cc, note, pitchbend, program")
    source_key = sources[0]
    source = SOURCE_KEYS[source_key]
    raw_number = entry[source_key]
    number: int | None
    if source is Source.PITCHBEND:
        if raw_number is not True:
            raise fail("write pitchbend = true", source_key)
        number = None
    elif source is Source.PROGRAM and raw_number == "any":
        number = None
    elif isinstance(raw_number, bool) or not isinstance(raw_number, int) or \
            not 0 <= raw_number <= 127:
        raise fail(f"{source_key} must be a number 0..127, not {raw_number!r}", source_key)
    else:
        number = raw_number

    name = entry.get("param")
    if not isinstance(name, str):
        raise fail("a control needs param = \"group.name\"")
    param = known.get(name)
    if param is None:
        raise fail(f"unknown parameter {name!r}", "param")

    if "channel" in entry:
        errors: list[str] = []
        channel = _channel(entry["channel"], lines.control(index, "channel"), errors, channel)
        if errors:
            raise fail(errors[0].split(": ", 1)[1], "channel")

    mode_name = entry.get("mode")
    if mode_name is None:
        mode = default_mode(source, number, param)
    else:
        try:
            mode = Mode(mode_name)
        except ValueError:
            raise fail(f"unknown mode {mode_name!r} (one of "
                       f"{', '.join(m.value for m in Mode)})", "mode") from None
    if mode not in MODES_FOR[param.kind]:
        raise fail(f"mode {mode.value} does not suit {param.kind.value} parameter {name}", "mode")
    if mode is Mode.RELATIVE and source is not Source.CC:
        raise fail("relative mode needs a cc", "mode")

    options: dict[str, Any] = {}
    if "range" in entry:
        span = entry["range"]
        if not isinstance(span, list) or len(span) != 2 or not all(_finite(v) for v in span):
            raise fail("range must be [low, high], two finite numbers", "range")
        try:
            options["low"], options["high"] = (param.coerce(v) for v in span)
        except ParamError as err:
            raise fail(str(err), "range") from None
    if "curve" in entry:
        try:
            options["curve"] = Curve(entry["curve"])
        except ValueError:
            raise fail(f"curve must be linear or square, not {entry['curve']!r}", "curve") from None
    for flag in ("invert", "fourteen_bit", "led"):
        if flag in entry:
            if not isinstance(entry[flag], bool):
                raise fail(f"{flag} must be true or false", flag)
            options[flag] = entry[flag]
    if options.get("fourteen_bit") and (source is not Source.CC or number is None or number > 31):
        raise fail("fourteen_bit needs a cc 0..31 (its LSB comes on cc + 32)", "fourteen_bit")
    if "encoding" in entry:
        try:
            options["encoding"] = Encoding(entry["encoding"])
        except ValueError:
            raise fail(f"encoding must be one of {', '.join(e.value for e in Encoding)}",
                       "encoding") from None
    for key in ("sensitivity", "step"):
        if key in entry:
            value = entry[key]
            if not _finite(value) or value == 0:
                raise fail(f"{key} must be a finite non-zero number", key)
            options[key] = float(value)
    for key in ("led_on", "led_off"):
        if key in entry:
            value = entry[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 127:
                raise fail(f"{key} must be 0..127", key)
            options[key] = value
    if mode is Mode.SET:
        if "value" not in entry:
            raise fail("mode set needs a value", "mode")
        try:
            options["value"] = param.coerce(_plain(entry["value"]))
        except ParamError as err:
            raise fail(str(err), "value") from None
    return Control(source=source, number=number, param=name, mode=mode, channel=channel,
                   where=lines.control(index), **options)


def _finite(value: object) -> bool:
    """A real number (TOML also has nan and inf, which no control can use)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _plain(value: object) -> Value:
    if isinstance(value, (bool, int, float, str)):
        return value
    raise ParamError(f"value must be a number, true/false or a name, not {value!r}")
