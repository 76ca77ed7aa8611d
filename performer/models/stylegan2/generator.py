"""The StyleGAN2 generator as performer drives it: z -> w -> truncation -> synthesis.

Every synthesis convolution's post-activation output is an ablatable layer
(`b4.conv1`, `b8.conv0`, `b8.conv1`, ...). The performer's controls (truncation, noise:
models/stylegan2/params.py) live in small buffers changed only when the controls change;
the engine sets the class label (it glides between classes).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from performer.models.base import DirectionBasis, ModelControls, one_hot
from performer.models.stylegan2.config import StyleGAN2Config
from performer.models.stylegan2.mapping import MappingShape
from performer.models.stylegan2.params import StyleGAN2Controls, stylegan2_params
from performer.models.stylegan2.synthesis import SynthesisNetwork
from performer.models.stylegan2.w_space import WSpaceGenerator
from performer.params import Param, Value


class StyleGAN2Generator(WSpaceGenerator[SynthesisNetwork]):
    def __init__(self, config: StyleGAN2Config) -> None:
        super().__init__(MappingShape.of(config), config.img_resolution)
        self.config = config
        self.synthesis = SynthesisNetwork(config)
        self.masks = nn.ModuleList(layer.mask for layer in self.synthesis.layers)
        self.noise_level = 1.0
        self.random_noise = False
        self._noise_generator: torch.Generator | None = None
        self._applied: StyleGAN2Controls | None = None

    # --- after loading --------------------------------------------------------------
    def prepare(self) -> None:
        """Derive what the loaded weights imply (runs after every load_state_dict)."""
        with torch.no_grad():
            self.mapping.prepare()
            self.synthesis.prepare()
            self.set_class_weights(one_hot(0, self.class_count))
            self.random_noise = False
            self.synthesis.set_noise(self.noise_level, False, None)
        self._applied = None  # the next frame applies every control again

    def place(self, device: torch.device) -> StyleGAN2Generator:
        """Move (loading prepared the buffers), and run the blocks NVlabs trained in float16
        in float16 on CUDA only (float32 elsewhere)."""
        self.to(device)
        self.synthesis.set_device(device)
        self._noise_generator = torch.Generator(device=device)
        return self

    def direction_basis(self) -> DirectionBasis:
        """Every synthesis conv's style affine, stacked: (all conv inputs, w_dim), in W."""
        weights = [layer.affine.scaled_weight_t.t() for layer in self.synthesis.layers]
        return DirectionBasis(torch.cat(weights), "w")

    # --- the performer's controls ------------------------------------------------------
    def extra_params(self) -> list[Param]:
        return stylegan2_params(self.class_count)

    def read_controls(self, values: Mapping[str, Value]) -> StyleGAN2Controls:
        return StyleGAN2Controls.of(values)

    def apply_controls(self, controls: ModelControls, frame: int) -> None:
        """Buffers change only when a control did; random noise is redrawn every frame."""
        assert isinstance(controls, StyleGAN2Controls)
        previous, self._applied = self._applied, controls
        if previous is None or controls.truncation != previous.truncation:
            self.set_truncation(controls.truncation)
        if previous is None or (controls.noise, controls.random_noise) != (
                previous.noise, previous.random_noise):  # a per-layer loop: only on a change
            self.set_noise(controls.noise, random=controls.random_noise)
        if self.random_noise:
            self.reseed_noise(frame)

    def set_noise(self, level: float, random: bool) -> None:
        self.noise_level, self.random_noise = level, random
        self.synthesis.set_noise(level, random, self._noise_generator)

    def reseed_noise(self, seed: int) -> None:
        """Fresh random noise for a frame, seeded so a render repeats."""
        if self.random_noise and self._noise_generator is not None:
            self._noise_generator.manual_seed(seed)
            self.synthesis.refresh_noise(True, self._noise_generator)

    # --- forward ----------------------------------------------------------------------
