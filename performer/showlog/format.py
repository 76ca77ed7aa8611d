"""The show log's records: gzip-compressed JSON lines, one change a line.

The first line is the header: the log's version, the model (name, file, sha256), the
output size, the face shader and effect chain, the clock, the scenes and the starting value of every
parameter. Then, for
every engine step, the changes it consumed (made since the step before by anyone but the
engine, whose own automation a replay computes again) and a line that closes the step:

    {"f": 12, "t": 0.4, "n": "ablation.rate", "v": 40.0, "s": "osc"}
    {"f": 12, "t": 0.4, "n": "tempo.tap", "v": true, "s": "keyboard", "at": [81.02]}
    {"f": 12, "t": 0.4, "dt": 0.0333}

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

VERSION = 1
MAGIC = "performer-show-log"
SUFFIX = ".jsonl.gz"


class ShowLogError(ValueError):
    """A show log that cannot be replayed (at all, or beyond some point): one line."""


@dataclass(frozen=True)
class Header:
    model_name: str
    model_file: str
    model_sha256: str
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
            "model": {"name": self.model_name, "file": self.model_file,
                      "sha256": self.model_sha256},
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
            if record[MAGIC] != VERSION:
                raise ShowLogError(f"show log version {record[MAGIC]}; this performer reads "
                                   f"version {VERSION}")
            model = record["model"]
            width, height = record["size"]
            return cls(
                str(model["name"]), str(model["file"]), str(model["sha256"]),
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
    """One engine step as logged: its changes, its fired triggers, its time step."""

    index: int
    time: float
    dt: float = 0.0
    changes: dict[str, Value] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    fired: dict[str, tuple[float, ...]] = field(default_factory=dict)


def change_line(index: int, time: float, name: str, value: Value, source: str,
                at: tuple[float, ...] | None = None) -> str:
    record: dict[str, Any] = {"f": index, "t": time, "n": name, "v": value, "s": source}
    if at is not None:
        record["at"] = list(at)
    return json.dumps(record, separators=(",", ":"))


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
