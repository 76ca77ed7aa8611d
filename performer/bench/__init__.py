"""`performer bench`: every benchmark and its helpers (the JACK dummy server among them).

Imports what it measures: engine, render, control and below; never the app.
"""
