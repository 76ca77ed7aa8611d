"""The show file: scenes read and written the way the performer left the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from performer.controls import declare
from performer.params import Param
from performer.scenes.book import Scene
from performer.scenes.showfile import ShowFile, ShowFileError
from tests.helpers import LAYERS

SHOW = '''# My set for the Friday show.
# Scenes in the order I play them.

[[scene]]
name = "opening"   # a whole face
ablation.dead = 0.0
drift.seed = 3      # the face I like

[[scene]]
name = "collapse"
ablation.dead = 0.9
ablation.order = "random"
'''


def params(names: list[str] | None = None) -> list[Param]:
    return declare(LAYERS, scene_names=names or [])


def test_scenes_load_in_order_with_their_values(tmp_path: Path) -> None:
    path = tmp_path / "show.toml"
    path.write_text(SHOW)
    show = ShowFile.load(path)
    assert show.names == ["opening", "collapse"]
    book = show.book(params(show.names))
    assert show.errors == []
    collapse = book.get("collapse")
    assert collapse is not None
    assert collapse.values == {"ablation.dead": 0.9, "ablation.order": "random"}


def test_a_store_keeps_comments_and_order_and_adds_new_scenes_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "show.toml"
    path.write_text(SHOW)
    show = ShowFile.load(path)
    show.store(Scene("opening", {"ablation.dead": 0.25, "drift.seed": 4, "drift.speed": 0.1}))
    show.store(Scene("scene 3", {"output.map": True}))
    text = path.read_text()
    assert text.startswith("# My set for the Friday show.\n# Scenes in the order I play them.")
    assert 'name = "opening"   # a whole face' in text
    assert "drift.seed = 4      # the face I like" in text
    assert "ablation.dead = 0.25" in text and "drift.speed = 0.1" in text
    assert text.index('"opening"') < text.index('"collapse"') < text.index('"scene 3"')
    again = ShowFile.load(path)
    book = again.book(params(again.names))
    assert again.errors == []
    assert again.names == ["opening", "collapse", "scene 3"]
    opening = book.get("opening")
    assert opening is not None and opening.values["drift.speed"] == 0.1


def test_a_missing_show_file_is_made_by_the_first_store(tmp_path: Path) -> None:
    path = tmp_path / "config" / "performer" / "show.toml"
    show = ShowFile.load(path)
    assert show.names == [] and show.errors == []
    show.store(Scene("scene 1", {"ablation.dead": 0.5, "drift.direction.1": 0.2}))
    again = ShowFile.load(path)
    assert again.names == ["scene 1"]
    assert again.entries[0].values == {"ablation.dead": 0.5, "drift.direction.1": 0.2}
    assert list(path.parent.iterdir()) == [path], "no temporary file left behind"


BROKEN = '''[[scene]]
name = "good"
ablation.dead = 0.5
ablation.nonsense = 1

[[scene]]
ablation.dead = 0.1

[[scene]]
name = "good"

[[scene]]
name = "choices"
ablation.order = 3
ablation.fill = "zero"
drift.seed = "three"
ablation.reset = true

[[scene]]
name = "none"
'''


def test_a_bad_entry_costs_that_entry_only_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "show.toml"
    path.write_text(BROKEN)
    show = ShowFile.load(path)
    book = show.book(params(show.names))
    assert show.names == ["good", "choices"]
    good, choices = book.get("good"), book.get("choices")
    assert good is not None and good.values == {"ablation.dead": 0.5}
    assert choices is not None and choices.values == {"ablation.fill": "zero"}
    lines = {error.split(": ", 1)[0]: error.split(": ", 1)[1] for error in show.errors}
    assert set(lines) == {f"{path}:{n}" for n in (4, 6, 10, 14, 16, 17, 20)}, show.errors
    assert "unknown parameter 'ablation.nonsense'" in lines[f"{path}:4"]
    assert "needs name" in lines[f"{path}:6"]
    assert "used twice" in lines[f"{path}:10"]
    assert "reserved" in lines[f"{path}:20"]


def test_a_file_that_is_not_toml_loads_nothing_and_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "show.toml"
    path.write_text("[[scene]]\nname = \"a\"\nablation.dead = = 2\n")
    show = ShowFile.load(path)
    assert show.names == []
    assert len(show.errors) == 1 and show.errors[0].startswith(f"{path}:3: not valid TOML")
    with pytest.raises(ShowFileError, match="could not be read"):
        show.store(Scene("scene 1", {"ablation.dead": 0.1}))
    assert path.read_text().endswith("= = 2\n")


def test_a_failed_save_leaves_the_old_file_whole(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "show.toml"
    path.write_text(SHOW)
    show = ShowFile.load(path)

    def full_disk(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("performer.scenes.showfile.os.fsync", full_disk)
    with pytest.raises(OSError):
        show.store(Scene("opening", {"ablation.dead": 0.7}))
    assert path.read_text() == SHOW
    assert list(tmp_path.iterdir()) == [path]


def test_a_store_after_the_file_was_edited_during_the_show_keeps_the_edit(tmp_path: Path) -> None:
    path = tmp_path / "show.toml"
    path.write_text(SHOW)
    show = ShowFile.load(path)
    path.write_text(SHOW + '\n[[scene]]\nname = "written meanwhile"  # by hand\n')
    show.store(Scene("opening", {"ablation.dead": 0.3}))
    text = path.read_text()
    assert 'name = "written meanwhile"  # by hand' in text and "ablation.dead = 0.3" in text
    path.write_text("[[scene\n")  # broken by hand: never overwritten
    with pytest.raises(ShowFileError, match="edited during the show"):
        show.store(Scene("opening", {"ablation.dead": 0.4}))
    assert path.read_text() == "[[scene\n"


def test_an_fx_table_chooses_the_effect_chain(tmp_path: Path) -> None:
    path = tmp_path / "show.toml"
    show = ShowFile.parse('[fx]\nchain = ["kaleidoscope", "decay"]\n\n[[scene]]\nname = "a"\n'
                          "fx.2.mix = 0.5\n", path)
    assert show.errors == []
    assert show.fx_chain == ["kaleidoscope", "decay"]
    assert ShowFile.parse('[[scene]]\nname = "a"\n', path).fx_chain is None
    broken = ShowFile.parse('# effects\n[fx]\nchain = "decay"\n', path)
    assert broken.fx_chain is None
    assert broken.errors == [f'{path}:2: write the effects as [fx] chain = ["decay", "grain"]']
