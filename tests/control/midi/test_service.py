"""Real MIDI ports through a JACK dummy server: virtual ports play the controllers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mido
import pytest
import rtmidi

from performer.control.midi.mapping import Source
from performer.control.midi.ports import CLIENT_LOCK, RtOutPort, open_ports, quiet
from performer.control.midi.service import MidiService
from performer.control.show import Show
from performer.engine.engine import Engine
from performer.params import ParamChange, Registry
from tests.helpers import drains_to, wait_until

EngineFactory = Callable[..., Engine]
LIMIT = 15.0  # only guards against a hang; hot-plug is checked at 2 s below


def cc(number: int, value: int, channel: int = 0) -> mido.Message:
    return mido.Message("control_change", channel=channel, control=number, value=value)


def receive_until(port: LedReceiver, wanted: Callable[[mido.Message], bool]) -> list[mido.Message]:
    """Every message received on `port` until one is `wanted` (that one last)."""
    got: list[mido.Message] = []

    def arrived() -> bool:
        while (message := port.poll()) is not None:
            got.append(message)
            if wanted(message):
                return True
        return False

    wait_until(arrived, LIMIT, interval=0.002, what=f"a wanted LED message ({got} so far)")
    return got


class LedReceiver:
    """A controller's own input port (where LED messages go), read by polling.

    python-rtmidi directly, not a mido input: mido's inputs call into Python from JACK's
    process thread, which can deadlock against a thread that opens a port (`ports`).
    """

    def __init__(self, name: str) -> None:
        with CLIENT_LOCK:
            self._rt = quiet(rtmidi.MidiIn(rtmidi.API_UNIX_JACK, "controller"))
            self._rt.open_virtual_port(name)

    def poll(self) -> mido.Message | None:
        event = self._rt.get_message()
        return None if event is None else mido.Message.from_bytes(event[0])

    def __enter__(self) -> LedReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        with CLIENT_LOCK:
            self._rt.close_port()
            self._rt.delete()


class Controller(RtOutPort):
    """A virtual output port that plays a controller. It lives in this process, beside
    performer's own clients, so it opens and closes under performer's client lock, and is
    quiet like performer's own ports (see `ports.quiet`)."""

    def __init__(self, name: str) -> None:
        with CLIENT_LOCK:
            rt = quiet(rtmidi.MidiOut(rtmidi.API_UNIX_JACK))  # "RtMidiOut Client"
            rt.open_virtual_port(name)
        super().__init__(rt, name)

    def __enter__(self) -> Controller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def services() -> Iterator[list[MidiService]]:
    started: list[MidiService] = []
    yield started
    for service in started:
        service.stop()


def start(services: list[MidiService], registry: Registry, jack: str, tmp_path: Path,
          **kwargs: Any) -> MidiService:
    service = MidiService(registry, jack, user_path=tmp_path / "midi.toml", **kwargs).start()
    services.append(service)
    return service


def test_list_names_the_virtual_ports(jack: str) -> None:
    with Controller("listed knobs"), LedReceiver("listed lights"):
        ports = open_ports(jack)
        try:
            assert any(n.endswith(":listed knobs") for n in ports.inputs())
            assert any(n.endswith(":listed lights") for n in ports.outputs())
        finally:
            ports.close()


def test_a_profile_port_opens_by_itself_and_a_fader_reaches_the_next_frame(
        jack: str, engine_factory: EngineFactory,
        services: list[MidiService], tmp_path: Path) -> None:
    engine = engine_factory()
    registry = engine.registry
    before = engine.step()
    assert before.neurons.alive_count == before.neurons.total
    with Controller("nanoKONTROL2 frame test") as knobs:
        service = start(services, registry, jack, tmp_path)
        wait_until(lambda: any("nanoKONTROL2 frame test" in n for n in service.connected()))
        knobs.send(cc(0, 127))  # fader 1 -> ablation.dead 1.0
        knobs.send(cc(16, 127))  # knob 1 -> ablation.rate 2000
        frames = []

        def all_dead_in_the_next_frame() -> bool:  # its own snapshot applies the batch
            frames.append(engine.step())
            return frames[-1].neurons.alive_count == 0

        wait_until(all_dead_in_the_next_frame, what="the fader to reach a frame")
        assert registry.value("ablation.dead") == 1.0
        wait_until(drains_to(registry, "ablation.rate", 2000.0))
        assert not (frames[-1].image == before.image).all()


def test_midi_option_opens_an_unknown_controller_with_the_generic_profile(
        jack: str, registry_factory: Callable[..., Registry],
        services: list[MidiService], tmp_path: Path) -> None:
    registry = registry_factory()
    with Controller("Mystery Knobs 8") as knobs:
        auto = start(services, registry, jack, tmp_path)
        auto.scan()
        assert auto.connected() == []  # no profile claims it: left alone
        chosen = start(services, registry, jack, tmp_path, patterns=["mystery kn.bs"])
        wait_until(lambda: chosen.connected() != [])
        knobs.send(cc(71, 127, channel=5))  # generic knob 2 (any channel) -> drift.speed
        wait_until(drains_to(registry, "drift.speed", 2.0))


def test_leds_light_for_buttons_keys_and_triggers(
        jack: str, registry_factory: Callable[..., Registry],
        services: list[MidiService], tmp_path: Path) -> None:
    registry = registry_factory({"drift.freeze": True})
    with Controller("nanoKONTROL2 led test") as knobs, \
            LedReceiver("nanoKONTROL2 led test lights") as lights:
        service = start(services, registry, jack, tmp_path)
        wait_until(lambda: service.connected() != [])
        wait_until(lambda: service.led_output(service.connected()[0]) is not None)
        # on connect, every LED shows the current state: freeze (S2, CC 33) is on
        synced = receive_until(lights, lambda m: m.type == "control_change" and m.control == 33)
        assert synced[-1].value == 127

        knobs.send(cc(32, 127))  # S1 press: revive on
        knobs.send(cc(32, 0))
        wait_until(drains_to(registry, "ablation.revive", True))
        lit = receive_until(lights, lambda m: m.type == "control_change" and m.control == 32)
        assert lit[-1].value == 127

        registry.set("drift.freeze", False, "keyboard")  # a key turns its LED off
        dark = receive_until(lights, lambda m: m.type == "control_change" and m.control == 33)
        assert dark[-1].value == 0

        registry.set("ablation.reset", True, "osc")  # a trigger flashes M1 (CC 48)
        flash = receive_until(lights, lambda m: m.type == "control_change" and m.control == 48)
        assert flash[-1].value == 127
        off = receive_until(lights, lambda m: m.type == "control_change" and m.control == 48)
        assert off[-1].value == 0


def test_unplug_and_replug_reconnects_within_two_seconds(
        jack: str, registry_factory: Callable[..., Registry],
        services: list[MidiService], tmp_path: Path) -> None:
    registry = registry_factory()
    name = "nanoKONTROL2 hotplug"
    knobs = Controller(name)
    service = start(services, registry, jack, tmp_path)
    wait_until(lambda: service.connected() != [])
    knobs.send(cc(0, 64))
    wait_until(drains_to(registry, "ablation.dead", pytest.approx(64 / 127)))

    knobs.close()  # unplugged
    wait_until(lambda: service.connected() == [], timeout=2.0)
    registry.set("output.map", True, "keyboard")  # the show goes on meanwhile
    knobs = Controller(name)  # plugged back in
    try:
        wait_until(lambda: service.connected() != [], timeout=2.0)
        knobs.send(cc(0, 127))  # the fader may have moved while unplugged: pick-up first
        knobs.send(cc(0, 64))
        knobs.send(cc(0, 127))
        wait_until(drains_to(registry, "ablation.dead", 1.0))
    finally:
        knobs.close()


def test_a_fast_fader_throw_leaves_the_fader_in_control(
        jack: str, registry_factory: Callable[..., Registry],
        services: list[MidiService], tmp_path: Path) -> None:
    registry = registry_factory()
    with Controller("nanoKONTROL2 throw test") as knobs:
        service = start(services, registry, jack, tmp_path)
        wait_until(lambda: service.connected() != [])
        for value in range(64):  # one burst: far more than one frame's worth of CCs
            knobs.send(cc(0, value))
        wait_until(drains_to(registry, "ablation.dead", pytest.approx(63 / 127)))
        (port,) = service.connected()
        assert service.wait_caught_up()  # every echo of the throw has reached the router
        router = service.router(port)
        assert router is not None
        fader = router.find(Source.CC, 0, 0)
        assert fader is not None and router.engaged(fader)
        knobs.send(cc(0, 100))  # a slow move after the throw still drives it
        wait_until(drains_to(registry, "ablation.dead", pytest.approx(100 / 127)))


def test_learn_binds_the_next_control_saves_it_and_loads_it_next_time(
        jack: str, registry_factory: Callable[..., Registry],
        services: list[MidiService], tmp_path: Path) -> None:
    registry = registry_factory()
    with Controller("nanoKONTROL2 learn test") as knobs:
        service = start(services, registry, jack, tmp_path)
        wait_until(lambda: service.connected() != [])
        registry.set("midi.learn", "drift.glide", "osc")  # as /performer/midi/learn would
        wait_until(lambda: service.learning == "drift.glide")
        knobs.send(cc(7, 127))  # fader 8, unmapped in the profile
        wait_until(drains_to(registry, "midi.learn", "off"))
        assert registry.value("drift.glide") == 2.0  # the learning move itself sets nothing
        knobs.send(cc(7, 0))
        wait_until(drains_to(registry, "drift.glide", 0.0))
        saved = (tmp_path / "midi.toml").read_text()
        assert 'param = "drift.glide"' in saved and "cc = 7" in saved

        # K: learn the parameter last changed from the keyboard
        registry.set("drift.speed", 0.5, "keyboard")
        registry.set("midi.learn", "last", "keyboard")
        wait_until(lambda: service.learning == "drift.speed")
        knobs.send(cc(6, 0))
        wait_until(drains_to(registry, "midi.learn", "off"))
        service.stop()

        again = start(services, registry, jack, tmp_path)  # the next show
        wait_until(lambda: again.connected() != [])
        # both values were changed before this start, so each knob picks its value up first
        for number in (7, 6):
            knobs.send(cc(number, 0))
            knobs.send(cc(number, 127))
        wait_until(drains_to(registry, "drift.glide", 10.0))
        wait_until(drains_to(registry, "drift.speed", 2.0))


def test_midi_clock_sets_the_tempo(
        jack: str, registry_factory: Callable[..., Registry],
        services: list[MidiService], tmp_path: Path) -> None:
    registry = registry_factory()
    with Controller("nanoKONTROL2 clock test") as sequencer:
        seen_downbeat: list[bool] = []
        registry.subscribe(
            lambda c: seen_downbeat.append(True) if c.name == "tempo.downbeat" else None)
        service = start(services, registry, jack, tmp_path)
        wait_until(lambda: service.connected() != [])
        sequencer.send(mido.Message("start"))
        interval = 60.0 / 100.0 / 24  # 100 BPM
        started = time.perf_counter()
        for i in range(3 * 24):
            time.sleep(max(0.0, started + i * interval - time.perf_counter()))
            sequencer.send(mido.Message("clock"))

        def near_100() -> bool:
            registry.drain()
            return abs(float(registry.value("tempo.bpm")) - 100.0) < 5.0

        wait_until(near_100)
        assert seen_downbeat, "a clock start fires tempo.downbeat"
        sequencer.send(mido.Message("stop"))
        wait_until(lambda: not service.clock.running)


def test_a_controller_plugged_in_is_read_at_once(
        jack: str, registry_factory: Callable[..., Registry],
        services: list[MidiService], tmp_path: Path) -> None:
    """With nothing open the worker waits half a second at a time; opening a controller
    wakes it, so the first move is not held back by the rest of that wait."""
    registry = registry_factory()
    service = start(services, registry, jack, tmp_path, poll_s=0.01)
    registry.set("drift.freeze", True, "keyboard")  # the worker wakes, then waits anew
    assert service.wait_caught_up()  # the new wait has begun
    with Controller("nanoKONTROL2 plug test") as knobs:
        wait_until(lambda: service.connected() != [])
        sent = time.perf_counter()
        knobs.send(cc(0, 64))
        wait_until(drains_to(registry, "ablation.dead", pytest.approx(64 / 127)))
        assert time.perf_counter() - sent < 0.25  # the old wait left 0.4 s or more


def test_connecting_a_controller_leaves_the_registry_queue_to_the_render_loop(
        jack: str, registry_factory: Callable[..., Registry],
        services: list[MidiService], tmp_path: Path) -> None:
    """Only the render loop drains the registry (two drainers could reorder batches)."""
    registry = registry_factory()
    registry.submit(ParamChange("drift.speed", 1.5, "osc"))
    with Controller("nanoKONTROL2 drain test"):
        service = start(services, registry, jack, tmp_path)
        wait_until(lambda: service.connected() != [])
        assert registry.value("drift.speed") != 1.5  # still queued
        registry.drain()
        assert registry.value("drift.speed") == 1.5


def test_stop_ends_the_worker_even_with_a_full_inbox(
        jack: str, registry_factory: Callable[..., Registry], services: list[MidiService],
        tmp_path: Path) -> None:
    """stop()'s wake-up cannot be queued when the inbox is full; the worker still ends.

    The worker is held inside its registry submission until stop() has begun; once
    released it takes nothing more from the inbox, so the wake-up surely meets a full one.
    """
    registry = registry_factory()
    held, release = threading.Event(), threading.Event()

    def hold_the_worker() -> None:  # only the worker submits here
        held.set()
        release.wait(LIMIT)

    registry.watch_submissions(hold_the_worker)
    with Controller("nanoKONTROL2 stop test") as knobs:
        service = start(services, registry, jack, tmp_path)
        wait_until(lambda: service.connected() != [])
        knobs.send(cc(0, 64))
        wait_until(held.is_set)
        flip = False
        while service.dropped == 0:  # fill the inbox: every change is a message for it
            flip = not flip
            registry.set("drift.freeze", flip, "keyboard")
        stopper = threading.Thread(target=service.stop)
        stopper.start()
        wait_until(lambda: not service.running)
        release.set()
        stopper.join(LIMIT)
        assert not stopper.is_alive()
        assert service.alive() == []


def test_the_poller_says_once_that_midi_is_off_and_looks_ever_more_rarely(
        jack: str, registry_factory: Callable[..., Registry], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Stepped by hand: no threads, so "no second notice" needs no waiting."""
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "performer-no-such-server")
    caplog.set_level(logging.WARNING, logger="performer.control.midi.service")
    service = MidiService(registry_factory(), jack, user_path=tmp_path / "midi.toml",
                          retry_s=0.05)
    waits = [service.poll_once() for _ in range(4)]
    assert waits == [0.05, 0.1, 0.2, 0.4]
    notices = [r for r in caplog.records if "MIDI is off" in r.message]
    assert len(notices) == 1
    assert "no MIDI subsystem" in notices[0].message


def test_no_midi_subsystem_leaves_the_rest_running(
        jack: str, registry_factory: Callable[..., Registry], services: list[MidiService],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    registry = registry_factory()
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "performer-no-such-server")
    caplog.set_level(logging.WARNING, logger="performer.control.midi.service")
    service = start(services, registry, jack, tmp_path, retry_s=0.05)
    wait_until(lambda: any("MIDI is off" in r.message for r in caplog.records))
    service.stop()
    assert service.alive() == []
    registry.set("ablation.dead", 0.5, "keyboard")
    assert registry.value("ablation.dead") == 0.5


@pytest.mark.usefixtures("without_mido_backend")
def test_midi_list_shows_ports_and_their_profile(
        jack: str, capsys: pytest.CaptureFixture[str]) -> None:
    from performer.app.cli import main

    with Controller("APC MINI list test"), LedReceiver("APC MINI list lights"):
        assert main(["midi", "list", "--midi-api", "jack"]) == 0
    out = capsys.readouterr().out
    assert "MIDI inputs (mido.backends.rtmidi/UNIX_JACK):" in out
    assert "RtMidiOut Client:APC MINI list test  -> Akai APC mini" in out
    assert "controller:APC MINI list lights" in out


def test_run_options_start_the_midi_service_beside_the_window(
        jack: str, registry_factory: Callable[..., Registry],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from performer.app.cli import build_parser
    from performer.control.services import start_services, stop_services

    monkeypatch.setenv("MIDO_BACKEND", jack)
    registry = registry_factory()
    show = Show(registry)
    off = build_parser().parse_args(["run", "--no-midi", "--no-osc", "--no-web"])
    assert start_services(off, show) == []
    args = build_parser().parse_args(
        ["run", "--no-osc", "--no-web", "--midi", "wired knobs", "--midi-mapping",
         str(tmp_path / "mine.toml")])
    with Controller("Wired Knobs 1") as knobs:
        services = start_services(args, show)
        try:
            (service,) = services
            assert isinstance(service, MidiService)
            wait_until(lambda: service.connected() != [])
            knobs.send(cc(21, 127))  # generic knob 1 on the second CC block -> rate
            wait_until(drains_to(registry, "ablation.rate", 2000.0))
            assert service.learner.path == tmp_path / "mine.toml"
        finally:
            stop_services(services)


def test_midi_list_without_alsa_prints_our_notice_only() -> None:
    """libasound's own stderr lines ('ALSA lib seq_hw.c:...') are silenced: the performer
    sees one notice from performer. (Where /dev/snd/seq exists, ALSA opens and the listing
    is printed instead; the libasound lines must not appear either way.)"""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "MIDO_BACKEND"}
    result = subprocess.run(
        [sys.executable, "-m", "performer", "midi", "list", "--midi-api", "alsa"],
        capture_output=True, text=True, timeout=60, env=env)
    output = result.stdout + result.stderr
    assert "ALSA lib" not in output, output
    if not Path("/dev/snd/seq").exists():
        assert result.returncode != 0
        assert output.count("no MIDI subsystem") == 1, output
