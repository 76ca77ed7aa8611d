"""Finding and reading effect files: `--fx decay` or `--fx path/to/Effect.fs`.

A name without a folder is looked up as `fx/<name>.fs` along the shader search path (user
folders in PERFORMER_SHADER_PATH first, then the bundled effects), so a user's copy of a
bundled effect wins. A vertex shader with the same base name (`.vs`) beside the `.fs` is used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from performer.render.fx.isf import IsfDocument, parse_isf
from performer.render.shaders import ShaderError, default_search_path

FX_FOLDER = "fx"
SUFFIX = ".fs"
NONE = "none"  # `--fx none`: an empty chain


@dataclass(frozen=True)
class EffectFile:
    """Where an effect lives and how errors and parameter descriptions name it."""

    path: Path
    shown: str  # the name in `file:line` messages

    @property
    def title(self) -> str:
        return self.path.stem

    @property
    def vertex_path(self) -> Path:
        return self.path.with_suffix(".vs")

    def mtimes(self) -> tuple[float, float]:
        """Modification times of the .fs and the .vs (-1 when absent), for hot reload."""
        return (_mtime(self.path), _mtime(self.vertex_path))


@dataclass(frozen=True)
class EffectSource:
    """An effect file read and its header parsed (GLSL not yet compiled)."""

    file: EffectFile
    doc: IsfDocument
    fragment: str
    vertex: str | None  # the .vs text, if there is one


def find_effect(spec: str, search_path: Sequence[Path] | None = None) -> EffectFile:
    """An existing file path, or a bundled or user effect by name (`decay`, `trails.fs`)."""
    given = Path(spec).expanduser()
    if given.is_file():
        return EffectFile(given, spec)
    if os.sep not in spec and "/" not in spec:
        name = spec if spec.endswith(SUFFIX) else spec + SUFFIX
        folders = search_path if search_path is not None else default_search_path()
        for folder in folders:
            candidate = folder / FX_FOLDER / name
            if candidate.is_file():
                return EffectFile(candidate, f"{FX_FOLDER}/{name}")
    raise ShaderError(f"no effect {spec!r}: not a file, and not one of "
                      f"{', '.join(bundled_effects()) or 'the bundled effects'}")


def read_effect(file: EffectFile) -> EffectSource:
    """Read and parse one effect; raises ShaderError `file:line: message`."""
    try:
        fragment = file.path.read_text(encoding="utf-8")
        vertex = (file.vertex_path.read_text(encoding="utf-8")
                  if file.vertex_path.is_file() else None)
    except (OSError, UnicodeDecodeError) as err:
        raise ShaderError(f"cannot read the effect: {err}", file.shown) from err
    return EffectSource(file, parse_isf(fragment, file.shown), fragment, vertex)


def bundled_effects() -> tuple[str, ...]:
    """The names of the effects shipped with performer."""
    folder = default_search_path({})[-1] / FX_FOLDER
    return tuple(sorted(p.stem for p in folder.glob(f"*{SUFFIX}")))


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def chain_files(specs: Sequence[str] | None, default: Sequence[str] = ()) -> list[EffectFile]:
    """`--fx` values -> effect files in order: None gives `default`, `none` an empty chain."""
    chosen = list(default) if specs is None else list(specs)
    if [s.lower() for s in chosen] == [NONE]:
        return []
    return [find_effect(spec) for spec in chosen]
