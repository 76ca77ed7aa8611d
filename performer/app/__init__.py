"""The application layer: the command line and the wiring of a live show or an offline
render. The only package that may import every other layer.
"""
