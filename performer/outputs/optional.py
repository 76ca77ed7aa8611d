"""Loading an optional output's library, lazily: Linux never needs Syphon or Spout."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


class OutputUnavailable(RuntimeError):
    """An output's library is missing or does not run here; the message says what to do."""


def _missing(module: str, extra: str, platform_name: str) -> OutputUnavailable:
    return OutputUnavailable(
        f"{module} is not installed ({platform_name}): pip install 'performer[{extra}]'")


def require(module: str, extra: str, platform_name: str) -> None:
    """Fail at once (before the show starts) if `module` cannot be found; imports nothing."""
    top = module.partition(".")[0]
    if top not in sys.modules and importlib.util.find_spec(top) is None:
        raise _missing(module, extra, platform_name)


def load(module: str, extra: str, platform_name: str) -> ModuleType:
    """Import `module`, or say which extra installs it (and on which system it runs)."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise _missing(module, extra, platform_name) from err
