"""The outputs layer: the output picture (`performer.video.VideoFrame`) leaving performer
through NDI, Syphon, Spout, a virtual camera or a recording, each output on its own thread
behind the fan-out. Imports the bottom contracts only; never render, control, bench or app
(the app hands outputs the pictures the render layer read back).
"""
