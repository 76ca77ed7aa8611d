"""The MIDI listener: hot-plug, the worker thread, LEDs, clock, and MIDI learn (`learn`).

Threads and what they may do:
- the MIDI system's own threads only queue messages inside python-rtmidi (see `ports`);
- the worker reads every open input about once a millisecond, maps messages to parameter
  changes (`mapping.Router`), submits one batch per wake-up to the registry (never
  blocking), follows MIDI clock, carries out MIDI learn and sends LED messages;
- the poller lists ports twice a second, opens controllers that appear and closes those
  that vanish.
Registry listeners run on whichever thread applied the change (often the render loop),
so ours only enqueues. Nothing here can block the render loop.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import mido

from performer.control.device_names import name_pattern
from performer.control.midi.clock import PPQN, ClockFollower
from performer.control.midi.learn import Learner
from performer.control.midi.mapping import SOURCE, Router
from performer.control.midi.ports import (
    InPort,
    MidiUnavailable,
    OutPort,
    Ports,
    choose_backend,
    open_ports,
)
from performer.control.midi.profiles import (
    Profile,
    builtin_profiles,
    profile_for,
)
from performer.control.show import Show
from performer.engine.beats import BEATS_PER_BAR
from performer.env import user_midi_mapping
from performer.params import ParamChange, Registry

log = logging.getLogger(__name__)

POLL_S = 0.5  # port listing interval: hot-plug within 2 s, and JACK stays happy
RETRY_S = 5.0  # after "no MIDI subsystem", look again after this, then ever more rarely
RETRY_MAX_S = 60.0  # (each look may make the MIDI library print a line of its own)
READ_S = 0.001  # how often the worker reads the open inputs
INBOX_SIZE = 8192
CLOCK_TYPES = {"clock", "start", "stop", "continue"}
BPM_WRITES_PER_S = 4.0
PULSES_PER_BAR = PPQN * BEATS_PER_BAR


# --- what the worker is told ---------------------------------------------------------


@dataclass(frozen=True)
class _Changed:
    """A change the registry applied: mirror it in the routers, light LEDs, feed learn."""

    change: ParamChange


@dataclass(frozen=True)
class _Sync:
    """A controller's LED output was found: show every button's state on it."""

    port_name: str


@dataclass(frozen=True)
class _Wake:
    """Only cut the worker's wait short (a controller opened, or stop() was called)."""


@dataclass(frozen=True)
class _Marker:
    """Set `handled` once everything queued before it is handled (`wait_caught_up`)."""

    handled: threading.Event


_Message = _Changed | _Sync | _Wake | _Marker


# --- the service ------------------------------------------------------------------------


@dataclass
class _Controller:
    """One open input port, its mapping, and its LED output once found."""

    port_name: str
    profile: Profile
    router: Router
    port: InPort
    output: OutPort | None = None
    output_name: str | None = None


class MidiService:
    """Listens to the controllers, maps them onto the registry, lights their LEDs."""

    name = "MIDI"

    def __init__(
        self,
        registry: Registry,
        backend: str,
        patterns: Sequence[str] = (),
        profiles: Sequence[Profile] | None = None,
        user_path: Path | None = None,
        poll_s: float = POLL_S,
        retry_s: float = RETRY_S,
    ) -> None:
        self.registry = registry
        self.backend = backend
        self.ports: Ports | None = None  # opened by the poller (the MIDI system may be absent)
        self.patterns = [name_pattern(p) for p in patterns]
        params = registry.params()
        self.profiles = list(profiles) if profiles is not None else builtin_profiles(params)
        self.learner = Learner(registry, user_path)
        self.poll_s = poll_s
        self.retry_s = retry_s
        self.clock = ClockFollower()
        self.dropped = 0  # messages lost because the inbox was full
        self._inbox: queue.Queue[_Message] = queue.Queue(INBOX_SIZE)
        self._controllers: dict[str, _Controller] = {}
        self._lock = threading.Lock()  # guards _controllers (poller vs worker)
        self._running = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._last_bpm: float | None = None
        self._pulses = 0  # clock pulses since the sequencer's start
        self._last_bpm_at = 0.0
        self._timers: list[tuple[float, int, str, mido.Message]] = []
        self._timer_seq = 0
        self._unavailable_noted = False
        self._retry = retry_s

    # --- life cycle -------------------------------------------------------------------
    def start(self) -> MidiService:
        self._running.set()
        self._unsubscribe = self.registry.subscribe(self._on_change)
        for target, label in ((self._work, "worker"), (self._poll, "ports")):
            thread = threading.Thread(target=target, name=f"performer-midi-{label}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._running.clear()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._wake()  # the worker sees _running cleared at once, or after its busy inbox
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._threads = [t for t in self._threads if t.is_alive()]
        with self._lock:
            for controller in list(self._controllers.values()):
                self._close(controller)
            self._controllers.clear()
        if self.ports is not None:
            self.ports.close()
            self.ports = None

    @property
    def running(self) -> bool:
        """Whether the service was started and stop() has not been called since."""
        return self._running.is_set()

    def alive(self) -> list[str]:
        """Names of the service's threads still running: none once stop() returned, unless
        one would not end in time (the worker and the port poller are daemons)."""
        return [t.name for t in self._threads if t.is_alive()]

    def connected(self) -> list[str]:
        with self._lock:
            return sorted(self._controllers)

    def router(self, port_name: str) -> Router | None:
        """The router of an open controller (its controls and pick-up state), or None.
        The worker changes it: read it once `wait_caught_up` has returned."""
        with self._lock:
            controller = self._controllers.get(port_name)
            return controller.router if controller else None

    def wait_caught_up(self, timeout: float = 5.0) -> bool:
        """Block until the worker has handled all it was told before this call (registry
        changes for the routers, LEDs and learn) and read what the inputs held by then;
        False if the service is not running or that took longer than `timeout`. For
        tests and tools: a listener must never block like this."""
        if not self.running:
            return False
        handled = threading.Event()
        deadline = time.monotonic() + timeout
        try:
            self._inbox.put(_Marker(handled), timeout=timeout)
        except queue.Full:
            return False
        return handled.wait(max(0.0, deadline - time.monotonic()))

    @property
    def learning(self) -> str | None:
        """The parameter MIDI learn is armed for, if any."""
        return self.learner.armed

    def led_output(self, port_name: str) -> str | None:
        with self._lock:
            controller = self._controllers.get(port_name)
            return controller.output_name if controller else None

    # --- the poller -------------------------------------------------------------------
    def _poll(self) -> None:
        while self._running.is_set():
            wait = self.poll_once()
            deadline = time.monotonic() + wait
            while self._running.is_set() and time.monotonic() < deadline:
                time.sleep(min(0.05, wait))

    def poll_once(self) -> float:
        """One pass of the port poller: `scan`, saying once that MIDI is off (and once
        that it is back); returns the seconds to wait before the next pass, longer and
        longer while MIDI stays off (each look may make the MIDI library print a line)."""
        try:
            self.scan()
        except MidiUnavailable as err:
            if not self._unavailable_noted:
                log.warning("MIDI is off: %s; the show runs without it (performer "
                            "looks again now and then)", err)
                self._unavailable_noted = True
            return self._back_off()
        except Exception:  # never let the poller die mid-show
            log.exception("MIDI port scan failed")
            return self._back_off()
        self._retry = self.retry_s
        return self.poll_s

    def _back_off(self) -> float:
        wait, self._retry = self._retry, min(self._retry * 2, RETRY_MAX_S)
        return wait

    def wanted(self, port_name: str) -> Profile | None:
        """The profile to open `port_name` with, or None to leave it alone."""
        if self.patterns:
            if not any(p.search(port_name) for p in self.patterns):
                return None
            return profile_for(port_name, self.profiles)
        return next((p for p in self.profiles if p.matches(port_name)), None)

    def scan(self) -> None:
        """One hot-plug pass: open what appeared, close what vanished, find LED outputs."""
        if self.ports is None:
            self.ports = open_ports(self.backend)
        inputs = self.ports.inputs()
        if self._unavailable_noted:
            log.info("MIDI is available now")
            self._unavailable_noted = False
        present = set(inputs)
        with self._lock:
            gone = [c for name, c in self._controllers.items() if name not in present]
            for controller in gone:
                log.warning("MIDI: %s is gone; waiting for it to come back", controller.port_name)
                self._close(controller)
                del self._controllers[controller.port_name]
        for name in inputs:
            with self._lock:
                if name in self._controllers:
                    continue
            profile = self.wanted(name)
            if profile is not None:
                self._open(name, profile)
        self._find_outputs()

    def _open(self, name: str, profile: Profile) -> None:
        controls = list(profile.controls) + self.learner.controls
        # values(), not snapshot(): draining here, beside the render loop, could reorder batches
        router = Router(self.registry.params(), self.registry.values(), controls, profile.leds,
                        source=f"{SOURCE}:{name}")
        assert self.ports is not None
        try:
            port = self.ports.open_input(name)
        except OSError as err:
            log.warning("MIDI: cannot open %s: %s", name, err)
            return
        with self._lock:
            self._controllers[name] = _Controller(name, profile, router, port)
        self._wake()  # the worker waits long while nothing is open: read this one from now on
        log.info("MIDI: %s opened with the %s profile", name, profile.name)

    def _find_outputs(self) -> None:
        with self._lock:
            waiting = [c for c in self._controllers.values()
                       if c.profile.leds is not None and c.output is None]
            open_outputs = {c.output_name: c for c in self._controllers.values() if c.output}
        if not waiting and not open_outputs:
            return
        assert self.ports is not None
        outputs = self.ports.outputs()
        for name, controller in open_outputs.items():
            if name not in outputs:
                with self._lock:
                    self._close_output(controller)
        for controller in waiting:
            pattern = controller.profile.led_ports
            name = next((o for o in outputs if pattern and pattern.search(o)), None)
            if name is None:
                continue
            try:
                port = self.ports.open_output(name)
            except OSError as err:
                log.warning("MIDI: cannot open LED output %s: %s", name, err)
                continue
            with self._lock:
                controller.output, controller.output_name = port, name
            log.info("MIDI: LEDs on %s", name)
            self._put(_Sync(controller.port_name))

    def _close(self, controller: _Controller) -> None:
        self._close_output(controller)
        try:
            controller.port.close()
        except Exception as err:
            log.debug("closing %s: %s", controller.port_name, err)

    def _close_output(self, controller: _Controller) -> None:
        if controller.output is not None:
            try:
                controller.output.close()
            except Exception as err:
                log.debug("closing %s: %s", controller.output_name, err)
        controller.output, controller.output_name = None, None

    # --- the worker -------------------------------------------------------------------
    def _put(self, message: _Message) -> None:
        try:
            self._inbox.put_nowait(message)
        except queue.Full:
            self.dropped += 1

    def _on_change(self, change: ParamChange) -> None:
        self._put(_Changed(change))

    def _wake(self) -> None:
        """Cut the worker's wait short; a full inbox wakes it anyway, so a refusal is fine."""
        with contextlib.suppress(queue.Full):
            self._inbox.put_nowait(_Wake())

    def _work(self) -> None:
        while self._running.is_set():
            with self._lock:
                reading = bool(self._controllers)
            timeout = READ_S if reading else 0.5
            if self._timers:
                timeout = max(0.0, min(timeout, self._timers[0][0] - time.perf_counter()))
            try:
                message: _Message | None = self._inbox.get(timeout=timeout)
            except queue.Empty:
                message = None
            batch: list[ParamChange] = []
            markers: list[threading.Event] = []
            while message is not None:
                if not self._running.is_set():
                    return
                if isinstance(message, _Marker):
                    markers.append(message.handled)
                try:
                    self._handle(message)
                except Exception:  # one bad message must not stop the listener
                    log.exception("MIDI: handling %s failed", message)
                try:
                    message = self._inbox.get_nowait()
                except queue.Empty:
                    message = None
            self._read(batch)
            if batch and not self.registry.submit(batch):
                log.warning("MIDI: the registry queue is full; %d change(s) dropped", len(batch))
            self._fire_timers()
            for handled in markers:  # after the read: what the inputs held is handled too
                handled.set()

    def _read(self, batch: list[ParamChange]) -> None:
        """Everything the open inputs received since the last read."""
        with self._lock:  # the poller closes ports under the same lock
            arrived = [(c.port_name, c.port.receive()) for c in self._controllers.values()]
        for port_name, messages in arrived:
            for when, message in messages:
                try:
                    self._message(when, port_name, message, batch)
                except Exception:  # one bad message must not stop the listener
                    log.exception("MIDI: handling %s failed", message)

    def _handle(self, message: _Message) -> None:
        if isinstance(message, _Changed):
            self._change(message.change)
        elif isinstance(message, _Sync):
            self._sync(message.port_name)
        # _Wake has done its work by arriving; a _Marker is set after the read

    def _sync(self, port_name: str) -> None:
        with self._lock:
            controller = self._controllers.get(port_name)
        if controller is not None:
            for light in controller.router.all_lights():
                self._send(controller, light)

    def _message(self, when: float, port: str, message: mido.Message,
                 batch: list[ParamChange]) -> None:
        if message.type in CLOCK_TYPES:
            bpm = self.clock.message(message.type, when)
            if message.type == "start":  # the sequencer's bar 1: drift.bars counts from here
                batch.append(ParamChange("tempo.downbeat", True, SOURCE))
                self._pulses = 0
            elif message.type == "clock" and self.clock.running:
                self._pulses += 1
                if self._pulses > 1 and self._pulses % PULSES_PER_BAR == 1:  # a bar's first
                    # pulse (bar 1 is the start's downbeat): synced LFOs stay on the bars
                    batch.append(ParamChange("tempo.bar", True, SOURCE))
            if bpm is not None and self._tempo_due(bpm, when):
                self._last_bpm, self._last_bpm_at = bpm, when
                batch.append(ParamChange("tempo.bpm", round(bpm, 1), SOURCE))
            return
        with self._lock:
            controller = self._controllers.get(port)
        if controller is None:
            return
        if self.learner.armed is not None:
            learned = self.learner.bind(message)
            if learned is not None:
                with self._lock:
                    for each in self._controllers.values():
                        each.router.add(learned)
                return
        batch.extend(controller.router.route(message))

    def _tempo_due(self, bpm: float, when: float) -> bool:
        """Write the followed tempo at most BPM_WRITES_PER_S times a second (a clock ticks
        48 times a second at 120 BPM, and listeners need not hear each jitter), except
        for a real tempo change."""
        if self._last_bpm is None:
            return True
        change = abs(bpm - self._last_bpm)
        if change >= 1.0:
            return True
        return change >= 0.05 and when - self._last_bpm_at >= 1.0 / BPM_WRITES_PER_S

    def _change(self, change: ParamChange) -> None:
        if self.learner.notice(change):
            return
        with self._lock:
            controllers = list(self._controllers.values())
        for controller in controllers:
            controller.router.notice(change)
            for delay, message in controller.router.lights(change):
                if delay <= 0:
                    self._send(controller, message)
                else:
                    self._timer_seq += 1
                    heapq.heappush(self._timers, (time.perf_counter() + delay, self._timer_seq,
                                                  controller.port_name, message))

    def _fire_timers(self) -> None:
        now = time.perf_counter()
        while self._timers and self._timers[0][0] <= now:
            _, _, port, message = heapq.heappop(self._timers)
            with self._lock:
                controller = self._controllers.get(port)
            if controller is not None:
                self._send(controller, message)

    def _send(self, controller: _Controller, message: mido.Message) -> None:
        with self._lock:  # the poller closes outputs under the same lock
            output = controller.output
            if output is None:
                return
            try:
                output.send(message)
            except Exception as err:  # the controller vanished between two scans
                log.debug("MIDI: LED message to %s failed: %s", controller.output_name, err)

# --- command line -----------------------------------------------------------------------


def start(args: argparse.Namespace, show: Show) -> MidiService | None:
    if getattr(args, "no_midi", False):
        return None
    backend = choose_backend(args.midi_api)
    user_path = args.midi_mapping or user_midi_mapping()
    service = MidiService(show.registry, backend, args.midi, user_path=user_path)
    return service.start()


def list_ports(args: argparse.Namespace) -> int:
    """`performer midi list`: inputs and outputs, with the profile each would use."""
    try:
        ports = open_ports(choose_backend(args.midi_api))
        inputs, outputs = ports.inputs(), ports.outputs()
        ports.close()
    except MidiUnavailable as err:
        print(f"performer: {err}")
        print("performer: on Linux, ALSA needs /dev/snd/seq; for JACK use --midi-api jack "
              "with a running JACK server")
        return 1
    from performer.controls import declare

    profiles = builtin_profiles(declare(()))
    print(f"MIDI inputs ({ports.backend_name}):")
    for name in inputs or ["(none)"]:
        match = next((p.name for p in profiles if p.matches(name)), None)
        note = f"  -> {match}" if match else ""
        print(f"  {name}{note}")
    print("MIDI outputs:")
    for name in outputs or ["(none)"]:
        print(f"  {name}")
    return 0

