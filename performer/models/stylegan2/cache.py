"""Our own format for imported checkpoints: safetensors plus a small JSON config.

The first load of a `.pkl` or `.pt` converts it once into the cache directory, keyed by
the source file's sha256, so later starts read plain tensors and never unpickle again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from safetensors.torch import save_file
from torch import nn

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


def cached_weights(folder: Path, source: Path, digest: str) -> Path:
    """Where the converted weights of `source` live: `<stem>-<sha256 prefix>.safetensors`."""
    return folder / f"{source.stem}-{digest[:16]}.v{FORMAT_VERSION}.safetensors"


def write_cache(model: nn.Module, model_config: dict[str, Any], target: Path, source: Path,
                digest: str) -> bool:
    """Save weights and config (any family's `config.to_dict()`) atomically; False (logged)
    when the folder is not writable."""
    config = {**model_config, "source": source.name, "source_sha256": digest}
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial_json = target.with_suffix(".json.partial")
        partial_weights = target.with_suffix(".partial")
        partial_json.write_text(json.dumps(config, indent=2) + "\n")
        save_file(state, str(partial_weights))
        os.replace(partial_json, target.with_suffix(".json"))
        os.replace(partial_weights, target)
    except OSError as err:
        log.warning("could not cache the converted model in %s (%s); the next start "
                    "converts it again", target.parent, err)
        return False
    log.info("converted %s once into %s", source.name, target)
    return True
