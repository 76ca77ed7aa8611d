"""README tables generated from the registry and the key bindings, so the docs cannot drift.

`python -m performer.app.docs --write README.md` rewrites the marked sections; the test suite
checks that README.md matches.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from performer.control.keyboard import BINDINGS
from performer.control.osc.feedback import STATE_HZ
from performer.control.osc.routing import address_of
from performer.control.osc.state import STATE, state_nodes
from performer.controls import declare
from performer.models.loading import BUILTIN
from performer.models.stylegan2.params import stylegan2_params
from performer.models.stylegan3.params import TRANSFORM_PARAMS
from performer.params import Curve, Kind, Param
from performer.render.fx.setup import resolve_chain
from performer.render.fx.show_state import SHOW_UNIFORMS

BUILTIN_LAYERS = ("block0", "block1", "block2", "block3")  # the built-in model's layers


def parameter_table() -> str:
    note = f"\n\n`ablation.layer` lists the loaded model's layers (here: {BUILTIN})."
    return _param_rows(declare(BUILTIN_LAYERS)) + note


def stylegan2_parameter_table() -> str:
    """The controls a StyleGAN2 checkpoint adds (model.class: conditional ones only)."""
    note = ("\n\n`model.class` exists for class-conditional checkpoints only; its range is "
            "0 to the number of classes - 1 (here shown for three classes).")
    return _param_rows(stylegan2_params(class_count=3)) + note


def fx_parameter_table() -> str:
    """The default chain's parameters (`decay` in slot 1), as the registry declares them."""
    note = "\n\nOther effects add theirs the same way, from their ISF INPUTS."
    return _param_rows(resolve_chain(None)[1]) + note


def stylegan3_parameter_table() -> str:
    """The controls a StyleGAN3 checkpoint adds on top of StyleGAN2's (less the noise)."""
    return _param_rows(TRANSFORM_PARAMS)


def _param_rows(params: list[Param]) -> str:
    rows = [
        "| parameter | type | range | default | unit | what it does |",
        "|---|---|---|---|---|---|",
    ]
    for p in params:
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
    return "\n".join(rows)


def keys_table() -> str:
    rows = ["| key | does |", "|---|---|"]
    rows += [f"| {b.label} | {b.help} |" for b in BINDINGS]
    return "\n".join(rows)


def _osc_takes(p: Param, raw: bool) -> str:
    """What an address takes, in words (the rules of `control/osc/routing.py`'s `decode`)."""
    if p.kind is Kind.TRIGGER:
        return "non-zero fires"
    if p.kind is Kind.TOGGLE:
        return "0 / 1"
    if p.kind is Kind.CHOICE:
        if raw:
            return "a name"
        listed = ", ".join(f"{i} {c}" for i, c in enumerate(p.choices, start=1))
        return f"{listed} (or the name)"
    if not raw:
        return "0 – 1" + (" (square curve)" if p.curve is Curve.SQUARE else "")
    span = (f"{int(p.minimum)} – {int(p.maximum)}" if p.kind is Kind.INT
            else f"{p.minimum:g} – {p.maximum:g}")
    return f"{span} {p.unit}".strip()


def osc_table() -> str:
    rows = [
        "| address | takes, and feedback sends | `/performer/raw/...` twin takes |",
        "|---|---|---|",
    ]
    for p in declare(BUILTIN_LAYERS):
        cells = (f"`{address_of(p.name)}`", _osc_takes(p, raw=False), _osc_takes(p, raw=True))
        rows.append("| " + " | ".join(cells) + " |")
    heading = f"| read-only state (sent {STATE_HZ:g} times a second) | type | what it is |"
    state = ["", heading, "|---|---|---|"]
    for node in state_nodes(BUILTIN_LAYERS, ["NAME"]):  # NAME: ndi, syphon, spout, vcam, record
        kind = "float" if node.type_tag == "f" else "int"
        state.append(f"| `{node.address}` | {kind} | {node.description} |")
    state.append(f"| `{STATE}/modulated/<parameter path>` | float | A parameter as routes move "
                 "it, e.g. `.../modulated/drift/speed` (sent while a route moves it). |")
    return "\n".join(rows + state)


def fx_show_state_table() -> str:
    rows = ["| uniform | type | value |", "|---|---|---|"]
    rows += [f"| `{name}` | float | {text} |" for name, text in SHOW_UNIFORMS.items()]
    return "\n".join(rows)


SECTIONS = {"parameters": parameter_table, "fx-show-state": fx_show_state_table,
            "keys": keys_table, "osc": osc_table,
            "stylegan2-parameters": stylegan2_parameter_table,
            "stylegan3-parameters": stylegan3_parameter_table, "fx-parameters": fx_parameter_table}


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
        print(parameter_table() + "\n\n" + keys_table() + "\n\n" + osc_table())


if __name__ == "__main__":
    main()
