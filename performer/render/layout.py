"""Where things go on screen: the face's rectangle and the neuron map's grid.

Pure functions of sizes, tested without GL; the pipeline calls them when the window size
or the network's shape changes, never per frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

MapLayout = Literal["auto", "side", "overlay"]

SIDE_MIN_RATIO = 1.5  # "auto" puts the map beside the face when width >= 1.5 x the face's width
MAP_PAD = 0.02  # margin around the map, as a fraction of the viewport's shorter side
TINT_COUNT = 4  # map.frag's palette size: layer l gets tint (l % 4) + 1



@dataclass(frozen=True)
class Rect:
    """Integer pixel rectangle in framebuffer coordinates, GL origin at the bottom left."""

    x: int
    y: int
    w: int
    h: int

    def vec4(self) -> tuple[float, float, float, float]:
        return (float(self.x), float(self.y), float(self.w), float(self.h))


@dataclass(frozen=True)
class ScreenLayout:
    """Where the face and the map go in a viewport."""

    face: Rect
    map: Rect | None  # None: no map
    overlay: bool  # the map is drawn translucent over the face


def fit_rect(aspect: float, area: Rect) -> Rect:
    """The largest rect of `aspect` (w / h) centred in `area`: letterbox or pillarbox."""
    if area.w >= area.h * aspect:
        w, h = max(1, round(area.h * aspect)), area.h
    else:
        w, h = area.w, max(1, round(area.w / aspect))
    return Rect(area.x + (area.w - w) // 2, area.y + (area.h - h) // 2, w, h)


def screen_layout(size: tuple[int, int], image_size: tuple[int, int], show_map: bool,
                  mode: MapLayout = "auto") -> ScreenLayout:
    """Face aspect-preserved; the map beside it on wide viewports, else over it."""
    w, h = size
    aspect = image_size[0] / image_size[1]
    full = Rect(0, 0, w, h)
    if not show_map:
        return ScreenLayout(fit_rect(aspect, full), None, overlay=False)
    pad = max(1, round(MAP_PAD * min(w, h)))
    side = mode == "side" or (mode == "auto" and w >= SIDE_MIN_RATIO * aspect * h)
    if side:
        face_w = max(1, min(round(h * aspect), round(w * 2 / 3)))
        face = fit_rect(aspect, Rect(0, 0, face_w, h))
        panel = Rect(face_w + pad, pad, max(1, w - face_w - 2 * pad), max(1, h - 2 * pad))
        return ScreenLayout(face, panel, overlay=False)
    panel = Rect(pad, pad, max(1, w - 2 * pad), max(1, h - 2 * pad))
    return ScreenLayout(fit_rect(aspect, full), panel, overlay=True)


@dataclass(frozen=True, eq=False)
class GridLayout:
    """The neuron map's grid for one network shape in one panel size.

    Each layer starts a new row; layers are separated by one empty row. `cells[i]` is the flat
    index (row * columns + column, row 0 at the top) of neuron i; `tint` holds 0 where there is
    no neuron and the layer's tint (1..TINT_COUNT) where there is.
    """

    columns: int
    rows: int
    cell: float  # cell edge in pixels
    cells: np.ndarray  # (total,) int64
    tint: np.ndarray  # (rows, columns) uint8

    @property
    def total(self) -> int:
        return int(self.cells.shape[0])


def grid_layout(layer_sizes: tuple[int, ...], width: int, height: int) -> GridLayout:
    """Choose the column count that gives the largest square cells in a width x height panel."""
    sizes = np.asarray(layer_sizes, dtype=np.int64)
    if sizes.size == 0 or sizes.sum() == 0:
        raise ValueError("grid_layout needs at least one neuron")
    columns = np.arange(1, int(sizes.max()) + 1)
    rows = ((sizes[:, None] + columns[None, :] - 1) // columns[None, :]).sum(axis=0)
    rows += len(sizes) - 1  # one gap row between layers
    edge = np.minimum(width / columns, height / rows)
    best = int(np.argmax(edge))  # the first maximum: fewest columns
    n_cols, n_rows, cell = int(columns[best]), int(rows[best]), float(edge[best])
    if cell >= 2.0:
        cell = float(np.floor(cell))  # whole pixels keep the grid even

    cells = np.empty(int(sizes.sum()), dtype=np.int64)
    tint = np.zeros((n_rows, n_cols), dtype=np.uint8)
    row = start = 0
    for layer, n in enumerate(int(s) for s in sizes):
        local = np.arange(n)
        cells[start:start + n] = (row + local // n_cols) * n_cols + local % n_cols
        tint.reshape(-1)[cells[start:start + n]] = layer % TINT_COUNT + 1
        start += n
        row += -(-n // n_cols) + 1
    return GridLayout(n_cols, n_rows, cell, cells, tint)


def grid_origin(grid: GridLayout, panel: Rect) -> tuple[float, float]:
    """The grid's top-left corner when centred in `panel`: (x, y of the top edge), GL pixels."""
    left = panel.x + (panel.w - grid.columns * grid.cell) / 2
    top = panel.y + panel.h - (panel.h - grid.rows * grid.cell) / 2
    if grid.cell >= 2.0:  # whole-pixel cells start on whole pixels
        left, top = float(round(left)), float(round(top))
    return left, top
