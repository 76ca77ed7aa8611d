"""The show file in a running show: loaded at start, stores saved as they happen, and
`performer scenes` to list it.

Stores are made by the engine on the frame they arrive (so a replay repeats them); this
saves each stored scene to the file on a thread of its own, so a slow disk never holds a
frame back, and a failed save is one line while the show runs on.
"""

from __future__ import annotations

import argparse
import logging
import queue
import threading
from pathlib import Path

from performer.engine.engine import Step
from performer.env import config_dir
from performer.params import Param
from performer.scenes.book import Scene, SceneBook
from performer.scenes.showfile import FILE_NAME, ShowFile, ShowFileError

log = logging.getLogger(__name__)


def default_show_path() -> Path:
    return config_dir() / FILE_NAME


def load_show(path: Path | None) -> ShowFile:
    """The show file (default under the user's config folder); problems are logged."""
    show = ShowFile.load(path or default_show_path())
    _report(show, 0)
    return show


def book_of(show: ShowFile, params: list[Param]) -> SceneBook:
    """The show's scenes checked against the registry; refused values are logged."""
    reported = len(show.errors)
    book = show.book(params)
    _report(show, reported)
    log.info("show file %s: %d scenes", show.path, len(book))
    return book


def _report(show: ShowFile, start: int) -> None:
    for error in show.errors[start:]:
        log.warning("%s (entry skipped)", error)


class SceneSaver:
    """Saves the scenes the engine stored into the show file, off the engine thread."""

    def __init__(self, show: ShowFile) -> None:
        self.show = show
        self._queue: queue.Queue[Scene | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="performer-show-file",
                                        daemon=True)
        self._thread.start()

    def observe(self, step: Step) -> None:
        """An engine observer: hand this step's stores to the saving thread."""
        for scene in step.stored:
            self._queue.put(scene)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30.0)

    def _run(self) -> None:
        while (scene := self._queue.get()) is not None:
            try:
                self.show.store(scene)
            except (ShowFileError, OSError) as err:
                log.warning("scene %r not saved: %s", scene.name, err)
                continue
            log.info("stored scene %r in %s", scene.name, self.show.path)


def list_scenes(args: argparse.Namespace) -> int:
    """`performer scenes`: the show file's scenes, their number and what they hold."""
    show = load_show(args.show)
    print(f"show file: {show.path}" + ("" if show.path.exists() else " (not made yet)"))
    for number, entry in enumerate(show.entries, start=1):
        groups = sorted({name.split(".", 1)[0] for name in entry.values})
        print(f"{number:>3}  {entry.name:<24} {len(entry.values):>3} values  "
              f"({', '.join(groups) or 'empty'})")
    if not show.entries:
        print("  no scenes yet: store one with Shift+1 (or /performer/scene/store 1 over OSC)")
    return 0 if show.document is not None else 2
