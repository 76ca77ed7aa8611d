"""performer: a live VJ instrument that switches a face-generating network's neurons off."""

__version__ = "0.1.0"
