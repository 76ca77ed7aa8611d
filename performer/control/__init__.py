"""The control layer: keyboard, OSC and MIDI (and later the web console and audio) turn
input into ParamChange batches for the registry and send feedback.

Imports the engine's contracts and below, never render, outputs, bench or app; osc and
midi never import each other.
"""
