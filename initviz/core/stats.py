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
        of that many (the picture is the same, the cost much lower). All arrays are binned
        together: a few NumPy calls and one ``bincount`` however deep the network.
        """
        sizes = tuple(min(x.size, HISTOGRAM_SAMPLE) for x in arrays)
        if not any(sizes):
            return np.zeros((len(arrays), self.n_bins), dtype=np.float32)
        values = np.concatenate([np.ravel(x) if x.size <= HISTOGRAM_SAMPLE
                                 else np.ravel(x)[_sample_index(x.size)] for x in arrays])
        if values.dtype.kind != "f":
            values = values.astype(np.float32)
        first, lengths = _row_layout(sizes, self.n_bins)
        counts = self._bin(values, values, first.astype(values.dtype, copy=False), len(arrays))
        return (counts / lengths).astype(np.float32)

    def counts_stacked(self, stack: np.ndarray) -> np.ndarray:
        """:meth:`counts` of each ``stack[i]`` of a (layers, rows, columns) array (a strided
        view is fine), shape (layers, n_bins). Larger than ``HISTOGRAM_SAMPLE`` values per layer,
        the leading rows that hold about that many are used (the trainer's rows are shuffled)."""
        layers, rows, columns = stack.shape
        if layers == 0 or rows * columns == 0:
            return np.zeros((layers, self.n_bins), dtype=np.float32)
        stack = stack[:, : max(1, HISTOGRAM_SAMPLE // columns)]
        position = np.empty(stack.shape, dtype=np.result_type(stack, np.float32))
        first = (np.arange(layers) * self.n_bins).astype(position.dtype)[:, None, None]
        counts = self._bin(stack, position, first, layers)
        return counts / np.float32(stack.shape[1] * columns)

    def _bin(self, values: np.ndarray, position: np.ndarray, first: np.ndarray,
             layers: int) -> np.ndarray:
        """Counts (layers, n_bins) of ``values``, whose entries belong to the histogram whose
        first bin is ``first`` (n_bins times its layer, broadcast against ``values``); the bin
        positions are written into ``position`` (values' shape, may be ``values``). One
        ``bincount`` for every layer."""
        n_bins = self.n_bins
        t = position.dtype.type
        with np.errstate(all="ignore"):
            if self.log:
                np.abs(values, out=position)
                np.log10(position, out=position)
                values = position
            np.multiply(values, t(n_bins / (self.hi - self.lo)), out=position)
            np.add(position, first - t(self.lo * n_bins / (self.hi - self.lo)), out=position)
            last = first + t(n_bins - 1)
            if np.isfinite(np.add.reduce(position, axis=None)):  # no NaN or inf: a plain clip
                np.maximum(position, first, out=position)
                np.minimum(position, last, out=position)
            else:
                np.fmax(position, first, out=position)  # NaN and -inf -> first bin
                np.fmin(position, last, out=position)   # +inf -> last bin
        index = position.astype(np.intp).ravel()
        return np.bincount(index, minlength=layers * n_bins).reshape(layers, n_bins)


@functools.lru_cache(maxsize=64)
def _row_layout(sizes: tuple[int, ...], n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """For arrays of these sizes laid end to end: each entry's first bin (n_bins times its
    array's index) and each array's size as a column (to turn counts into fractions; 1 for an
    empty array, whose counts are all 0)."""
    first = np.repeat(np.arange(len(sizes)) * n_bins, sizes).astype(np.float32)
    return first, np.maximum(np.array(sizes, dtype=np.float64), 1.0)[:, None]


HISTOGRAM_SAMPLE = 2048


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


def frobenius(x: np.ndarray) -> float:
    """||x||_F = sqrt(sum x^2)."""
    return math.sqrt(float(np.vdot(x, x)))
