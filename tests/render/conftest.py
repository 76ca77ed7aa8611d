"""Fixtures for the render tests: real EGL offscreen contexts (Mesa llvmpipe here), no mocks.

Test files import nothing from here; helpers are fixtures.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from performer.frame import Frame, NeuronMap
from performer.params import Snapshot
from performer.render.offscreen import Offscreen, OffscreenError
from performer.render.shaders import builtin_shader_dir


@pytest.fixture
def offscreen() -> Iterator[Callable[[tuple[int, int]], Offscreen]]:
    """Make offscreen targets of any size; all are released after the test."""
    made: list[Offscreen] = []

    def make(size: tuple[int, int]) -> Offscreen:
        try:
            target = Offscreen(size)
        except OffscreenError as err:  # a machine without EGL cannot run these tests at all
            pytest.fail(str(err))
        made.append(target)
        return target

    yield make
    for target in made:
        target.release()


@pytest.fixture
def shader_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped shaders, for editing during a test (hot reload)."""
    target = tmp_path / "shaders"
    shutil.copytree(builtin_shader_dir(), target,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.md"))
    return target


@pytest.fixture
def make_frame() -> Callable[..., Frame]:
    """Frame(image, alive, layer_sizes) with the other fields filled in."""

    def make(image: np.ndarray, alive: np.ndarray | None = None,
             layer_sizes: tuple[int, ...] = (4,), index: int = 0) -> Frame:
        if alive is None:
            alive = np.ones(sum(layer_sizes), dtype=bool)
        names = tuple(f"layer{i}" for i in range(len(layer_sizes)))
        return Frame(index, index / 30.0, np.ascontiguousarray(image),
                     NeuronMap(alive, names, layer_sizes), 1.0, Snapshot({}))

    return make


@pytest.fixture
def test_image() -> np.ndarray:
    """64x64 RGB: smooth gradients plus noise (so filtering differences show), a white
    top-left corner block (so a flip shows)."""
    rng = np.random.default_rng(1234)
    y, x = np.mgrid[0:64, 0:64].astype(np.float64)
    base = np.stack([x * 4, y * 4, 128 + 60 * np.sin(x / 5) * np.cos(y / 7)], axis=-1)
    image = np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)
    image[:6, :6] = 255
    image[-6:, -6:] = 0
    return image
