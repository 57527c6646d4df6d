"""initviz: see what a neural network's weight initializer does, and why it matters.

``from initviz import Config, Trainer, Network, Explorer, compare`` is the public API.
``import initviz`` stays light: each name loads its module when first touched, the NumPy core
(``Config``, ``Trainer``, ``Network``, ``compare``) on first use, and the widget
(``initviz.Explorer``, with matplotlib and ipywidgets) only when asked for.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it (imported on first access)
_LAZY = {
    "Config": "initviz.core.training",
    "Trainer": "initviz.core.training",
    "Network": "initviz.core.network",
    "compare": "initviz.core.compare",
    "Explorer": "initviz.app.explorer",
}

__all__ = ["Config", "Explorer", "Network", "Trainer", "__version__", "compare"]

if TYPE_CHECKING:
    from initviz.app.explorer import Explorer
    from initviz.core.compare import compare
    from initviz.core.network import Network
    from initviz.core.training import Config, Trainer


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'initviz' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
