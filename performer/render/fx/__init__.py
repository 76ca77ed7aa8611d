"""The effect chain: ISF 2.0 files (parsed, translated to GLSL 3.30, hosted on ModernGL)
applied between the face and every output."""
