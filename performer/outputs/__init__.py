"""The outputs layer (room for NDI, Syphon, Spout, a virtual camera): consumers of Frames
that leave the machine. Imports the engine's contracts and below; never render, control,
bench or app (the app hands outputs what they need, frames or textures).
"""
