"""The show log of a live show: opened before the first frame, its path printed, closed
after the last (see performer.showlog)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from performer.engine.session import Session
from performer.env import state_dir
from performer.showlog.format import LoggedModel
from performer.showlog.writer import KEEP, ShowLogWriter, default_log_path, new_header, prune

log = logging.getLogger(__name__)


def log_folder() -> Path:
    return state_dir() / "logs"


def start_show_log(path: Path | None, session: Session, size: tuple[int, int],
                   shader: str, fx: Sequence[str] | None) -> ShowLogWriter | None:
    """Log every step of `session` into `path` (default: a new file in the state folder,
    keeping the newest logs). A log that cannot be opened is one line: the show runs."""
    try:
        if path is None:
            folder = log_folder()
            folder.mkdir(parents=True, exist_ok=True)
            prune(folder, KEEP - 1)
            path = default_log_path(folder)
        models = [LoggedModel.of(name, file) for name, file in session.model_files]
        scenes = {scene.name: scene.values for scene in session.engine.scenes.book.scenes()}
        header = new_header(session.registry, models, size, shader, fx, scenes)
        writer = ShowLogWriter(path, header)
    except OSError as err:
        log.warning("no show log: %s: %s", path, err.strerror or err)
        return None
    session.registry.subscribe(writer.heard)
    session.engine.observe(writer.observe)
    log.info("show log: %s", path)
    return writer
