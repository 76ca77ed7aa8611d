"""Bundled MIDI controller profiles (TOML), installed as performer.mappings."""
