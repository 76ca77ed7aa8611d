"""The bench's first-start and model-switch sections run and report what they say (their
figures are timings: printed, never judged here)."""

from __future__ import annotations

import pytest
import torch

from performer.bench import models as models_bench
from performer.models import stats as model_stats

CPU = torch.device("cpu")


def test_the_first_start_section_times_every_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    model = models_bench.small_stylegan2(CPU)
    assert model.neuron_count == 768 and model.resolution == 32
    # 16 latents for the means keep this test short; the bench runs the real budget.
    per_sample = sum(layer.channels * layer.height * layer.width for layer in model.layers)
    monkeypatch.setattr(model_stats, "MEASURE_FLOATS", per_sample * 16)
    figures = models_bench.statistics_figures(CPU)
    for stage in ("first_frame", "directions", "activity", "importance"):
        assert figures[f"stats_{stage}_s"] > 0
    assert figures["stats_total_s"] == pytest.approx(
        figures["stats_directions_s"] + figures["stats_activity_s"]
        + figures["stats_importance_s"])
    text = models_bench.format_models({**figures, **models_bench.switch_figures(CPU)})
    assert "768-neuron 32 px StyleGAN2" in text and "Model switch" in text


def test_the_switch_section_switches(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="performer.engine.engine"):
        figures = models_bench.switch_figures(CPU)
    assert [r.getMessage() for r in caplog.records].count("showing second") == \
        models_bench.SWITCHES
    assert figures["model_memory_mb"] > 1.0 and figures["model_switch_step_ms"] > 0
