"""ISF headers, size expressions, the GLSL translation and the parameters: pure, no GL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from performer.params import Kind, Snapshot
from performer.render.fx.expr import ExpressionError, evaluate, pass_size
from performer.render.fx.glsl import fragment_source, rewrite_image_calls, vertex_source
from performer.render.fx.isf import parse_isf
from performer.render.fx.params import chain_params, slot_params, uniform_values
from performer.render.shaders import ShaderError

VIDVOX = Path(__file__).parents[2] / "fixtures" / "isf" / "vidvox"

EVERY_TYPE = """/*{
    "ISFVSN": "2",
    "CATEGORIES": ["Test"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "level", "TYPE": "float", "DEFAULT": 0.25, "MIN": -1.0, "MAX": 2.0},
        {"NAME": "flag", "TYPE": "bool", "DEFAULT": true},
        {"NAME": "mode", "TYPE": "long", "DEFAULT": 20, "VALUES": [10, 20, 30],
         "LABELS": ["ten", "twenty", "thirty"]},
        {"NAME": "count", "TYPE": "long", "DEFAULT": 3, "MIN": 1, "MAX": 8},
        {"NAME": "tint", "TYPE": "color", "DEFAULT": [0.1, 0.2, 0.3, 1.0]},
        {"NAME": "where", "TYPE": "point2D", "DEFAULT": [5, 6], "MIN": [0, 0], "MAX": [10, 10]},
        {"NAME": "bang", "TYPE": "event"},
        {"NAME": "other", "TYPE": "image"}
    ],
    "PASSES": [
        {"TARGET": "half", "WIDTH": "floor($WIDTH/2.0)", "HEIGHT": "$HEIGHT / 2"},
        {"TARGET": "memory", "PERSISTENT": true, "FLOAT": true},
        {}
    ],
    "IMPORTED": {"noise": {"PATH": "noise.png"}}
}*/
void main() { gl_FragColor = IMG_THIS_PIXEL(inputImage); }
"""


def test_every_input_type_and_pass_key_is_read() -> None:
    doc = parse_isf(EVERY_TYPE, "every.fs")
    kinds = {i.name: i.type for i in doc.inputs}
    assert kinds == {"inputImage": "image", "level": "float", "flag": "bool", "mode": "long",
                     "count": "long", "tint": "color", "where": "point2D", "bang": "event",
                     "other": "image"}
    mode = next(i for i in doc.inputs if i.name == "mode")
    assert mode.values == (10, 20, 30) and mode.labels == ("ten", "twenty", "thirty")
    assert doc.is_filter
    assert [p.target for p in doc.passes] == ["half", "memory", None]
    assert doc.passes[1].persistent and doc.passes[1].float_buffer
    assert not doc.passes[0].persistent
    assert doc.imported == {"noise": "noise.png"}
    assert doc.images() == ("inputImage", "other", "half", "memory", "noise")


def test_a_file_without_passes_is_one_pass_to_the_output() -> None:
    doc = parse_isf('/*{"INPUTS": []}*/\nvoid main() {}\n', "one.fs")
    assert len(doc.passes) == 1 and doc.passes[0].target is None
    assert not doc.is_filter and doc.version == "1"


@pytest.mark.parametrize(("text", "where"), [
    ("void main() {}\n", "x.fs:1: no ISF header"),
    ('/*{\n  "INPUTS": [\n    {"NAME": "a", "TYPE": "float",}\n  ]\n}*/\n',
     "x.fs:3: bad ISF header JSON"),
    ('/*{\n "INPUTS": [\n  {"NAME": "a", "TYPE": "float"},\n'
     '  {"NAME": "b", "TYPE": "vec9"}\n ]\n}*/', "x.fs:4: input 'b': TYPE 'vec9'"),
    ('/*{\n "INPUTS": [\n  {"NAME": "a b", "TYPE": "float"}\n ]\n}*/', "x.fs:3: input NAME"),
    ('/*{\n "INPUTS": [\n  {"NAME": "c", "TYPE": "color", "DEFAULT": [1, 0]}\n ]\n}*/',
     "x.fs:3: input 'c': DEFAULT must be 4 numbers"),
    ('/*{\n "INPUTS": [\n  {"NAME": "m", "TYPE": "long", "VALUES": [1, 2],\n'
     '   "LABELS": ["one"]}\n ]\n}*/', "x.fs:3: input 'm': LABELS must match VALUES"),
])
def test_a_broken_header_is_one_line_that_names_file_and_line(text: str, where: str) -> None:
    with pytest.raises(ShaderError) as caught:
        parse_isf(text, "x.fs")
    assert str(caught.value).startswith(where)
    assert "\n" not in str(caught.value)


def test_size_expressions() -> None:
    variables = {"WIDTH": 1920.0, "HEIGHT": 1080.0, "blur": 3.0}
    assert pass_size("floor($WIDTH/2.0)", 1920, variables) == 960
    assert pass_size("$HEIGHT / ($blur + 1)", 1080, variables) == 270
    assert pass_size("max(1, $WIDTH*0.0001)", 1920, variables) == 1
    assert pass_size("2^3", 1920, variables) == 8
    assert pass_size(None, 7, variables) == 7
    assert pass_size("$WIDTH * 1000", 1920, variables) == 4 * 1920, "a runaway size is capped"
    for bad in ("__import__('os')", "$nope", "$WIDTH.real", "[1]", "1 if 1 else 2"):
        with pytest.raises(ExpressionError):
            evaluate(bad, variables)


def test_image_calls_become_texture_lookups_with_nesting_and_lines_kept() -> None:
    body = ("vec4 a = IMG_PIXEL(img, vec2(f(1.0), 2.0));\n"
            "vec4 b = IMG_NORM_PIXEL(buf,\n  isf_FragNormCoord);\n"
            "vec2 s = IMG_SIZE(img) + IMG_SIZE(buf);\n"
            "vec4 c = IMG_THIS_PIXEL(img) + IMG_THIS_NORM_PIXEL(buf);\n")
    out = rewrite_image_calls(body, "t.fs")
    assert "texture(img, ( vec2(f(1.0), 2.0)) / _img_imgSize)" in out
    assert "texture(buf, \n  isf_FragNormCoord)" in out
    assert "_img_imgSize + _buf_imgSize" in out
    assert "texture(img, isf_FragNormCoord) + texture(buf, isf_FragNormCoord)" in out
    assert out.count("\n") == body.count("\n")
    with pytest.raises(ShaderError, match=r"t\.fs:2: IMG_PIXEL takes 2 arguments"):
        rewrite_image_calls("\nIMG_PIXEL(img);", "t.fs")


def test_translation_targets_glsl_330_and_keeps_the_files_line_numbers() -> None:
    doc = parse_isf(EVERY_TYPE, "every.fs")
    text = EVERY_TYPE.replace("void main()", "#version 120\nvarying vec2 v;\nvoid main()")
    source = fragment_source(doc, text)
    assert source.startswith("#version 330\n")
    header, body = source.split("#line 1\n", 1)
    for declaration in ("uniform float level;", "uniform bool flag;", "uniform int mode;",
                        "uniform vec4 tint;", "uniform vec2 where;", "uniform bool bang;",
                        "uniform sampler2D other;", "uniform sampler2D half;",
                        "uniform sampler2D noise;", "uniform vec2 _noise_imgSize;",
                        "uniform int PASSINDEX;", "uniform vec4 DATE;", "uniform int FRAMEINDEX;",
                        "uniform float TIMEDELTA;", "uniform vec2 RENDERSIZE;"):
        assert declaration in header
    assert body.count("\n") == text.count("\n")
    assert "gl_FragColor" not in body and "#version 120" not in body
    assert re.search(r"^in vec2 v;", body, re.MULTILINE)
    vertex = vertex_source(doc, None)
    assert "isf_vertShaderInit();" in vertex and "out vec2 isf_FragNormCoord;" in vertex
    own = vertex_source(doc, "varying vec2 w;\nvoid main() { isf_vertShaderInit(); }\n")
    assert "out vec2 w;" in own


def test_inputs_become_parameters_and_values_become_uniforms() -> None:
    doc = parse_isf(EVERY_TYPE, "every.fs")
    params = {p.name: p for p in slot_params(2, "every", doc)}
    assert set(params) == {
        "fx.2.mix", "fx.2.bypass", "fx.2.level", "fx.2.flag", "fx.2.mode", "fx.2.count",
        "fx.2.tint.r", "fx.2.tint.g", "fx.2.tint.b", "fx.2.tint.a", "fx.2.where.x",
        "fx.2.where.y", "fx.2.bang"}
    assert params["fx.2.level"].kind is Kind.FLOAT
    assert (params["fx.2.level"].minimum, params["fx.2.level"].maximum) == (-1.0, 2.0)
    assert params["fx.2.mode"].kind is Kind.CHOICE and params["fx.2.mode"].default == "twenty"
    assert params["fx.2.count"].kind is Kind.INT and params["fx.2.count"].maximum == 8
    assert params["fx.2.bang"].kind is Kind.TRIGGER
    assert params["fx.2.where.x"].maximum == 10.0 and params["fx.2.mix"].default == 1.0
    values = Snapshot({"fx.2.level": 1.5, "fx.2.mode": "thirty", "fx.2.tint.g": 0.9,
                       "fx.2.where.y": 2.0, "fx.2.flag": False})
    uniforms = uniform_values(2, doc, values, fired={"fx.2.bang"})
    assert uniforms["level"] == 1.5 and uniforms["mode"] == 30 and uniforms["flag"] is False
    assert uniforms["tint"] == (0.1, 0.9, 0.3, 1.0) and uniforms["where"] == (5.0, 2.0)
    assert uniforms["bang"] is True and uniforms["count"] == 3
    assert "inputImage" not in uniforms


def test_a_slot_that_did_not_parse_keeps_mix_and_bypass() -> None:
    names = [p.name for p in chain_params([("broken", None), ("ok", parse_isf(EVERY_TYPE, "e"))])]
    assert names[:2] == ["fx.1.mix", "fx.1.bypass"]
    assert "fx.2.level" in names


@pytest.mark.parametrize("path", sorted(VIDVOX.glob("*.fs")), ids=lambda p: p.stem)
def test_vidvox_filters_parse(path: Path) -> None:
    doc = parse_isf(path.read_text(encoding="utf-8"), path.name)
    assert doc.is_filter
    fragment_source(doc, path.read_text(encoding="utf-8"))
