"""Two calls into the GL and EGL libraries that moderngl does not offer.

Waiting for the GPU without holding Python's GIL: moderngl's `ctx.finish()` and `read()`
keep the GIL while the driver works; with a software renderer (llvmpipe) that is the whole
frame's rendering time, during which the engine thread cannot run Python. `glFinish`
called through ctypes releases the GIL, so the engine keeps generating while the GL frame
completes. It acts on the thread's current context, which is the one moderngl made current.

Letting go of EGL: releasing a moderngl EGL context leaves EGL bound to the thread, and a
GLX window context made on that thread afterwards fails (X error BadAccess on
glXMakeCurrent); `eglReleaseThread` unbinds it.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

_LIBRARIES = (
    "libOpenGL.so.0",
    "libGL.so.1",
    "opengl32",
    "/System/Library/Frameworks/OpenGL.framework/OpenGL",
)
_finish: Callable[[], None] | None = None
_looked = False


def _find_gl_finish() -> Callable[[], None] | None:
    for name in _LIBRARIES:
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        finish = getattr(library, "glFinish", None)
        if finish is not None:
            finish.restype = None
            finish.argtypes = []
            return finish
    log.debug("no GL library for glFinish found; waiting through moderngl (holds the GIL)")
    return None


def release_egl_thread(library: str | None = None) -> None:
    """Unbind EGL from this thread (after its last EGL context is released)."""
    try:
        egl = ctypes.CDLL(library or "libEGL.so.1")
    except OSError:
        return  # no EGL library: nothing was bound
    egl.eglReleaseThread()


def finish(fallback: Callable[[], None]) -> None:
    """Block until GL work is done, releasing the GIL where possible; else call `fallback`."""
    global _finish, _looked
    if not _looked:
        _finish, _looked = _find_gl_finish(), True
    if _finish is not None:
        _finish()
    else:
        fallback()
