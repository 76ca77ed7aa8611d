"""ISF GLSL -> the GLSL 3.30 core profile ModernGL compiles. Pure text work, no GL.

ISF files are written for GLSL 1.x, ES or 3.x. The translation keeps every line of the file
where it was (so the driver's line numbers are the file's own): it puts the declarations ISF
promises (the standard uniforms, one per input, a sampler and size per image) before a
`#line 1`, and rewrites in place: `gl_FragColor` -> an `out` variable, `texture2D` ->
`texture`, `varying` -> `in`/`out`, and the ISF image functions (`IMG_PIXEL`,
`IMG_NORM_PIXEL`, `IMG_THIS_PIXEL`, `IMG_THIS_NORM_PIXEL`, `IMG_SIZE`) into `texture` calls.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from performer.render.fx.isf import IsfDocument, IsfInput
from performer.render.shaders import ShaderError

VERSION = "#version 330"
FRAG_OUT = "isf_FragColor"
SIZE_UNIFORM = "_{}_imgSize"  # the size in pixels of every image, for IMG_PIXEL and IMG_SIZE
RECT_UNIFORM = "_{}_imgRect"  # (0, 0, width, height): VVISF's name, which some files read
STANDARD_UNIFORMS = (
    ("int", "PASSINDEX"), ("vec2", "RENDERSIZE"), ("float", "TIME"), ("float", "TIMEDELTA"),
    ("vec4", "DATE"), ("int", "FRAMEINDEX"),
)
_GLSL_TYPES = {"event": "bool", "bool": "bool", "long": "int", "float": "float",
               "point2D": "vec2", "color": "vec4"}
_WORDS = (
    (re.compile(r"\bgl_FragColor\b"), FRAG_OUT),
    (re.compile(r"\bgl_FragData\s*\[\s*0\s*\]"), FRAG_OUT),
    (re.compile(r"\btexture2DRect\s*\("), "texture("),
    (re.compile(r"\btexture2DLod\s*\("), "textureLod("),
    (re.compile(r"\btexture2DProj\s*\("), "textureProj("),
    (re.compile(r"\btexture2D\s*\("), "texture("),
    (re.compile(r"\bvv_FragNormCoord\b"), "isf_FragNormCoord"),  # ISF 1.0 names
    (re.compile(r"\bvv_vertShaderInit\b"), "isf_vertShaderInit"),
)
_VERSION_LINE = re.compile(r"^[ \t]*#[ \t]*version\b.*$", re.MULTILINE)
_IMAGE_CALL = re.compile(r"\b(IMG_THIS_NORM_PIXEL|IMG_THIS_PIXEL|IMG_NORM_PIXEL|IMG_PIXEL|"
                         r"IMG_SIZE)\s*\(")
_ARITY = {"IMG_THIS_NORM_PIXEL": 1, "IMG_THIS_PIXEL": 1, "IMG_NORM_PIXEL": 2, "IMG_PIXEL": 2,
          "IMG_SIZE": 1}

VERTEX_INIT = """\
out vec2 isf_FragNormCoord;
void isf_vertShaderInit() {
    // A fullscreen quad drawn as a 4-vertex triangle strip, with no vertex buffer.
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    isf_FragNormCoord = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""
DEFAULT_VERTEX_BODY = "void main() {\n    isf_vertShaderInit();\n}\n"


def declarations(doc: IsfDocument, extra: Sequence[str] = ()) -> str:
    """The uniforms ISF declares for `doc`: standard ones, inputs, images and their sizes."""
    lines = [f"uniform {kind} {name};" for kind, name in STANDARD_UNIFORMS]
    for item in doc.inputs:
        lines.extend(_input_uniforms(item))
    for name in doc.images():
        if any(i.name == name and i.is_image for i in doc.inputs):
            continue  # declared with the inputs
        lines.extend(_image_uniforms(name))
    lines.extend(extra)
    return "\n".join(lines) + "\n"


def _input_uniforms(item: IsfInput) -> list[str]:
    if item.is_image:
        return _image_uniforms(item.name)
    return [f"uniform {_GLSL_TYPES[item.type]} {item.name};"]


def _image_uniforms(name: str) -> list[str]:
    return [f"uniform sampler2D {name};", f"uniform vec2 {SIZE_UNIFORM.format(name)};",
            f"uniform vec4 {RECT_UNIFORM.format(name)};"]


def fragment_source(doc: IsfDocument, text: str) -> str:
    """The fragment shader for the ISF file `text` (header comment kept, lines in place)."""
    head = (f"{VERSION}\n{declarations(doc)}in vec2 isf_FragNormCoord;\n"
            f"out vec4 {FRAG_OUT};\n#line 1\n")
    return head + translate_body(text, doc.name, stage_in="in")


def vertex_source(doc: IsfDocument, text: str | None) -> str:
    """The vertex shader: the file's own `.vs` (which calls isf_vertShaderInit), or ISF's
    default one."""
    head = f"{VERSION}\n{declarations(doc)}{VERTEX_INIT}#line 1\n"
    if text is None:
        return head + DEFAULT_VERTEX_BODY
    return head + translate_body(text, doc.name, stage_in="out")


def translate_body(text: str, name: str, stage_in: str) -> str:
    """Rewrite one stage's GLSL in place; `varying` becomes `stage_in` ("in" or "out")."""
    body = _VERSION_LINE.sub("", text)
    for pattern, replacement in _WORDS:
        body = pattern.sub(replacement, body)
    body = re.sub(r"\bvarying\b", stage_in, body)
    if stage_in == "out":
        body = re.sub(r"\battribute\b", "in", body)
    return rewrite_image_calls(body, name)


def rewrite_image_calls(body: str, name: str) -> str:
    """IMG_* calls -> texture lookups (arguments may nest calls and parentheses)."""
    out: list[str] = []
    position = 0
    while True:
        match = _IMAGE_CALL.search(body, position)
        if match is None:
            out.append(body[position:])
            return "".join(out)
        out.append(body[position:match.start()])
        function = match.group(1)
        args, end = _arguments(body, match.end(), name)
        if len(args) != _ARITY[function]:
            line = body.count("\n", 0, match.start()) + 1
            raise ShaderError(f"{function} takes {_ARITY[function]} argument"
                              f"{'s' if _ARITY[function] > 1 else ''}, got {len(args)}",
                              name, line)
        image = args[0].strip()
        size = SIZE_UNIFORM.format(image)
        rest = [rewrite_image_calls(a, name) for a in args[1:]]
        if function in ("IMG_THIS_PIXEL", "IMG_THIS_NORM_PIXEL"):
            out.append(f"texture({image}, isf_FragNormCoord)")
        elif function == "IMG_NORM_PIXEL":
            out.append(f"texture({image}, {rest[0]})")
        elif function == "IMG_PIXEL":
            out.append(f"texture({image}, ({rest[0]}) / {size})")
        else:
            out.append(size)
        position = end


def _arguments(body: str, start: int, name: str) -> tuple[list[str], int]:
    """Split the arguments of a call whose '(' ends at `start`; returns them and the index
    after the closing ')'. Newlines inside arguments are kept, so lines stay in place."""
    depth = 0
    args: list[str] = []
    current = start
    for index in range(start, len(body)):
        char = body[index]
        if char in "([":
            depth += 1
        elif char in ")]":
            if depth == 0:
                args.append(body[current:index])
                return args, index + 1
            depth -= 1
        elif char == "," and depth == 0:
            args.append(body[current:index])
            current = index + 1
    line = body.count("\n", 0, start) + 1
    raise ShaderError("unclosed parenthesis in an IMG_ call", name, line)
