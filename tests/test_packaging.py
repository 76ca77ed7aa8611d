"""Packaging: the data folders are regular packages, so an installed wheel finds them.

shaders/ and mappings/ are installed as performer.shaders and performer.mappings. As a
namespace package (no __init__.py), importlib.resources hands back a MultiplexedPath that
`Path(str(...))` cannot read, and a wheel install found no MIDI profile at all.
"""

from __future__ import annotations

import importlib

import pytest

from performer.control.midi.profiles import builtin_mapping_dir
from performer.render.shaders import builtin_shader_dir


@pytest.mark.parametrize("name", ["performer.shaders", "performer.mappings"])
def test_data_folders_are_regular_packages(name: str) -> None:
    assert importlib.import_module(name).__file__ is not None


def test_the_bundled_profiles_and_shaders_are_found() -> None:
    assert len(list(builtin_mapping_dir().glob("*.toml"))) >= 7
    assert (builtin_shader_dir() / "face.frag").is_file()
    assert (builtin_shader_dir() / "fx" / "decay.fs").is_file()


def test_the_console_page_ships_inside_the_package() -> None:
    from performer.control.web.service import load_assets

    assert {"index.html", "console.js", "osc.js", "console.css"} <= set(load_assets())
