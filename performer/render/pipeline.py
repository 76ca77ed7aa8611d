"""From a Frame to pixels: the face upscaled into the window, the effect chain, the neuron map,
the blackout fade.

`Pipeline.upload(frame)` is called when a new frame arrives, `Pipeline.draw(size, look)` on every
display refresh. Textures are reused while sizes stay the same; layouts (where the face goes, how
the neuron grid is laid out, see layout.py) are computed when the window size or the network's
shape changes, never per frame. The effect chain (render/fx/) works at the size drawn, so
effects run at output resolution whatever the network's size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import moderngl
import numpy as np

from performer.frame import Frame, NeuronMap
from performer.render.fx.chain import FxChain
from performer.render.fx.host import RenderBuffer
from performer.render.fx.source import EffectFile
from performer.render.layout import (
    GridLayout,
    MapLayout,
    Rect,
    ScreenLayout,
    grid_layout,
    grid_origin,
    screen_layout,
)
from performer.render.shaders import ProgramSpec, ShaderLibrary

log = logging.getLogger(__name__)

OVERLAY_OPACITY = 0.6  # alpha of the map's cells when drawn over the face

VERTEX_SHADER = "fullscreen.vert"
SAMPLER_UNITS = {"u_face": 0, "u_alive": 1, "u_tint": 2}


@dataclass(frozen=True)
class Look:
    """How the next refresh looks: values the caller derives from parameters and time."""

    blackout: float = 0.0  # 0..1, 1 = fully black (a fade, not a cut)
    show_map: bool = False  # draw the neural memory map
    crossfade: float = 0.0  # 0..1 weight of the previous frame
    map_layout: MapLayout = "auto"  # beside the face if the viewport is wide enough, else overlay
    since: float = 0.0  # seconds since the frame was shown: effects' TIME runs on between frames

    @classmethod
    def of(cls, frame: Frame, crossfade: float = 0.0, since: float = 0.0) -> Look:
        """The look `frame` was made with, `since` seconds after it was shown (a blackout
        fade under way goes on); the display times the cross-fade."""
        return cls(blackout=frame.blackout_after(since), show_map=frame.show_map,
                   crossfade=crossfade, since=since)


# --- GL -----------------------------------------------------------------------------------


class _Pass:
    """One program drawn as a fullscreen triangle; follows the library's reloads."""

    def __init__(self, ctx: moderngl.Context, library: ShaderLibrary, fragment: str) -> None:
        self.ctx = ctx
        self.library = library
        self.spec = ProgramSpec(VERTEX_SHADER, fragment)
        self.program: moderngl.Program | None = None
        self.vao: moderngl.VertexArray | None = None
        self.uniforms: dict[str, moderngl.Uniform] = {}
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the VAO if the library holds a newer program (cheap identity check)."""
        program = self.library.program(self.spec)
        if program is self.program:
            return
        if self.vao is not None:
            self.vao.release()
        self.program = program
        self.vao = self.ctx.vertex_array(program, [])
        self.uniforms = {}
        for name in program:
            member = program[name]
            if isinstance(member, moderngl.Uniform):
                self.uniforms[name] = member
        for name, unit in SAMPLER_UNITS.items():
            self.set(name, unit)

    def set(self, name: str, value: object) -> None:
        """Set a uniform if this program uses it (custom shaders may leave any out)."""
        uniform = self.uniforms.get(name)
        if uniform is not None:
            uniform.value = value

    def render(self) -> None:
        assert self.vao is not None
        self.vao.render(moderngl.TRIANGLES, vertices=3)

    def release(self) -> None:
        if self.vao is not None:
            self.vao.release()
            self.vao = None


class Pipeline:
    """The display's GL state: face textures, neuron-map textures and the shader passes.

    Passes, in order: `face_shader` (face + black bars, covers the viewport; drawn a second
    time, blended, with the previous frame during a cross-fade), the effect chain `fx` (when
    any effect is live the face is drawn into a texture first, and the chain's result over
    the viewport), `map_shader` (neuron map, blended), `fade.frag` (blackout, blended). All
    use `fullscreen.vert`. Raises ShaderError at construction if a shader does not compile;
    an effect that does not compile is left out with one logged line.
    """

    def __init__(self, ctx: moderngl.Context, library: ShaderLibrary | None = None, *,
                 face_shader: str = "face.frag", map_shader: str = "map.frag",
                 overlay_opacity: float = OVERLAY_OPACITY,
                 fx: Sequence[EffectFile] = ()) -> None:
        self.ctx = ctx
        self._owns_library = library is None
        self.library = ShaderLibrary(ctx) if library is None else library
        self.overlay_opacity = overlay_opacity
        self._face_pass = _Pass(ctx, self.library, face_shader)
        self._map_pass = _Pass(ctx, self.library, map_shader)
        self._fade_pass = _Pass(ctx, self.library, "fade.frag")

        self._face: moderngl.Texture | None = None
        self._prev: moderngl.Texture | None = None
        self._flipped: np.ndarray | None = None  # upload buffer, GL row order
        self._frame: Frame | None = None
        self._prev_stale = True

        self._neurons: NeuronMap | None = None
        self._map_dirty = False
        self._screen_key: tuple[object, ...] | None = None
        self._screen: ScreenLayout | None = None
        self._grid_key: tuple[object, ...] | None = None
        self._grid: GridLayout | None = None
        self._alive: moderngl.Texture | None = None
        self._tint: moderngl.Texture | None = None
        self._alive_cells: np.ndarray | None = None  # upload buffer, one byte per grid cell
        self.fx: FxChain | None = None
        self._fx_input: RenderBuffer | None = None  # the face, drawn for the chain to read
        self.use_fx(fx)

    def use_fx(self, files: Sequence[EffectFile]) -> None:
        """Replace the effect chain with these effect files, in order (empty: none)."""
        if self.fx is not None:
            self.fx.release()
        self.fx = FxChain(self.ctx, self.library, files) if files else None

    # -- per new frame ----------------------------------------------------------------------

    def upload(self, frame: Frame) -> None:
        """Take a new frame: the face goes to the GPU now, the neuron map lazily at draw.

        The same image again (the same frame, or one the engine re-posted with other
        values while its generator failed) costs nothing and keeps the cross-fade going.
        """
        if self._frame is not None and frame.image is self._frame.image:
            self._frame = frame
            return
        image = frame.image
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"frame image must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
        neurons = frame.neurons
        if neurons.alive.shape != (sum(neurons.layer_sizes),):
            raise ValueError(f"neuron map has {neurons.alive.shape} alive flags for layer sizes "
                             f"summing to {sum(neurons.layer_sizes)}")
        height, width = image.shape[:2]
        if self._face is None or self._face.size != (width, height):
            self._resize_face(width, height)
        else:
            self._face, self._prev = self._prev, self._face
        assert self._face is not None and self._flipped is not None
        np.copyto(self._flipped, image[::-1])  # GL row 0 is the bottom
        self._face.write(self._flipped, alignment=1)
        if self._prev_stale:  # first frame at this size: nothing earlier to fade from
            assert self._prev is not None
            self._prev.write(self._flipped, alignment=1)
            self._prev_stale = False

        self._neurons = neurons
        self._map_dirty = True
        self._frame = frame

    def _resize_face(self, width: int, height: int) -> None:
        for texture in (self._face, self._prev):
            if texture is not None:
                texture.release()
        self._face = self.ctx.texture((width, height), 3, dtype="f1")
        self._prev = self.ctx.texture((width, height), 3, dtype="f1")
        self._flipped = np.empty((height, width, 3), dtype=np.uint8)
        self._prev_stale = True
        log.debug("face textures now %dx%d", width, height)

    # -- per refresh ------------------------------------------------------------------------

    def draw(self, size: tuple[int, int], look: Look) -> None:
        """Draw into the currently bound framebuffer, viewport (0, 0, *size).

        Leaves BLEND disabled and the viewport set to `size`.
        """
        ctx = self.ctx
        width, height = size
        ctx.viewport = (0, 0, width, height)
        if look.blackout >= 1.0 or self._face is None or width < 1 or height < 1:
            ctx.clear(0.0, 0.0, 0.0, 1.0, viewport=(0, 0, width, height))
            return
        assert self._frame is not None
        screen = self._screen_for(size, look)
        time = float(self._frame.time)
        chain = self.fx
        if chain is not None and chain.active(self._frame):
            target = ctx.fbo  # the caller's framebuffer: the chain's result goes back there
            stage = self._fx_input_for(size)
            stage.back.use()
            ctx.viewport = (0, 0, width, height)
            self._draw_face(screen, size, look, time)
            stage.swap()
            picture = chain.render(stage.texture, size, self._frame, time + look.since)
            target.use()
            ctx.viewport = (0, 0, width, height)
            chain.present(picture)
        else:
            self._draw_face(screen, size, look, time)

        if screen.map is not None:
            self._draw_map(screen.map, screen.overlay, size, time)
        if look.blackout > 0.0:
            fade = self._fade_pass
            fade.refresh()
            fade.set("u_alpha", float(look.blackout))
            self._blended(fade.render)

    def _fx_input_for(self, size: tuple[int, int]) -> RenderBuffer:
        if self._fx_input is None or self._fx_input.size != size:
            if self._fx_input is not None:
                self._fx_input.release()
            self._fx_input = RenderBuffer(self.ctx, size, False)
        return self._fx_input

    def _draw_face(self, screen: ScreenLayout, size: tuple[int, int], look: Look,
                   time: float) -> None:
        """The face and its black bars over the viewport (with the cross-fade, if any)."""
        assert self._face is not None and self._prev is not None
        width, height = size
        face = self._face_pass
        face.refresh()
        face.set("u_rect", screen.face.vec4())
        face.set("u_viewport", (float(width), float(height)))
        face.set("u_time", time)
        face.set("u_alpha", 1.0)
        self._face.use(SAMPLER_UNITS["u_face"])
        face.render()
        if look.crossfade > 0.0:  # the previous frame, blended over with its weight
            face.set("u_alpha", min(float(look.crossfade), 1.0))
            self._prev.use(SAMPLER_UNITS["u_face"])
            self._blended(face.render)

    def _screen_for(self, size: tuple[int, int], look: Look) -> ScreenLayout:
        assert self._face is not None
        show_map = look.show_map and self._neurons is not None and self._neurons.total > 0
        key = (size, self._face.size, show_map, look.map_layout)
        if key != self._screen_key or self._screen is None:
            self._screen = screen_layout(size, self._face.size, show_map, look.map_layout)
            self._screen_key = key
        return self._screen

    def _draw_map(self, panel: Rect, overlay: bool, size: tuple[int, int], time: float) -> None:
        neurons = self._neurons
        assert neurons is not None
        grid = self._grid_for(neurons.layer_sizes, panel)
        assert self._alive is not None and self._tint is not None and self._alive_cells is not None
        if self._map_dirty:
            self._alive_cells[grid.cells] = neurons.alive
            self._alive.write(self._alive_cells, alignment=1)
            self._map_dirty = False

        left, top = grid_origin(grid, panel)
        mapper = self._map_pass
        mapper.refresh()
        mapper.set("u_rect", panel.vec4())
        mapper.set("u_grid", (grid.columns, grid.rows))
        mapper.set("u_cell", grid.cell)
        mapper.set("u_grid_origin", (left, top))
        mapper.set("u_opacity", self.overlay_opacity if overlay else 1.0)
        mapper.set("u_panel_alpha", 0.0 if overlay else 1.0)
        mapper.set("u_viewport", (float(size[0]), float(size[1])))
        mapper.set("u_time", time)
        self._alive.use(SAMPLER_UNITS["u_alive"])
        self._tint.use(SAMPLER_UNITS["u_tint"])
        self.ctx.viewport = (panel.x, panel.y, panel.w, panel.h)
        self._blended(mapper.render)
        self.ctx.viewport = (0, 0, size[0], size[1])

    def _grid_for(self, layer_sizes: tuple[int, ...], panel: Rect) -> GridLayout:
        key = (layer_sizes, panel.w, panel.h)
        if key == self._grid_key and self._grid is not None:
            return self._grid
        grid = grid_layout(layer_sizes, panel.w, panel.h)
        for texture in (self._alive, self._tint):
            if texture is not None:
                texture.release()
        shape = (grid.columns, grid.rows)
        self._tint = self.ctx.texture(shape, 1, grid.tint.tobytes(), dtype="f1", alignment=1)
        self._alive = self.ctx.texture(shape, 1, dtype="f1", alignment=1)
        for texture in (self._tint, self._alive):
            texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._alive_cells = np.zeros(grid.rows * grid.columns, dtype=np.uint8)
        self._grid, self._grid_key = grid, key
        self._map_dirty = True
        log.debug("neuron map: %d neurons in %d layers, %dx%d grid, %.1f px cells",
                 grid.total, len(layer_sizes), grid.columns, grid.rows, grid.cell)
        return grid

    def _blended(self, render: Callable[[], None]) -> None:
        ctx = self.ctx
        ctx.enable(moderngl.BLEND)
        # Colour blends over what is there; destination alpha stays as it was. (moderngl takes
        # the separate-alpha 4-tuple at run time; its stubs only know the 2-tuple.)
        ctx.blend_func = (moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA,  # type: ignore[assignment]
                          moderngl.ZERO, moderngl.ONE)
        try:
            render()
        finally:
            ctx.disable(moderngl.BLEND)

    # -- shaders and teardown ---------------------------------------------------------------

    def texture_ids(self) -> dict[str, int]:
        """The GL names of the textures in use, by role: a texture is reused, not remade, while
        sizes stay the same (for diagnostics and tests)."""
        named = {"face": self._face, "previous": self._prev, "alive": self._alive,
                 "tint": self._tint}
        return {role: texture.glo for role, texture in named.items() if texture is not None}

    def reload(self) -> list[str]:
        """Recompile all shaders and effects from disk; one line per failure, last good
        programs stay."""
        errors = self.library.reload()
        if self.fx is not None:
            errors += self.fx.reload()
        return errors

    def stale(self) -> bool:
        """Whether a shader or effect file changed since it was last compiled or tried."""
        return self.library.stale() or (self.fx is not None and self.fx.stale())

    def release(self) -> None:
        for texture in (self._face, self._prev, self._alive, self._tint):
            if texture is not None:
                texture.release()
        self._face = self._prev = self._alive = self._tint = None
        for p in (self._face_pass, self._map_pass, self._fade_pass):
            p.release()
        if self.fx is not None:
            self.fx.release()
            self.fx = None
        if self._fx_input is not None:
            self._fx_input.release()
            self._fx_input = None
        if self._owns_library:
            self.library.release()
