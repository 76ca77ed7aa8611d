"""One ISF effect on the GPU: its program, its pass buffers, its imported images.

`Effect.render` runs the file's passes for one frame and returns the texture of the last
pass. Every pass target is double-buffered: a pass reads the buffer's previous contents
(a PERSISTENT buffer: last frame's) while it writes the other half, so feedback never reads
and writes one texture at once. Buffers are made at the size the WIDTH/HEIGHT expressions
ask for, evaluated once per frame, and remade when it changes.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import moderngl
import numpy as np

from performer.render.fx.expr import ExpressionError, pass_size
from performer.render.fx.glsl import RECT_UNIFORM, SIZE_UNIFORM, fragment_source, vertex_source
from performer.render.fx.isf import IsfPass
from performer.render.fx.params import UniformValue, size_variables
from performer.render.fx.source import EffectSource
from performer.render.shaders import ShaderError, ShaderSource, compile_program

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FxClock:
    """The standard ISF uniforms of one frame (the same for every pass of it)."""

    time: float
    delta: float
    frame_index: int
    date: tuple[float, float, float, float]  # year, month, day, seconds into the day


def make_texture(ctx: moderngl.Context, size: tuple[int, int], float_buffer: bool = False,
                 data: bytes | None = None) -> moderngl.Texture:
    """An RGBA texture sampled linearly, clamped at the edges (as ISF hosts do)."""
    texture = ctx.texture(size, 4, data, dtype="f4" if float_buffer else "f1")
    texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
    texture.repeat_x = texture.repeat_y = False
    return texture


class RenderBuffer:
    """A pass target: two textures, the front one holds the latest picture."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], float_buffer: bool) -> None:
        self.size = size
        self.float_buffer = float_buffer
        self.textures = [make_texture(ctx, size, float_buffer) for _ in range(2)]
        self.fbos = [ctx.framebuffer(color_attachments=[t]) for t in self.textures]
        for fbo in self.fbos:  # persistent buffers start transparent black, not garbage
            fbo.clear(0.0, 0.0, 0.0, 0.0)
        self.front = 0

    @property
    def texture(self) -> moderngl.Texture:
        return self.textures[self.front]

    @property
    def back(self) -> moderngl.Framebuffer:
        return self.fbos[1 - self.front]

    def swap(self) -> None:
        self.front = 1 - self.front

    def release(self) -> None:
        for fbo in self.fbos:
            fbo.release()
        for texture in self.textures:
            texture.release()


class Effect:
    """A compiled ISF file. Raises ShaderError (`file:line: message`) if it does not compile
    or an imported image cannot be read."""

    def __init__(self, ctx: moderngl.Context, source: EffectSource) -> None:
        self.ctx = ctx
        self.source = source
        self.doc = source.doc
        shown = source.file.shown
        vertex_shown = source.file.shown.removesuffix(".fs") + ".vs"
        sources = {
            "vertex_shader": ShaderSource(vertex_source(self.doc, source.vertex),
                                          (vertex_shown if source.vertex else shown,)),
            "fragment_shader": ShaderSource(fragment_source(self.doc, source.fragment),
                                            (shown,)),
        }
        self.program = compile_program(ctx, sources, shown)
        self.vao = ctx.vertex_array(self.program, [])
        self.uniforms: dict[str, moderngl.Uniform] = {}
        for name in self.program:
            member = self.program[name]
            if isinstance(member, moderngl.Uniform):
                self.uniforms[name] = member
        self._imports: dict[str, moderngl.Texture] = {}
        try:
            for name, relative in self.doc.imported.items():
                self._imports[name] = load_image(ctx, source.file.path.parent / relative, shown)
        except ShaderError:
            self.release()
            raise
        self._buffers: dict[str, RenderBuffer] = {}
        self._output: RenderBuffer | None = None  # passes with no TARGET draw here
        self._size_warned = False

    def render(self, image: moderngl.Texture, size: tuple[int, int], clock: FxClock,
               inputs: Mapping[str, UniformValue], show: Mapping[str, float]
               ) -> moderngl.Texture:
        """Run every pass over `image` for an output of `size`; the last pass's texture."""
        variables = {"WIDTH": float(size[0]), "HEIGHT": float(size[1]),
                     **size_variables(inputs)}
        sizes = [self._pass_size(p, size, variables) for p in self.doc.passes]
        self._allocate(size, sizes)
        self._set_all({"TIME": clock.time, "TIMEDELTA": clock.delta,
                       "FRAMEINDEX": clock.frame_index, "DATE": clock.date, **inputs, **show})
        images = {i.name: image for i in self.doc.inputs if i.is_image}
        last: moderngl.Texture = image
        for index, (spec, pass_size_) in enumerate(zip(self.doc.passes, sizes, strict=True)):
            buffer = self._buffers[spec.target] if spec.target else self._output
            assert buffer is not None
            self._bind_images(images)
            self._set("PASSINDEX", index)
            self._set("RENDERSIZE", (float(pass_size_[0]), float(pass_size_[1])))
            buffer.back.use()
            self.vao.render(moderngl.TRIANGLE_STRIP, vertices=4)
            buffer.swap()
            last = buffer.texture
        return last

    def _pass_size(self, spec: IsfPass, size: tuple[int, int],
                   variables: Mapping[str, float]) -> tuple[int, int]:
        try:
            return (pass_size(spec.width, size[0], variables),
                    pass_size(spec.height, size[1], variables))
        except ExpressionError as err:  # a bad expression renders full size, said once
            if not self._size_warned:
                log.warning("%s: %s (full size used)", self.source.file.shown, err)
                self._size_warned = True
            return size

    def _allocate(self, size: tuple[int, int], sizes: list[tuple[int, int]]) -> None:
        wanted: dict[str, tuple[tuple[int, int], bool]] = {}
        for spec, pass_size_ in zip(self.doc.passes, sizes, strict=True):
            if spec.target and spec.target not in wanted:
                wanted[spec.target] = (pass_size_, spec.float_buffer)
        for name, (buffer_size, float_buffer) in wanted.items():
            buffer = self._buffers.get(name)
            if buffer is None or (buffer.size, buffer.float_buffer) != (buffer_size, float_buffer):
                if buffer is not None:
                    buffer.release()
                self._buffers[name] = RenderBuffer(self.ctx, buffer_size, float_buffer)
        if self._output is None or self._output.size != size:
            if self._output is not None:
                self._output.release()
            self._output = RenderBuffer(self.ctx, size, False)

    def _bind_images(self, images: Mapping[str, moderngl.Texture]) -> None:
        bound = {**images, **{n: b.texture for n, b in self._buffers.items()}, **self._imports}
        for unit, (name, texture) in enumerate(bound.items()):
            if name in self.uniforms:
                texture.use(unit)
                self.uniforms[name].value = unit
            width, height = float(texture.width), float(texture.height)
            self._set(SIZE_UNIFORM.format(name), (width, height))
            self._set(RECT_UNIFORM.format(name), (0.0, 0.0, width, height))

    def _set_all(self, values: Mapping[str, object]) -> None:
        for name, value in values.items():
            self._set(name, value)

    def _set(self, name: str, value: object) -> None:
        uniform = self.uniforms.get(name)
        if uniform is None:
            return
        try:
            uniform.value = value
        except (TypeError, ValueError, struct.error, moderngl.Error) as err:
            # e.g. a show-state uniform declared with another type than performer sets
            raise ShaderError(f"uniform {name} cannot take {value!r} (declared with another "
                              f"type?)", self.source.file.shown) from err

    def buffer_texture(self, name: str) -> moderngl.Texture:
        """The latest picture in pass target `name` (for tests and diagnostics)."""
        return self._buffers[name].texture

    def release(self) -> None:
        for buffer in self._buffers.values():
            buffer.release()
        self._buffers.clear()
        if self._output is not None:
            self._output.release()
            self._output = None
        for texture in self._imports.values():
            texture.release()
        self._imports.clear()
        self.vao.release()
        self.program.release()


def load_image(ctx: moderngl.Context, path: Path, shown: str) -> moderngl.Texture:
    """An IMPORTED image file as an RGBA texture (GL row 0 = the image's bottom row)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            rgba = np.asarray(picture.convert("RGBA"))
    except (OSError, UnidentifiedImageError) as err:
        raise ShaderError(f"cannot import image {path.name!r}: {err}", shown) from err
    flipped = np.ascontiguousarray(rgba[::-1])
    return make_texture(ctx, (rgba.shape[1], rgba.shape[0]), data=flipped.tobytes())
