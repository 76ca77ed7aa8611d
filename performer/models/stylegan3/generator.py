"""The StyleGAN3 generator as performer drives it: z -> w -> truncation -> synthesis.

Ablatable layers: the post-activation output of every synthesis layer but ToRGB, named as
NVlabs names them, `L{index}_{size}_{channels}` (e.g. `L0_36_512` ... `L13_1024_16` for a
1024 px config T): the index counts from the input, the size includes the margin computed
outside the image. ToRGB's three channels are colour planes, not features, so it is not
ablatable. The performer's controls (truncation, pan, spin: models/stylegan3/params.py)
live in small buffers changed only when the controls change.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from performer.models.base import DirectionBasis, ModelControls, one_hot
from performer.models.stylegan2.w_space import WSpaceGenerator
from performer.models.stylegan3.config import StyleGAN3Config
from performer.models.stylegan3.mapping import mapping_shape
from performer.models.stylegan3.params import StyleGAN3Controls, stylegan3_params
from performer.models.stylegan3.synthesis import SynthesisNetwork
from performer.params import Param, Value


class StyleGAN3Generator(WSpaceGenerator[SynthesisNetwork]):
    def __init__(self, config: StyleGAN3Config) -> None:
        super().__init__(mapping_shape(config), config.img_resolution)
        self.config = config
        self.synthesis = SynthesisNetwork(config)
        self.masks = nn.ModuleList(layer.mask for layer in self.synthesis.layers)
        self._applied: StyleGAN3Controls | None = None

    # --- after loading --------------------------------------------------------------
    def prepare(self) -> None:
        """Derive what the loaded weights imply (runs after every load_state_dict)."""
        with torch.no_grad():
            self.mapping.prepare()
            self.synthesis.prepare()
            self.set_class_weights(one_hot(0, self.class_count))
        self._applied = None  # the next frame applies every control again

    def place(self, device: torch.device) -> StyleGAN3Generator:
        """Move, and run the layers NVlabs trained in float16 in float16 on CUDA only."""
        self.to(device)
        self.synthesis.set_device(device)
        return self

    def direction_basis(self) -> DirectionBasis:
        """Every synthesis layer's style affine, stacked: (all layer inputs, w_dim), in W
        (the input's transform affine moves the picture, not the face, so it is left out)."""
        weights = [layer.affine.scaled_weight_t.t() for layer in self.synthesis.layers]
        return DirectionBasis(torch.cat(weights), "w")

    # --- the performer's controls ------------------------------------------------------
    def extra_params(self) -> list[Param]:
        return stylegan3_params(self.class_count)

    def read_controls(self, values: Mapping[str, Value]) -> StyleGAN3Controls:
        return StyleGAN3Controls.of(values)

    def apply_controls(self, controls: ModelControls, frame: int) -> None:
        """Buffers change only when a control did."""
        assert isinstance(controls, StyleGAN3Controls)
        previous, self._applied = self._applied, controls
        if previous is None or controls.truncation != previous.truncation:
            self.set_truncation(controls.truncation)
        moved = (controls.translate_x, controls.translate_y, controls.rotate)
        if previous is None or moved != (previous.translate_x, previous.translate_y,
                                         previous.rotate):
            self.set_transform(*moved)

    def set_transform(self, translate_x: float, translate_y: float, degrees: float) -> None:
        """Pan (image widths) and spin (degrees) the picture, on top of the checkpoint's own
        input transform."""
        self.synthesis.input.set_user_transform(translate_x, translate_y, degrees)

    # --- forward ----------------------------------------------------------------------
