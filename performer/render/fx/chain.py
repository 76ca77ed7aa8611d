"""The effect chain: ISF effects in order, each with its mix and bypass, hot-reloadable.

Built from effect files at start. An effect that does not parse or compile costs only
itself: one `file:line: message` line, and the rest of the chain runs. A reload (the `S`
key, or an edit noticed by `stale`) recompiles every effect; a failure keeps that effect's
last good program. Values (`fx.N.*`) are read from the frame being shown, so the chain
draws exactly what the frame was made with.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import moderngl

from performer.frame import Frame
from performer.render.fx.host import Effect, FxClock, RenderBuffer
from performer.render.fx.params import slot_prefix, uniform_values
from performer.render.fx.show_state import show_uniforms
from performer.render.fx.source import EffectFile, read_effect
from performer.render.shaders import ProgramSpec, ShaderError, ShaderLibrary

log = logging.getLogger(__name__)

MIX_PROGRAM = ProgramSpec("fullscreen.vert", "fx_mix.frag")
MIX_UNITS = {"u_input": 0, "u_effect": 1}


@dataclass
class Slot:
    """One place in the chain: its file and its last good compiled effect (None: broken)."""

    number: int  # 1-based, as in fx.N.*
    file: EffectFile
    effect: Effect | None = None
    tried: tuple[float, float] = field(default=(-1.0, -1.0))  # file times last compiled/tried

    @property
    def prefix(self) -> str:
        return slot_prefix(self.number)


def load_effect(ctx: moderngl.Context, file: EffectFile) -> Effect:
    """Read, parse and compile one effect file; raises ShaderError."""
    return Effect(ctx, read_effect(file))


class FxChain:
    """The effects between the face and the outputs, run at the output's resolution."""

    def __init__(self, ctx: moderngl.Context, library: ShaderLibrary,
                 files: Sequence[EffectFile]) -> None:
        self.ctx = ctx
        self.library = library
        self.slots = [Slot(number, file) for number, file in enumerate(files, start=1)]
        self.errors: list[str] = []  # one line per effect that did not load at start
        for slot in self.slots:
            error = self._compile(slot)
            if error:
                self.errors.append(error)
                log.error("%s (effect %d left out; the rest of the chain runs)",
                          error, slot.number)
        self._mix_program: moderngl.Program | None = None
        self._mix_vao: moderngl.VertexArray | None = None
        self._stages: RenderBuffer | None = None
        self._last_time: float | None = None
        self._last_frame: int | None = None
        self._frames = 0

    # -- per refresh ----------------------------------------------------------------------

    def active(self, frame: Frame) -> bool:
        """Whether any effect changes the picture of `frame` (else the chain is skipped)."""
        return any(self._live(slot, frame) for slot in self.slots)

    def render(self, image: moderngl.Texture, size: tuple[int, int], frame: Frame,
               time: float) -> moderngl.Texture:
        """Every live effect in order over `image`; returns the finished picture."""
        clock = self._tick(time)
        new_frame = frame.index != self._last_frame
        self._last_frame = frame.index
        fired = frame.values.fired if new_frame else frozenset()
        show = show_uniforms(frame, time)
        current = image
        for slot in self.slots:
            if not self._live(slot, frame):
                continue
            assert slot.effect is not None
            inputs = uniform_values(slot.number, slot.effect.doc, frame.values, fired)
            try:
                out = slot.effect.render(current, size, clock, inputs, show)
            except (ShaderError, moderngl.Error) as err:  # a mistyped uniform, no memory...
                where = "" if isinstance(err, ShaderError) else f"{slot.file.shown}: "
                log.error("%s%s (effect %d left out until it is reloaded)",
                          where, " ".join(str(err).split()), slot.number)
                slot.effect.release()
                slot.effect = None
                continue
            mix = float(frame.values.get(f"{slot.prefix}.mix", 1.0))
            current = out if mix >= 1.0 else self._mix(current, out, mix, size)
        return current

    def present(self, picture: moderngl.Texture) -> None:
        """Draw `picture` over the bound framebuffer's viewport."""
        self._draw_mix(picture, picture, 1.0)

    def _live(self, slot: Slot, frame: Frame) -> bool:
        values = frame.values
        return (slot.effect is not None and not values.get(f"{slot.prefix}.bypass", False)
                and float(values.get(f"{slot.prefix}.mix", 1.0)) > 0.0)

    def _tick(self, time: float) -> FxClock:
        delta = 0.0 if self._last_time is None else max(0.0, time - self._last_time)
        self._last_time = time
        now = datetime.datetime.now()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        date = (float(now.year), float(now.month), float(now.day),
                (now - midnight).total_seconds())
        clock = FxClock(time, delta, self._frames, date)
        self._frames += 1
        return clock

    def _mix(self, before: moderngl.Texture, after: moderngl.Texture, mix: float,
             size: tuple[int, int]) -> moderngl.Texture:
        if self._stages is None or self._stages.size != size:
            if self._stages is not None:
                self._stages.release()
            self._stages = RenderBuffer(self.ctx, size, False)
        self._stages.back.use()
        self._draw_mix(before, after, mix)
        self._stages.swap()
        return self._stages.texture

    def _draw_mix(self, before: moderngl.Texture, after: moderngl.Texture, mix: float) -> None:
        program = self.library.program(MIX_PROGRAM)
        if program is not self._mix_program:  # first use, or reloaded
            if self._mix_vao is not None:
                self._mix_vao.release()
            self._mix_program = program
            self._mix_vao = self.ctx.vertex_array(program, [])
            for name, unit in MIX_UNITS.items():
                _uniform(program, name).value = unit
        assert self._mix_vao is not None
        _uniform(program, "u_mix").value = mix
        before.use(MIX_UNITS["u_input"])
        after.use(MIX_UNITS["u_effect"])
        self._mix_vao.render(moderngl.TRIANGLES, vertices=3)

    # -- files ----------------------------------------------------------------------------

    def _compile(self, slot: Slot) -> str | None:
        """(Re)build a slot's effect; on failure keep the last good one and return the line."""
        slot.tried = slot.file.mtimes()
        try:
            fresh = load_effect(self.ctx, slot.file)
        except ShaderError as err:
            return str(err)
        if slot.effect is not None:
            slot.effect.release()
        slot.effect = fresh
        return None

    def reload(self) -> list[str]:
        """Recompile every effect from disk; one line per failure (last good ones stay)."""
        errors = []
        for slot in self.slots:
            error = self._compile(slot)
            if error:
                errors.append(error)
                log.warning("effect reload failed, keeping the last good one: %s", error)
            else:
                log.info("reloaded effect %d (%s)", slot.number, slot.file.shown)
        return errors

    def stale(self) -> bool:
        """Whether an effect file changed since it was last compiled or tried."""
        return any(slot.file.mtimes() != slot.tried for slot in self.slots)

    def release(self) -> None:
        for slot in self.slots:
            if slot.effect is not None:
                slot.effect.release()
                slot.effect = None
        if self._stages is not None:
            self._stages.release()
            self._stages = None
        if self._mix_vao is not None:
            self._mix_vao.release()
            self._mix_vao = None


def _uniform(program: moderngl.Program, name: str) -> moderngl.Uniform:
    member = program[name]
    assert isinstance(member, moderngl.Uniform), f"{name} is not a uniform of fx_mix.frag"
    return member
