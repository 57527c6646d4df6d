"""The NumPy core of initviz: initializers, activations, losses, a dense network, toy datasets,
optimizers and the trainer that records per-layer statistics. NumPy only, no UI imports.

``from initviz.core import Config, Trainer, Network`` is the public API; submodules
(``initializers``, ``presets``, ``theory``, ``compare``, ...) import as usual. The three names
load their modules (and NumPy) when first touched, so ``import initviz.core`` stays light.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from initviz.core._lazy import lazy_names

__all__ = ["Config", "Network", "Trainer"]

if TYPE_CHECKING:
    from initviz.core.network import Network
    from initviz.core.training import Config, Trainer

__getattr__, __dir__ = lazy_names(globals(), {
    "Config": "initviz.core.training",
    "Trainer": "initviz.core.training",
    "Network": "initviz.core.network",
})
