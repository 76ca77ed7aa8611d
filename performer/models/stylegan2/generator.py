"""The StyleGAN2 generator as performer drives it: z -> w -> truncation -> synthesis.

Every synthesis convolution's post-activation output is an ablatable layer
(`b4.conv1`, `b8.conv0`, `b8.conv1`, ...). The performer's controls (truncation, noise,
class) live in small buffers changed only when the controls change.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from performer.controls import stylegan2_params
from performer.drift import Glide, smoothstep
from performer.models.base import AblatableGenerator
from performer.models.stylegan2.config import StyleGAN2Config
from performer.models.stylegan2.mapping import MappingNetwork
from performer.models.stylegan2.synthesis import SynthesisNetwork
from performer.params import Param, Snapshot


class StyleGAN2Generator(AblatableGenerator):
    psi: Tensor
    label: Tensor

    def __init__(self, config: StyleGAN2Config) -> None:
        super().__init__()
        self.config = config
        self.latent_size = config.z_dim
        self.w_dim = config.w_dim
        self.resolution = config.img_resolution
        self.class_count = config.c_dim
        self.mapping = MappingNetwork(config)
        self.synthesis = SynthesisNetwork(config)
        self.masks = nn.ModuleList(layer.mask for layer in self.synthesis.layers)
        self.register_buffer("psi", torch.ones(()), persistent=False)  # truncation psi
        self.register_buffer("label", torch.zeros(1, config.c_dim), persistent=False)
        self.noise_level = 1.0
        self.random_noise = False
        self._noise_generator: torch.Generator | None = None
        self._applied: tuple[float, float, str, int] | None = None
        self._label_glide: Glide | None = None
        self._defaults = {p.name: p.default for p in self.extra_params()}

    # --- after loading --------------------------------------------------------------
    def prepare(self) -> None:
        """Derive what the loaded weights imply (call after every load_state_dict)."""
        with torch.no_grad():
            self.mapping.prepare()
            self.synthesis.prepare()
            self.set_class(0)
            self.random_noise = False
            self.synthesis.set_noise(self.noise_level, False, None)
        self._applied = None  # the next frame applies every control again
        self._label_glide = None

    def place(self, device: torch.device) -> StyleGAN2Generator:
        """Derive buffers from the loaded weights, move, and run the blocks NVlabs trained in
        float16 in float16 on CUDA only (float32 elsewhere)."""
        self.prepare()
        self.to(device)
        self.synthesis.set_device(device)
        self._noise_generator = torch.Generator(device=device)
        return self

    # --- the performer's controls ------------------------------------------------------
    def extra_params(self) -> list[Param]:
        return stylegan2_params(self.class_count)

    def apply_params(self, snap: Snapshot, frame: int, dt: float) -> None:
        """Buffers change only when a control did; random noise is redrawn every frame; a
        new class is blended in over `drift.glide` seconds (its label glides, the face
        morphs)."""
        values = {**self._defaults, **snap.data}  # a registry without them: the defaults
        wanted = (float(values["model.truncation"]), float(values["model.noise"]),
                  str(values["model.noise_mode"]), int(values.get("model.class", 0)))
        if wanted != self._applied:
            psi, level, mode, label = wanted
            previous = self._applied
            if previous is None or psi != previous[0]:
                self.set_truncation(psi)
            if previous is None or (level, mode) != previous[1:3]:  # a per-layer loop: only
                self.set_noise(level, random=mode == "random")  # when the noise changed
            glide = float(values.get("drift.glide", 0.0))
            if self._applied is None or glide <= 0.0:
                self.set_class(label)
                self._label_glide = None
            elif label != self._applied[3]:
                self._label_glide = Glide(self.label[0].double().cpu().numpy(),
                                          self._one_hot(label), glide)
            self._applied = wanted
        if self._label_glide is not None:
            self._label_glide.elapsed += dt
            t = smoothstep(self._label_glide.elapsed / self._label_glide.duration)
            start, end = self._label_glide.start, self._label_glide.end
            self.label[0] = torch.from_numpy((start + t * (end - start)).astype("float32"))
            if self._label_glide.done:
                self._label_glide = None
        if self.random_noise:
            self.reseed_noise(frame)

    def _one_hot(self, index: int) -> np.ndarray:
        vector = np.zeros(self.class_count)
        if self.class_count:
            vector[min(max(index, 0), self.class_count - 1)] = 1.0
        return vector

    def set_truncation(self, psi: float) -> None:
        self.psi.fill_(psi)

    def set_noise(self, level: float, random: bool) -> None:
        self.noise_level, self.random_noise = level, random
        self.synthesis.set_noise(level, random, self._noise_generator)

    def reseed_noise(self, seed: int) -> None:
        """Fresh random noise for a frame, seeded so a render repeats."""
        if self.random_noise and self._noise_generator is not None:
            self._noise_generator.manual_seed(seed)
            self.synthesis.refresh_noise(True, self._noise_generator)

    def set_class(self, index: int) -> None:
        """One-hot label for conditional models; no-op for unconditional ones."""
        self.label.copy_(torch.from_numpy(self._one_hot(index)[None].astype("float32")))

    # --- forward ----------------------------------------------------------------------
    def map(self, z: Tensor) -> Tensor:
        """z (N, z_dim) -> w (N, w_dim), untruncated, for the current class."""
        return self.mapping(z, self.label.expand(z.shape[0], -1))

    def w_center(self) -> Tensor:
        """The average w (the face truncation pulls towards): (w_dim,)."""
        return self.mapping.w_avg

    def truncate(self, w: Tensor) -> Tensor:
        return torch.lerp(self.mapping.w_avg, w, self.psi)

    def synthesize(self, z: Tensor) -> Tensor:
        return self.synthesis(self.truncate(self.map(z)))

    def synthesize_w(self, w: Tensor) -> Tensor:
        """Untruncated w (N, w_dim) -> image (N, C, R, R): the W-space entry point."""
        return self.synthesis(self.truncate(w))
