"""Symmetry meter: how many *different* hidden units a network really has.

A hidden unit is its column of the incoming kernel ``W`` (Keras layout ``(fan_in, fan_out)``)
together with its bias. Two units that start equal receive equal gradients and therefore stay
equal for ever: with a constant initializer (zeros, ones, constant) a layer of ``width`` units
behaves like a layer of one unit, however long it trains. A random initializer breaks the
symmetry, so every layer has ``width`` distinct units.

``measure(network)`` returns a :class:`SymmetryReport` with, per hidden layer,

* ``distinct_units``: the number of groups of units equal within ``rtol`` relative to their norm
  (``||u_i - u_j|| <= rtol * max(||u_i||, ||u_j||)``, on ``[W[:, i]; b[i]]``). Two all-zero units
  are equal. Groups are formed greedily (each unit joins the first earlier unit it equals).
* ``mean_cosine``: the mean pairwise cosine similarity of the units' incoming weight vectors
  ``W[:, i]`` (bias excluded). Convention for zero vectors, which zeros initialisation produces:
  two zero vectors have cosine 1 (they are the same vector, so the units are as symmetric as can
  be), a zero vector and a non-zero one have cosine 0 (no shared direction). A layer with a single
  unit has no pairs: NaN.

Both are ``O(fan_in * width)`` per layer (no pairwise matrices): well under a
millisecond for the explorer's default network, a few milliseconds for 30 layers of 512 units.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_RTOL", "SymmetryReport", "count_distinct", "mean_pairwise_cosine", "measure"]

#: Units closer than this, relative to their norm, count as the same unit. Float32 training of
#: units that started identical keeps them equal to ~1e-6 (BLAS may sum columns in different
#: orders), far below this; randomly drawn units differ by O(1).
DEFAULT_RTOL = 1e-3
_PROJECTIONS = 6


@dataclass(frozen=True)
class SymmetryReport:
    """Per hidden layer: ``distinct_units`` (ints) and ``mean_cosine`` (floats), both (depth,).

    ``width`` is the hidden layers' width (the largest one if they differ; ``widths`` has each).
    """

    distinct_units: np.ndarray
    mean_cosine: np.ndarray
    width: int
    widths: tuple[int, ...] = ()

    @property
    def depth(self) -> int:
        return len(self.distinct_units)

    @property
    def symmetric(self) -> bool:
        """True when some layer has fewer distinct units than units (symmetry not broken)."""
        widths = np.asarray(self.widths or (self.width,) * self.depth)
        return bool(np.any(self.distinct_units < widths))

    def summary(self) -> str:
        """One sentence for the page, e.g. 'every hidden layer has 1 distinct unit of 32 ...'."""
        if not self.depth:
            return "no hidden layers"
        widths = np.asarray(self.widths or (self.width,) * self.depth)
        distinct = self.distinct_units
        if np.all(distinct == 1) and np.all(widths > 1):
            return (f"every hidden layer has 1 distinct unit of {self.width}: all units are copies "
                    "of each other (symmetry never breaks, the network is as narrow as 1 unit)")
        if np.all(distinct == widths):
            return f"all {self.width} units of every hidden layer are distinct (symmetry broken)"
        lo, hi = int(distinct.min()), int(distinct.max())
        spread = f"{lo}" if lo == hi else f"{lo} to {hi}"
        return f"hidden layers have {spread} distinct units of {self.width}: some units are copies"


def _unit_columns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns of a float32 copy of ``x`` scaled so the largest |entry| is 1, and their norms.

    The common scale changes no cosine and no relative distance and keeps exploded weights from
    overflowing the squares; NaN counts as 0 and +-inf as the largest float32.
    """
    v = np.asarray(x, dtype=np.float32)
    peak = float(np.max(np.abs(v))) if v.size else 0.0
    if not math.isfinite(peak):
        big = float(np.finfo(np.float32).max)
        v = np.nan_to_num(v, nan=0.0, posinf=big, neginf=-big)
        peak = float(np.max(np.abs(v)))
    if peak > 0:
        v = v * np.float32(1.0 / peak) if 1.0 / peak < float("inf") else (v / peak).astype(np.float32)
    return v, np.sqrt(np.einsum("ij,ij->j", v, v, dtype=np.float64))


def count_distinct(W: np.ndarray, b: np.ndarray | None = None, rtol: float = DEFAULT_RTOL) -> int:
    """How many different columns ``[W[:, i]; b[i]]`` there are, equal within ``rtol`` (see module).

    ``O(fan_in * width)`` in the usual cases: every unit is projected on a few fixed random
    directions; two units whose projections differ by more than ``rtol * max norm`` cannot be
    equal, so only runs of units with close projections are compared exactly (greedily, each unit
    joining the first remaining unit of its run that it equals).
    """
    W = np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"W must be a 2-D kernel (fan_in, fan_out), got shape {W.shape}")
    units = W if b is None else np.vstack([W, np.asarray(b).reshape(1, -1)])
    n = units.shape[1]
    if n == 0:
        return 0
    units, norms = _unit_columns(units)
    # equal units differ by at most rtol * norm along any unit direction (plus float32 rounding)
    window = (rtol + 1e-5) * float(norms.max())
    directions = np.random.default_rng(12345).standard_normal((_PROJECTIONS, units.shape[0]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    projections = directions.astype(np.float32) @ units  # (k, n); same dtypes: a BLAS product
    # refine runs: sort by (run, projection), cut where the run changes or neighbours are far apart;
    # equal units are never cut apart, so each run can be grouped on its own
    run = np.zeros(n, dtype=np.int64)
    for p in projections:
        order = np.lexsort((p, run))
        cut = (np.diff(run[order]) != 0) | (np.diff(p[order]) > window)
        run[order] = np.concatenate([[0], np.cumsum(cut)])
        if not cut.any() and len(np.unique(run)) == 1:
            break  # one run after a projection: further ones will not split it (all units close)
    sizes = np.bincount(run)
    groups = int(np.count_nonzero(sizes == 1))
    for label in np.flatnonzero(sizes > 1):
        remaining = np.flatnonzero(run == label)
        while len(remaining):
            first = remaining[0]
            distance = np.linalg.norm(units[:, remaining] - units[:, [first]], axis=0)
            same = distance <= rtol * np.maximum(norms[remaining], norms[first])
            same[0] = True
            groups += 1
            remaining = remaining[~same]
    return groups


def mean_pairwise_cosine(W: np.ndarray) -> float:
    """Mean cosine similarity over all pairs of columns of ``W`` (zero-vector convention above).

    ``O(fan_in * width)``: the sum of all pairwise cosines is ``||sum of unit vectors||^2`` minus
    the diagonal, plus 1 for each pair of zero vectors.
    """
    W = np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"W must be a 2-D kernel (fan_in, fan_out), got shape {W.shape}")
    n = W.shape[1]
    if n < 2:
        return float("nan")
    v, norms = _unit_columns(W)
    zero = norms == 0
    n_zero = int(np.count_nonzero(zero))
    # the sum of the unit vectors (float32 product: a BLAS call; its rounding is ~1e-6 of n)
    total = (v[:, ~zero] @ (1.0 / norms[~zero]).astype(np.float32)).astype(np.float64)
    pair_sum = float(total @ total) - (n - n_zero) + n_zero * (n_zero - 1)
    return float(np.clip(pair_sum / (n * (n - 1)), -1.0, 1.0))


def measure(network, rtol: float = DEFAULT_RTOL) -> SymmetryReport:
    """The symmetry report of a ``Network``'s hidden layers (the output layer is not counted)."""
    kernels = network.weights[:-1]
    biases = network.biases[:-1]
    distinct = np.array([count_distinct(W, b, rtol) for W, b in zip(kernels, biases)], dtype=np.int64)
    cosine = np.array([mean_pairwise_cosine(W) for W in kernels], dtype=np.float64)
    widths = tuple(int(W.shape[1]) for W in kernels)
    return SymmetryReport(distinct, cosine, max(widths, default=0), widths)
