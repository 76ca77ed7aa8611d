"""Screen and neuron-grid layouts: pure functions, no GL."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from performer.render.layout import (
    TINT_COUNT,
    Rect,
    fit_rect,
    grid_layout,
    grid_origin,
    screen_layout,
)

layer_lists = st.lists(st.integers(1, 600), min_size=1, max_size=24).map(tuple)
panel_sides = st.integers(40, 2000)


@settings(max_examples=200, deadline=None)
@given(layer_lists, panel_sides, panel_sides)
def test_grid_gives_each_neuron_its_own_cell_in_layer_blocks(sizes, width, height) -> None:
    grid = grid_layout(sizes, width, height)
    total = sum(sizes)
    assert grid.total == total
    assert len(np.unique(grid.cells)) == total
    assert grid.cells.min() >= 0 and grid.cells.max() < grid.rows * grid.columns
    assert grid.tint.shape == (grid.rows, grid.columns)
    # The grid fits its panel.
    assert grid.columns * grid.cell <= width + 1e-9
    assert grid.rows * grid.cell <= height + 1e-9

    row, col = np.divmod(grid.cells, grid.columns)
    starts = np.cumsum((0, *sizes))
    for layer, (start, end) in enumerate(itertools.pairwise(starts)):
        # Each layer starts at the left of a fresh row and fills rows left to right.
        assert col[start] == 0
        assert (np.diff(grid.cells[start:end]) == 1).all()
        # Cells carry the layer's tint; nothing else in the grid does.
        assert (grid.tint.reshape(-1)[grid.cells[start:end]] == layer % TINT_COUNT + 1).all()
        if layer:
            gap = row[start] - 1
            assert gap == row[start - 1] + 1  # exactly one empty row between layers
            assert (grid.tint[gap] == 0).all()
    assert np.count_nonzero(grid.tint) == total


def test_grid_prefers_large_square_cells() -> None:
    grid = grid_layout((100,), 1000, 1000)
    assert (grid.columns, grid.rows, grid.cell) == (10, 10, 100.0)
    wide = grid_layout((100,), 2000, 500)
    assert (wide.columns, wide.rows, wide.cell) == (20, 5, 100.0)
    # 8,064 channels beside a face at 1080p still get 5+ pixel cells.
    big = grid_layout((512,) * 14 + (256, 256, 128, 128, 64, 64), 796, 1036)
    assert big.cell >= 5


def test_grid_needs_neurons() -> None:
    with pytest.raises(ValueError, match="at least one neuron"):
        grid_layout((), 100, 100)


def test_grid_is_centred_on_whole_pixels() -> None:
    panel = Rect(10, 20, 300, 200)
    grid = grid_layout((7,), panel.w, panel.h)
    left, top = grid_origin(grid, panel)
    assert left == round(left) and top == round(top)
    assert abs((left - panel.x) - (panel.x + panel.w - (left + grid.columns * grid.cell))) <= 1
    assert abs((panel.y + panel.h - top) - (top - grid.rows * grid.cell - panel.y)) <= 1


@settings(max_examples=200, deadline=None)
@given(st.floats(0.2, 5.0), st.integers(1, 3000), st.integers(1, 3000))
def test_fit_rect_keeps_aspect_inside_and_centred(aspect, width, height) -> None:
    area = Rect(3, 5, width, height)
    rect = fit_rect(aspect, area)
    assert rect.x >= area.x and rect.y >= area.y
    assert rect.x + rect.w <= area.x + area.w and rect.y + rect.h <= area.y + area.h
    assert rect.w == area.w or rect.h == area.h  # as large as it can be
    assert abs(rect.w - rect.h * aspect) <= max(1.0, aspect)  # rounding to whole pixels
    assert abs((rect.x - area.x) - (area.x + area.w - rect.x - rect.w)) <= 1


def test_screen_layout_puts_the_map_beside_or_over_the_face() -> None:
    plain = screen_layout((1920, 1080), (64, 64), show_map=False)
    assert plain.face == Rect(420, 0, 1080, 1080) and plain.map is None

    side = screen_layout((1920, 1080), (64, 64), show_map=True)
    assert not side.overlay and side.map is not None
    assert side.face == Rect(0, 0, 1080, 1080)
    assert side.map.x >= side.face.x + side.face.w  # no overlap
    assert side.map.x + side.map.w <= 1920 and side.map.y + side.map.h <= 1080

    narrow = screen_layout((1024, 768), (64, 64), show_map=True)
    assert narrow.overlay and narrow.map is not None
    assert narrow.face == Rect(128, 0, 768, 768)
    assert narrow.map.w > narrow.face.w  # over the whole picture, bars included
