"""The show file: scenes in TOML, read and written the way the performer left it.

```toml
# my set
[fx]
chain = ["decay"]  # the effect chain when `performer run` has no --fx

[[scene]]
name = "opening"
ablation.dead = 0.0
drift.seed = 3
```

Comments, order and layout survive a store (tomlkit edits the document in place), and a
save is atomic (a temporary file, then `os.replace`), so a crash never leaves half a file.
A scene without a name or a value a parameter refuses costs that entry only, reported as
`file:line: message`; a file that is not TOML at all loads no scenes and is never
overwritten (stores are refused until it is fixed).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError
from tomlkit.items import AoT, Table

from performer.controls import SCENE_NONE
from performer.params import Kind, Param, ParamError, Value
from performer.scenes.book import Scene, SceneBook

SCENES_KEY = "scene"
NAME_KEY = "name"
FX_KEY = "fx"  # [fx] chain = ["decay", "grain"]: effect files or bundled names, in order
FX_CHAIN_KEY = "chain"
FILE_NAME = "show.toml"


class ShowFileError(ValueError):
    """A show file that cannot be stored into (unreadable or not TOML)."""


@dataclass
class _Entry:
    """One `[[scene]]` as written: its name and its values by dotted parameter name."""

    index: int  # position among the file's [[scene]] tables
    name: str
    values: dict[str, Any]


@dataclass
class ShowFile:
    """A show file's document and its scenes; `errors` are `file:line: message` lines."""

    path: Path
    document: tomlkit.TOMLDocument | None  # None: not readable as TOML, never written
    entries: list[_Entry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    fx_chain: list[str] | None = None  # [fx] chain, if the file sets one
    _lines: _Lines | None = None
    _stamp: tuple[int, int] | None = None  # the file's (mtime, size) as last read or written

    @classmethod
    def load(cls, path: Path) -> ShowFile:
        """Read `path` (a missing file is an empty show, made by the first store)."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, tomlkit.document())
        except (OSError, UnicodeDecodeError) as err:
            reason = getattr(err, "strerror", None) or err
            return cls(path, None, errors=[f"{path}:1: cannot read: {reason}"])
        show = cls.parse(text, path)
        show._stamp = _stamp(path)
        return show

    @classmethod
    def parse(cls, text: str, path: Path) -> ShowFile:
        try:
            document = tomlkit.parse(text)
        except ParseError as err:
            reason = re.sub(r"\s*at line \d+ col \d+$", "", str(err))
            return cls(path, None, errors=[f"{path}:{err.line}: not valid TOML: {reason}"])
        show = cls(path, document, _lines=_Lines(text, path))
        show._read_entries()
        return show

    @property
    def names(self) -> list[str]:
        """The scenes' names in file order (what scene.recall offers)."""
        return [entry.name for entry in self.entries]

    def _where(self, index: int, name: str | None = None) -> str:
        if self._lines is None:
            return f"{self.path}:1"
        return self._lines.scene(index, name)

    def _read_entries(self) -> None:
        assert self.document is not None
        for key in self.document:
            if key == FX_KEY:
                self._read_fx()
            elif key != SCENES_KEY:
                self.errors.append(f"{self._lines_top(key)}: unknown key {key!r} (scenes are "
                                   f"[[{SCENES_KEY}]] tables)")
        tables = self.document.get(SCENES_KEY, [])
        if not isinstance(tables, list):
            self.errors.append(f"{self._lines_top(SCENES_KEY)}: write scenes as "
                               f"[[{SCENES_KEY}]] tables")
            return
        seen: set[str] = set()
        for index, table in enumerate(tables):
            if not isinstance(table, dict):
                self.errors.append(f"{self._where(index)}: a scene must be a table")
                continue
            name = table.get(NAME_KEY)
            if not isinstance(name, str) or not name.strip():
                self.errors.append(f"{self._where(index)}: a scene needs name = \"...\"")
                continue
            name = name.strip()
            if name.lower() == SCENE_NONE or name.lower() in seen:
                why = "is reserved" if name.lower() == SCENE_NONE else "is used twice"
                self.errors.append(f"{self._where(index, NAME_KEY)}: scene name {name!r} {why}")
                continue
            seen.add(name.lower())
            values = {key: value for key, value in _flatten(table) if key != NAME_KEY}
            self.entries.append(_Entry(index, name, values))

    def _read_fx(self) -> None:
        assert self.document is not None
        table = self.document[FX_KEY]
        chain = table.get(FX_CHAIN_KEY) if isinstance(table, dict) else None
        if not isinstance(chain, list) or not all(isinstance(item, str) for item in chain):
            self.errors.append(f"{self._lines_top(FX_KEY)}: write the effects as "
                               f'[{FX_KEY}] {FX_CHAIN_KEY} = ["decay", "grain"]')
            return
        self.fx_chain = [str(item) for item in chain]

    def _lines_top(self, key: str) -> str:
        return self._lines.top(key) if self._lines is not None else f"{self.path}:1"

    def book(self, params: Iterable[Param]) -> SceneBook:
        """The scenes with their values checked against `params`; each refused value is
        reported in `errors` and left out (the rest of its scene loads)."""
        known = {p.name: p for p in params}
        scenes = []
        for entry in self.entries:
            values: dict[str, Value] = {}
            for name, raw in entry.values.items():
                try:
                    values[name] = _coerce(known, name, raw)
                except ParamError as err:
                    self.errors.append(f"{self._where(entry.index, name)}: {err}")
            scenes.append(Scene(entry.name, values))
        return SceneBook(scenes)

    # --- writing ------------------------------------------------------------------------
    def store(self, scene: Scene) -> None:
        """Write `scene`'s values into the document (its table, made if new), keeping
        every comment and the order of what is there; then save atomically."""
        if self.document is None:
            raise ShowFileError(f"{self.path}: not stored, the show file could not be read "
                                "(fix it and restart)")
        self._reread_if_edited()
        tables = self.document.get(SCENES_KEY)
        if tables is None:
            tables = tomlkit.aot()
            self.document.append(SCENES_KEY, tables)
        if not isinstance(tables, AoT):
            raise ShowFileError(f"{self.path}: not stored, {SCENES_KEY} is not a list of "
                                f"[[{SCENES_KEY}]] tables")
        table = next((t for t in tables
                      if isinstance(t.get(NAME_KEY), str) and t[NAME_KEY].strip() == scene.name),
                     None)
        if table is None:
            table = tomlkit.table()
            table.add(NAME_KEY, scene.name)
            tables.append(table)
            self.entries.append(_Entry(len(tables) - 1, scene.name, {}))
        for name, value in scene.values.items():
            _set_dotted(table, name.split("."), value)
        for entry in self.entries:
            if entry.name == scene.name:
                entry.values.update(scene.values)
        self.save()

    def save(self) -> None:
        """Write the document atomically: a temporary file beside it, then `os.replace`."""
        assert self.document is not None
        write_atomically(self.path, tomlkit.dumps(self.document))
        self._stamp = _stamp(self.path)

    def _reread_if_edited(self) -> None:
        """The file was edited by hand while the show ran: store into that text, not over
        it (the scenes in memory stay as they loaded until the next start)."""
        stamp = _stamp(self.path)
        if stamp is None or stamp == self._stamp:
            return
        try:
            self.document = tomlkit.parse(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ParseError) as err:
            raise ShowFileError(f"{self.path}: not stored, the file was edited during the "
                                f"show and cannot be read now ({err})") from None
        self._stamp = stamp


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def write_atomically(path: Path, text: str) -> None:
    """Never a half-written file: write and sync a temporary file, then rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Nested tables -> dotted names: {ablation: {dead: 0.2}} -> ("ablation.dead", 0.2)."""
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, value


def _coerce(known: Mapping[str, Param], name: str, raw: Any) -> Value:
    param = known.get(name)
    if param is None:
        raise ParamError(f"unknown parameter {name!r}")
    if param.kind is Kind.TRIGGER or param.group == "scene":
        raise ParamError(f"{name} cannot be part of a scene")
    plain = raw.unwrap() if hasattr(raw, "unwrap") else raw
    if not isinstance(plain, (bool, int, float, str)):
        raise ParamError(f"{name}: expected a number, true/false or a name, not {plain!r}")
    if param.kind is Kind.CHOICE and not isinstance(plain, str):
        raise ParamError(f"{name}: write the choice's name ({', '.join(param.choices)})")
    return param.coerce(plain)


def _set_dotted(table: Table, parts: list[str], value: Value) -> None:
    """Set `a.b.c = value` in `table`, editing an existing key in place (its comment and
    position stay), else adding it as a dotted key after its group's keys."""
    container: Any = table
    for depth, part in enumerate(parts[:-1]):
        inner = container.get(part)
        if not isinstance(inner, dict):
            container.add(tomlkit.key(parts[depth:]), value)
            return
        container = inner
    container[parts[-1]] = value


class _Lines:
    """Line numbers of `[[scene]]` tables and their keys, for messages."""

    def __init__(self, text: str, path: Path) -> None:
        self.path = path
        self.text = text.splitlines()
        self.headers = [i for i, line in enumerate(self.text)
                        if re.match(rf"\s*\[\[\s*{SCENES_KEY}\s*\]\]", line)]

    def top(self, key: str) -> str:
        pattern = re.compile(rf"\s*\[*\s*\"?{re.escape(key)}\b")
        line = next((i + 1 for i, text in enumerate(self.text) if pattern.match(text)), 1)
        return f"{self.path}:{line}"

    def scene(self, index: int, name: str | None = None) -> str:
        if index >= len(self.headers):  # written inline (scene = [{...}])
            return self.top(SCENES_KEY)
        start = self.headers[index]
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.text)
        line = start + 1
        if name is not None:
            parts = r"\s*\.\s*".join(rf"\"?{re.escape(part)}\"?" for part in name.split("."))
            pattern = re.compile(rf"\s*{parts}\s*=")
            line = next((i + 1 for i in range(start + 1, end) if pattern.match(self.text[i])),
                        line)
        return f"{self.path}:{line}"
