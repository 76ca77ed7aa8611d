"""How a performer names a device on the command line (`--midi`, `--audio`): part of its
name, as a case-insensitive regex, or as plain text when it is not a valid regex."""

from __future__ import annotations

import re


def name_pattern(text: str) -> re.Pattern[str]:
    """`text` as a case-insensitive regex, or a plain substring if it is not a regex."""
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error:
        return re.compile(re.escape(text), re.IGNORECASE)
