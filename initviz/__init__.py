"""initviz: see what a neural network's weight initializer does, and why it matters.

``import initviz`` stays light: the NumPy core loads on first use, and the widget
(``initviz.Explorer``) only when asked for.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Explorer", "__version__"]


def __getattr__(name: str):
    if name == "Explorer":
        from initviz.app import Explorer

        return Explorer
    raise AttributeError(f"module 'initviz' has no attribute {name!r}")
