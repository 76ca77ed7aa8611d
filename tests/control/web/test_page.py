"""The console page is generated from the registry: every parameter, grouped in declaration
order, with kind, range, unit and curve, a model's own controls included."""

from __future__ import annotations

from performer.control.web.page import console_description
from performer.controls import make_registry
from performer.models.stylegan2.params import stylegan2_params
from performer.params import Curve, Kind, Param
from tests.helpers import LAYERS


def test_every_parameter_appears_once_in_readme_order() -> None:
    registry = make_registry(LAYERS)
    page = console_description(registry, "performer")
    names = [p["name"] for g in page["groups"] for p in g["params"]]
    assert sorted(names) == sorted(p.name for p in registry.params())
    groups = [g["name"] for g in page["groups"]]
    assert groups[:4] == ["ablation", "drift", "output", "tempo"] and groups[-1] == "midi"
    assert groups == list(dict.fromkeys(p.group for p in registry.params()))  # declared order


def test_faders_carry_range_unit_and_curve_and_choices_their_names() -> None:
    page = console_description(make_registry(LAYERS), "performer")
    params = {p["name"]: p for g in page["groups"] for p in g["params"]}
    rate = params["ablation.rate"]
    assert (rate["kind"], rate["minimum"], rate["maximum"], rate["unit"], rate["curve"]) == (
        "float", 0.0, 2000.0, "neurons/s", "square")
    assert rate["address"] == "/performer/ablation/rate"
    assert params["ablation.layer"]["choices"] == ["all", *LAYERS]
    assert params["drift.new"]["kind"] == "trigger" and "minimum" not in params["drift.new"]


def test_a_models_own_and_later_parameters_appear_without_code_here() -> None:
    later = [Param("later.rate", Kind.FLOAT, 1.0, "A capability added later.", unit="Hz"),
             Param("later.sync", Kind.TRIGGER, False, "Restart it.")]
    registry = make_registry(LAYERS, [*stylegan2_params(class_count=3), *later])
    page = console_description(registry, "performer")
    groups = {g["name"]: [p["name"] for p in g["params"]] for g in page["groups"]}
    assert "model.truncation" in groups["model"] and groups["later"] == ["later.rate", "later.sync"]
    assert {"scene.recall", "scene.store"} <= set(groups["scene"])  # the scene buttons
    assert all(p["curve"] in {c.value for c in Curve} for g in page["groups"]
               for p in g["params"] if p["kind"] in ("float", "int"))
