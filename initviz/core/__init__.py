"""The NumPy core of initviz: initializers, activations, losses, a dense network, toy datasets,
optimizers and the trainer that records per-layer statistics. NumPy only, no UI imports.

``from initviz.core import Config, Trainer, Network`` is the public API; submodules
(``initializers``, ``presets``, ``theory``, ``compare``, ...) import as usual. The three names
load their modules (and NumPy) when first touched, so ``import initviz.core`` stays light.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> the module that defines it (imported on first access)
_LAZY = {
    "Config": "initviz.core.training",
    "Trainer": "initviz.core.training",
    "Network": "initviz.core.network",
}

__all__ = ["Config", "Network", "Trainer"]

if TYPE_CHECKING:
    from initviz.core.network import Network
    from initviz.core.training import Config, Trainer


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'initviz.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
