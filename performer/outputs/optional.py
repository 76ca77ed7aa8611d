"""Loading an optional output's library, lazily: Linux never needs Syphon or Spout."""

from __future__ import annotations

import importlib
from types import ModuleType


class OutputUnavailable(RuntimeError):
    """An output's library is missing or does not run here; the message says what to do."""


def load(module: str, extra: str, platform_name: str) -> ModuleType:
    """Import `module`, or say which extra installs it (and on which system it runs)."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise OutputUnavailable(
            f"{module} is not installed ({platform_name}): pip install 'performer[{extra}]'"
        ) from err
