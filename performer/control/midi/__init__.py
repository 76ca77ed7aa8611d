"""MIDI: mapping (pure), profiles, learn, ports and the hot-plug service.
"""
