"""The ISF host and the chain on a real EGL context (Mesa llvmpipe here): uniforms, buffers,
passes, errors, reload, mix and bypass, the pipeline's framebuffer, the Vidvox sample."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import moderngl
import numpy as np
import pytest
from PIL import Image

from performer.controls import make_registry
from performer.frame import Frame, NeuronMap
from performer.params import Snapshot, Value
from performer.render.fx.chain import FxChain
from performer.render.fx.host import Effect, FxClock, make_texture
from performer.render.fx.params import uniform_values
from performer.render.fx.source import EffectFile, bundled_effects, find_effect, read_effect
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Look, Pipeline
from performer.render.shaders import ShaderLibrary
from tests.helpers import LAYERS

VIDVOX = Path(__file__).parents[2] / "fixtures" / "isf" / "vidvox"
MakeTarget = Callable[[tuple[int, int]], Offscreen]

INVERT = """/*{"ISFVSN": "2", "INPUTS": [{"NAME": "inputImage", "TYPE": "image"}]}*/
void main() {
    vec4 c = IMG_THIS_PIXEL(inputImage);
    gl_FragColor = vec4(1.0 - c.rgb, 1.0);
}
"""


DEFAULTS = dict(make_registry(LAYERS).values())  # every value a real frame carries


def frame(values: dict[str, Value] | None = None, fired: tuple[str, ...] = (), index: int = 0,
          alive: float = 1.0, color: tuple[int, int, int] = (40, 120, 200)) -> Frame:
    image = np.empty((8, 8, 3), dtype=np.uint8)
    image[:] = color
    flags = np.arange(100) < round(alive * 100)
    return Frame(index, index / 30.0, image, NeuronMap(flags, ("a",), (100,)), 1.0,
                 Snapshot({**DEFAULTS, **(values or {})}, {name: (0.0,) for name in fired}))


def write(folder: Path, name: str, text: str) -> EffectFile:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return EffectFile(path, name)


def rgba(texture: moderngl.Texture) -> np.ndarray:
    """(h, w, 4) floats 0..1 (or raw floats for a float texture), GL row order."""
    if texture.dtype == "f4":
        return np.frombuffer(texture.read(), np.float32).reshape(texture.height, texture.width, 4)
    return np.frombuffer(texture.read(), np.uint8).reshape(
        texture.height, texture.width, 4) / 255.0


def solid(ctx: moderngl.Context, size: tuple[int, int], color: tuple[int, ...]) -> moderngl.Texture:
    data = np.empty((size[1], size[0], 4), np.uint8)
    data[:] = color
    return make_texture(ctx, size, data=data.tobytes())


EVERY_UNIFORM = """/*{
    "ISFVSN": "2",
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "level", "TYPE": "float", "DEFAULT": 0.2, "MIN": 0.0, "MAX": 2.0},
        {"NAME": "flag", "TYPE": "bool", "DEFAULT": false},
        {"NAME": "mode", "TYPE": "long", "DEFAULT": 10, "VALUES": [10, 20, 30],
         "LABELS": ["a", "b", "c"]},
        {"NAME": "count", "TYPE": "long", "DEFAULT": 1, "MIN": 0, "MAX": 8},
        {"NAME": "tint", "TYPE": "color", "DEFAULT": [0.0, 0.0, 0.0, 1.0]},
        {"NAME": "where", "TYPE": "point2D", "DEFAULT": [0.0, 0.0], "MAX": [10.0, 10.0]},
        {"NAME": "bang", "TYPE": "event"},
        {"NAME": "other", "TYPE": "image"}
    ]
}*/
uniform float performer_alive;
uniform float performer_seed;

float column(int i) {
    if (i == 0) return level / 2.0;
    if (i == 1) return flag ? 1.0 : 0.0;
    if (i == 2) return float(mode) / 40.0;
    if (i == 3) return float(count) / 8.0;
    if (i == 4) return tint.g;
    if (i == 5) return where.y / 10.0;
    if (i == 6) return bang ? 1.0 : 0.0;
    if (i == 7) return IMG_PIXEL(other, vec2(0.5)).b;
    if (i == 8) return TIME / 10.0;
    if (i == 9) return TIMEDELTA;
    if (i == 10) return float(FRAMEINDEX) / 10.0;
    if (i == 11) return DATE.x / 4000.0;
    if (i == 12) return RENDERSIZE.x / 32.0;
    if (i == 13) return performer_alive;
    if (i == 14) return performer_seed / 10.0;
    return float(PASSINDEX);
}

void main() {
    gl_FragColor = vec4(column(int(gl_FragCoord.x)), 0.0, 0.0, 1.0);
}
"""


def test_every_input_type_and_standard_uniform_reaches_the_shader(
        tmp_path: Path, offscreen: MakeTarget) -> None:
    ctx = offscreen((16, 1)).ctx
    chain = FxChain(ctx, ShaderLibrary(ctx), [write(tmp_path, "every.fs", EVERY_UNIFORM)])
    assert chain.errors == []
    values: dict[str, Value] = {
        "fx.1.level": 1.5, "fx.1.flag": True, "fx.1.mode": "c", "fx.1.count": 6,
        "fx.1.tint.g": 0.4, "fx.1.where.y": 7.0, "drift.seed": 3}
    source = solid(ctx, (16, 1), (0, 0, 153, 255))
    chain.render(source, (16, 1), frame(values, index=0), time=1.0)
    picture = chain.render(source, (16, 1), frame(values, fired=("fx.1.bang",), index=1,
                                                  alive=0.25), time=1.5)
    got = rgba(picture)[0, :, 0]
    expected = [0.75, 1.0, 0.75, 0.75, 0.4, 0.7, 1.0, 0.6, 0.15, 0.5, 0.1,
                None, 0.5, 0.25, 0.3, 0.0]
    for i, want in enumerate(expected):
        if want is not None:
            assert got[i] == pytest.approx(want, abs=2.5 / 255), f"column {i}"
    assert 2020 / 4000 < got[11] < 2200 / 4000 + 0.01  # the year
    again = chain.render(source, (16, 1), frame(values, fired=("fx.1.bang",), index=1), 1.6)
    assert rgba(again)[0, 6, 0] == 0.0, "an event fires once per frame, not per refresh"
    chain.release()


ACCUMULATE = """/*{
    "ISFVSN": "2",
    "INPUTS": [{"NAME": "inputImage", "TYPE": "image"}],
    "PASSES": [{"TARGET": "sum", "PERSISTENT": true, "FLOAT": true}, {}]
}*/
void main() {
    if (PASSINDEX == 0) {
        gl_FragColor = IMG_THIS_PIXEL(sum) + vec4(0.25);
    } else {
        gl_FragColor = IMG_THIS_PIXEL(sum) / 10.0;
    }
}
"""


def test_a_persistent_float_buffer_accumulates_across_frames(
        tmp_path: Path, offscreen: MakeTarget) -> None:
    ctx = offscreen((4, 4)).ctx
    effect = Effect(ctx, read_effect(write(tmp_path, "sum.fs", ACCUMULATE)))
    source = solid(ctx, (4, 4), (0, 0, 0, 255))
    for index in range(6):
        out = effect.render(source, (4, 4), FxClock(index / 30, 1 / 30, index, (0, 0, 0, 0)),
                            {}, {})
    assert rgba(effect.buffer_texture("sum"))[..., 0] == pytest.approx(1.5)  # beyond 1: float
    assert rgba(out)[..., 0] == pytest.approx(0.15, abs=1 / 255)
    effect.release()


HALF = """/*{
    "ISFVSN": "2",
    "INPUTS": [{"NAME": "inputImage", "TYPE": "image"}],
    "PASSES": [{"TARGET": "quarter", "WIDTH": "floor($WIDTH/2.0)", "HEIGHT": "$HEIGHT/2"}, {}]
}*/
void main() {
    if (PASSINDEX == 0) {
        gl_FragColor = vec4(RENDERSIZE / 100.0, 0.0, 1.0);
    } else {
        vec4 small = IMG_NORM_PIXEL(quarter, vec2(0.5));
        gl_FragColor = vec4(small.rg, IMG_SIZE(quarter).x / 100.0, RENDERSIZE.y / 100.0);
    }
}
"""


def test_a_half_size_pass_renders_at_half_size(tmp_path: Path, offscreen: MakeTarget) -> None:
    ctx = offscreen((64, 48)).ctx
    effect = Effect(ctx, read_effect(write(tmp_path, "half.fs", HALF)))
    out = effect.render(solid(ctx, (64, 48), (0, 0, 0, 255)), (64, 48),
                        FxClock(0, 0, 0, (0, 0, 0, 0)), {}, {})
    assert effect.buffer_texture("quarter").size == (32, 24)
    assert out.size == (64, 48)
    pixel = rgba(out)[10, 10]
    assert pixel == pytest.approx([0.32, 0.24, 0.32, 0.48], abs=1 / 255)
    effect.release()


def test_an_imported_image_is_sampled(tmp_path: Path, offscreen: MakeTarget) -> None:
    ctx = offscreen((8, 8)).ctx
    Image.new("RGB", (4, 2), (10, 200, 30)).save(tmp_path / "swatch.png")
    text = ('/*{"ISFVSN": "2", "INPUTS": [{"NAME": "inputImage", "TYPE": "image"}],\n'
            ' "IMPORTED": {"swatch": {"PATH": "swatch.png"}}}*/\n'
            "void main() { gl_FragColor = vec4(IMG_NORM_PIXEL(swatch, vec2(0.5)).rgb,"
            " IMG_SIZE(swatch).x / 8.0); }\n")
    effect = Effect(ctx, read_effect(write(tmp_path, "imported.fs", text)))
    out = effect.render(solid(ctx, (8, 8), (0, 0, 0, 255)), (8, 8),
                        FxClock(0, 0, 0, (0, 0, 0, 0)), {}, {})
    assert rgba(out)[4, 4] == pytest.approx([10 / 255, 200 / 255, 30 / 255, 0.5], abs=1 / 255)
    effect.release()


def test_a_broken_header_or_glsl_costs_that_effect_only_with_one_line(
        tmp_path: Path, offscreen: MakeTarget, caplog: pytest.LogCaptureFixture) -> None:
    ctx = offscreen((8, 8)).ctx
    header = write(tmp_path, "header.fs", '/*{\n  "INPUTS": [\n    {"NAME": 3}\n  ]\n}*/\n')
    glsl = write(tmp_path, "glsl.fs", INVERT.replace("1.0 - c.rgb", "1.0 - c.rgb + nope"))
    with caplog.at_level(logging.ERROR):
        chain = FxChain(ctx, ShaderLibrary(ctx),
                        [header, write(tmp_path, "invert.fs", INVERT), glsl])
    assert len(chain.errors) == 2
    assert chain.errors[0].startswith("header.fs:3: input NAME")
    assert chain.errors[1].startswith("glsl.fs:4: ") and "nope" in chain.errors[1]
    assert all("\n" not in line for line in chain.errors)
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 2
    picture = chain.render(solid(ctx, (8, 8), (40, 120, 200, 255)), (8, 8), frame(), 0.0)
    assert rgba(picture)[0, 0, :3] == pytest.approx([215 / 255, 135 / 255, 55 / 255],
                                                    abs=1 / 255)
    chain.release()


def test_a_reload_keeps_the_last_good_program_until_the_file_compiles(
        tmp_path: Path, offscreen: MakeTarget) -> None:
    ctx = offscreen((8, 8)).ctx
    file = write(tmp_path, "live.fs", INVERT)
    chain = FxChain(ctx, ShaderLibrary(ctx), [file])
    source = solid(ctx, (8, 8), (40, 120, 200, 255))
    assert not chain.stale()
    file.path.write_text(INVERT.replace("1.0 - c.rgb", "c.rgb +"), encoding="utf-8")
    os.utime(file.path, (1, 1))
    assert chain.stale()
    errors = chain.reload()
    assert len(errors) == 1 and errors[0].startswith("live.fs:4: ")
    assert not chain.stale(), "a failed reload is not retried until the next edit"
    assert rgba(chain.render(source, (8, 8), frame(), 0.0))[0, 0, 0] == pytest.approx(
        215 / 255, abs=1 / 255)
    file.path.write_text(INVERT.replace("1.0 - c.rgb", "c.bgr"), encoding="utf-8")
    assert chain.reload() == []
    assert rgba(chain.render(source, (8, 8), frame(), 0.0))[0, 0, 0] == pytest.approx(
        200 / 255, abs=1 / 255)
    chain.release()


def test_mix_and_bypass(tmp_path: Path, offscreen: MakeTarget) -> None:
    ctx = offscreen((8, 8)).ctx
    chain = FxChain(ctx, ShaderLibrary(ctx), [write(tmp_path, "invert.fs", INVERT)])
    source = solid(ctx, (8, 8), (40, 120, 200, 255))
    half = chain.render(source, (8, 8), frame({"fx.1.mix": 0.25}), 0.0)
    assert rgba(half)[0, 0, 0] == pytest.approx((0.75 * 40 + 0.25 * 215) / 255, abs=1.5 / 255)
    assert chain.active(frame({"fx.1.mix": 0.25}))
    assert not chain.active(frame({"fx.1.bypass": True}))
    assert not chain.active(frame({"fx.1.mix": 0.0}))
    chain.release()


def test_the_pipeline_draws_the_chain_into_the_callers_framebuffer(
        tmp_path: Path, offscreen: MakeTarget) -> None:
    target = offscreen((96, 54))
    pipeline = Pipeline(target.ctx, fx=[write(tmp_path, "invert.fs", INVERT)])
    shown = frame()
    pipeline.upload(shown)
    target.use()
    pipeline.draw((96, 54), Look())
    inverted = target.read_rgb()
    assert tuple(inverted[27, 48]) == pytest.approx((215, 135, 55), abs=2)
    assert tuple(inverted[27, 2]) == (255, 255, 255), "the black bars are inverted too"
    bypassed = frame({"fx.1.bypass": True}, index=1)
    pipeline.upload(bypassed)
    target.use()
    pipeline.draw((96, 54), Look())
    assert tuple(target.read_rgb()[27, 48]) == pytest.approx((40, 120, 200), abs=2)
    pipeline.release()


EFFECT_FILES = [*(find_effect(name) for name in bundled_effects()),
                *(EffectFile(path, path.name) for path in sorted(VIDVOX.glob("*.fs")))]


def gradient(ctx: moderngl.Context, size: tuple[int, int]) -> moderngl.Texture:
    """A picture with something in it: red across, green down, blue constant."""
    width, height = size
    data = np.empty((height, width, 4), np.uint8)
    data[..., 0] = np.linspace(20, 235, width, dtype=np.uint8)[None, :]
    data[..., 1] = np.linspace(20, 235, height, dtype=np.uint8)[:, None]
    data[..., 2], data[..., 3] = 128, 255
    return make_texture(ctx, size, data=data.tobytes())


@pytest.mark.parametrize("file", EFFECT_FILES, ids=lambda f: f.path.stem)
def test_bundled_and_vidvox_effects_compile_and_draw_a_picture(
        file: EffectFile, offscreen: MakeTarget) -> None:
    """Three refreshes over a gradient (effects with buffers run their passes each time):
    the output has the output's size, finite values and a picture in it."""
    size = (64, 48)
    ctx = offscreen(size).ctx
    source = read_effect(file)
    effect = Effect(ctx, source)
    image = gradient(ctx, size)
    for index in range(3):
        out = effect.render(image, size, FxClock(index / 30, 1 / 30, index, (0, 0, 0, 0)),
                            uniform_values(1, source.doc, Snapshot({})), {"performer_lost": 0.5})
    pixels = rgba(out)
    assert pixels.shape == (48, 64, 4) and np.isfinite(pixels).all()
    assert pixels[..., :3].max() > 0.05, "not a black picture"
    effect.release()


def test_an_effect_failing_while_drawing_is_left_out_with_one_line(
        tmp_path: Path, offscreen: MakeTarget, caplog: pytest.LogCaptureFixture) -> None:
    ctx = offscreen((8, 8)).ctx
    mistyped = write(tmp_path, "mistyped.fs", INVERT.replace(
        "void main() {", "uniform vec3 performer_seed;\nvoid main() {").replace(
        "1.0 - c.rgb", "1.0 - c.rgb + performer_seed"))
    chain = FxChain(ctx, ShaderLibrary(ctx), [mistyped, write(tmp_path, "invert.fs", INVERT)])
    assert chain.errors == []
    source = solid(ctx, (8, 8), (40, 120, 200, 255))
    with caplog.at_level(logging.ERROR):
        for index in range(3):
            picture = chain.render(source, (8, 8), frame(index=index), 0.0)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(lines) == 1 and lines[0].startswith("mistyped.fs: uniform performer_seed")
    assert rgba(picture)[0, 0, 0] == pytest.approx(215 / 255, abs=1 / 255), "the rest runs"
    assert chain.reload() == [] and chain.slots[0].effect is not None, "S brings it back"
    chain.release()
