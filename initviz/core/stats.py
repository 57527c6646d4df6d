"""Per-layer statistics and fixed-bin histograms, cheap enough to compute while training.

The dashboard compares layers, so every histogram of one kind shares one set of bins, fixed when
the network is (re)initialised; values outside the bins land in the edge bins instead of
stretching the axes (an exploding layer piles up at the edges, which is what a student should see).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

HISTOGRAM_KINDS = ("weights", "preactivations", "activations", "gradients")


def nice_ceil(x: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= x (for axis limits)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(x))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * power >= x * (1 - 1e-9):
            return step * power
    return 10.0 * power


@dataclass(frozen=True)
class Bins:
    """``n_bins`` equal bins over ``[lo, hi]``; ``log=True`` bins log10|x| instead of x."""

    lo: float
    hi: float
    n_bins: int = 41
    log: bool = False

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(self.lo, self.hi, self.n_bins + 1)

    def counts(self, arrays: list[np.ndarray]) -> np.ndarray:
        """Histogram of each array, shape (len(arrays), n_bins), as fractions of each array's size.

        One ``bincount`` for all arrays; values beyond the range (inf included) go to the edge bins.
        """
        if not arrays:
            return np.zeros((0, self.n_bins), dtype=np.float32)
        index_parts = []
        width = (self.hi - self.lo) / self.n_bins
        with np.errstate(all="ignore"):
            for layer, x in enumerate(arrays):
                x = x.ravel()
                if self.log:
                    x = np.log10(np.abs(x))
                position = np.nan_to_num((x - self.lo) / width, nan=0.0, posinf=self.n_bins - 1,
                                         neginf=0.0)
                index = np.clip(position, 0, self.n_bins - 1).astype(np.intp)
                index += layer * self.n_bins
                index_parts.append(index)
        counts = np.bincount(np.concatenate(index_parts), minlength=len(arrays) * self.n_bins)
        counts = counts.reshape(len(arrays), self.n_bins).astype(np.float32)
        sizes = np.array([max(1, x.size) for x in arrays], dtype=np.float32)
        return counts / sizes[:, None]


def symmetric_bins(arrays: list[np.ndarray], n_bins: int = 41, floor: float = 1e-3) -> Bins:
    """Bins over [-m, m], m a nice number above nearly every |value| (at least ``floor``).

    m covers the 99.9th percentile of each array, so a few outliers land in the edge bins
    instead of squeezing everything else into the middle bins.
    """
    largest = max((float(np.quantile(np.abs(x), 0.999)) for x in arrays if x.size), default=0.0)
    limit = nice_ceil(max(largest * 1.05, floor)) if math.isfinite(largest) else 1.0
    return Bins(-limit, limit, n_bins)


def activation_bins(activation: str, arrays: list[np.ndarray], n_bins: int = 41) -> Bins:
    """Bins for activations: the activation's own range when it is bounded, else from the data."""
    bounded = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
    if activation in bounded:
        lo, hi = bounded[activation]
        return Bins(lo, hi, n_bins)
    bins = symmetric_bins(arrays, n_bins)
    if all(x.size == 0 or float(x.min()) >= 0 for x in arrays):
        return Bins(0.0, bins.hi, n_bins)
    return bins


GRADIENT_BINS = Bins(-12.0, 2.0, 42, log=True)
"""log10 |dL/dW|: a vanishing layer's gradients sit many decades left of the last layer's."""


def mean_std(x: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation from one sum and one dot product (fast for small arrays)."""
    n = x.size
    mean = float(np.add.reduce(x, axis=None)) / n
    second = float(np.vdot(x, x)) / n
    return mean, math.sqrt(max(second - mean * mean, 0.0))


def frobenius(x: np.ndarray) -> float:
    """||x||_F = sqrt(sum x^2)."""
    return math.sqrt(float(np.vdot(x, x)))
