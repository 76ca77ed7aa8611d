"""The parameter registry: every control declared once, the one source of truth.

Keyboard, OSC, MIDI and presets write to it; the engine reads one snapshot per frame;
listeners hear what changed. OSC addresses, help text and README tables derive from the
declarations, so adding a parameter here adds it everywhere.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import Enum

Value = float | int | bool | str

FIRED_TIMES = 8  # times kept per trigger between two snapshots

log = logging.getLogger(__name__)


class ParamError(ValueError):
    """An unknown parameter name or a value that cannot be given to a parameter."""


class Kind(str, Enum):
    FLOAT = "float"
    INT = "int"
    TOGGLE = "toggle"
    CHOICE = "choice"
    TRIGGER = "trigger"


class Curve(str, Enum):
    """How a normalised 0..1 control position maps onto the parameter's range."""

    LINEAR = "linear"
    SQUARE = "square"  # fine control near the minimum (rates, speeds)

    def shape(self, position: float) -> float:
        """A 0..1 control position -> the 0..1 fraction of the range it stands for."""
        position = min(max(position, 0.0), 1.0)
        return position * position if self is Curve.SQUARE else position

    def unshape(self, fraction: float) -> float:
        """The inverse of `shape`: a 0..1 fraction of the range -> the control position."""
        fraction = min(max(fraction, 0.0), 1.0)
        return math.sqrt(fraction) if self is Curve.SQUARE else fraction


@dataclass(frozen=True)
class Param:
    """One declared control. `name` is `group.name`; ranges are inclusive."""

    name: str
    kind: Kind
    default: Value
    description: str
    unit: str = ""
    minimum: float = 0.0
    maximum: float = 1.0
    choices: tuple[str, ...] = ()
    curve: Curve = Curve.LINEAR
    # A trigger's strength: the parameter that a control's strength (a note's velocity) is
    # written to, in the same batch as the trigger (env.N.hit -> env.N.velocity).
    strength: str = ""

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    def coerce(self, value: object) -> Value:
        """Validate and clamp `value` into this parameter's domain, or raise ParamError."""
        if self.kind is Kind.CHOICE:
            return self._coerce_choice(value)
        if isinstance(value, str):
            raise ParamError(f"{self.name}: expected a number, got {value!r}")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError) as err:
            raise ParamError(f"{self.name}: expected a number, got {value!r}") from err
        if math.isnan(number):
            raise ParamError(f"{self.name}: NaN is not a value")
        if self.kind in (Kind.TOGGLE, Kind.TRIGGER):
            return number != 0.0
        clamped = min(max(number, self.minimum), self.maximum)
        return round(clamped) if self.kind is Kind.INT else clamped

    def _coerce_choice(self, value: object) -> str:
        if isinstance(value, str):
            for choice in self.choices:
                if choice.lower() == value.lower():
                    return choice
            raise ParamError(f"{self.name}: {value!r} is not one of {', '.join(self.choices)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"{self.name}: expected a choice name or index, got {value!r}")
        if isinstance(value, float) and math.isnan(value):
            raise ParamError(f"{self.name}: NaN is not a value")
        last = len(self.choices) - 1
        # Clamp before rounding: round() of an infinity or a huge int would overflow.
        index = 0 if value <= 0 else last if value >= last else round(value)
        return self.choices[index]

    def to_normalized(self, value: Value) -> float:
        """Value -> 0..1 control position (choices: index / (count - 1))."""
        if self.kind is Kind.CHOICE:
            return self.choices.index(str(value)) / max(len(self.choices) - 1, 1)
        if self.kind in (Kind.TOGGLE, Kind.TRIGGER):
            return 1.0 if value else 0.0
        span = self.maximum - self.minimum
        return self.curve.unshape((float(value) - self.minimum) / span if span else 0.0)

    def from_normalized(self, position: float) -> Value:
        """0..1 control position -> value (clamped, through the curve)."""
        if math.isnan(position):
            raise ParamError(f"{self.name}: NaN is not a value")
        position = min(max(position, 0.0), 1.0)
        if self.kind is Kind.CHOICE:
            return self.choices[round(position * (len(self.choices) - 1))]
        if self.kind in (Kind.TOGGLE, Kind.TRIGGER):
            return position >= 0.5
        fraction = self.curve.shape(position)
        return self.coerce(self.minimum + fraction * (self.maximum - self.minimum))


@dataclass(frozen=True)
class ParamChange:
    """A request to set one parameter, as a listener sends it: frozen, cheap to queue."""

    name: str
    value: Value
    source: str = "api"  # "keyboard", "osc", "midi", "engine", "preset" ...


@dataclass(frozen=True)
class Snapshot(Mapping[str, Value]):
    """The values the engine uses for one frame, plus the triggers fired since the last one."""

    data: Mapping[str, Value]
    # The triggers fired since the last snapshot, each with when it was applied (the
    # registry's clock, the last FIRED_TIMES times): tap tempo times every tap by it, so a
    # slow frame neither quantises taps nor merges two into one.
    fired_at: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Value:
        return self.data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def fired(self) -> AbstractSet[str]:
        """The triggers fired since the last snapshot."""
        return self.fired_at.keys()

    def float(self, name: str) -> float:
        return float(self.data[name])

    def int(self, name: str) -> int:
        return int(self.data[name])

    def bool(self, name: str) -> bool:
        return bool(self.data[name])

    def str(self, name: str, default: str | None = None) -> str:
        """A choice's value; `default` for a parameter only some models declare."""
        if default is not None and name not in self.data:
            return default
        return str(self.data[name])


Listener = Callable[[ParamChange], None]


class Registry:
    """Thread-safe store of parameter values.

    Threads that must never block (MIDI and OSC callbacks) `submit` changes to a bounded
    queue; anything may `set` directly. Queued changes are applied on the next `drain`,
    which `snapshot` does first, so one submitted batch lands in one frame, atomically.
    Listeners are called after each applied change, outside the lock.
    """

    def __init__(self, params: Iterable[Param], queue_size: int = 4096,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self._params = {p.name: p for p in params}
        self._values: dict[str, Value] = {p.name: p.default for p in self._params.values()}
        self._fired: dict[str, tuple[float, ...]] = {}  # trigger -> when it was applied
        self._clock = clock
        self._lock = threading.Lock()
        # One drainer at a time: two threads taking batches from the queue could otherwise
        # apply them out of order (re-entrant: a listener may drain again).
        self._drain_lock = threading.RLock()
        self._pending: queue.Queue[tuple[ParamChange, ...]] = queue.Queue(queue_size)
        self._listeners: list[Listener] = []
        self._submission_watchers: list[Callable[[], None]] = []
        self.dropped = 0  # submitted batches refused because the queue was full

    # --- declarations -------------------------------------------------------------
    def __contains__(self, name: object) -> bool:
        return name in self._params

    def params(self) -> list[Param]:
        return list(self._params.values())

    def param(self, name: str) -> Param:
        try:
            return self._params[name]
        except KeyError:
            raise ParamError(f"unknown parameter {name!r}") from None

    # --- reading ------------------------------------------------------------------
    def value(self, name: str) -> Value:
        self.param(name)
        with self._lock:
            return self._values[name]

    def normalized(self, name: str) -> float:
        return self.param(name).to_normalized(self.value(name))

    def values(self) -> Snapshot:
        """All current values as they stand, without applying queued changes or consuming
        triggers: for readers on other threads (a controller being connected)."""
        with self._lock:
            return Snapshot(dict(self._values), dict(self._fired))

    def snapshot(self, consume_triggers: bool = True) -> Snapshot:
        """Apply queued changes, then copy all values. Only the engine consumes triggers."""
        self.drain()
        with self._lock:
            fired_at = dict(self._fired)
            if consume_triggers:
                self._fired.clear()
            return Snapshot(dict(self._values), fired_at)

    # --- writing ------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every applied change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def watch_submissions(self, watcher: Callable[[], None]) -> Callable[[], None]:
        """Call `watcher` (on the submitting thread; it must not block) after each queued
        batch, so a consumer can drain early; returns a function that stops watching."""
        self._submission_watchers.append(watcher)
        return lambda: self._submission_watchers.remove(watcher)

    def set(self, name: str, value: object, source: str = "api") -> Value:
        """Set one value now (clamped); returns the value stored. Raises ParamError."""
        return self.apply([ParamChange(name, value, source)])[0].value  # type: ignore[arg-type]

    def set_normalized(self, name: str, position: float, source: str = "api") -> Value:
        return self.set(name, self.param(name).from_normalized(position), source)

    def nudge(self, name: str, delta: float, source: str = "api") -> Value:
        """Add `delta` to a numeric value under the lock, so concurrent writers never race."""
        param = self.param(name)
        if param.kind not in (Kind.FLOAT, Kind.INT):
            raise ParamError(f"{name}: only numeric parameters can be nudged")
        with self._lock:
            old = self._values[name]
            new = param.coerce(float(old) + delta)
            self._values[name] = new
        if new != old:
            self._notify([ParamChange(name, new, source)])
        return new

    def cycle(self, name: str, step: int = 1, source: str = "api") -> Value:
        """Move a choice parameter `step` places along its choices, wrapping around."""
        param = self.param(name)
        if param.kind is not Kind.CHOICE:
            raise ParamError(f"{name}: only choice parameters can be cycled")
        with self._lock:
            index = param.choices.index(str(self._values[name]))
            new = param.choices[(index + step) % len(param.choices)]
        return self.set(name, new, source)

    def apply(self, changes: Sequence[ParamChange]) -> list[ParamChange]:
        """Validate all, then store all under one lock: a batch is atomic. Raises ParamError."""
        coerced = [
            ParamChange(c.name, self.param(c.name).coerce(c.value), c.source) for c in changes
        ]
        applied: list[ParamChange] = []
        now = self._clock()
        with self._lock:
            for change in coerced:
                if self._params[change.name].kind is Kind.TRIGGER:
                    if change.value:
                        times = self._fired.get(change.name, ())
                        self._fired[change.name] = (*times, now)[-FIRED_TIMES:]
                        applied.append(change)
                    continue
                if self._values[change.name] != change.value:
                    self._values[change.name] = change.value
                    applied.append(change)
        self._notify(applied)
        return coerced

    def write_back(self, values: Mapping[str, Value], based_on: Snapshot,
                   source: str) -> list[ParamChange]:
        """Store automation computed from `based_on` as one batch, so feedback hears it.

        A value somebody changed since that snapshot (a fader moved while the frame was
        being made) is newer than the automation: it is kept, and that entry is skipped.
        Returns the changes stored.
        """
        applied: list[ParamChange] = []
        with self._lock:
            for name, value in values.items():
                current = self._values[name]
                if current == based_on.data[name] and current != value:
                    self._values[name] = value
                    applied.append(ParamChange(name, value, source))
        self._notify(applied)
        return applied

    def submit(self, changes: ParamChange | Sequence[ParamChange], wake: bool = True) -> bool:
        """Queue a change (or an atomic batch) without blocking; False if the queue is full.

        `wake=False` tells no submission watcher: for a stream of measurements (audio
        levels) that should ride along with the next frame, not make a waiting one stale.
        """
        batch = (changes,) if isinstance(changes, ParamChange) else tuple(changes)
        try:
            self._pending.put_nowait(batch)
        except queue.Full:
            self.dropped += 1
            return False
        if not wake:
            return True
        for watcher in list(self._submission_watchers):
            watcher()
        return True

    def drain(self) -> None:
        """Apply queued batches in order; a bad batch is dropped whole (listeners validate)."""
        with self._drain_lock:
            while True:
                try:
                    batch = self._pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    self.apply(batch)
                except ParamError:
                    self.dropped += 1

    def _notify(self, changes: list[ParamChange]) -> None:
        for change in changes:
            for listener in list(self._listeners):
                try:
                    listener(change)
                except Exception:  # a broken listener must not stop the show
                    log.exception("parameter listener failed on %s", change.name)
