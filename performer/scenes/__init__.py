"""Scenes: named sets of parameter values, kept in a human-edited show file."""
