"""Reading a show log back, step by step, as far as it goes.

A log cut short (a `kill -9`, a full disk) or damaged part way reads up to its last whole
step and says, in one line, where and why it ends (`ShowLog.problem`); a file that is not
a show log at all raises ShowLogError.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path

from performer.showlog.format import Header, LoggedStep, ShowLogError


class ShowLog:
    """A show log opened for reading: its header, then `steps()` once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problem: str | None = None  # why the log ended early, once steps() has run
        self._line = 1
        try:
            # Open for the reader's life: steps() reads on from here, close() ends it.
            self._file = gzip.GzipFile(path, "rb")
            first = self._file.readline()
        except FileNotFoundError:
            raise ShowLogError(f"{path}: no such file") from None
        except (OSError, EOFError, zlib.error) as err:
            raise ShowLogError(f"{path}: not a performer show log ({_reason(err)})") from None
        try:
            self.header = Header.decode(first.decode("utf-8"))
        except (ShowLogError, UnicodeDecodeError) as err:
            reason = err if isinstance(err, ShowLogError) else "not a performer show log"
            raise ShowLogError(f"{path}:1: {reason}") from None

    def close(self) -> None:
        self._file.close()

    def steps(self) -> Iterator[LoggedStep]:
        """Every whole step in order; stops at the first damage (see `problem`)."""
        pending: LoggedStep | None = None
        expected = 0
        while True:
            try:
                raw = self._file.readline()
            except (OSError, EOFError, zlib.error) as err:
                self._end(f"cut short ({_reason(err)})", expected)
                return
            if not raw:
                return
            self._line += 1
            if not raw.endswith(b"\n"):
                self._end("cut short in the middle of a line", expected)
                return
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise ValueError("not a record")
                if "stopped" in record:
                    self._end(f"the log stopped there: {record['stopped']}", expected)
                    return
                index = record["f"]
                if index != expected:
                    raise ValueError(f"step {index} where step {expected} was due")
                if pending is None:
                    pending = LoggedStep(index, float(record["t"]))
                if "dt" in record:
                    pending.dt = float(record["dt"])
                    yield pending
                    pending, expected = None, expected + 1
                    continue
                if "loaded" in record:
                    pending.loaded.append(str(record["loaded"]))
                    continue
                name = str(record["n"])
                if "at" in record:
                    pending.fired[name] = tuple(float(t) for t in record["at"])
                else:
                    pending.changes[name] = record["v"]
                pending.sources[name] = str(record["s"])
            except (ValueError, KeyError, TypeError) as err:
                self._end(f"{self._line}: a damaged line ({err})", expected, line=True)
                return

    def _end(self, why: str, steps: int, line: bool = False) -> None:
        where = f"{self.path}:{why}" if line else f"{self.path}: {why}"
        self.problem = f"{where}; it replays its first {steps} steps"


def _reason(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__
