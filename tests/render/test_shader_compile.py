"""Compiling real shaders on a real (EGL) context: errors name file:line, reloads keep the
last good program."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from performer.render.offscreen import Offscreen
from performer.render.pipeline import Look, Pipeline
from performer.render.shaders import ProgramSpec, ShaderError, ShaderLibrary

GOOD_FRAG = """#version 330
#include "lib.glsl"
out vec4 f_color;
void main() {
    f_color = vec4(shade(), 1.0);
}
"""
GOOD_LIB = """// a library
vec3 shade() {
    return vec3(1.0, 0.0, 0.0);
}
"""


def write(directory: Path, name: str, text: str) -> None:
    path = directory / name
    path.write_text(text)
    # Reloads check mtimes; make each edit visibly newer even on coarse-clock filesystems.
    stamp = path.stat().st_mtime + 1 + len(text) % 7
    os.utime(path, (stamp, stamp))


@pytest.fixture
def lib_dir(shader_dir: Path) -> Path:
    write(shader_dir, "solid.frag", GOOD_FRAG)
    write(shader_dir, "lib.glsl", GOOD_LIB)
    return shader_dir


def compile_error(offscreen: Callable[..., Offscreen], directory: Path,
                  fragment: str) -> ShaderError:
    target = offscreen((8, 8))
    library = ShaderLibrary(target.ctx, [directory])
    with pytest.raises(ShaderError) as caught:
        library.program(ProgramSpec("fullscreen.vert", fragment))
    return caught.value


def test_semantic_error_in_main_file_names_file_and_line(offscreen, lib_dir: Path) -> None:
    write(lib_dir, "solid.frag", GOOD_FRAG.replace("shade(), 1.0", "shade() + missing, 1.0"))
    err = compile_error(offscreen, lib_dir, "solid.frag")
    assert str(err).startswith("solid.frag:5: error: ")
    assert "missing" in str(err)
    assert "\n" not in str(err)
    assert (err.path, err.line) == ("solid.frag", 5)
    assert isinstance(err.__cause__, Exception)  # the driver's error, translated where it entered


def test_semantic_error_inside_an_include_names_the_included_file(offscreen, lib_dir) -> None:
    # Mesa reports source string 0 for semantic errors whatever #line said: the line numbers
    # alone must identify the file.
    write(lib_dir, "lib.glsl", GOOD_LIB.replace("vec3(1.0, 0.0, 0.0)", "vec3(1.0) * undefined_x"))
    err = compile_error(offscreen, lib_dir, "solid.frag")
    assert str(err).startswith("lib.glsl:3: error: ")
    assert "undefined_x" in str(err)


def test_syntax_error_inside_an_include_names_the_included_file(offscreen, lib_dir) -> None:
    write(lib_dir, "lib.glsl", GOOD_LIB.replace("vec3 shade() {", "vec3 shade() {\n    int x = ;"))
    err = compile_error(offscreen, lib_dir, "solid.frag")
    assert str(err).startswith("lib.glsl:3: error: syntax error")


def test_link_error_names_the_program(offscreen, lib_dir) -> None:
    write(lib_dir, "needs_input.frag",
          "#version 330\nin vec3 v_uv;\nout vec4 c;\nvoid main() { c = vec4(v_uv, 1.0); }\n")
    err = compile_error(offscreen, lib_dir, "needs_input.frag")
    assert str(err).startswith("fullscreen.vert+needs_input.frag: error: ")
    assert "v_uv" in str(err)


def test_missing_program_file_is_a_shader_error(offscreen, lib_dir) -> None:
    err = compile_error(offscreen, lib_dir, "nowhere.frag")
    assert str(err).startswith("cannot find shader 'nowhere.frag'")


def solid_color(target: Offscreen, library: ShaderLibrary) -> tuple[int, ...]:
    program = library.program(ProgramSpec("fullscreen.vert", "solid.frag"))
    vao = target.ctx.vertex_array(program, [])
    target.use()
    target.ctx.clear(0.0, 0.0, 0.0, 1.0)
    vao.render(vertices=3)
    vao.release()
    pixels = target.read_rgb()
    assert (pixels == pixels[0, 0]).all()
    return tuple(int(v) for v in pixels[0, 0])


def test_failed_reload_keeps_the_last_good_program(offscreen, lib_dir) -> None:
    target = offscreen((16, 16))
    library = ShaderLibrary(target.ctx, [lib_dir])
    spec = ProgramSpec("fullscreen.vert", "solid.frag")
    assert solid_color(target, library) == (255, 0, 0)
    assert not library.stale()

    good = library.program(spec)
    write(lib_dir, "lib.glsl", GOOD_LIB.replace("return", "retrun"))
    assert library.stale()
    errors = library.reload()
    assert len(errors) == 1 and errors[0].startswith("lib.glsl:3: error: ")
    assert library.program(spec) is good
    assert solid_color(target, library) == (255, 0, 0)

    write(lib_dir, "lib.glsl", GOOD_LIB.replace("vec3(1.0, 0.0, 0.0)", "vec3(0.0, 0.0, 1.0)"))
    assert library.reload() == []
    assert library.program(spec) is not good
    assert solid_color(target, library) == (0, 0, 255)
    assert not library.stale()


def test_pipeline_keeps_drawing_through_a_broken_face_shader(offscreen, shader_dir,
                                                             make_frame) -> None:
    target = offscreen((32, 32))
    pipeline = Pipeline(target.ctx, ShaderLibrary(target.ctx, [shader_dir]))
    image = np.full((16, 16, 3), (40, 200, 90), dtype=np.uint8)
    pipeline.upload(make_frame(image))

    def draw() -> np.ndarray:
        target.use()
        pipeline.draw((32, 32), Look())
        return target.read_rgb()

    np.testing.assert_array_equal(draw(), np.broadcast_to(image[0, 0], (32, 32, 3)))

    face = (shader_dir / "face.frag").read_text()
    broken = face.replace("f_color = vec4(clamp(color", "f_color = vec4(clamp(colour")
    assert broken != face
    write(shader_dir, "face.frag", broken)
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "colour" in text)
    errors = pipeline.reload()
    assert len(errors) == 1 and errors[0].startswith(f"face.frag:{line}: error: ")
    np.testing.assert_array_equal(draw(), np.broadcast_to(image[0, 0], (32, 32, 3)))

    inverted = face.replace("f_color = vec4(clamp(color", "f_color = vec4(1.0 - clamp(color")
    write(shader_dir, "face.frag", inverted)
    assert pipeline.reload() == []
    np.testing.assert_array_equal(draw(), np.broadcast_to(255 - image[0, 0], (32, 32, 3)))
    pipeline.release()


def test_the_readme_example_shader_compiles_and_draws(offscreen, shader_dir, make_frame,
                                                      test_image) -> None:
    readme = (Path(__file__).parents[2] / "shaders" / "README.md").read_text()
    example = readme.split("```glsl\n", 1)[1].split("```", 1)[0]
    write(shader_dir, "shimmer.frag", example)
    target = offscreen((64, 64))
    pipeline = Pipeline(target.ctx, ShaderLibrary(target.ctx, [shader_dir]),
                        face_shader="shimmer.frag")
    pipeline.upload(make_frame(test_image))
    target.use()
    pipeline.draw((64, 64), Look())
    shimmered = target.read_rgb().astype(int)
    # Darker than the plain image by the shimmer's 0.5..1 factor, but the same picture.
    assert (shimmered <= test_image.astype(int) + 1).all()
    assert shimmered.mean() < test_image.mean() * 0.95
    assert np.corrcoef(shimmered.ravel(), test_image.ravel())[0, 1] > 0.9
    pipeline.release()
