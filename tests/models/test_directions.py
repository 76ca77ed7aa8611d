"""Semantic directions in closed form: orthonormal, they change the image, ranked by what
they do, the same on every load, cached under the weights' key, for every family."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from performer.models import directions as found
from performer.models.base import AblatableGenerator
from performer.models.loading import load_model
from tests.models import nvlabs_fixtures as fixtures
from tests.models import stylegan3_fixtures

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def stylegan2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AblatableGenerator]:
    root = tmp_path_factory.mktemp("directions")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        fixtures.write_nvlabs_pickle(root / "g.pkl", seed=5)
        yield load_model(str(root / "g.pkl"), CPU)


@pytest.fixture(scope="module")
def stylegan3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AblatableGenerator]:
    root = tmp_path_factory.mktemp("directions3")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        stylegan3_fixtures.write_stylegan3_pickle(root / "g3.pkl", "t")
        yield load_model(str(root / "g3.pkl"), CPU)


@pytest.fixture(params=["dcgan", "stylegan2", "stylegan3"])
def family(request: pytest.FixtureRequest, model: AblatableGenerator,
           stylegan2: AblatableGenerator, stylegan3: AblatableGenerator) -> AblatableGenerator:
    return {"dcgan": model, "stylegan2": stylegan2, "stylegan3": stylegan3}[request.param]


def test_directions_are_orthonormal_and_in_the_family_space(
        family: AblatableGenerator) -> None:
    directions = found.find_directions(family)
    assert directions is not None
    vectors = directions.vectors.double()
    assert vectors.shape[0] == found.COUNT
    assert torch.allclose(vectors @ vectors.T, torch.eye(found.COUNT, dtype=torch.float64),
                          atol=1e-5)
    basis = family.direction_basis()
    assert basis is not None and directions.space == basis.space
    assert directions.space == ("z" if family.latent_size == 100 else "w")
    assert (directions.scales > 0).all()


def test_each_direction_changes_the_image_most_visible_first(
        family: AblatableGenerator) -> None:
    directions = found.find_directions(family)
    assert directions is not None
    assert (directions.effects[:-1] >= directions.effects[1:]).all()
    start = found.sample_space(family, 2, 0, directions.space)
    with torch.inference_mode():
        before = found.draw(family, start, directions.space)
        for vector, scale in zip(directions.vectors, directions.scales, strict=True):
            after = found.draw(family, start + found.REACH * scale * vector, directions.space)
            assert (after - before).abs().mean() > 0.01


def test_the_top_eigenvectors_stretch_the_first_layer_most(model: AblatableGenerator) -> None:
    """The closed form itself: no unit vector moves the (normalised) first layer more."""
    basis = model.direction_basis()
    assert basis is not None
    a = basis.weight.double()
    a = a / a.norm(dim=1, keepdim=True)
    top = found.closed_form(basis)[0].double()
    random = torch.randn(64, a.shape[1], generator=torch.Generator().manual_seed(0),
                         dtype=torch.float64)
    random = random / random.norm(dim=1, keepdim=True)
    assert (a @ top).norm() >= (random @ a.T).norm(dim=1).max()
    assert top[top.abs().argmax()] > 0  # the sign is fixed: the same knobs on every machine


def test_directions_are_cached_under_the_weights_key(
        stylegan2: AblatableGenerator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    weights = stylegan2.weights_path
    assert weights is not None
    first = found.load_or_find(stylegan2, weights)
    assert first is not None
    assert (tmp_path / "performer" / found.directions_filename(weights)).exists()
    again = found.cached_directions(stylegan2, weights)
    assert again is not None and torch.equal(again.vectors, first.vectors)
    assert again.space == first.space
