"""performer's GLSL shaders, installed as the data package `performer.shaders`."""
