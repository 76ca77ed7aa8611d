"""The equalised-learning-rate fully connected layer used by the mapping network and affines.

Weights are stored unscaled (N(0, 1) / lr_multiplier at init) and multiplied by
lr_multiplier / sqrt(fan_in) when used; `prepare` folds that gain in once after loading.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

LRELU_SLOPE = 0.2
ACTIVATION_GAIN = {"linear": 1.0, "relu": math.sqrt(2.0), "lrelu": math.sqrt(2.0)}


def activate_(x: Tensor, activation: str, gain: float, clamp: float | None = None) -> Tensor:
    """act(x) * gain, clamped to +-clamp, in place on `x` (a fresh intermediate).

    Computed as act(clamp(x * gain)): the activations are positively homogeneous, so this
    equals NVlabs' clamp(act(x) * gain) once the lower bound is widened by the slope (for
    lrelu: -clamp / 0.2). Scaling and clamping first leaves the activation's output
    untouched afterwards, which keeps gradients available for load-time statistics.
    """
    if gain != 1.0:
        x.mul_(gain)
    if clamp is not None:
        low = {"lrelu": -clamp / LRELU_SLOPE, "relu": None}.get(activation, -clamp)
        x.clamp_(low, clamp)
    if activation == "lrelu":
        torch.nn.functional.leaky_relu_(x, LRELU_SLOPE)
    elif activation == "relu":
        x.relu_()
    return x


class EqualizedLinear(nn.Module):
    """y = act(x @ (weight * gain).T + bias * lr_multiplier) * act_gain."""

    scaled_weight_t: Tensor
    scaled_bias: Tensor

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: str = "linear",
        lr_multiplier: float = 1.0,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(out_features, in_features))  # (out, in)
        self.bias = nn.Parameter(torch.zeros(out_features))  # (out,)
        self.activation = activation
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier
        self.act_gain = ACTIVATION_GAIN[activation]
        self.register_buffer("scaled_weight_t", torch.zeros(in_features, out_features),
                             persistent=False)
        self.register_buffer("scaled_bias", torch.zeros(out_features), persistent=False)

    def prepare(self) -> None:
        """Fold the equalisation gains into the weights once, after loading."""
        self.scaled_weight_t.copy_((self.weight * self.weight_gain).t())
        self.scaled_bias.copy_(self.bias * self.bias_gain)

    def forward(self, x: Tensor) -> Tensor:
        if self.activation == "linear":
            return torch.addmm(self.scaled_bias, x, self.scaled_weight_t)
        y = x.matmul(self.scaled_weight_t).add_(self.scaled_bias)
        return activate_(y, self.activation, self.act_gain)
