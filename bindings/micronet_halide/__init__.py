"""MicroNet compiled ahead of time with Halide: the runtime (load, Model, convert, info,
targets, ...) is the native module _native; compile() runs micronet-compile (_compile.py).
See docs/python.md."""
from . import _native
from ._native import *  # noqa: F401,F403  (load, Model, Prediction, convert, info, ...)
from ._native import FormatError, PackageError, RunError, Prediction, _compiler_candidates  # noqa: F401
from ._compile import compile  # noqa: F401

__doc__ = _native.__doc__
__version__ = _native.__version__
