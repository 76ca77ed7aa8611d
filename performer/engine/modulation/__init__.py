"""Modulation: sources (LFOs, envelopes, the show, audio features) and the routes that move
parameters on top of their base values, once per frame, as pure state machines the engine
steps (no threads, no registry writes)."""
