"""The parameter registry: declarations, coercion, snapshots, queues, listeners, threads."""

from __future__ import annotations

import logging
import math
import threading
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from performer.controls import ALL_LAYERS, ORDERS, declare, make_registry
from performer.params import Curve, Kind, Param, ParamChange, ParamError, Registry, Snapshot
from tests.helpers import LAYERS

PARAMS = {p.name: p for p in declare(LAYERS)}
RATE_MAX = PARAMS["ablation.rate"].maximum


@pytest.fixture
def registry() -> Registry:
    return make_registry(LAYERS)


def in_domain(param: Param, value: object) -> bool:
    """Whether `value` is something `param` may hold."""
    if param.kind is Kind.CHOICE:
        return value in param.choices
    if param.kind in (Kind.TOGGLE, Kind.TRIGGER):
        return isinstance(value, bool)
    if param.kind is Kind.INT and (isinstance(value, bool) or not isinstance(value, int)):
        return False
    if param.kind is Kind.FLOAT and not isinstance(value, float):
        return False
    return param.minimum <= value <= param.maximum  # type: ignore[operator]


# --- declarations ---------------------------------------------------------------------


def test_declarations_are_complete_and_consistent() -> None:
    params = declare(LAYERS)
    assert len({p.name for p in params}) == len(params)
    for param in params:
        assert param.group in ("ablation", "drift", "output", "tempo", "scene", "midi", "lfo",
                               "env", "audio", "route"), param.name
        assert param.description.strip(), param.name
        assert in_domain(param, param.coerce(param.default)), param.name
        assert param.coerce(param.default) == param.default, param.name
    assert PARAMS["ablation.layer"].choices == (ALL_LAYERS, *LAYERS)
    assert PARAMS["ablation.order"].choices == ORDERS


def test_unknown_parameter(registry: Registry) -> None:
    assert "ablation.rate" in registry and "ablation.nope" not in registry
    with pytest.raises(ParamError, match=r"ablation\.nope"):
        registry.set("ablation.nope", 1.0)
    with pytest.raises(ParamError, match=r"ablation\.nope"):
        registry.value("ablation.nope")


# --- coercion ---------------------------------------------------------------------------


def test_numbers_are_clamped(registry: Registry) -> None:
    assert registry.set("ablation.rate", 1e9) == RATE_MAX
    assert registry.value("ablation.rate") == RATE_MAX
    assert registry.set("ablation.rate", -5) == 0.0
    assert registry.set("drift.glide", 3.25) == 3.25
    assert registry.set("drift.glide", 11) == 10.0
    assert registry.set("ablation.rate", float("inf")) == RATE_MAX
    assert registry.set("ablation.seed", -7) == 0
    assert registry.set("ablation.seed", 41.6) == 42
    assert isinstance(registry.value("ablation.seed"), int)
    assert registry.set("ablation.seed", 2**40) == 2**31 - 1


def test_nan_is_refused_and_the_value_kept(registry: Registry) -> None:
    registry.set("ablation.rate", 12.0)
    for name in ("ablation.rate", "ablation.seed", "ablation.revive", "ablation.order"):
        before = registry.value(name)
        with pytest.raises(ParamError, match="NaN"):
            registry.set(name, math.nan)
        assert registry.value(name) == before
    with pytest.raises(ParamError, match="NaN"):
        registry.set_normalized("ablation.rate", math.nan)
    with pytest.raises(ParamError, match="NaN"):
        registry.nudge("ablation.rate", math.nan)
    assert registry.value("ablation.rate") == 12.0


def test_strings_are_not_numbers(registry: Registry) -> None:
    with pytest.raises(ParamError, match="expected a number"):
        registry.set("ablation.rate", "12")
    with pytest.raises(ParamError, match="expected a number"):
        registry.set("ablation.revive", "on")
    with pytest.raises(ParamError, match="expected a number"):
        registry.set("ablation.rate", None)


def test_toggles_and_triggers_are_booleans(registry: Registry) -> None:
    assert registry.set("ablation.revive", 1) is True
    assert registry.set("ablation.revive", 0.0) is False
    assert registry.set("drift.freeze", 0.5) is True


def test_choice_by_name_any_case(registry: Registry) -> None:
    assert registry.set("ablation.order", "MAGNITUDE") == "magnitude"
    assert registry.set("ablation.order", "Importance") == "importance"
    assert registry.set("ablation.layer", "BLOCK2") == "block2"
    assert registry.value("ablation.layer") == "block2"
    with pytest.raises(ParamError, match="random, index, magnitude, importance"):
        registry.set("ablation.order", "loudest")
    assert registry.value("ablation.order") == "importance"


def test_choice_by_index(registry: Registry) -> None:
    assert registry.set("ablation.order", 2) == "magnitude"
    assert registry.set("ablation.order", 0.6) == "index"  # rounded
    assert registry.set("ablation.order", 99) == "importance"  # clamped to the last
    assert registry.set("ablation.order", -3) == "random"  # clamped to the first
    assert registry.set("ablation.layer", 4) == "block3"
    with pytest.raises(ParamError):
        registry.set("ablation.order", True)  # a toggle's value is no index


def test_cycle_wraps(registry: Registry) -> None:
    assert registry.cycle("ablation.fill") == "noise"  # default mean -> noise
    assert registry.cycle("ablation.fill") == "zero"  # wraps
    assert registry.cycle("ablation.fill", step=-1) == "noise"
    with pytest.raises(ParamError):
        registry.cycle("ablation.rate")


def refused_or_in_domain(param: Param, value: object) -> bool:
    try:
        result = param.coerce(value)
    except ParamError:
        return True
    return in_domain(param, result)


def test_huge_integer_is_a_param_error_or_clamped() -> None:
    # A MIDI/OSC listener validates with coerce and catches ParamError; anything else
    # escaping from coerce kills the listener (or, in drain, the engine's frame).
    for name in ("ablation.rate", "ablation.seed", "ablation.order", "drift.freeze"):
        assert refused_or_in_domain(PARAMS[name], 10**400), name
        assert refused_or_in_domain(PARAMS[name], -(10**400)), name


def test_choice_index_infinity_is_a_param_error_or_clamped() -> None:
    for value in (math.inf, -math.inf):
        assert refused_or_in_domain(PARAMS["ablation.order"], value)


def test_a_bad_submitted_batch_does_not_break_the_frame(registry: Registry) -> None:
    """drain() runs inside snapshot(), on the engine thread: a bad value must be dropped."""
    registry.submit(ParamChange("ablation.order", 10**400, source="osc"))
    registry.submit(ParamChange("ablation.rate", 10**400, source="osc"))
    registry.submit(ParamChange("drift.speed", 0.5, source="osc"))
    snap = registry.snapshot()
    assert snap["drift.speed"] == 0.5  # the batches behind the bad ones still land
    assert snap["ablation.order"] in ORDERS
    assert 0.0 <= snap.float("ablation.rate") <= RATE_MAX


values = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.integers()
    | st.text(max_size=12)
    | st.booleans()
    | st.none()
)


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(PARAMS)), value=values)
@example(name="ablation.rate", value=10**400)
@example(name="ablation.order", value=math.inf)
@example(name="ablation.layer", value=-(10**400))
def test_coerce_raises_param_error_or_returns_an_in_range_value(name: str, value: object) -> None:
    param = PARAMS[name]
    try:
        result = param.coerce(value)
    except ParamError:
        return
    assert in_domain(param, result), (value, result)
    assert param.coerce(result) == result  # coercion is idempotent


# --- normalized positions ---------------------------------------------------------------


def test_square_curve_gives_fine_control_near_zero(registry: Registry) -> None:
    param = PARAMS["ablation.rate"]
    assert param.curve is Curve.SQUARE
    assert registry.set_normalized("ablation.rate", 0.5) == 0.25 * RATE_MAX  # 0.5² × max
    assert registry.normalized("ablation.rate") == 0.5
    assert registry.set_normalized("ablation.rate", 0.1) == pytest.approx(0.01 * RATE_MAX)
    assert registry.set_normalized("output.blackout", 0.5) == 0.5  # linear
    assert registry.set_normalized("ablation.rate", 7.0) == RATE_MAX  # clamped position


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(["ablation.rate", "drift.speed", "drift.glide", "output.blackout"]),
    position=st.floats(0.0, 1.0),
)
def test_normalized_round_trip(name: str, position: float) -> None:
    param = PARAMS[name]
    value = param.from_normalized(position)
    assert param.minimum <= value <= param.maximum  # type: ignore[operator]
    assert param.to_normalized(value) == pytest.approx(position, abs=1e-9)


def test_normalized_choices_and_toggles_round_trip() -> None:
    param = PARAMS["ablation.layer"]
    for choice in param.choices:
        assert param.from_normalized(param.to_normalized(choice)) == choice
    assert PARAMS["ablation.revive"].from_normalized(0.7) is True
    assert PARAMS["ablation.revive"].to_normalized(True) == 1.0


def test_normalized_int_is_an_int() -> None:
    value = PARAMS["ablation.seed"].from_normalized(0.5)
    assert isinstance(value, int) and value == round(0.5 * (2**31 - 1))


# --- snapshots and triggers -----------------------------------------------------------


def test_snapshot_is_a_frozen_copy(registry: Registry) -> None:
    registry.set("drift.speed", 0.25)
    snap = registry.snapshot()
    registry.set("drift.speed", 1.0)
    assert snap.float("drift.speed") == 0.25
    assert set(snap) == set(PARAMS) and len(snap) == len(PARAMS)
    assert snap.str("ablation.order") == "importance" and snap.int("drift.seed") == 0
    assert snap.bool("drift.freeze") is False


def test_triggers_fire_once_per_snapshot(registry: Registry) -> None:
    assert registry.snapshot().fired == frozenset()
    registry.set("drift.new", True)
    registry.set("drift.new", True)  # twice before a frame: one firing
    registry.set("ablation.reset", 0)  # a released button fires nothing
    assert registry.snapshot(consume_triggers=False).fired == {"drift.new"}  # a peek
    assert registry.snapshot().fired == {"drift.new"}
    assert registry.snapshot().fired == frozenset()
    registry.submit(ParamChange("ablation.reset", 1, source="midi"))
    assert registry.snapshot().fired == {"ablation.reset"}
    assert registry.value("drift.new") is False  # triggers hold no value


def test_snapshot_type() -> None:
    snap = Snapshot({"a": 1.5}, {"t": (0.0,)})
    assert snap["a"] == 1.5 and snap.float("a") == 1.5 and "t" in snap.fired


# --- queued, atomic batches -------------------------------------------------------------


def test_submitted_changes_land_on_the_next_snapshot(registry: Registry) -> None:
    assert registry.submit(ParamChange("drift.speed", 0.5, source="osc"))
    assert registry.value("drift.speed") == 0.0  # queued, not applied
    assert registry.snapshot().float("drift.speed") == 0.5


def test_a_batch_with_a_bad_change_is_dropped_whole(registry: Registry) -> None:
    registry.submit([ParamChange("drift.speed", 0.5), ParamChange("ablation.order", "loudest")])
    registry.submit([ParamChange("drift.glide", 4.0)])
    snap = registry.snapshot()
    assert snap.float("drift.speed") == 0.0  # the good half did not land either
    assert snap.float("drift.glide") == 4.0
    assert registry.dropped == 1


def test_apply_validates_everything_before_storing(registry: Registry) -> None:
    with pytest.raises(ParamError):
        registry.apply([ParamChange("drift.speed", 0.5), ParamChange("drift.glide", math.nan)])
    assert registry.value("drift.speed") == 0.0


def test_batches_are_atomic_under_concurrency(registry: Registry) -> None:
    """A writer submits pairs that always agree; no snapshot may see half a pair."""
    rounds = 3000
    done = threading.Event()

    def writer() -> None:
        for i in range(1, rounds + 1):
            value = i / rounds
            batch = [ParamChange("output.blackout", value), ParamChange("output.crossfade", value)]
            while not registry.submit(batch):  # queue full: wait for the reader to drain
                pass
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen = 0
    while not done.is_set() or seen < 3:
        snap = registry.snapshot()
        assert snap["output.blackout"] == snap["output.crossfade"]
        seen += 1
    thread.join()
    final = registry.snapshot()
    assert final["output.blackout"] == final["output.crossfade"] == 1.0


def test_bounded_queue_counts_drops() -> None:
    registry = Registry(declare(LAYERS), queue_size=3)
    results = [registry.submit(ParamChange("drift.seed", i)) for i in range(1, 6)]
    assert results == [True, True, True, False, False]
    assert registry.dropped == 2
    assert registry.snapshot().int("drift.seed") == 3  # the queued ones, in order
    assert registry.submit(ParamChange("drift.seed", 9))  # room again after the drain
    assert registry.snapshot().int("drift.seed") == 9
    assert registry.dropped == 2


# --- listeners ----------------------------------------------------------------------------


def test_listeners_hear_applied_changes(registry: Registry) -> None:
    heard: list[ParamChange] = []
    unsubscribe = registry.subscribe(heard.append)
    registry.set("ablation.rate", 1e9, source="midi")
    registry.set("ablation.rate", RATE_MAX)  # no change: nothing to tell
    registry.set("drift.new", True, source="osc")
    registry.nudge("drift.seed", 2, source="keyboard")
    assert heard == [
        ParamChange("ablation.rate", RATE_MAX, "midi"),
        ParamChange("drift.new", True, "osc"),
        ParamChange("drift.seed", 2, "keyboard"),
    ]
    unsubscribe()
    registry.set("ablation.rate", 1.0)
    assert len(heard) == 3


def test_a_raising_listener_does_not_break_the_others(
    registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[str] = []

    def broken(change: ParamChange) -> None:
        raise RuntimeError("LED controller unplugged")

    registry.subscribe(broken)
    registry.subscribe(lambda change: heard.append(change.name))
    with caplog.at_level(logging.ERROR, logger="performer.params"):
        assert registry.set("drift.speed", 0.5) == 0.5
        registry.nudge("drift.speed", 0.25)
    assert heard == ["drift.speed", "drift.speed"]
    assert registry.value("drift.speed") == 0.75
    failures = [r for r in caplog.records if "listener failed" in r.getMessage()]
    assert len(failures) == 2 and failures[0].exc_info is not None


# --- nudging ------------------------------------------------------------------------------


def test_nudge_clamps_and_refuses_non_numbers(registry: Registry) -> None:
    assert registry.nudge("ablation.dead", 0.75) == 0.75
    assert registry.nudge("ablation.dead", 0.75) == 1.0
    assert registry.nudge("ablation.dead", -3.0) == 0.0
    with pytest.raises(ParamError, match="numeric"):
        registry.nudge("ablation.order", 1)
    with pytest.raises(ParamError, match="numeric"):
        registry.nudge("drift.freeze", 1)


def test_concurrent_nudges_sum_exactly(registry: Registry) -> None:
    threads_n, nudges = 8, 500
    step = 2.0**-7  # exact in binary, so the expected sum is exact
    heard: list[ParamChange] = []
    registry.subscribe(heard.append)
    start = threading.Barrier(threads_n)

    def nudger() -> None:
        start.wait()
        for _ in range(nudges):
            registry.nudge("ablation.rate", step)
            registry.nudge("drift.seed", 1)

    threads = [threading.Thread(target=nudger) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert registry.value("ablation.rate") == threads_n * nudges * step
    assert registry.value("drift.seed") == threads_n * nudges
    assert len(heard) == 2 * threads_n * nudges  # every nudge changed the value once


class SlowNumber:
    """A number that takes a moment to read: it widens the gap between taking a batch off
    the queue and storing it, where a second drainer could overtake."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __float__(self) -> float:
        time.sleep(0.0002)
        return float(self.value)


def test_concurrent_drains_apply_batches_in_order(registry: Registry) -> None:
    """The engine, the display and the listeners may all drain: the newest value wins."""
    for trial in range(10):
        stop = threading.Event()

        def drainer(stop: threading.Event) -> None:
            while not stop.is_set():
                registry.drain()

        threads = [threading.Thread(target=drainer, args=(stop,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for i in range(1, 201):
            registry.submit(ParamChange("ablation.seed", SlowNumber(trial * 1000 + i), "osc"))
            if i % 20 == 0:
                time.sleep(0.001)
        stop.set()
        for thread in threads:
            thread.join()
        registry.drain()
        assert registry.value("ablation.seed") == trial * 1000 + 200


def test_values_reads_without_applying_or_consuming(registry: Registry) -> None:
    registry.submit(ParamChange("ablation.dead", 0.5, "osc"))
    registry.set("ablation.reset", True)
    values = registry.values()
    assert values.float("ablation.dead") == 0.0  # still queued
    assert "ablation.reset" in values.fired
    assert "ablation.reset" in registry.snapshot().fired  # not consumed by values()
    assert registry.value("ablation.dead") == 0.5


def test_midi_learn_offers_the_models_own_controls() -> None:
    from performer.models.stylegan2.params import stylegan2_params

    registry = make_registry(["b4.conv1"], stylegan2_params(class_count=0))
    registry.set("midi.learn", "model.truncation", "osc")
    assert registry.value("midi.learn") == "model.truncation"
    assert "midi.learn" not in registry.param("midi.learn").choices


def test_the_models_layers_are_read_back_from_the_registry() -> None:
    from performer.controls import layer_names

    assert layer_names(make_registry(LAYERS)) == LAYERS
