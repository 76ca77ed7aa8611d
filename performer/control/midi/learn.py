"""MIDI learn: turn the control just moved into a mapping entry, and save it.

Learned entries go to the user's mapping file (see `performer.env.user_midi_mapping`),
written with tomlkit so that comments and layout the user added by hand survive. The
file has the same format as a bundled profile and applies to every controller.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import mido
import tomlkit
from tomlkit.items import AoT, Table

from performer.control.midi.mapping import SOURCE, Control, Mode, Source
from performer.control.midi.profiles import (
    MODES_FOR,
    SOURCE_KEYS,
    Profile,
    ProfileError,
    default_mode,
    load_profile,
)
from performer.controls import LEARN_LAST, LEARN_OFF
from performer.params import Param, ParamChange, Registry

log = logging.getLogger(__name__)

# Changes from these kinds of source are not "the parameter you just touched" that K
# learns. A source's kind is what comes before any ":" ("midi:nanoKONTROL2 ..." is midi).
LEARN_IGNORED_SOURCES = {"midi", "engine", "cli"}


def learnable(source: str) -> bool:
    """Whether a change from `source` is one K may learn (a person's, not MIDI's own)."""
    return source.partition(":")[0] not in LEARN_IGNORED_SOURCES

HEADER = """\
# performer: MIDI mappings learned on this machine (press K in the window, or send
# /performer/midi/learn NAME over OSC, then move a control). They apply to every
# controller and override the bundled profiles. Edit freely: comments are kept.
# The format is described in mappings/README.md.
"""


def control_for(message: mido.Message, param: Param) -> Control | None:
    """A mapping for the control that sent `message`, or None if it cannot be learned
    (releases, clock, system messages)."""
    source: Source
    number: int | None
    if message.type == "control_change":
        source, number = Source.CC, message.control
    elif message.type == "note_on" and message.velocity > 0:
        source, number = Source.NOTE, message.note
    elif message.type == "pitchwheel":
        source, number = Source.PITCHBEND, None
    elif message.type == "program_change":
        source, number = Source.PROGRAM, message.program
    else:
        return None
    mode = default_mode(source, number, param)
    return Control(source=source, number=number, param=param.name, mode=mode,
                   channel=message.channel, where="learned")


def _entry(control: Control) -> Table:
    table = tomlkit.table()
    if control.source is Source.PITCHBEND:
        table.add("pitchbend", True)
    else:
        table.add(control.source.value, control.number)
    table.add("channel", "any" if control.channel is None else control.channel + 1)
    table.add("param", control.param)
    table.add("mode", control.mode.value)
    return table


def _same_message(entry: object, control: Control) -> bool:
    if not isinstance(entry, dict):
        return False
    channel = entry.get("channel", 1)
    channel = None if channel == "any" else (channel - 1 if isinstance(channel, int) else -1)
    if control.source is Source.PITCHBEND:
        number_matches = entry.get("pitchbend") is True
    else:
        number_matches = entry.get(control.source.value) == control.number
    return number_matches and channel == control.channel


HARDWARE_KEYS = {"encoding", "sensitivity", "fourteen_bit", "invert", "led", "led_on", "led_off"}


def save_learned(path: Path, control: Control, param: Param) -> None:
    """Add the entry for `control`'s message to the user mapping file, or re-point the
    entry that already has that message (keeping its comments and what it says about the
    hardware: encoder encoding, 14-bit, LED colours)."""
    if path.exists():
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
    else:
        document = tomlkit.parse(HEADER)
    entries = document.get("control")
    if not isinstance(entries, AoT):
        entries = tomlkit.aot()
        document.append("control", entries)
    existing = next((e for e in entries if _same_message(e.unwrap(), control)), None)
    if existing is None:
        entry = _entry(control)
        entry.trivia.indent = "\n"  # a blank line before each new [[control]]
        entries.append(entry)
    else:
        keep_relative = existing.get("mode") == Mode.RELATIVE.value
        for key in [k for k in existing if k not in HARDWARE_KEYS and k not in SOURCE_KEYS
                    and k not in ("channel", "label")]:
            del existing[key]
        existing["param"] = control.param
        mode = Mode.RELATIVE if keep_relative and Mode.RELATIVE in MODES_FOR[param.kind] \
            else control.mode
        existing["mode"] = mode.value
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(tomlkit.dumps(document), encoding="utf-8")
    os.replace(temporary, path)  # a crash mid-write never leaves half a file


class Learner:
    """MIDI learn's state: the parameter it is armed for, the one touched last (what K
    learns), and the learned mappings, loaded from and saved to the user's file.

    Used from the MIDI worker thread only.
    """

    def __init__(self, registry: Registry, path: Path | None) -> None:
        self.registry = registry
        self.path = path
        self.armed: str | None = None
        self.last_touched: str | None = None
        self.profile = self._load(path)

    def _load(self, path: Path | None) -> Profile | None:
        if path is None or not path.exists():
            return None
        try:
            profile = load_profile(path, self.registry.params())
        except ProfileError as err:
            log.error("%s (learned MIDI mappings not loaded)", err)
            return None
        for error in profile.errors:
            log.warning("%s (entry skipped)", error)
        log.info("MIDI: %d learned mapping(s) from %s", len(profile.controls), path)
        return profile

    @property
    def controls(self) -> list[Control]:
        return list(self.profile.controls) if self.profile else []

    def notice(self, change: ParamChange) -> bool:
        """Follow a registry change; True if it was MIDI learn's own parameter."""
        if change.name == "midi.learn":
            self._arm(str(change.value))
            return True
        if learnable(change.source):
            self.last_touched = change.name
        return False

    def _arm(self, target: str) -> None:
        if target == LEARN_OFF:
            if self.armed is not None:
                log.info("MIDI learn off")
            self.armed = None
            return
        if target == LEARN_LAST:
            if self.last_touched is None:
                log.warning("MIDI learn: change a parameter with a key (or OSC) first, "
                            "then press K")
                self.registry.submit(ParamChange("midi.learn", LEARN_OFF, SOURCE))
                return
            target = self.last_touched
        self.armed = target
        log.info("MIDI learn: move a control to drive %s (Shift+K cancels)", target)

    def bind(self, message: mido.Message) -> Control | None:
        """The armed parameter's new mapping for the control that sent `message`, saved;
        None if the message cannot be learned (a release, say)."""
        assert self.armed is not None
        param = self.registry.param(self.armed)
        control = control_for(message, param)
        if control is None:
            return None
        saved = ""
        if self.path is not None:
            try:
                save_learned(self.path, control, param)
                control = self._reloaded(control)
                saved = f", saved in {self.path}"
            except (OSError, ProfileError) as err:
                saved = f" (not saved: {err})"
        if self.profile is None:
            self.profile = Profile("learned", self.path, None)
        self.profile.controls = [c for c in self.profile.controls if c.key != control.key]
        self.profile.controls.append(control)
        log.info("MIDI learn: %s drives %s%s", control.describe(), control.param, saved)
        self.armed = None
        self.registry.submit(ParamChange("midi.learn", LEARN_OFF, SOURCE))
        return control

    def _reloaded(self, control: Control) -> Control:
        """The entry as the saved file now says it (a re-learned encoder stays relative)."""
        assert self.path is not None
        profile = load_profile(self.path, self.registry.params())
        return next((c for c in profile.controls if c.key == control.key), control)
