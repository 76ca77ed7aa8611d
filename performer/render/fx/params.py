"""An effect's INPUTS as registry parameters, and parameter values back as uniform values.

Slot N of the chain (1-based, in `--fx` order) owns `fx.N.mix` (0 = the effect's input,
1 = the effect alone), `fx.N.bypass`, and one parameter per input: `fx.N.<input>`; a point2D
splits into `.x`/`.y`, a color into `.r`/`.g`/`.b`/`.a`. A `long` with VALUES becomes a choice
named by its LABELS. Image inputs have no parameter (the chain feeds them).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from performer.params import Kind, Param, Value
from performer.render.fx.isf import IsfDocument, IsfInput

PREFIX = "fx"
_PARTS = {"point2D": ("x", "y"), "color": ("r", "g", "b", "a")}

UniformValue = float | int | bool | tuple[float, ...]


def slot_prefix(slot: int) -> str:
    return f"{PREFIX}.{slot}"


def slot_params(slot: int, title: str, doc: IsfDocument | None) -> list[Param]:
    """The parameters of slot `slot` (1-based). `doc` is None for an effect that did not
    parse: it still gets mix and bypass, so controller mappings keep their places."""
    base = slot_prefix(slot)
    params = [
        Param(f"{base}.mix", Kind.FLOAT, 1.0,
              f"Effect {slot} ({title}): 0 shows its input, 1 the effect alone."),
        Param(f"{base}.bypass", Kind.TOGGLE, False, f"Effect {slot} ({title}) switched off."),
    ]
    if doc is not None:
        for item in doc.inputs:
            params.extend(input_params(base, title, item))
    return params


def input_params(base: str, title: str, item: IsfInput) -> list[Param]:
    """The registry parameters for one ISF input (none for images)."""
    about = f"{title}: {item.label}"
    if item.is_image:
        return []
    if item.type == "event":
        return [Param(f"{base}.{item.name}", Kind.TRIGGER, False, f"{about} (event).")]
    if item.type == "bool":
        return [Param(f"{base}.{item.name}", Kind.TOGGLE, bool(item.default[0]), f"{about}.")]
    if item.type == "long":
        if item.values:
            labels = _unique_labels(item)
            default = labels[_choice_index(item, item.default[0])]
            return [Param(f"{base}.{item.name}", Kind.CHOICE, default, f"{about}.",
                          choices=labels)]
        low, high = _range(item, 0, default_max=10.0)
        return [Param(f"{base}.{item.name}", Kind.INT, round(item.default[0]), f"{about}.",
                      minimum=round(low), maximum=round(high))]
    parts = _PARTS.get(item.type)
    if parts is None:  # float
        low, high = _range(item, 0)
        return [Param(f"{base}.{item.name}", Kind.FLOAT, item.default[0], f"{about}.",
                      minimum=low, maximum=high)]
    return [Param(f"{base}.{item.name}.{part}", Kind.FLOAT, item.default[i],
                  f"{about} ({part}).", minimum=_range(item, i)[0], maximum=_range(item, i)[1])
            for i, part in enumerate(parts)]


def uniform_values(slot: int, doc: IsfDocument, values: Mapping[str, Value],
                   fired: Collection[str] = ()) -> dict[str, UniformValue]:
    """Uniform name -> value for the inputs of `doc` in slot `slot`, read from `values`
    (a frame's snapshot); an input with no parameter (added by a hot reload) keeps its
    DEFAULT. `fired` names the triggers fired for this frame (events)."""
    base = slot_prefix(slot)
    uniforms: dict[str, UniformValue] = {}
    for item in doc.inputs:
        name = f"{base}.{item.name}"
        if item.is_image:
            continue
        if item.type == "event":
            uniforms[item.name] = name in fired
        elif item.type == "bool":
            uniforms[item.name] = bool(values.get(name, bool(item.default[0])))
        elif item.type == "long":
            uniforms[item.name] = _long_value(item, values.get(name))
        elif item.type in _PARTS:
            uniforms[item.name] = tuple(
                float(values.get(f"{name}.{part}", item.default[i]))
                for i, part in enumerate(_PARTS[item.type]))
        else:
            uniforms[item.name] = float(values.get(name, item.default[0]))
    return uniforms


def size_variables(uniforms: Mapping[str, UniformValue]) -> dict[str, float]:
    """The `$input` variables a pass-size expression may read (scalars only)."""
    return {name: float(value) for name, value in uniforms.items()
            if not isinstance(value, tuple)}


def _range(item: IsfInput, index: int, default_max: float = 1.0) -> tuple[float, float]:
    low = item.minimum[index] if item.minimum else min(0.0, item.default[index])
    high = item.maximum[index] if item.maximum else max(default_max, item.default[index])
    if high < low:
        low, high = high, low
    return low, max(high, low)


def _unique_labels(item: IsfInput) -> tuple[str, ...]:
    labels: list[str] = []
    for label, value in zip(item.labels, item.values, strict=True):
        labels.append(f"{label} ({value})" if label in labels else label)
    return tuple(labels)


def _choice_index(item: IsfInput, value: float) -> int:
    for index, candidate in enumerate(item.values):
        if candidate == round(value):
            return index
    return 0


def _long_value(item: IsfInput, value: Value | None) -> int:
    if not item.values:
        return round(float(value)) if value is not None else round(item.default[0])
    labels = _unique_labels(item)
    if isinstance(value, str) and value in labels:
        return item.values[labels.index(value)]
    return item.values[_choice_index(item, item.default[0])]


def chain_params(sources: Sequence[tuple[str, IsfDocument | None]]) -> list[Param]:
    """The parameters of a whole chain: (title, parsed header or None) per slot, in order."""
    params: list[Param] = []
    for slot, (title, doc) in enumerate(sources, start=1):
        params.extend(slot_params(slot, title, doc))
    return params
