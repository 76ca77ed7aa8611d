"""Ableton Link: the band's tempo and bar lines across machines."""
