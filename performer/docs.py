"""README tables generated from the registry and the key bindings, so the docs cannot drift.

`python -m performer.docs --write README.md` rewrites the marked sections; the test suite
checks that README.md matches.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from performer.controls import declare
from performer.keyboard import BINDINGS, key_label
from performer.models.loading import BUILTIN
from performer.params import Curve, Kind

BUILTIN_LAYERS = ("block0", "block1", "block2", "block3")  # the built-in model's layers


def parameter_table() -> str:
    rows = [
        "| parameter | type | range | default | unit | what it does |",
        "|---|---|---|---|---|---|",
    ]
    for p in declare(BUILTIN_LAYERS):
        if p.name == "midi.learn":
            span = "off, last, or any parameter name"
        elif p.kind is Kind.CHOICE:
            span = ", ".join(p.choices)
        elif p.kind is Kind.INT:
            span = f"{int(p.minimum)} – {int(p.maximum)}"
        elif p.kind is Kind.FLOAT:
            curve = " (square curve)" if p.curve is Curve.SQUARE else ""
            span = f"{p.minimum:g} – {p.maximum:g}{curve}"
        else:
            span = "on / off" if p.kind is Kind.TOGGLE else "fires on press"
        default = str(p.default)
        if p.kind is Kind.TOGGLE:
            default = "on" if p.default else "off"
        elif p.kind is Kind.TRIGGER:
            default = ""
        cells = (f"`{p.name}`", p.kind.value, span, default, p.unit, p.description)
        rows.append("| " + " | ".join(cells) + " |")
    note = f"\n\n`ablation.layer` lists the loaded model's layers (here: {BUILTIN})."
    return "\n".join(rows) + note


def keys_table() -> str:
    rows = ["| key | does |", "|---|---|"]
    rows += [f"| {' / '.join(key_label(k) for k in b.keys)} | {b.help} |" for b in BINDINGS]
    return "\n".join(rows)


SECTIONS = {"parameters": parameter_table, "keys": keys_table}


def _escape(replacement: str) -> str:
    return replacement.replace("\\", "\\\\")


def render(text: str) -> str:
    """`text` with every `<!-- NAME:begin -->...<!-- NAME:end -->` section regenerated."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(rf"\g<1>{_escape(make())}\n\g<2>", text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="rewrite this file's generated sections")
    args = parser.parse_args()
    if args.write:
        args.write.write_text(render(args.write.read_text()))
    else:
        print(parameter_table() + "\n\n" + keys_table())


if __name__ == "__main__":
    main()
