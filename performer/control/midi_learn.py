"""MIDI learn: turn the control just moved into a mapping entry, and save it.

Learned entries go to the user's mapping file (see `performer.env.user_midi_mapping`),
written with tomlkit so that comments and layout the user added by hand survive. The
file has the same format as a bundled profile and applies to every controller.
"""

from __future__ import annotations

import os
from pathlib import Path

import mido
import tomlkit
from tomlkit.items import AoT, Table

from performer.control.midi_mapping import Control, Mode, Source
from performer.control.midi_profiles import MODES_FOR, SOURCE_KEYS, default_mode
from performer.params import Param

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
