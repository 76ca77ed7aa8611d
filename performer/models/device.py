"""Choosing where the generator runs: CUDA, then Apple MPS, then the CPU."""

from __future__ import annotations

import logging

import torch

log = logging.getLogger(__name__)


class DeviceError(ValueError):
    """A --device that this machine does not have."""


def choose_device(requested: str | None = None) -> torch.device:
    """The requested device if it exists, else the fastest one present (with a notice on CPU)."""
    if requested:
        try:
            device = torch.device(requested)
        except RuntimeError as err:
            raise DeviceError(f"unknown device {requested!r} (try cpu, cuda, cuda:1, mps)") from err
        if device.type == "cuda" and not torch.cuda.is_available():
            raise DeviceError(f"--device {requested}: no CUDA GPU is available here")
        if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
            raise DeviceError(
                f"--device {requested}: this machine has {torch.cuda.device_count()} CUDA GPU(s)"
            )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise DeviceError(f"--device {requested}: Apple MPS is not available here")
        return _tuned(device)
    if torch.cuda.is_available():
        return _tuned(torch.device("cuda"))
    if torch.backends.mps.is_available():
        return torch.device("mps")
    log.info("no GPU found: the generator runs on the CPU")
    return torch.device("cpu")


def _tuned(device: torch.device) -> torch.device:
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # one input shape all show long: tune once
    return device


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so timings measure the work and not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def conv_memory_format(device: torch.device) -> torch.memory_format:
    """The activation order the StyleGAN convolutions run in on `device`: channels-last on
    the CPU (oneDNN's native order: NCHW costs a reorder of every map in and out of each
    convolution, and its depthwise and transposed convolutions run at a fraction of the
    rate; measured by `performer bench --model`), NCHW elsewhere (CUDA and MPS untried)."""
    return torch.channels_last if device.type == "cpu" else torch.contiguous_format
