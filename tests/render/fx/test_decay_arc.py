"""The default `performer render` with `decay`: the artwork's arc, read off a contact sheet at
0/15/30/45/60 s by simple figures (on the face, between the black bars)."""

from __future__ import annotations

import numpy as np
import pytest

from performer.app.cli import build_parser
from performer.app.offline import DEFAULT_SECONDS, configure
from performer.engine.clock import FixedClock
from performer.engine.session import open_session
from performer.render.fx.setup import DEFAULT_CHAIN, resolve_chain
from performer.render.offscreen import Offscreen
from performer.render.pipeline import Look, Pipeline

FPS = 4  # the engine's arc does not depend on the rate: frame i shows time i / fps
SIZE = (320, 180)
SHEET_S = (0, 15, 30, 45, 60)


def contact_sheet() -> list[np.ndarray]:
    """The default render (every frame drawn, as the file gets them), kept at SHEET_S."""
    args = build_parser().parse_args(["render", "--fps", str(FPS)])
    assert args.fx is None and DEFAULT_CHAIN == ("decay",)
    files, params = resolve_chain(args.fx)
    session = open_session(None, "cpu", FixedClock(FPS), extra=params)
    assert args.seconds is None  # the default length, as `performer render` takes it
    frames = int(DEFAULT_SECONDS * FPS)
    configure(session.registry, args, "all", session.engine.ablation.target_size("all"), frames)
    keep = {min(s * FPS, frames - 1) for s in SHEET_S}
    sheet = []
    with Offscreen(SIZE) as target:
        pipeline = Pipeline(target.ctx, fx=files)
        for index in range(frames):
            frame = session.engine.step()
            pipeline.upload(frame)
            target.use()
            pipeline.draw(SIZE, Look.of(frame))
            if index in keep:
                sheet.append(target.read_rgb())
        pipeline.release()
    return sheet


def face(picture: np.ndarray) -> np.ndarray:
    """The face's square in the middle of the 16:9 picture, a margin in, as floats 0..1."""
    height, width = picture.shape[:2]
    margin = height // 10
    left = (width - height) // 2
    return picture[margin:height - margin, left + margin:left + height - margin] / 255.0


def saturation(rgb: np.ndarray) -> float:
    high, low = rgb.max(axis=-1), rgb.min(axis=-1)
    return float(((high - low) / np.maximum(high, 1e-6)).mean())


def sharpness(rgb: np.ndarray) -> float:
    grey = rgb.mean(axis=-1)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def green_share(rgb: np.ndarray) -> float:
    return float(rgb[..., 1].sum() / max(rgb.sum(), 1e-6))


@pytest.fixture(scope="module")
def sheet() -> list[np.ndarray]:
    return [face(picture) for picture in contact_sheet()]


def test_colour_and_sharpness_fall(sheet: list[np.ndarray]) -> None:
    sat = [saturation(p) for p in sheet]
    sharp = [sharpness(p) for p in sheet]
    assert sat[1] < sat[0] and sat[3] < sat[0] and sat[4] < sat[0], sat
    assert sharp[0] > sharp[1] > sharp[2] > sharp[3], sharp
    assert sharp[4] < 0.5 * sharp[0], sharp


def test_the_picture_turns_green_in_the_middle(sheet: list[np.ndarray]) -> None:
    share = [green_share(p) for p in sheet]
    assert share[2] > share[0] + 0.03 and share[2] > share[4] + 0.03, share
    red, green, _ = sheet[2].reshape(-1, 3).mean(axis=0)
    assert green > red, "greenish: more green than red at 30 s"


def test_the_last_frame_is_bright_and_brownish(sheet: list[np.ndarray]) -> None:
    first, last = sheet[0].reshape(-1, 3).mean(axis=0), sheet[4].reshape(-1, 3).mean(axis=0)
    assert last.mean() > 0.6 and last.mean() > first.mean() + 0.2, (first, last)
    red, green, blue = last
    assert red > green > blue, "warm: red over green over blue (white-brown)"
    assert red - blue > 0.08
