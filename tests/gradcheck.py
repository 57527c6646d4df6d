"""Gradient checks shared by the network, reference and normalization tests (cs231n style)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


def rel_error(a, b, tiny: float = 1e-12) -> float:
    """cs231n relative error: max |a - b| / max(|a|, |b|, tiny) over the whole array."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), tiny))


def numeric_gradient(loss_of: Callable[[], float], param: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """(L(p + h) - L(p - h)) / 2h for every entry of ``param`` (changed in place, restored)."""
    grad = np.zeros_like(param)
    flat, gflat = param.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = loss_of()
        flat[i] = old - h
        minus = loss_of()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad
