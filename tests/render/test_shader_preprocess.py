"""Shader preprocessing, log translation and the search path: pure, no GL context."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from performer.render.shaders import (
    LINE_STRIDE,
    ShaderError,
    ShaderSource,
    builtin_shader_dir,
    default_search_path,
    find_shader,
    parse_log_line,
    preprocess,
    translate_log,
)

LINE_DIRECTIVE = re.compile(r"^#line (\d+)(?: (\d+))?$")


def reader(files: dict[str, str]):
    def read(name: str) -> str:
        if name not in files:
            raise FileNotFoundError(name)
        return files[name]

    return read


def logical_lines(source: ShaderSource, next_is_n_plus_1: bool = False) -> list[tuple[int, str]]:
    """(line number the driver gives it, text) for each non-directive line, per GLSL's rules."""
    numbered: list[tuple[int, str]] = []
    current = 1
    for text in source.text.splitlines():
        match = LINE_DIRECTIVE.match(text)
        if match:
            current = int(match.group(1)) + (1 if next_is_n_plus_1 else 0)
            continue
        numbered.append((current, text))
        current += 1
    return numbered


FILES = {
    "main.frag": '#version 330\nuniform float a;\n#include "common.glsl"\nvoid main() {}\n',
    "common.glsl": (
        'float one() { return 1.0; }\n#include "deep.glsl"\nfloat two() { return 2.0; }\n'
    ),
    "deep.glsl": "const float DEEP = 3.0;\n",
}


def test_include_is_expanded_in_place() -> None:
    source = preprocess("main.frag", reader(FILES))
    code = [t for t in source.text.splitlines() if not t.startswith("#line")]
    assert code == [
        "#version 330",
        "uniform float a;",
        "float one() { return 1.0; }",
        "const float DEEP = 3.0;",
        "float two() { return 2.0; }",
        "void main() {}",
    ]
    assert source.files == ("main.frag", "common.glsl", "deep.glsl")
    assert source.text.splitlines()[0] == "#version 330"  # nothing may precede #version


def test_reported_lines_map_back_to_file_and_line() -> None:
    source = preprocess("main.frag", reader(FILES))
    where = {text: source.origin(number) for number, text in logical_lines(source)}
    assert where["uniform float a;"] == ("main.frag", 2)
    assert where["float one() { return 1.0; }"] == ("common.glsl", 1)
    assert where["const float DEEP = 3.0;"] == ("deep.glsl", 1)
    assert where["float two() { return 2.0; }"] == ("common.glsl", 3)
    assert where["void main() {}"] == ("main.frag", 4)


def test_old_glsl_line_rule_numbers_the_next_line_n_plus_1() -> None:
    files = {**FILES, "main.frag": FILES["main.frag"].replace("#version 330", "#version 120")}
    source = preprocess("main.frag", reader(files))
    where = {text: source.origin(n) for n, text in logical_lines(source, next_is_n_plus_1=True)}
    assert where["void main() {}"] == ("main.frag", 4)
    assert where["float two() { return 2.0; }"] == ("common.glsl", 3)


def test_a_file_included_twice_is_expanded_once() -> None:
    files = {
        "main.frag": '#version 330\n#include "a.glsl"\n#include "b.glsl"\n',
        "a.glsl": '#include "shared.glsl"\nA\n',
        "b.glsl": '#include "shared.glsl"\nB\n',
        "shared.glsl": "SHARED\n",
    }
    text = preprocess("main.frag", reader(files)).text
    assert text.count("SHARED") == 1
    assert text.index("SHARED") < text.index("A") < text.index("B")


def test_include_cycle_names_the_chain_and_where() -> None:
    files = {
        "main.frag": '#version 330\n#include "a.glsl"\n',
        "a.glsl": '// a\n#include "b.glsl"\n',
        "b.glsl": '\n\n#include "a.glsl"\n',
    }
    with pytest.raises(ShaderError) as caught:
        preprocess("main.frag", reader(files))
    assert str(caught.value) == "b.glsl:3: include cycle: a.glsl -> b.glsl -> a.glsl"
    assert (caught.value.path, caught.value.line) == ("b.glsl", 3)


def test_a_file_including_itself_is_a_cycle() -> None:
    files = {"main.frag": '#version 330\nvoid f();\n#include "main.frag"\n'}
    cycle = r"^main\.frag:3: include cycle: main\.frag -> main\.frag$"
    with pytest.raises(ShaderError, match=cycle):
        preprocess("main.frag", reader(files))


def test_missing_include_names_the_including_line() -> None:
    files = {"main.frag": '#version 330\n\n#include "nope.glsl"\n'}
    with pytest.raises(ShaderError, match=r"^main\.frag:3: cannot find include 'nope\.glsl'$"):
        preprocess("main.frag", reader(files))


def test_malformed_include_and_version_in_an_include_are_errors() -> None:
    with pytest.raises(ShaderError, match=r'^main\.frag:2: expected #include "file"$'):
        preprocess("main.frag", reader({"main.frag": "#version 330\n#include <x.glsl>\n"}))
    files = {"main.frag": '#version 330\n#include "v.glsl"\n', "v.glsl": "\n#version 330\n"}
    with pytest.raises(ShaderError, match=r"^v\.glsl:2: #version is only allowed in the main"):
        preprocess("main.frag", reader(files))


def test_include_text_left_in_comments_is_defused() -> None:
    # moderngl itself would try to expand `#include "x"` even inside a comment.
    files = {"main.frag": '#version 330\n// see #include "elsewhere.glsl"\nvoid main() {}\n'}
    text = preprocess("main.frag", reader(files)).text
    assert not re.search(r'#include\s+"', text)
    assert "elsewhere.glsl" in text


# A tree of files where each may include files with higher numbers (a DAG: diamonds, no
# cycles). Every line's text is unique, so the test can tell where each expanded line came from.
@st.composite
def include_trees(draw: st.DrawFn) -> dict[str, str]:
    count = draw(st.integers(1, 6))
    files = {}
    for k in range(count):
        lines = [] if k else ["#version 330"]
        for j in range(draw(st.integers(0, 8))):
            if k + 1 < count and draw(st.booleans()):
                target = draw(st.integers(k + 1, count - 1))
                lines.append(f'#include "f{target}.glsl"')
            lines.append(f"float v_{k}_{j};")
        files[f"f{k}.glsl"] = "\n".join(lines) + "\n"
    return files


@settings(max_examples=150, deadline=None)
@given(include_trees())
def test_every_expanded_line_maps_back_to_its_origin(files: dict[str, str]) -> None:
    source = preprocess("f0.glsl", reader(files))
    for number, text in logical_lines(source):
        if text.startswith("//"):  # the marker left where a repeated include was skipped
            continue
        file, line = source.origin(number)
        assert files[file].splitlines()[line - 1] == text


def test_parse_log_line_reads_mesa_nvidia_and_amd_formats() -> None:
    assert parse_log_line("0:12(5): error: `foo' undeclared") == (12, "error: `foo' undeclared")
    assert parse_log_line("3:100004(1): error: syntax error") == (100004, "error: syntax error")
    assert parse_log_line('0(7) : error C1008: undefined variable "x"') == (
        7, 'error C1008: undefined variable "x"')
    assert parse_log_line("ERROR: 0:9: 'x' : undeclared identifier") == (
        9, "error: 'x' : undeclared identifier")
    assert parse_log_line("error: vertex shader output `uv' type mismatch") is None


def test_translate_log_maps_each_stage_through_its_own_source() -> None:
    vert = ShaderSource("", ("fullscreen.vert",))
    frag = ShaderSource("", ("face.frag", "common.glsl"))
    log = (
        "GLSL Compiler failed\n\nfragment_shader\n===============\n"
        f"0:{LINE_STRIDE + 4}(18): error: `foo' undeclared\n"
        "0:12(3): error: bad thing\n"
        "\nvertex_shader\n=============\n0:2(1): warning: unused\n"
    )
    lines = translate_log(log, {"vertex_shader": vert, "fragment_shader": frag})
    assert lines == [
        "common.glsl:4: error: `foo' undeclared",
        "face.frag:12: error: bad thing",
        "fullscreen.vert:2: warning: unused",
    ]


def test_search_path_puts_user_directories_first(tmp_path: Path) -> None:
    user_a, user_b = tmp_path / "a", tmp_path / "b"
    for d in (user_a, user_b):
        d.mkdir()
    env = {"PERFORMER_SHADER_PATH": f"{user_a}:{user_b}"}
    path = default_search_path(env)
    assert path == (user_a, user_b, builtin_shader_dir())
    assert default_search_path({}) == (builtin_shader_dir(),)

    assert find_shader("face.frag", path) == builtin_shader_dir() / "face.frag"
    (user_b / "face.frag").write_text("// mine\n")
    assert find_shader("face.frag", path) == user_b / "face.frag"
    with pytest.raises(ShaderError, match=r"^cannot find shader 'nope\.frag' in "):
        find_shader("nope.frag", path)


def test_builtin_shaders_ship_the_programs_the_pipeline_uses() -> None:
    names = {p.name for p in builtin_shader_dir().iterdir()}
    assert {"fullscreen.vert", "face.frag", "map.frag", "fade.frag", "common.glsl"} <= names
