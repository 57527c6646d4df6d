"""Small toy datasets for the explorer: 2-D classification problems and a 1-D regression.

``make(name, n_samples=300, noise=0.1, seed=0, **options) -> Dataset``:

=========  ==========  ========================================================================
name       task        what
=========  ==========  ========================================================================
moons      binary      two interleaving half circles (as scikit-learn's ``make_moons``)
circles    binary      a circle of radius 0.5 inside one of radius 1 (``make_circles``)
spirals    binary /    ``classes`` (default 2) interleaved spiral arms (1.25 turns each for 2)
           multiclass
xor        binary      the four quadrants of [-1, 1]^2; label 1 where the signs differ
blobs      multiclass  ``classes`` (default 3) Gaussian blobs (spread 0.2) around a circle
sine       regression  ``y = sin(x) + noise``, x uniform in [-pi, pi]
wine       multiclass  UCI Wine: 178 wines x 13 measurements, 3 cultivars (real data, CC BY
                       4.0, ``initviz/core/data``); ``noise`` does not apply, ``n_samples``
                       below 178 takes a random subset, above it all 178
regression13 regression  13 features in raw units from about 0.1 to 400 and a smooth target
                       (synthetic, documented in ``initviz/core/data/README.md``): the shape of
                       the Keras tutorial's ``Dense(13, input_dim=13) + Dense(1)`` + MSE data
=========  ==========  ========================================================================

``noise`` is the standard deviation of Gaussian noise added to the raw inputs (to ``y`` for
``sine``), whose patterns all have a scale of about 1. Classes get equal shares of the samples
(up to one), except ``xor`` whose labels follow the uniformly drawn points. The samples come in
random order and the inputs ``X`` are standardised (zero mean, unit standard deviation per
feature), as one would before training; ``standardize=False`` keeps the raw units (wine's
proline is about 750 where its hue is about 1: what unscaled inputs do to a layer's
pre-activations is part of the initialization story). Everything is drawn from
``numpy.random.default_rng(seed)``: same arguments, same arrays.

The arrays of a :class:`Dataset` are read-only, so a dataset can be shared safely.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from initviz.core._registry import check_finite, lookup

__all__ = ["Dataset", "make", "names", "train_test_split", "MAX_CLASSES"]

#: Most classes ``blobs`` / ``spirals`` accept (the plots use a 10-colour palette).
MAX_CLASSES = 10
_MIN_SAMPLES = 4


@dataclass(frozen=True, eq=False)
class Dataset:
    """A toy dataset.

    ``X``: float32 ``(n, d)``, standardised. ``y``: int64 labels ``(n,)`` for classification,
    float32 ``(n, 1)`` for regression. ``task``: ``'binary'``, ``'multiclass'`` or
    ``'regression'``. ``n_classes``: number of classes (1 for regression). ``loss``: the
    matching loss name (``binary_crossentropy``, ``categorical_crossentropy`` or ``mse``).
    ``output_units``: width of the network's last layer (1, ``n_classes`` or 1).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    n_classes: int
    loss: str
    output_units: int

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, n_samples={self.n_samples}, "
                f"n_features={self.n_features}, task={self.task!r}, "
                f"n_classes={self.n_classes}, loss={self.loss!r})")


# --------------------------------------------------------------------------------------------
# generators: raw (unstandardised) float64 points and labels

def _balanced_labels(n: int, k: int) -> np.ndarray:
    """Class labels 0..k-1 with equal shares of n (the first n % k classes get one more)."""
    return np.arange(n) % k


def _moons(n, noise, rng):
    y = _balanced_labels(n, 2)
    t = rng.uniform(0.0, math.pi, n)
    X = np.where(
        (y == 0)[:, None],
        np.stack([np.cos(t), np.sin(t)], axis=1),
        np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1),
    )
    return X + noise * rng.standard_normal((n, 2)), y


def _circles(n, noise, rng):
    y = _balanced_labels(n, 2)                       # 0: outer circle, 1: inner
    t = rng.uniform(0.0, 2 * math.pi, n)
    r = np.where(y == 0, 1.0, 0.5)
    X = r[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    return X + noise * rng.standard_normal((n, 2)), y


def _spirals(n, noise, rng, classes=2):
    y = _balanced_labels(n, classes)
    r = np.sqrt(rng.uniform(0.0, 1.0, n))         # sqrt: even density along the arm
    # each arm turns 2.5 / classes times (1.25 turns for 2 classes), so neighbouring arms are
    # always 0.4 apart along a ray, whatever the number of classes
    theta = 2 * math.pi * (y + 2.5 * r) / classes
    X = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return X + noise * rng.standard_normal((n, 2)), y


def _xor(n, noise, rng):
    P = rng.uniform(-1.0, 1.0, (n, 2))
    y = (P[:, 0] * P[:, 1] < 0).astype(np.int64)  # 1 where the signs differ
    return P + noise * rng.standard_normal((n, 2)), y


def _blobs(n, noise, rng, classes=3):
    y = _balanced_labels(n, classes)
    angle = 2 * math.pi * y / classes + math.pi / 2
    # centres on a circle of radius 1, wider for many classes so neighbours stay >= 1 apart
    radius = max(1.0, 0.5 / math.sin(math.pi / classes))
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    spread = math.hypot(0.2, noise)               # intrinsic spread 0.2 plus the noise
    return centres + spread * rng.standard_normal((n, 2)), y


def _sine(n, noise, rng):
    x = rng.uniform(-math.pi, math.pi, (n, 1))
    return x, np.sin(x) + noise * rng.standard_normal((n, 1))


_DATA = Path(__file__).parent / "data"
WINE_ROWS = 178
_WINE: list[np.ndarray] = []


def _wine_table() -> tuple[np.ndarray, np.ndarray]:
    """The 178 x 13 measurements and the cultivars (0, 1, 2) of ``data/wine.csv``, read once."""
    if not _WINE:
        table = np.loadtxt(_DATA / "wine.csv", delimiter=",", skiprows=1, dtype=np.float64)
        _WINE.extend([table[:, :13], table[:, 13].astype(np.int64)])
    return _WINE[0], _WINE[1]


def _wine(n, noise, rng):
    """UCI Wine: a random subset of ``n`` of the 178 wines (all of them when n >= 178);
    ``noise`` does not apply to measurements."""
    X, y = _wine_table()
    keep = rng.permutation(WINE_ROWS)[:min(n, WINE_ROWS)]
    return X[keep], y[keep]


#: raw units of regression13's 13 features (means and spreads like the housing tutorial's)
_R13_MEAN = np.array([3.6, 11.4, 11.1, 0.07, 0.55, 6.3, 68.6, 3.8, 9.5, 408.2, 18.5, 356.7, 12.7])
_R13_STD = np.array([8.6, 23.3, 6.9, 0.25, 0.12, 0.70, 28.1, 2.1, 8.7, 168.5, 2.2, 91.3, 7.1])
_R13_WEIGHTS = np.array([-0.4, 0.3, -0.2, 0.1, -0.5, 0.9, -0.1, -0.7, 0.6, -0.5, -0.6, 0.3,
                         -1.0]) / 2.0


def _regression13(n, noise, rng):
    """13 correlated features (z_j = g_j + 0.5 g_{j+1}, g ~ N(0, 1)) in raw units
    ``mean_j + std_j z_j / sqrt(1.25)``; target ``w . z + 0.5 tanh(z_0 z_5) - 0.3 z_12^2 +
    noise * N(0, 1)``: mostly linear with two smooth interactions, std about 1."""
    g = rng.standard_normal((n, 14))
    z = (g[:, :13] + 0.5 * g[:, 1:]) / math.sqrt(1.25)
    y = z @ _R13_WEIGHTS + 0.5 * np.tanh(z[:, 0] * z[:, 5]) - 0.3 * (z[:, 12] ** 2 - 1)
    y = y + noise * rng.standard_normal(n)
    return _R13_MEAN + _R13_STD * z, y[:, None]


@dataclass(frozen=True)
class _Spec:
    generate: Callable
    task: str                       # 'binary', 'regression', 'classes' (from the option) or
    options: tuple[str, ...] = ()   # 'multiclass' with ``classes`` fixed
    classes: int = 0


_DATASETS: dict[str, _Spec] = {
    "moons": _Spec(_moons, "binary"),
    "circles": _Spec(_circles, "binary"),
    "spirals": _Spec(_spirals, "classes", ("classes",)),
    "xor": _Spec(_xor, "binary"),
    "blobs": _Spec(_blobs, "classes", ("classes",)),
    "sine": _Spec(_sine, "regression"),
    "wine": _Spec(_wine, "multiclass", classes=3),
    "regression13": _Spec(_regression13, "regression"),
}


def names() -> list[str]:
    """The dataset names, in display order."""
    return list(_DATASETS)


# --------------------------------------------------------------------------------------------
# checks

def _check_int(name: str, value, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, float, np.floating)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if not (math.isfinite(value) and float(value).is_integer()):
            raise ValueError(f"{name} must be an integer, got {value!r}")
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {value!r}")
    return number


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None:
        seed = _check_int("seed", seed, 0)
    return np.random.default_rng(seed)


def _standardise(X: np.ndarray) -> np.ndarray:
    X = X - X.mean(axis=0)
    std = X.std(axis=0)
    return X / np.where(std > 0, std, 1.0)


def _freeze(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


# --------------------------------------------------------------------------------------------
# public API

def make(name: str, n_samples: int = 300, noise: float = 0.1, seed=0, standardize: bool = True,
         **options) -> Dataset:
    """Draw the dataset ``name`` (see the module docstring for the names and options).

    ``n_samples`` >= 4 (and >= 2 per class), ``noise`` >= 0, ``seed`` a non-negative integer
    (or a ``numpy.random.Generator`` to draw from, or ``None`` for fresh entropy).
    ``blobs`` and ``spirals`` take ``classes`` (2 .. 10; defaults 3 and 2). ``standardize``:
    False keeps the raw units. Bad input raises ``ValueError``.
    """
    spec = lookup(_DATASETS, "dataset", name)
    key = name.lower().strip()
    for option in options:
        if option not in spec.options:
            valid = ", ".join(spec.options) if spec.options else "none"
            raise ValueError(f"dataset {key!r} has no option {option!r} (options: {valid})")
    kwargs = {}
    n_classes = 2 if spec.task == "binary" else spec.classes or 1
    if "classes" in spec.options:
        default = 3 if key == "blobs" else 2
        n_classes = _check_int("classes", options.get("classes", default), 2, MAX_CLASSES)
        kwargs["classes"] = n_classes
    n = _check_int("n_samples", n_samples, _MIN_SAMPLES)
    if n < 2 * n_classes:
        raise ValueError(f"n_samples must be at least 2 per class ({2 * n_classes} for "
                         f"{n_classes} classes), got {n_samples!r}")
    sigma = check_finite("noise", noise)
    if sigma < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = _rng(seed)

    X, y = spec.generate(n, sigma, rng, **kwargs)
    n = len(X)  # wine has 178 rows at most
    order = rng.permutation(n)
    if not isinstance(standardize, bool):
        raise ValueError(f"standardize must be True or False, got {standardize!r}")
    X = (_standardise(X[order]) if standardize else X[order]).astype(np.float32)
    if spec.classes and len(np.unique(y)) < spec.classes:
        raise ValueError(f"n_samples={n} drew too few wines to hold all {spec.classes} "
                         f"classes; take at least 12")
    if spec.task == "regression":
        y = y[order].astype(np.float32)
        task, loss, units = "regression", "mse", 1
    else:
        y = y[order].astype(np.int64)
        if n_classes == 2:
            task, loss, units = "binary", "binary_crossentropy", 1
        else:
            task, loss, units = "multiclass", "categorical_crossentropy", n_classes
    return Dataset(key, _freeze(X), _freeze(y), task, n_classes, loss, units)


def train_test_split(dataset: Dataset, test_fraction: float = 0.25, seed=0
                     ) -> tuple[Dataset, Dataset]:
    """Split ``dataset`` at random into ``(train, test)`` (not stratified).

    The test set gets ``round(test_fraction * n)`` samples, at least 1, and the train set at
    least 1; ``0 < test_fraction < 1``. The inputs are not re-standardised. Same seed, same
    split.
    """
    if not isinstance(dataset, Dataset):
        raise ValueError(f"train_test_split needs a Dataset (from datasets.make), got "
                         f"{type(dataset).__name__}")
    fraction = check_finite("test_fraction", test_fraction)
    if not 0 < fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1 (exclusive), got "
                         f"{test_fraction!r}")
    n = dataset.n_samples
    if n < 2:
        raise ValueError(f"cannot split a dataset of {n} sample(s)")
    n_test = min(max(int(round(fraction * n)), 1), n - 1)
    order = _rng(seed).permutation(n)
    test_idx, train_idx = np.sort(order[:n_test]), np.sort(order[n_test:])

    def subset(idx: np.ndarray) -> Dataset:
        return Dataset(dataset.name, _freeze(dataset.X[idx]), _freeze(dataset.y[idx]),
                       dataset.task, dataset.n_classes, dataset.loss, dataset.output_units)

    return subset(train_idx), subset(test_idx)
