"""Semantic directions found in closed form from the weights, ranked by what they do.

SeFa (Shen & Zhou, "Closed-Form Factorization of Latent Semantics in GANs"): the first
thing a generator does with its latent is a linear map A (StyleGAN's style affines, the
DCGAN's first transposed convolution). The unit vectors d that A stretches most, the top
eigenvectors of AᵀA (rows of A normalised first, so no layer dominates by its scale), are
the moves in latent space that change the network's input most. Each family says which A
and which latent (`AblatableGenerator.direction_basis`); this module does the rest for all.

The top `CANDIDATES` eigenvectors are then ranked by their measured effect on the image
(mean absolute change when the latent moves `REACH` standard deviations along one), and
the `COUNT` most visible are kept, most visible first. Eigenvector signs are arbitrary, so
each is flipped to make its largest component positive: the same weights give the same
knobs on every machine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import torch

from performer.models.base import AblatableGenerator, DirectionBasis, has_w_space
from performer.models.stats import cached, save_cached, weights_key

log = logging.getLogger(__name__)

VERSION = "1"

COUNT = 8  # drift.direction.1 .. drift.direction.8
CANDIDATES = 16  # eigenvectors whose effect is measured
REACH = 3.0  # a knob at ±1 moves the latent ± this many standard deviations along its direction
SPREAD_SAMPLES = 256  # latents that measure the spread along each direction
RANK_SAMPLES = 4  # faces each candidate's effect is measured on (fewer for big models)
RANK_FLOATS = 1 << 27  # activation values one candidate's measurement may produce
SEED = 4321


@dataclass(frozen=True)
class Directions:
    """Orthonormal directions in one latent space, most visible first."""

    vectors: torch.Tensor  # (k, D) orthonormal rows
    scales: torch.Tensor  # (k,) standard deviation of the model's latents along each
    effects: torch.Tensor  # (k,) mean absolute image change at full reach, in [-1, 1] units
    space: str  # "z" or "w"

    def to_tensors(self) -> dict[str, torch.Tensor]:
        return {"vectors": self.vectors.contiguous(), "scales": self.scales.contiguous(),
                "effects": self.effects.contiguous()}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], space: str) -> Directions:
        return cls(tensors["vectors"], tensors["scales"], tensors["effects"], space)


def closed_form(basis: DirectionBasis) -> torch.Tensor:
    """All eigenvectors of AᵀA (rows of A unit length), largest eigenvalue first: (D, D)
    rows, each signed so its largest-magnitude component is positive."""
    a = basis.weight.detach().double().cpu()
    a = a / a.norm(dim=1, keepdim=True).clamp_min(1e-12)
    values, vectors = torch.linalg.eigh(a.t() @ a)  # ascending eigenvalues, columns
    rows = vectors[:, values.argsort(descending=True)].t()
    peak = rows.gather(1, rows.abs().argmax(dim=1, keepdim=True))
    return (rows * peak.sign()).float()


def sample_space(model: AblatableGenerator, count: int, seed: int, space: str) -> torch.Tensor:
    """`count` latents of the model in `space`: Gaussian z, or z mapped to (untruncated) w."""
    device = next(model.parameters()).device
    z = model.sample_latents(count, seed).to(device)
    if space == "w":
        assert has_w_space(model)
        return model.map(z)  # type: ignore[operator]
    return z


def draw(model: AblatableGenerator, latent: torch.Tensor, space: str) -> torch.Tensor:
    """Images for latents in `space`, as the engine draws them."""
    if space == "w":
        synthesize_w = cast(Callable[[torch.Tensor], torch.Tensor], model.synthesize_w)
        return synthesize_w(latent)
    return model(latent)


def rank_samples(model: AblatableGenerator) -> int:
    """Faces per candidate: RANK_SAMPLES, fewer where one image makes many activations."""
    per_sample = sum(layer.channels * layer.height * layer.width for layer in model.layers)
    return max(1, min(RANK_SAMPLES, RANK_FLOATS // max(per_sample, 1)))


def find_directions(model: AblatableGenerator, count: int = COUNT) -> Directions | None:
    """The model's `count` most visible closed-form directions, or None if it has none.

    Runs `CANDIDATES` + 1 forward passes of `rank_samples` faces: call it on a model whose
    masks are all alive (the measuring copy), never on the one on screen.
    """
    basis = model.direction_basis()
    if basis is None:
        return None
    candidates = closed_form(basis)[:CANDIDATES]
    device = next(model.parameters()).device
    with torch.inference_mode():
        spread = sample_space(model, SPREAD_SAMPLES, SEED, basis.space).float()
        along = (spread - spread.mean(0)) @ candidates.to(device).t()  # (samples, candidates)
        scales = along.std(0).cpu()
        start = spread[: rank_samples(model)]
        reference = draw(model, start, basis.space)
        effects = torch.empty(len(candidates))
        for i, (vector, scale) in enumerate(zip(candidates, scales, strict=True)):
            moved = draw(model, start + (REACH * scale * vector).to(device), basis.space)
            effects[i] = (moved - reference).abs().mean().cpu()
    keep = effects.argsort(descending=True)[:count]
    return Directions(candidates[keep].contiguous(), scales[keep].contiguous(),
                      effects[keep].contiguous(), basis.space)


def directions_filename(weights: Path) -> str:
    """Cached beside the statistics, under the same key (the weights' sha256 prefix)."""
    return f"{weights_key(weights)}.directions.v{VERSION}.safetensors"


def cached_directions(model: AblatableGenerator, weights: Path) -> Directions | None:
    basis = model.direction_basis()
    tensors = cached(weights, directions_filename(weights)) if basis is not None else None
    if basis is None or tensors is None:
        return None
    try:
        directions = Directions.from_tensors(tensors, basis.space)
    except KeyError as err:
        log.warning("ignoring malformed directions for %s (%s)", weights.name, err)
        return None
    if directions.vectors.shape[1:] != basis.weight.shape[1:]:
        log.warning("ignoring directions for %s: they do not fit the model", weights.name)
        return None
    return directions


def load_or_find(model: AblatableGenerator, weights: Path) -> Directions | None:
    """Cached directions for these weights, found and cached on first use."""
    directions = cached_directions(model, weights)
    if directions is None:
        directions = find_directions(model)
        if directions is not None:
            save_cached(directions.to_tensors(), directions_filename(weights))
    return directions
