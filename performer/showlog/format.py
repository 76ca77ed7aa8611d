"""The show log's records: gzip-compressed JSON lines, one change a line.

The first line is the header: the log's version, the models (name, file, sha256 each; the
first is shown at the start, the others are what `model.select` switches to), the output
size, the face shader and effect chain, the clock, the scenes and the starting value of
every parameter. Then, for every engine step, the changes it consumed (made since the step
before by anyone but the engine, whose own automation a replay computes again) and a line
that closes the step:

    {"f": 12, "t": 0.4, "n": "ablation.rate", "v": 40.0, "s": "osc"}
    {"f": 12, "t": 0.4, "n": "tempo.tap", "v": true, "s": "keyboard", "at": [81.02]}
    {"f": 12, "t": 0.4, "dt": 0.0333}

A model that finished loading (`--model` repeated) is a line of the step it became
selectable on, `{"f": 40, "t": 1.3, "loaded": "metfaces"}`: a replay loads every model first
and lets the engine see each one on that step, so a switch that waited for a model waits
as long again.

`at` holds the times a trigger fired (tap tempo reads them). Floats are written with
`repr`, so they read back bit for bit. A log that stops before the show ends (its size
limit) says why in a last line, `{"stopped": "..."}`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from performer.params import Value

VERSION = 2  # 2: a list of models and when each loaded (version 1 named one; it reads)
MAGIC = "performer-show-log"
SUFFIX = ".jsonl.gz"


class ShowLogError(ValueError):
    """A show log that cannot be replayed (at all, or beyond some point): one line."""


@dataclass(frozen=True)
class LoggedModel:
    """A model the show had: its name in `model.select`, its file, that file's sha256."""

    name: str
    file: str
    sha256: str

    def encode(self) -> dict[str, str]:
        return {"name": self.name, "file": self.file, "sha256": self.sha256}

    @classmethod
    def decode(cls, record: Mapping[str, Any]) -> LoggedModel:
        return cls(str(record["name"]), str(record["file"]), str(record["sha256"]))

    @classmethod
    def of(cls, name: str, path: Path) -> LoggedModel:
        return cls(name, str(path), file_sha256(path))


@dataclass(frozen=True)
class Header:
    models: tuple[LoggedModel, ...]  # the first is the one shown at the start
    size: tuple[int, int]
    shader: str  # the face shader's file name, as the show found it on the shader path
    fx: tuple[str, ...] | None  # the effect chain as --fx gave it (None: the default chain)
    clock: str
    started: str  # ISO 8601, UTC
    scenes: tuple[tuple[str, Mapping[str, Value]], ...]
    registry: Mapping[str, Value]

    def encode(self) -> str:
        return json.dumps({
            MAGIC: VERSION,
            "models": [model.encode() for model in self.models],
            "size": list(self.size), "shader": self.shader,
            "fx": None if self.fx is None else list(self.fx), "clock": self.clock,
            "started": self.started,
            "scenes": [{"name": name, "values": dict(values)} for name, values in self.scenes],
            "registry": dict(self.registry),
        })

    @classmethod
    def decode(cls, line: str) -> Header:
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or MAGIC not in record:
                raise ShowLogError("not a performer show log")
            if record[MAGIC] not in (1, VERSION):
                raise ShowLogError(f"show log version {record[MAGIC]}; this performer reads "
                                   f"versions 1 to {VERSION}")
            models = record["models"] if record[MAGIC] > 1 else [record["model"]]
            if not models:
                raise ShowLogError("a show log without a model")
            width, height = record["size"]
            return cls(
                tuple(LoggedModel.decode(model) for model in models),
                (int(width), int(height)), str(record["shader"]),
                None if record["fx"] is None else tuple(str(f) for f in record["fx"]),
                str(record["clock"]),
                str(record["started"]),
                tuple((str(s["name"]), dict(s["values"])) for s in record["scenes"]),
                dict(record["registry"]),
            )
        except (ValueError, KeyError, TypeError) as err:
            if isinstance(err, ShowLogError):
                raise
            raise ShowLogError("not a performer show log (no header)") from None


@dataclass
class LoggedStep:
    """One engine step as logged: its changes, its fired triggers, its time step, and the
    models that became selectable on it."""

    index: int
    time: float
    dt: float = 0.0
    changes: dict[str, Value] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    fired: dict[str, tuple[float, ...]] = field(default_factory=dict)
    loaded: list[str] = field(default_factory=list)


def change_line(index: int, time: float, name: str, value: Value, source: str,
                at: tuple[float, ...] | None = None) -> str:
    record: dict[str, Any] = {"f": index, "t": time, "n": name, "v": value, "s": source}
    if at is not None:
        record["at"] = list(at)
    return json.dumps(record, separators=(",", ":"))


def loaded_line(index: int, time: float, name: str) -> str:
    return json.dumps({"f": index, "t": time, "loaded": name}, separators=(",", ":"))


def step_line(index: int, time: float, dt: float) -> str:
    return json.dumps({"f": index, "t": time, "dt": dt}, separators=(",", ":"))


def stopped_line(why: str) -> str:
    """The last line of a log that stopped before the show ended (a size limit, a gap)."""
    return json.dumps({"stopped": why})


def file_sha256(path: Path) -> str:
    """The model file's identity (a folder of files is hashed file by file, in order)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as data:
            for block in iter(lambda: data.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
