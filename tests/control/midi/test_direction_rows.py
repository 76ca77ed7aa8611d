"""Profiles with knobs to spare give the semantic directions a row; a centred knob leaves
the face as it is, the ends move it both ways."""

from __future__ import annotations

import mido
import pytest

from performer.control.midi.mapping import Router, Source
from performer.control.midi.profiles import builtin_profiles
from performer.controls import declare

PARAMS = declare(("block0", "block1", "block2", "block3"))
ROWS = {  # profile -> the CCs of its direction row, in direction order
    "korg_nanokontrol2": (21, 22, 23),
    "akai_midimix": (17, 21, 25, 29, 47, 51, 55, 59),
    "arturia_beatstep": (19, 16, 17, 91, 79, 72),
    "novation_launch_control_xl": tuple(range(49, 57)),
}


@pytest.mark.parametrize("stem", sorted(ROWS))
def test_spare_knobs_move_the_face_along_the_directions(stem: str) -> None:
    profile = next(p for p in builtin_profiles(PARAMS) if p.path and p.path.stem == stem)
    by_cc = {c.number: c.param for c in profile.controls if c.source is Source.CC}
    for index, cc in enumerate(ROWS[stem], 1):
        assert by_cc[cc] == f"drift.direction.{index}"
    router = Router(PARAMS, {p.name: p.default for p in PARAMS}, profile.controls)
    cc = ROWS[stem][0]
    values = []
    for position in (0, 64, 127):
        changes = router.route(mido.Message("control_change", channel=profile.controls[0]
                                            .channel or 0, control=cc, value=position))
        values += [c.value for c in changes if c.name == "drift.direction.1"]
    assert values[0] == -1.0 and values[-1] == 1.0
    assert abs(float(values[1])) < 0.02  # the centre detent: (almost) the face as it is
