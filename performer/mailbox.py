"""A one-slot hand-off between threads: the newest value wins, stale ones are dropped."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    def __init__(self) -> None:
        self._value: T | None = None
        self._fresh = False
        self._woken = False
        self._cond = threading.Condition()
        self.posted = 0
        self.dropped = 0  # values replaced before anyone took them

    def post(self, value: T) -> None:
        with self._cond:
            if self._fresh:
                self.dropped += 1
            self._value, self._fresh = value, True
            self.posted += 1
            self._cond.notify_all()

    def take(self, timeout: float | None = 0.0) -> T | None:
        """The newest unseen value, waiting up to `timeout` seconds; None if there is none."""
        with self._cond:
            if not self._fresh and timeout != 0.0:
                self._cond.wait_for(lambda: self._fresh, timeout)
            if not self._fresh:
                return None
            self._fresh = False
            self._cond.notify_all()
            return self._value

    def wake(self) -> None:
        """Tell the producer that the value waiting here went stale (its inputs changed)."""
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    def clear_wake(self) -> None:
        """The producer is about to read its inputs: wake-ups so far are accounted for."""
        with self._cond:
            self._woken = False

    def wait_demand(self, timeout: float, wakeable: bool = True) -> bool:
        """A producer's back-pressure: block until the current value was taken, or, when
        `wakeable`, until `wake()` is called.

        Returns True when the value still waits but went stale: the producer should make a
        fresher one to replace it. Either way the wake-up is consumed.
        """
        with self._cond:
            self._cond.wait_for(lambda: not self._fresh or (wakeable and self._woken), timeout)
            stale = self._fresh and self._woken and wakeable
            self._woken = False
            return stale

    def peek(self) -> T | None:
        with self._cond:
            return self._value
