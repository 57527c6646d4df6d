"""Python-source literals shared by the initializers' Keras/PyTorch spellings and the exports."""
from __future__ import annotations


def num(x: float) -> str:
    """A float literal, short but exact enough (12 significant digits).

    >>> num(2), num(0.1 * 3), num(1e-8)
    ('2.0', '0.3', '1e-08')
    """
    text = f"{float(x):.12g}"
    return text if any(c in text for c in ".einn") else text + ".0"


def kwargs(**values: str) -> str:
    """``k1=v1, k2=v2`` from already formatted values."""
    return ", ".join(f"{k}={v}" for k, v in values.items())
