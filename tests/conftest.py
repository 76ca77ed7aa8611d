"""Shared fixtures: the real built-in model and its shipped statistics, on the CPU.

Nothing here is faked: every engine in the tests runs the real DCGAN, the real registry
and real masks. Only the clock is the deterministic `FixedClock` a render uses.
Test files import nothing from here: helpers are fixtures, so another conftest.py under
tests/ cannot shadow them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import glfw
import pytest
import torch
from hypothesis import settings

from performer.controls import make_registry
from performer.engine.clock import FixedClock
from performer.engine.engine import Engine
from performer.frame import Frame
from performer.models.base import AblatableGenerator, ChannelMask
from performer.models.loading import load_model
from performer.models.stats import ModelStats, load_or_measure, stats_filename
from performer.params import Registry, Value
from performer.render.window import Display
from tests.helpers import layer_names

CPU = torch.device("cpu")

# Batch-1 inference of a 64×64 DCGAN gains nothing from intra-op threads, and on a shared
# machine OpenMP threads spinning against other processes slow each frame down up to 50×.
torch.set_num_threads(1)

# Property tests draw the same examples on every run by default, so `make test` (and CI)
# never fails on a rare draw nobody can reproduce; HYPOTHESIS_PROFILE=explore draws new
# ones each run (and remembers failures in .hypothesis/) to hunt for more.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def load_builtin() -> tuple[AblatableGenerator, ModelStats]:
    """A freshly loaded built-in model and its shipped statistics (never re-measured)."""
    model = load_model(None, CPU)
    weights: Path = model.weights_path  # type: ignore[assignment]
    shipped = weights.parent / stats_filename(weights)
    assert shipped.exists(), f"the built-in model must ship its statistics: {shipped}"
    return model, load_or_measure(model, weights)


def reset_masks(model: AblatableGenerator) -> None:
    """Every neuron alive, nothing filled: the model as loaded."""
    for mask in model.masks:
        assert isinstance(mask, ChannelMask)
        mask.keep.fill_(1.0)
        mask.fill.zero_()


@pytest.fixture(scope="session", autouse=True)
def own_user_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Shows started by the tests keep their show logs and show files in a folder of the
    test session, never in the user's own (XDG folders; child processes inherit them)."""
    saved = {name: os.environ.get(name) for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME")}
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def builtin() -> tuple[AblatableGenerator, ModelStats]:
    return load_builtin()


@pytest.fixture
def model(builtin: tuple[AblatableGenerator, ModelStats]) -> Iterator[AblatableGenerator]:
    """The session's model with clean masks (tests that ablate it leave no trace)."""
    reset_masks(builtin[0])
    yield builtin[0]
    reset_masks(builtin[0])


@pytest.fixture
def stats(builtin: tuple[AblatableGenerator, ModelStats]) -> ModelStats:
    return builtin[1]


RegistryFactory = Callable[..., Registry]


@pytest.fixture
def registry_factory(model: AblatableGenerator) -> RegistryFactory:
    """`registry_factory(**{"drift.speed": 0.5})`: the declared controls, with values set."""

    def make(values: Mapping[str, Value] | None = None, **kwargs: Value) -> Registry:
        registry = make_registry(layer_names(model))
        for name, value in {**(values or {}), **kwargs}.items():
            registry.set(name, value)
        return registry

    return make


EngineFactory = Callable[..., Engine]


@pytest.fixture
def engine_factory(
    builtin: tuple[AblatableGenerator, ModelStats], model: AblatableGenerator
) -> EngineFactory:
    """`engine_factory({"ablation.rate": 16}, fps=30)`: an engine on a FixedClock.

    `own_model=True` gives the engine a freshly loaded model, so two engines can run side
    by side without sharing masks.
    """

    def make(
        values: Mapping[str, Value] | None = None, fps: float = 30.0, own_model: bool = False
    ) -> Engine:
        gen, st = load_builtin() if own_model else builtin
        registry = make_registry(layer_names(gen))
        for name, value in (values or {}).items():
            registry.set(name, value)
        return Engine(gen, st, registry, FixedClock(fps))

    return make


@pytest.fixture
def fresh_builtin() -> Callable[[], tuple[AblatableGenerator, ModelStats]]:
    """A factory for a separately loaded model + stats (its own masks)."""
    return load_builtin


@pytest.fixture
def run_frames() -> Callable[[Engine, int], list[Frame]]:
    """`run_frames(engine, n)`: step the engine n times and return the frames."""

    def run(engine: Engine, frames: int) -> list[Frame]:
        return [engine.step() for _ in range(frames)]

    return run


# --- a real X server (Xvfb) for the window tests, started once per session if none is set


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is missing: install the Debian package xvfb (make test does this)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield os.environ["DISPLAY"]
    finally:
        del os.environ["DISPLAY"]
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def raise_glfw_errors() -> Iterator[None]:
    previous = glfw.ERROR_REPORTING
    glfw.ERROR_REPORTING = "raise"
    try:
        yield
    finally:
        glfw.ERROR_REPORTING = previous


@pytest.fixture
def display(x_display: str, raise_glfw_errors: None) -> Iterator[Display]:
    """A 640x480 projector window under Xvfb (closed after the test)."""
    shown = Display((640, 480), vsync=False)
    try:
        yield shown
    finally:
        shown.close()
