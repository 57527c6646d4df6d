"""Public names that import their module on first access (PEP 562 module ``__getattr__``).

``initviz`` and ``initviz.core`` use it so that importing either package loads neither NumPy nor
any UI library until a name such as ``Config`` or ``Explorer`` is touched.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_names(namespace: dict[str, Any], homes: dict[str, str]
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the module whose globals are ``namespace``:
    ``homes`` maps each public name to the module that defines it. A name is imported once,
    then kept in ``namespace`` (later accesses do not come here)."""
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = homes.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(homes))

    return __getattr__, __dir__
