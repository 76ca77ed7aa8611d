"""What the console page is built from: every parameter of the registry, in groups.

The page has no list of its own: a parameter declared anywhere (controls.py, a model's
extra parameters, a later capability) appears with its kind, range, unit and curve.
Values travel over the OSCQuery WebSocket on the parameter's normalised address, the
same terms as OSC feedback, so a fader's position is exactly what is sent and received.
"""

from __future__ import annotations

from typing import Any

from performer.control.osc.routing import address_of
from performer.params import Kind, Param, Registry

Description = dict[str, Any]


def describe(param: Param) -> Description:
    """One parameter as the page draws it."""
    described: Description = {
        "name": param.name,
        "label": param.name.split(".", 1)[1].replace("_", " ") if "." in param.name
        else param.name,
        "kind": param.kind.value,
        "description": param.description,
        "address": address_of(param.name),
        "raw_address": address_of(param.name, raw=True),
    }
    if param.kind in (Kind.FLOAT, Kind.INT):
        described.update(minimum=param.minimum, maximum=param.maximum, unit=param.unit,
                         curve=param.curve.value)
    elif param.kind is Kind.CHOICE:
        described["choices"] = list(param.choices)
    return described


def console_description(registry: Registry, title: str) -> Description:
    """The groups in the order their first parameter is declared (the README's order)."""
    groups: dict[str, list[Description]] = {}
    for param in registry.params():
        groups.setdefault(param.group, []).append(describe(param))
    return {"title": title,
            "groups": [{"name": name, "params": params} for name, params in groups.items()]}
