"""initviz: see what a neural network's weight initializer does, and why it matters.

``from initviz import Config, Trainer, Network, Explorer, compare, from_code`` is the public
API.
``import initviz`` stays light: each name loads its module when first touched, the NumPy core
(``Config``, ``Trainer``, ``Network``, ``compare``) on first use, and the widget
(``initviz.Explorer``, with matplotlib and ipywidgets) only when asked for.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from initviz.core._lazy import lazy_names

__version__ = "0.1.0"

__all__ = ["Config", "Explorer", "Network", "Trainer", "__version__", "compare", "from_code"]

if TYPE_CHECKING:
    from initviz.app.explorer import Explorer
    from initviz.core.code_reader import from_code
    from initviz.core.compare import compare
    from initviz.core.network import Network
    from initviz.core.training import Config, Trainer

__getattr__, __dir__ = lazy_names(globals(), {
    "Config": "initviz.core.training",
    "Trainer": "initviz.core.training",
    "Network": "initviz.core.network",
    "compare": "initviz.core.compare",
    "from_code": "initviz.core.code_reader",
    "Explorer": "initviz.app.explorer",
})
