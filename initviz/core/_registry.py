"""Shared helpers for the name -> implementation registries of the core."""
from __future__ import annotations

import difflib
import math
from collections.abc import Iterable


def unknown_name_error(kind: str, name: object, choices: Iterable[str]) -> ValueError:
    """A ValueError that lists the valid choices and suggests the closest one.

    >>> str(unknown_name_error("initializer", "he_nromal", ["he_normal", "zeros"]))
    "unknown initializer 'he_nromal'; did you mean 'he_normal'? Valid choices: he_normal, zeros"
    """
    choices = sorted(choices)
    hint = ""
    if isinstance(name, str):
        close = difflib.get_close_matches(name.lower(), choices, n=1, cutoff=0.6)
        if close:
            hint = f"; did you mean {close[0]!r}?"
    return ValueError(f"unknown {kind} {name!r}{hint or '.'} Valid choices: {', '.join(choices)}")


def lookup(registry: dict, kind: str, name: object):
    """``registry[name]`` (case-insensitive), or a helpful ValueError."""
    key = name.lower().strip() if isinstance(name, str) else name
    try:
        return registry[key]
    except (KeyError, TypeError):
        raise unknown_name_error(kind, name, registry) from None


def check_finite(name: str, value: object) -> float:
    """``float(value)``, or a ValueError naming the parameter if it is not a finite number."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number
