"""ISF 2.0 documents: the JSON header of an Interactive Shader Format file, parsed and checked.

Pure: no GL. An ISF file is a GLSL fragment shader whose first comment holds a JSON dict
(`INPUTS`, `PASSES`, `IMPORTED`, `CATEGORIES`, ...; spec: github.com/mrRay/ISF_Spec). Errors
are `ShaderError`s that name the file and the line of the header they are about.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from performer.render.shaders import ShaderError

INPUT_TYPES = ("event", "bool", "long", "float", "point2D", "color", "image", "audio",
               "audioFFT")
IMAGE_TYPES = ("image", "audio", "audioFFT")  # all reach the shader as a sampler2D
_COMPONENTS = {"point2D": 2, "color": 4}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER = re.compile(r"/\*(.*?)\*/", re.DOTALL)


@dataclass(frozen=True)
class IsfInput:
    """One entry of INPUTS. Values are tuples: one number for scalars, 2 for point2D, 4 for
    color, empty for images and events; `values`/`labels` are a `long`'s pop-up menu."""

    name: str
    type: str
    default: tuple[float, ...]
    minimum: tuple[float, ...] | None
    maximum: tuple[float, ...] | None
    label: str
    values: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def is_image(self) -> bool:
        return self.type in IMAGE_TYPES


@dataclass(frozen=True)
class IsfPass:
    """One entry of PASSES: where it renders, and how big (expressions of $WIDTH etc.)."""

    target: str | None
    persistent: bool
    float_buffer: bool
    width: str | None
    height: str | None


@dataclass(frozen=True)
class IsfDocument:
    """A parsed ISF header plus where its GLSL body is."""

    name: str  # the file, as errors name it
    description: str
    credit: str
    categories: tuple[str, ...]
    inputs: tuple[IsfInput, ...]
    passes: tuple[IsfPass, ...]
    imported: dict[str, str]  # sampler name -> path relative to the file
    version: str

    @property
    def is_filter(self) -> bool:
        return any(i.name == "inputImage" and i.is_image for i in self.inputs)

    def targets(self) -> tuple[str, ...]:
        """Buffer names the passes render into, first use first, each once."""
        seen: list[str] = []
        for p in self.passes:
            if p.target and p.target not in seen:
                seen.append(p.target)
        return tuple(seen)

    def images(self) -> tuple[str, ...]:
        """Every sampler name the shader sees: image inputs, pass targets, imports."""
        return (*(i.name for i in self.inputs if i.is_image), *self.targets(), *self.imported)


def parse_isf(text: str, name: str) -> IsfDocument:
    """Parse the header of ISF `text`; raises ShaderError `name:line: message`."""
    match = _HEADER.search(text)
    if match is None or text[:match.start()].strip():
        raise ShaderError("no ISF header: the file must begin with a /* JSON */ comment", name, 1)
    first_line = text.count("\n", 0, match.start(1)) + 1
    try:
        header = json.loads(match.group(1))
    except json.JSONDecodeError as err:
        raise ShaderError(f"bad ISF header JSON: {err.msg}", name,
                          first_line + err.lineno - 1) from err
    if not isinstance(header, dict):
        raise ShaderError("the ISF header must be a JSON object", name, first_line)
    where = _Locator(text, name, first_line)

    inputs = tuple(_input(entry, where) for entry in _list(header, "INPUTS", where))
    names = [i.name for i in inputs]
    for duplicate in {n for n in names if names.count(n) > 1}:
        raise where.error(f"input {duplicate!r} is declared twice", duplicate)
    persistent_v1 = _persistent_v1(header.get("PERSISTENT_BUFFERS"))
    passes = tuple(_pass(entry, where, persistent_v1) for entry in _list(header, "PASSES", where))
    imported = _imported(header.get("IMPORTED", {}), where)
    taken = set(names)
    for sampler in (*{p.target for p in passes if p.target}, *imported):
        if sampler in taken and sampler not in {p.target for p in passes}:
            raise where.error(f"{sampler!r} names both an input and a buffer", sampler)
        taken.add(sampler)
    return IsfDocument(
        name=name,
        description=str(header.get("DESCRIPTION", "")),
        credit=str(header.get("CREDIT", "")),
        categories=tuple(str(c) for c in header.get("CATEGORIES", []) or []),
        inputs=inputs,
        passes=passes or (IsfPass(None, False, False, None, None),),
        imported=imported,
        version=str(header.get("ISFVSN", "1")),
    )


class _Locator:
    """Finds the header line an error is about (the first line mentioning a name)."""

    def __init__(self, text: str, name: str, first_line: int) -> None:
        self.lines = text.splitlines()
        self.name = name
        self.first_line = first_line

    def error(self, message: str, about: str | None = None) -> ShaderError:
        line = self.first_line
        if about:
            for number, text in enumerate(self.lines, start=1):
                if f'"{about}"' in text:
                    line = number
                    break
        return ShaderError(message, self.name, line)


def _list(header: dict[str, object], key: str, where: _Locator) -> list[dict[str, object]]:
    value = header.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise where.error(f"{key} must be a list of objects", key)
    return value


def _numbers(value: object, count: int, what: str, where: _Locator, about: str
             ) -> tuple[float, ...]:
    items = value if isinstance(value, list) else [value]
    if len(items) != count or not all(
            isinstance(v, (int, float)) and not isinstance(v, str) for v in items):
        raise where.error(f"{what} must be {count} number{'s' if count > 1 else ''}", about)
    return tuple(float(v) for v in items)  # type: ignore[arg-type]


def _input(entry: dict[str, object], where: _Locator) -> IsfInput:
    name = entry.get("NAME")
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise where.error(f"input NAME must be a GLSL identifier, got {name!r}",
                          name if isinstance(name, str) else "NAME")
    kind = entry.get("TYPE")
    if kind not in INPUT_TYPES:
        raise where.error(f"input {name!r}: TYPE {kind!r} is not one of "
                          f"{', '.join(INPUT_TYPES)}", name)
    assert isinstance(kind, str)
    label = str(entry.get("LABEL", name))
    if kind in IMAGE_TYPES or kind == "event":
        return IsfInput(name, kind, (), None, None, label)
    count = _COMPONENTS.get(kind, 1)
    implicit = {"bool": 0.0, "long": 0.0, "float": 0.0, "point2D": 0.0, "color": 0.0}[kind]

    def read(key: str) -> tuple[float, ...] | None:
        if key not in entry:
            return None
        value = entry[key]
        if kind == "bool" and isinstance(value, bool):
            return (float(value),)
        return _numbers(value, count, f"input {name!r}: {key}", where, name)

    default = read("DEFAULT") or (implicit,) * count
    values: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()
    if kind == "long":
        raw_values, raw_labels = entry.get("VALUES"), entry.get("LABELS")
        if raw_values is not None:
            if not isinstance(raw_values, list) or not raw_values or not all(
                    isinstance(v, (int, float)) for v in raw_values):
                raise where.error(f"input {name!r}: VALUES must be a list of numbers", name)
            values = tuple(int(v) for v in raw_values)
            if raw_labels is None:
                labels = tuple(str(v) for v in values)
            elif not isinstance(raw_labels, list) or len(raw_labels) != len(values):
                raise where.error(f"input {name!r}: LABELS must match VALUES one to one", name)
            else:
                labels = tuple(str(v) for v in raw_labels)
    return IsfInput(name, kind, default, read("MIN"), read("MAX"), label, values, labels)


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no")
    return bool(value)


def _persistent_v1(value: object) -> frozenset[str]:
    """ISF 1.0 named persistent buffers at the top level (a list, or a dict by name)."""
    if isinstance(value, (list, dict)):
        return frozenset(str(v) for v in value)
    return frozenset()


def _pass(entry: dict[str, object], where: _Locator, persistent_v1: frozenset[str]) -> IsfPass:
    target = entry.get("TARGET")
    if target is not None and (not isinstance(target, str) or not _IDENTIFIER.match(target)):
        raise where.error(f"pass TARGET must be a GLSL identifier, got {target!r}", "TARGET")
    sizes = []
    for key in ("WIDTH", "HEIGHT"):
        value = entry.get(key)
        if value is not None and not isinstance(value, (str, int, float)):
            raise where.error(f"pass {key} must be an expression string", key)
        sizes.append(None if value is None else str(value))
    return IsfPass(
        target=target or None,
        persistent=_flag(entry.get("PERSISTENT", False)) or (target in persistent_v1),
        float_buffer=_flag(entry.get("FLOAT", False)),
        width=sizes[0],
        height=sizes[1],
    )


def _imported(value: object, where: _Locator) -> dict[str, str]:
    if isinstance(value, list):  # ISF 1.0 style: a list of {NAME, PATH}
        value = {str(item.get("NAME")): item for item in value if isinstance(item, dict)}
    if not isinstance(value, dict):
        raise where.error("IMPORTED must be an object of {name: {PATH: file}}", "IMPORTED")
    images: dict[str, str] = {}
    for name, spec in value.items():
        path = spec.get("PATH") if isinstance(spec, dict) else None
        if not _IDENTIFIER.match(name) or not isinstance(path, str):
            raise where.error(f"imported image {name!r} needs a PATH string", name)
        images[name] = path
    return images
