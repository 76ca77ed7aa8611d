"""The display pipeline drawn offscreen and read back: upscaling, bars, orientation, blackout,
cross-fade, the neuron map. Real EGL context (Mesa llvmpipe here); references computed on the CPU.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from performer.params import Snapshot
from performer.render.layout import grid_layout, grid_origin, screen_layout
from performer.render.pipeline import Look, Pipeline

# GPU float32 vs CPU float64, each rounded to 8 bits: a pixel may land one level apart, two at
# most; almost all must agree within one.
MAX_LEVELS = 2


def catmull_rom_taps(n_out: int, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output pixel: the 4 source indices (edge-clamped) and their Catmull-Rom weights."""
    t = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5  # pixel centres to source texel centres
    start = np.floor(t)
    d = t - start  # 0..1 past the second tap
    # Catmull-Rom (B=0, C=1/2) kernel evaluated at each tap's distance.
    dist = np.abs(np.arange(-1, 3)[None, :] - d[:, None])
    near = 1.5 * dist**3 - 2.5 * dist**2 + 1
    far = -0.5 * dist**3 + 2.5 * dist**2 - 4 * dist + 2
    weights = np.where(dist <= 1, near, np.where(dist < 2, far, 0.0))
    index = np.clip(start[:, None].astype(int) + np.arange(-1, 3)[None, :], 0, n_in - 1)
    return index, weights


def bicubic(image: np.ndarray, width: int, height: int) -> np.ndarray:
    src = image.astype(np.float64) / 255.0
    iy, wy = catmull_rom_taps(height, image.shape[0])
    ix, wx = catmull_rom_taps(width, image.shape[1])
    rows = np.einsum("yk,ykxc->yxc", wy, src[iy])
    out = np.einsum("xk,yxkc->yxc", wx, rows[:, ix])
    return np.clip(np.round(out * 255.0), 0, 255).astype(np.uint8)


def bilinear(image: np.ndarray, width: int, height: int) -> np.ndarray:
    def taps(n_out: int, n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(t).astype(int)
        return lo, np.minimum(lo + 1, n_in - 1), t - lo

    src = image.astype(np.float64)
    y0, y1, fy = taps(height, image.shape[0])
    x0, x1, fx = taps(width, image.shape[1])
    rows = src[y0] * (1 - fy)[:, None, None] + src[y1] * fy[:, None, None]
    out = rows[:, x0] * (1 - fx)[None, :, None] + rows[:, x1] * fx[None, :, None]
    return np.round(out).astype(np.uint8)


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    diff = np.abs(actual.astype(int) - expected.astype(int))
    assert diff.max() <= MAX_LEVELS, f"max difference {diff.max()} levels"
    assert (diff <= 1).mean() >= 0.99


PLAIN = Look()


def render(offscreen, size, frames, look=PLAIN, pipeline_out=None) -> np.ndarray:
    target = offscreen(size)
    pipeline = Pipeline(target.ctx)
    for frame in frames:
        pipeline.upload(frame)
    target.use()
    pipeline.draw(size, look)
    pixels = target.read_rgb()
    if pipeline_out is not None:
        pipeline_out.append(pipeline)
    else:
        pipeline.release()
    return pixels


# (framebuffer size) -> where the 64x64 face must land, top-down rows: (top, left, height, width)
PLACEMENTS = {
    (256, 256): (0, 0, 256, 256),  # fills it
    (320, 200): (0, 60, 200, 200),  # pillarbox: black columns left and right
    (200, 320): (60, 0, 200, 200),  # letterbox: black rows above and below
    (64, 64): (0, 0, 64, 64),  # 1:1 reproduces the image exactly
}


@pytest.mark.parametrize("size", list(PLACEMENTS))
def test_face_is_bicubic_upscaled_aspect_preserved_with_black_bars(
        offscreen, make_frame, test_image, size) -> None:
    pixels = render(offscreen, size, [make_frame(test_image)])
    assert pixels.shape == (size[1], size[0], 3)
    top, left, h, w = PLACEMENTS[size]
    face = pixels[top:top + h, left:left + w]
    assert_close(face, bicubic(test_image, w, h))

    bars = np.ones(pixels.shape[:2], dtype=bool)
    bars[top:top + h, left:left + w] = False
    assert (pixels[bars] == 0).all()
    # Orientation: image row 0 (white corner at top left) is at the top of the read-back.
    assert (face[:4, :4] >= 250).all() and (face[-4:, -4:] <= 5).all()
    if size == (64, 64):
        np.testing.assert_array_equal(face, test_image)


def test_upscale_is_sharper_than_plain_linear_filtering(offscreen, make_frame, test_image) -> None:
    pixels = render(offscreen, (256, 256), [make_frame(test_image)])
    linear = np.abs(pixels.astype(int) - bilinear(test_image, 256, 256).astype(int))
    assert linear.max() > 10  # the match above is not a match to GL_LINEAR


def test_other_image_sizes_and_size_changes(offscreen, make_frame, test_image) -> None:
    tall = np.ascontiguousarray(test_image[:, 8:56][::-1])[:60]  # 48 wide, 60 high, new content
    holder: list[Pipeline] = []
    pixels = render(offscreen, (200, 200), [make_frame(test_image), make_frame(tall, index=1)],
                    look=Look(crossfade=1.0), pipeline_out=holder)
    # 48x60 into 200x200: 160 wide, 200 high, centred with 20-pixel bars left and right.
    # crossfade=1 shows the previous frame; a size change leaves no older frame than this one.
    assert (pixels[:, :20] == 0).all() and (pixels[:, 180:] == 0).all()
    assert_close(pixels[:, 20:180], bicubic(tall, 160, 200))
    holder[0].release()


def test_textures_are_reused_while_the_size_stays(offscreen, make_frame, test_image) -> None:
    target = offscreen((64, 64))
    pipeline = Pipeline(target.ctx)
    pipeline.upload(make_frame(test_image, index=0))
    # The one promise with no visible effect: no per-frame allocation.
    faces = {pipeline.texture_ids()[role] for role in ("face", "previous")}
    for index in range(1, 6):
        pipeline.upload(make_frame(255 - test_image, index=index))
        target.use()
        pipeline.draw((64, 64), Look(show_map=True))
        assert {pipeline.texture_ids()[role] for role in ("face", "previous")} == faces
    textures = pipeline.texture_ids()
    assert set(textures) == {"face", "previous", "alive", "tint"}
    pipeline.upload(make_frame(test_image, index=7))
    pipeline.draw((64, 64), Look(show_map=True))
    assert pipeline.texture_ids() == {**textures, "face": textures["previous"],
                                      "previous": textures["face"]}  # swapped, not remade
    pipeline.release()


def test_blackout_fades_to_black(offscreen, make_frame, test_image) -> None:
    frame = make_frame(test_image)
    full = render(offscreen, (128, 128), [frame]).astype(int)
    half = render(offscreen, (128, 128), [frame], Look(blackout=0.5)).astype(int)
    black = render(offscreen, (128, 128), [frame], Look(blackout=1.0, show_map=True))
    assert (black == 0).all()
    assert np.abs(half - full / 2).max() <= 1
    assert full.mean() > 60  # the test image is not dark to start with


def test_crossfade_mixes_in_the_previous_frame(offscreen, make_frame, test_image) -> None:
    a, b = make_frame(test_image, index=0), make_frame(255 - test_image, index=1)
    only_b = render(offscreen, (64, 64), [a, b], Look(crossfade=0.0))
    only_a = render(offscreen, (64, 64), [a, b], Look(crossfade=1.0))
    mixed = render(offscreen, (64, 64), [a, b], Look(crossfade=0.5)).astype(int)
    np.testing.assert_array_equal(only_b, 255 - test_image)
    np.testing.assert_array_equal(only_a, test_image)
    assert np.abs(mixed - 127.5).max() <= 1


def test_nothing_uploaded_draws_black(offscreen) -> None:
    target = offscreen((32, 32))
    target.ctx.clear(1.0, 1.0, 1.0, 1.0)
    Pipeline(target.ctx).draw((32, 32), Look(show_map=True))
    assert (target.read_rgb() == 0).all()


def test_draws_into_whichever_framebuffer_is_bound(offscreen, make_frame, test_image) -> None:
    target = offscreen((64, 64))
    target.ctx.clear(0.0, 0.0, 1.0, 1.0)
    other = target.ctx.simple_framebuffer((64, 64), components=4)
    pipeline = Pipeline(target.ctx)
    pipeline.upload(make_frame(test_image))
    other.use()
    pipeline.draw((64, 64), Look())
    drawn = np.frombuffer(other.read(components=3), np.uint8).reshape(64, 64, 3)[::-1]
    np.testing.assert_array_equal(drawn, test_image)
    assert (target.read_rgb() == (0, 0, 255)).all()  # the offscreen target was not touched
    other.release()
    pipeline.release()


# --- the neuron map ---------------------------------------------------------------------------


def cell_centres(size, image_size, layer_sizes, look) -> tuple[np.ndarray, np.ndarray, object]:
    """Top-down (row, column) of the pixel at each neuron's cell centre, and the grid."""
    screen = screen_layout(size, image_size, True, look.map_layout)
    assert screen.map is not None
    grid = grid_layout(layer_sizes, screen.map.w, screen.map.h)
    left, top = grid_origin(grid, screen.map)
    row, col = np.divmod(grid.cells, grid.columns)
    x = np.floor(left + (col + 0.5) * grid.cell).astype(int)
    gl_y = np.floor(top - (row + 0.5) * grid.cell).astype(int)
    return size[1] - 1 - gl_y, x, grid


def map_frame(make_frame, layer_sizes, seed, grey=None):
    rng = np.random.default_rng(seed)
    alive = rng.random(sum(layer_sizes)) < 0.5
    image = np.full((64, 64, 3), 128 if grey is None else grey, dtype=np.uint8)
    return make_frame(image, alive, layer_sizes), alive


DCGAN_LAYERS = (512, 256, 128, 64)
STYLEGAN2_LIKE = (512,) * 14 + (256, 256, 128, 128, 64, 64)  # 8,064 channels


@pytest.mark.parametrize(("size", "layers"), [
    ((1280, 720), DCGAN_LAYERS),
    ((1920, 1080), STYLEGAN2_LIKE),
])
def test_map_beside_the_face_lights_alive_cells_and_darkens_dead_ones(
        offscreen, make_frame, size, layers) -> None:
    frame, alive = map_frame(make_frame, layers, seed=len(layers))
    look = Look(show_map=True)
    pixels = render(offscreen, size, [frame], look)
    rows, cols, grid = cell_centres(size, (64, 64), layers, look)
    assert grid.cell >= 5  # thousands of cells still get visible squares at 1080p
    brightest = pixels[rows, cols].max(axis=1)
    assert (brightest[alive] >= 250).all()
    assert (brightest[~alive] <= 30).all()
    # The face keeps its place at the left, full height.
    assert (pixels[:, : size[1]] == 128).all()

    # Layer boundaries: the row after each layer's last row is empty; neighbouring layers differ.
    starts = np.cumsum((0, *layers))
    first_alive = [int(np.flatnonzero(alive[s:e])[0]) + s for s, e in itertools.pairwise(starts)]
    colours = {tuple(pixels[rows[i], cols[i]]) for i in first_alive[:2]}
    assert len(colours) == 2
    last_row_of_layer0 = rows[starts[1] - 1]
    gap_row = last_row_of_layer0 + round(grid.cell)
    assert pixels[gap_row, cols[0]].max() <= 8
    assert rows[starts[1]] == last_row_of_layer0 + 2 * round(grid.cell)


def test_map_over_the_face_on_narrow_viewports_is_translucent(offscreen, make_frame) -> None:
    frame, alive = map_frame(make_frame, DCGAN_LAYERS, seed=7, grey=128)
    look = Look(show_map=True)
    size = (640, 480)  # 4:3 is too narrow to put the map beside a square face
    screen = screen_layout(size, (64, 64), True, "auto")
    assert screen.overlay
    pixels = render(offscreen, size, [frame], look)
    rows, cols, grid = cell_centres(size, (64, 64), DCGAN_LAYERS, look)
    # What lies under each cell: the grey face inside its rect, the black bars outside it.
    face = screen.face
    top = size[1] - face.y - face.h
    over_face = (cols >= face.x) & (cols < face.x + face.w) & (rows >= top) & (rows < top + face.h)
    under = np.where(over_face, 128.0, 0.0)
    assert over_face.any() and not over_face.all()
    # Alpha 0.6 over what is under: a live cell's brightest channel is 1.0, a dead one's 0.1.
    opacity = 0.6
    expected = np.where(alive, 255.0, 25.5) * opacity + under * (1 - opacity)
    brightest = pixels[rows, cols].max(axis=1)
    assert np.abs(brightest - expected).max() <= 2
    # Between cells (the gutter) the face shows through untouched.
    inside = int(np.flatnonzero(over_face)[0])
    assert screen.map is not None
    left, _ = grid_origin(grid, screen.map)
    column = grid.cells[inside] % grid.columns
    gutter_row, gutter_col = rows[inside], int(left + (column + 1) * grid.cell) - 1
    assert grid.cell >= 3 and gutter_col > cols[inside]
    assert (pixels[gutter_row, gutter_col] == 128).all()


def test_map_can_be_forced_beside_or_over(offscreen, make_frame) -> None:
    frame, _ = map_frame(make_frame, DCGAN_LAYERS, seed=3)
    over = render(offscreen, (1280, 720), [frame], Look(show_map=True, map_layout="overlay"))
    beside = render(offscreen, (640, 480), [frame], Look(show_map=True, map_layout="side"))
    assert screen_layout((1280, 720), (64, 64), True, "overlay").overlay
    assert not screen_layout((640, 480), (64, 64), True, "side").overlay
    # overlay: the face spans the middle 720 columns and cells are drawn over it
    assert (over[:, :280] != 0).any() and (over[:, 280:1000] != 128).any()
    # beside: the face is squeezed into the left two thirds, the map fills the rest
    face = screen_layout((640, 480), (64, 64), True, "side").face
    assert face.w <= 427 and (beside[:, face.x + face.w + 20:] != 0).any()


def test_a_network_without_neurons_draws_no_map(offscreen, make_frame, test_image) -> None:
    empty = make_frame(test_image, np.zeros(0, dtype=bool), ())
    with_map = render(offscreen, (128, 128), [empty], Look(show_map=True))
    without = render(offscreen, (128, 128), [empty], Look())
    np.testing.assert_array_equal(with_map, without)


def test_bad_frames_are_refused_with_exact_messages(offscreen, make_frame, test_image) -> None:
    pipeline = Pipeline(offscreen((8, 8)).ctx)
    with pytest.raises(ValueError, match=r"^frame image must be \(H, W, 3\) uint8, got "
                                         r"\(64, 64\) uint8$"):
        pipeline.upload(make_frame(test_image[..., 0]))
    with pytest.raises(ValueError, match=r"^neuron map has \(5,\) alive flags for layer sizes "
                                         r"summing to 4$"):
        pipeline.upload(make_frame(test_image, np.ones(5, dtype=bool), (2, 2)))
    pipeline.release()


def test_the_same_image_with_other_values_is_not_uploaded_again(
        offscreen, make_frame, test_image) -> None:
    target = offscreen((64, 64))
    pipeline = Pipeline(target.ctx)
    pipeline.upload(make_frame(test_image, index=0))
    shown = make_frame(255 - test_image, index=1)
    pipeline.upload(shown)
    textures = pipeline.texture_ids()
    pipeline.upload(dataclasses.replace(shown, values=Snapshot({"output.blackout": 1.0})))
    assert pipeline.texture_ids() == textures  # not swapped: the cross-fade goes on
    pipeline.upload(make_frame(test_image, index=2))
    assert pipeline.texture_ids()["face"] == textures["previous"]  # a new image swaps
    pipeline.release()
