"""The import rule (README "Architecture"), checked on every test run, not only by `make lint`:
a change that makes a lower layer import a higher one fails CI."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True, "
            "no_logo=True))")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_the_package_keeps_every_import_contract() -> None:
    result = lint_imports(ROOT / "pyproject.toml", ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_model_importing_the_engine_breaks_the_layers_contract(tmp_path: Path) -> None:
    """The same contracts on a copy of the package with one upward import added."""
    copy = tmp_path / "performer"
    subprocess.run(["cp", "-r", str(ROOT / "performer"), str(copy)], check=True)
    base = copy / "models" / "base.py"
    base.write_text(base.read_text() + textwrap.dedent("""
        from performer.engine.drift import smoothstep  # an upward import
    """))
    result = lint_imports(ROOT / "pyproject.toml", tmp_path)
    assert result.returncode != 0
    assert "performer.models.base -> performer.engine.drift" in result.stdout
