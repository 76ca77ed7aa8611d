"""A checkpoint's recorded constructor arguments cannot make performer allocate a network
the file does not hold: absurd sizes are refused by the config, and plausible ones are
compared with the file's tensors before any weight is allocated."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch

from performer.models.base import ModelError
from performer.models.loading import load_model
from performer.models.stylegan2.config import ConfigError, StyleGAN2Config
from tests.models import nvlabs_fixtures as fixtures

ROOT = Path(__file__).resolve().parents[2]
CPU = torch.device("cpu")


def write_arguments(path: Path, **changes: Any) -> Path:
    """A Generator pickle with no weights whose recorded arguments are a small net's, changed."""
    init_kwargs: dict[str, Any] = {
        "z_dim": 8, "w_dim": 8, "c_dim": 0, "img_resolution": 8, "img_channels": 3,
        "mapping_kwargs": {"num_layers": 1}, "synthesis_kwargs": {"channel_base": 64},
    }
    for key, value in changes.items():
        if key in ("num_layers",):
            init_kwargs["mapping_kwargs"][key] = value
        elif key in ("channel_base", "channel_max"):
            init_kwargs["synthesis_kwargs"][key] = value
        else:
            init_kwargs[key] = value
    fixtures.write_persistent_pickle(
        path, {"type": "class", "class_name": "Generator", "state": {"_init_kwargs": init_kwargs}}
    )
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ModelError) as raised:
        load_model(str(path), CPU)
    message = str(raised.value)
    assert str(path) in message and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (dict(img_resolution=16384), "img_resolution 16384 is not a power of two from 4 to 4096"),
        (dict(img_resolution=48), "img_resolution 48 is not a power of two"),
        (dict(z_dim=10**7), "z_dim 10000000 is outside 1..8192"),
        (dict(w_dim=10**7), "w_dim 10000000 is outside 1..8192"),
        (dict(c_dim=10**6), "c_dim 1000000 is outside 0..8192"),
        (dict(c_dim=-1), "c_dim -1 is outside 0..8192"),
        (dict(channel_max=10**6), "channel_max 1000000 is outside 1..8192"),
        (dict(channel_base=1 << 40), "channel_base 1099511627776 is outside"),
        (dict(channel_base=2), "channel_base 2 is outside 8.."),
        (dict(num_layers=1000), "1000 mapping layers is outside 1..64"),
        (dict(z_dim=float("inf")), "unreadable constructor arguments (OverflowError"),
        (dict(z_dim=float("nan")), "unreadable constructor arguments (ValueError"),
        (dict(z_dim="many"), "unreadable constructor arguments (ValueError"),
        (dict(z_dim=[8]), "unreadable constructor arguments (TypeError"),
        (dict(img_channels=1), "img_channels is 1: performer shows RGB"),
        (dict(img_channels=4), "img_channels is 4: performer shows RGB"),
    ],
)
def test_absurd_or_unreadable_arguments_are_one_line_errors(
    tmp_path: Path, changes: dict[str, Any], expected: str
) -> None:
    path = write_arguments(tmp_path / "args.pkl", **changes)
    assert path.stat().st_size < 1000
    assert expected in refusal(path)


def test_a_plausible_config_the_file_does_not_hold_allocates_nothing(tmp_path: Path) -> None:
    # Within every bound, but 2048 channels at 1024 px would be gigabytes of weights: the
    # shapes are compared before any is allocated, so the child process stays small.
    path = write_arguments(tmp_path / "big.pkl", img_resolution=1024, z_dim=2048, w_dim=2048,
                           channel_base=1 << 20, channel_max=2048)
    script = textwrap.dedent(f"""
        import resource, torch
        from performer.models.base import ModelError
        from performer.models.loading import load_model
        try:
            load_model({str(path)!r}, torch.device("cpu"))
        except ModelError as error:
            print(error)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"XDG_CACHE_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    message, peak_mb = done.stdout.strip().splitlines()
    assert "weights do not fit a StyleGAN2 generator with 1024 px" in message
    assert int(peak_mb) < 1500


def test_a_cached_config_with_wrong_types_is_a_config_error() -> None:
    data = StyleGAN2Config(img_resolution=8, channel_base=64, z_dim=8, w_dim=8).to_dict()
    for field, value in [("z_dim", "8"), ("img_resolution", 8.0), ("use_noise", True)]:
        broken = {**data, field: value}
        if field == "use_noise":
            StyleGAN2Config.from_dict(broken)  # a bool where a bool belongs is fine
            continue
        with pytest.raises(ConfigError, match=f"{field} .* is not an integer"):
            StyleGAN2Config.from_dict(broken)
