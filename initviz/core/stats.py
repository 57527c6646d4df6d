"""Per-layer statistics and fixed-bin histograms, cheap enough to compute while training.

The dashboard compares layers, so every histogram of one kind shares one set of bins, fixed when
the network is (re)initialised; values outside the bins land in the edge bins instead of
stretching the axes (an exploding layer piles up at the edges, which is what a student should see).
"""
from __future__ import annotations

import functools
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

        Values beyond the range (inf included) go to the edge bins, NaN to the first bin. An
        array larger than ``HISTOGRAM_SAMPLE`` values is histogrammed on a fixed random sample
        of that many (the picture is the same, the cost much lower). Arrays of equal size (the
        hidden layers) are binned together: one pass of a few NumPy calls and one ``bincount``
        for the group, however deep the network.
        """
        n_bins = self.n_bins
        out = np.zeros((len(arrays), n_bins), dtype=np.float32)
        groups: dict[int, list[int]] = {}
        for row, x in enumerate(arrays):
            if x.size:
                groups.setdefault(x.size, []).append(row)
        with np.errstate(all="ignore"):
            for size, rows in groups.items():
                out[rows] = self._count_rows([arrays[row] for row in rows], size)
        return out

    def _count_rows(self, arrays: list[np.ndarray], size: int) -> np.ndarray:
        """Fractions per bin for equally sized arrays, shape (len(arrays), n_bins)."""
        n_bins, last = self.n_bins, self.n_bins - 1
        sample = _sample_index(size) if size > HISTOGRAM_SAMPLE else None
        dtype = np.result_type(*arrays, np.float32)
        position = np.empty((len(arrays), size if sample is None else HISTOGRAM_SAMPLE), dtype=dtype)
        for row, x in enumerate(arrays):
            values = np.ravel(x)
            position[row] = values if sample is None else values[sample]
        t = dtype.type
        if self.log:
            np.abs(position, out=position)
            np.log10(position, out=position)
        np.subtract(position, t(self.lo), out=position)
        np.multiply(position, t(n_bins / (self.hi - self.lo)), out=position)
        if np.isfinite(np.add.reduce(position, axis=None)):  # no NaN or inf: a plain clip
            np.clip(position, 0, last, out=position)
        else:
            np.fmax(position, 0, out=position)     # NaN and -inf -> 0
            np.fmin(position, last, out=position)  # +inf -> last bin
        index = position.astype(np.intp)
        index += (np.arange(len(arrays)) * n_bins)[:, None]
        counts = np.bincount(index.ravel(), minlength=len(arrays) * n_bins)
        return counts.reshape(len(arrays), n_bins) / np.float32(position.shape[1])


HISTOGRAM_SAMPLE = 4096


@functools.lru_cache(maxsize=32)
def _sample_index(size: int) -> np.ndarray:
    """A fixed (seeded) random sample of HISTOGRAM_SAMPLE positions out of ``size``, sorted."""
    return np.sort(np.random.default_rng(size).choice(size, HISTOGRAM_SAMPLE, replace=False))


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
