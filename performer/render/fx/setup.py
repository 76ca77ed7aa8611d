"""What a show needs of its effect chain before any GL exists: the files and their parameters.

The parameters are declared at start (they join the registry with the model's own), so OSC,
OSCQuery, MIDI learn and scenes reach them like any other control.
"""

from __future__ import annotations

from collections.abc import Sequence

from performer.params import Param
from performer.render.fx.isf import IsfDocument
from performer.render.fx.params import chain_params
from performer.render.fx.source import EffectFile, chain_files, read_effect
from performer.render.shaders import ShaderError

DEFAULT_CHAIN: tuple[str, ...] = ("decay",)  # `performer run` and `render` without --fx


def effect_params(files: Sequence[EffectFile]) -> list[Param]:
    """fx.N.* for every slot; an effect whose header does not parse gets mix and bypass only
    (the chain reports its error when it compiles)."""
    docs: list[tuple[str, IsfDocument | None]] = []
    for file in files:
        try:
            docs.append((file.title, read_effect(file).doc))
        except ShaderError:
            docs.append((file.title, None))
    return chain_params(docs)


def resolve_chain(specs: Sequence[str] | None) -> tuple[list[EffectFile], list[Param]]:
    """`--fx` values (None: the default chain) -> the effect files and their parameters."""
    files = chain_files(specs, DEFAULT_CHAIN)
    return files, effect_params(files)
