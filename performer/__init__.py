"""performer: a live VJ instrument that switches a face-generating network's neurons off on stage."""

__version__ = "0.1.0"
