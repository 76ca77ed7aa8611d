"""The built-in face model: the PyTorch DCGAN tutorial generator (64x64 RGB)."""

from __future__ import annotations

from torch import Tensor, nn

from performer.models.base import AblatableGenerator, ChannelMask, DirectionBasis, LayerInfo


class UpBlock(nn.Module):
    """Transposed convolution, batch norm, ReLU, then the ablation mask on the result."""

    def __init__(self, info: LayerInfo, in_channels: int, first: bool) -> None:
        super().__init__()
        # The first block turns the 1x1 latent into a 4x4 map; later ones double the size.
        stride, padding = (1, 0) if first else (2, 1)
        self.conv = nn.ConvTranspose2d(in_channels, info.channels, 4, stride, padding, bias=False)
        self.norm = nn.BatchNorm2d(info.channels)
        self.act = nn.ReLU(inplace=True)
        self.mask = ChannelMask(info)

    def forward(self, x: Tensor) -> Tensor:
        return self.mask(self.act(self.norm(self.conv(x))))


class DCGANGenerator(AblatableGenerator):
    """z (N, latent_size) -> image (N, 3, 64, 64); 4 hidden blocks of 8f, 4f, 2f, f channels."""

    def __init__(
        self,
        latent_size: int = 100,  # length of the Gaussian latent z
        feature_maps: int = 64,  # channels of the last hidden block ("ngf")
        image_channels: int = 3,  # RGB
    ) -> None:
        super().__init__()
        self.latent_size = latent_size
        self.resolution = 64
        widths = [feature_maps * m for m in (8, 4, 2, 1)]
        sizes = [4, 8, 16, 32]
        pairs = enumerate(zip(widths, sizes, strict=True))
        infos = [LayerInfo(f"block{i}", width, size, size) for i, (width, size) in pairs]
        inputs = [latent_size, *widths[:-1]]
        self.block0, self.block1, self.block2, self.block3 = (
            UpBlock(info, cin, first=i == 0)
            for i, (info, cin) in enumerate(zip(infos, inputs, strict=True))
        )
        self.to_rgb = nn.ConvTranspose2d(widths[-1], image_channels, 4, 2, 1, bias=False)
        blocks = (self.block0, self.block1, self.block2, self.block3)
        self.masks = nn.ModuleList(block.mask for block in blocks)

    def direction_basis(self) -> DirectionBasis:
        """The first layer is linear in z: (latent, C, 4, 4) -> one row per output value."""
        weight = self.block0.conv.weight  # (latent, C, 4, 4)
        return DirectionBasis(weight.reshape(self.latent_size, -1).t(), "z")

    def synthesize(self, z: Tensor) -> Tensor:
        x = z[:, :, None, None]  # (N, latent, 1, 1)
        x = self.block3(self.block2(self.block1(self.block0(x))))  # (N, f, 32, 32)
        return self.to_rgb(x).tanh_()  # (N, 3, 64, 64)
