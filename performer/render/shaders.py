"""Shader files: describe → find → load, with `#include` and errors that name file and line.

A program is described by two file names (`ProgramSpec`), each found along one search path,
expanded by a pure preprocessing step (`preprocess`), and compiled by moderngl. When the
driver rejects it, its log is translated back to `file:line: message` (`ShaderError`).

Line numbers survive includes because the expanded text carries `#line` directives whose
numbers encode the file: the main file keeps its own numbers, the k-th included file counts
from `k * LINE_STRIDE`. The numbers alone identify the file, because Mesa reports source-string
0 for every semantic error whatever `#line` said (only syntax errors keep the string number).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import moderngl

from performer.env import shader_path

log = logging.getLogger(__name__)

LINE_STRIDE = 100_000  # line numbers of the k-th included file start at k * LINE_STRIDE

_INCLUDE = re.compile(r"^\s*#\s*include\b(.*)$")
_INCLUDE_ARG = re.compile(r'^\s*"([^"]+)"\s*(//.*)?$')
_VERSION = re.compile(r"^\s*#\s*version\s+(\d+)\s*(\w+)?")
_STAGES = ("vertex_shader", "fragment_shader", "geometry_shader")
# Driver log formats: Mesa `0:12(5): error: ...`, NVIDIA `0(12) : error C1008: ...`,
# AMD/Intel/ANGLE `ERROR: 0:12: ...`.
_LOG_FORMATS = (
    re.compile(r"^(?P<src>\d+):(?P<line>\d+)\(\d+\):\s*(?P<msg>.*)$"),
    re.compile(r"^(?P<src>\d+)\((?P<line>\d+)\)\s*:\s*(?P<msg>.*)$"),
    re.compile(r"^(?P<kind>ERROR|WARNING):\s*(?P<src>\d+):(?P<line>\d+):\s*(?P<msg>.*)$"),
)


class ShaderError(Exception):
    """A shader could not be found, preprocessed or compiled; the message is one line.

    `path` and `line` say where (the file name as found on the search path, 1-based line),
    when that is known; `log` keeps the whole translated driver log.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 log: str = "") -> None:
        where = [str(part) for part in (path, line) if part is not None]
        super().__init__(": ".join([":".join(where), message]) if where else message)
        self.path = path
        self.line = line
        self.detail = message
        self.log = log


# --- describe ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramSpec:
    """The two files a program is made of, named as they are found on the search path."""

    vertex: str
    fragment: str

    @property
    def name(self) -> str:
        return f"{self.vertex}+{self.fragment}"


# --- find -------------------------------------------------------------------------------


def builtin_shader_dir() -> Path:
    """The shaders shipped with performer: the data package, or the repository's `shaders/`."""
    try:
        from importlib.resources import files

        root = files("performer.shaders")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "shaders"
    # Installed wheels are unpacked on disk, so the resource root is a real directory.
    return Path(str(root))


def default_search_path(environ: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """User directories from PERFORMER_SHADER_PATH (os.pathsep-separated) first, then the builtins.

    A user directory therefore overrides a shipped file of the same name, includes too.
    """
    return (*shader_path(environ), builtin_shader_dir())


def find_shader(name: str, search_path: Sequence[Path]) -> Path:
    """The first file called `name` along the search path."""
    for directory in search_path:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    dirs = ", ".join(str(d) for d in search_path) or "(empty search path)"
    raise ShaderError(f"cannot find shader {name!r} in {dirs}")


# --- preprocess (pure) ------------------------------------------------------------------


@dataclass(frozen=True)
class ShaderSource:
    """GLSL text ready for the driver, plus the table that maps its line numbers back.

    `files[k]` is the file whose lines are numbered from `k * LINE_STRIDE`; `files[0]` is the
    main file, which keeps its own line numbers.
    """

    text: str
    files: tuple[str, ...]

    def origin(self, line: int) -> tuple[str, int]:
        """(file, line) for a line number the driver reported."""
        index, local = divmod(line, LINE_STRIDE)
        if 0 < index < len(self.files):
            return self.files[index], local
        return self.files[0], line


def preprocess(name: str, read: Callable[[str], str]) -> ShaderSource:
    """Expand `#include "file"` recursively; each file is included once, a cycle is an error.

    `read(name)` returns a file's text and raises FileNotFoundError (or ShaderError) when the
    file is missing. Includes are looked up by name along the same search path as the main
    file. Only the main file may hold `#version`. A `#include` inside a /* */ comment is
    still expanded: keep includes on their own lines outside comments.
    """
    root_text = _read(read, name, None, 0)
    old_line_rule = _next_line_is_n_plus_1(root_text)
    files: list[str] = [name]
    out: list[str] = []

    def line_directive(number: int, index: int) -> str:
        # Before GLSL 3.30 (and in GLSL ES 1.00) `#line n` numbers the *next* line n + 1.
        return f"#line {number - 1 if old_line_rule else number} {index}"

    def expand(file: str, text: str, index: int, stack: tuple[str, ...]) -> None:
        lines = text.splitlines()
        if len(lines) >= LINE_STRIDE:
            raise ShaderError(f"file has {len(lines)} lines, more than {LINE_STRIDE - 1}", file)
        base = index * LINE_STRIDE
        for number, line in enumerate(lines, start=1):
            match = _INCLUDE.match(line)
            if match is None:
                if index > 0 and _VERSION.match(line):
                    raise ShaderError("#version is only allowed in the main file", file, number)
                # moderngl expands `#include "x"` anywhere, comments too: hide what is left.
                out.append(line.replace("#include", "# include"))
                continue
            arg = _INCLUDE_ARG.match(match.group(1))
            if arg is None:
                raise ShaderError('expected #include "file"', file, number)
            target = arg.group(1)
            if target in stack:
                chain = " -> ".join((*stack[stack.index(target):], target))
                raise ShaderError(f"include cycle: {chain}", file, number)
            if target in files:
                out.append(f"// {target} already included")
                continue
            files.append(target)
            child = len(files) - 1
            child_text = _read(read, target, file, number)
            out.append(line_directive(child * LINE_STRIDE + 1, child))
            expand(target, child_text, child, (*stack, target))
            out.append(line_directive(base + number + 1, index))

    expand(name, root_text, 0, (name,))
    return ShaderSource(text="\n".join(out) + "\n", files=tuple(files))


def _read(read: Callable[[str], str], name: str, parent: str | None, line: int) -> str:
    try:
        return read(name)
    except FileNotFoundError as err:
        if parent is None:
            raise ShaderError(f"cannot find shader {name!r}") from err
        raise ShaderError(f"cannot find include {name!r}", parent, line) from err


def _next_line_is_n_plus_1(text: str) -> bool:
    for line in text.splitlines():
        match = _VERSION.match(line)
        if match:
            version, profile = int(match.group(1)), match.group(2)
            return version < 300 or (version < 330 and profile != "es")
    return False


# --- driver logs --------------------------------------------------------------------------


def translate_log(log_text: str, sources: Mapping[str, ShaderSource]) -> list[str]:
    """Rewrite a moderngl compile/link log as `file:line: message` lines.

    `sources` maps moderngl's stage headers ("vertex_shader", "fragment_shader") to the
    preprocessed source of that stage; lines without a location are kept as they are.
    """
    stage: str | None = None
    lines: list[str] = []
    for raw in log_text.splitlines():
        text = raw.strip()
        if not text or set(text) == {"="} or text in ("GLSL Compiler failed", "GLSL Linker failed"):
            continue
        if text in _STAGES or text == "Program":
            stage = text
            continue
        located = parse_log_line(text)
        source = sources.get(stage or "")
        if located is not None and source is not None:
            file, line = source.origin(located[0])
            lines.append(f"{file}:{line}: {located[1]}")
        else:
            lines.append(text)
    return lines


def parse_log_line(text: str) -> tuple[int, str] | None:
    """(reported line number, message) from one driver log line, or None without a location."""
    for pattern in _LOG_FORMATS:
        match = pattern.match(text)
        if match:
            message = match.group("msg")
            kind = match.groupdict().get("kind")
            if kind:
                message = f"{kind.lower()}: {message}"
            return int(match.group("line")), message
    return None


def _first_error(lines: Sequence[str]) -> str:
    for line in lines:
        if "error" in line.lower():
            return line
    return lines[0] if lines else "unknown error"


# --- load -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedProgram:
    """A compiled program and the files it was built from (for change detection)."""

    program: moderngl.Program
    paths: tuple[Path, ...]


def load_program(ctx: moderngl.Context, spec: ProgramSpec,
                 search_path: Sequence[Path]) -> LoadedProgram:
    """Find, preprocess and compile one program; raises ShaderError with `file:line: message`."""
    paths: dict[str, Path] = {}

    def read(name: str) -> str:
        try:
            path = find_shader(name, search_path)
        except ShaderError as err:
            raise FileNotFoundError(name) from err
        paths[name] = path
        try:
            return path.read_text(encoding="utf-8")
        except OSError as err:
            raise ShaderError(f"cannot read {path}: {err.strerror}") from err

    sources = {
        "vertex_shader": preprocess(spec.vertex, read),
        "fragment_shader": preprocess(spec.fragment, read),
    }
    program = compile_program(ctx, sources, spec.name)
    return LoadedProgram(program, tuple(paths.values()))


def compile_program(ctx: moderngl.Context, sources: Mapping[str, ShaderSource],
                    name: str) -> moderngl.Program:
    """Compile a vertex and a fragment stage; the driver's complaint becomes a ShaderError
    `file:line: message` (`name` where the log names no line)."""
    try:
        return ctx.program(
            vertex_shader=sources["vertex_shader"].text,
            fragment_shader=sources["fragment_shader"].text,
        )
    except moderngl.Error as err:
        lines = translate_log(str(err), sources)
        first = _first_error(lines)
        located = re.match(r"^(.+?):(\d+): (.*)$", first)
        full = "\n".join(lines)
        if located:
            raise ShaderError(located.group(3), located.group(1), int(located.group(2)),
                              log=full) from err
        raise ShaderError(first, name, log=full) from err


# --- reload -----------------------------------------------------------------------------


class ShaderLibrary:
    """Compiled programs by spec, reloadable from disk while the show runs.

    The first load of a spec raises ShaderError (there is nothing to fall back on); a failed
    reload logs and returns the one-line error and keeps the last good program.
    """

    def __init__(self, ctx: moderngl.Context, search_path: Sequence[Path] | None = None) -> None:
        self.ctx = ctx
        self.search_path = tuple(default_search_path() if search_path is None else search_path)
        self._loaded: dict[ProgramSpec, LoadedProgram] = {}
        self._mtimes: dict[ProgramSpec, tuple[float, ...]] = {}

    def program(self, spec: ProgramSpec) -> moderngl.Program:
        """The current program for `spec`, compiled on first use."""
        loaded = self._loaded.get(spec)
        if loaded is None:
            loaded = self._install(spec, load_program(self.ctx, spec, self.search_path))
        return loaded.program

    def reload(self) -> list[str]:
        """Recompile every program from disk; returns one line per program that failed."""
        errors: list[str] = []
        for spec in list(self._loaded):
            try:
                fresh = load_program(self.ctx, spec, self.search_path)
            except ShaderError as err:
                log.warning("shader reload failed, keeping the last good program: %s", err)
                errors.append(str(err))
                # Seen: not stale again until the next edit (no error every poll).
                self._mtimes[spec] = _mtimes(self._loaded[spec].paths)
                continue
            self._loaded[spec].program.release()
            self._install(spec, fresh)
            log.info("reloaded shader program %s", spec.name)
        return errors

    def stale(self) -> bool:
        """Whether any file a loaded program was built from changed since it was last
        compiled or tried (a failed reload counts as tried)."""
        return any(_mtimes(loaded.paths) != self._mtimes[spec]
                   for spec, loaded in self._loaded.items())

    def release(self) -> None:
        for loaded in self._loaded.values():
            loaded.program.release()
        self._loaded.clear()
        self._mtimes.clear()

    def _install(self, spec: ProgramSpec, loaded: LoadedProgram) -> LoadedProgram:
        self._loaded[spec] = loaded
        self._mtimes[spec] = _mtimes(loaded.paths)
        return loaded


def _mtimes(paths: Sequence[Path]) -> tuple[float, ...]:
    stamps = []
    for path in paths:
        try:
            stamps.append(path.stat().st_mtime)
        except OSError:
            stamps.append(-1.0)
    return tuple(stamps)
