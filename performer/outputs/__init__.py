"""The outputs layer (room for NDI, Syphon, Spout, a virtual camera): consumers of Frames
that leave the machine. Imports render and below; never control or app.
"""
