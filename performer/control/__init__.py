"""Remote control: listeners (OSC, MIDI) that turn messages into registry changes, and
feedback that sends registry changes back out. See `services.py` for how they start."""
