"""Model families performer can ablate, and how to load them."""

from performer.models.base import AblatableGenerator, ChannelMask, LayerInfo, ModelError
from performer.models.loading import BUILTIN, load_model

__all__ = ["BUILTIN", "AblatableGenerator", "ChannelMask", "LayerInfo", "ModelError", "load_model"]
