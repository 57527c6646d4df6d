"""Loss functions with Keras names and semantics, computed from the network's raw outputs.

The network's last layer is linear; the loss owns the output nonlinearity, as
``from_logits=True`` in Keras or ``BCEWithLogitsLoss`` / ``CrossEntropyLoss`` in PyTorch:

* ``binary_crossentropy`` (aliases ``bce``, ``binary_cross_entropy``): one logit per sample,
  ``logits`` of shape ``(n, 1)`` (or ``(n,)``), ``y`` in {0, 1} of shape ``(n,)`` or ``(n, 1)``
  (soft targets in [0, 1] work too). Per element
  ``max(x, 0) - x y + log1p(exp(-|x|))``, which is ``-y log s(x) - (1 - y) log(1 - s(x))``
  without overflow. Multi-label ``(n, k)`` logits with ``(n, k)`` targets are averaged over all
  elements, as Keras does.
* ``categorical_crossentropy`` (aliases ``sparse_categorical_crossentropy``,
  ``cross_entropy``): ``logits`` of shape ``(n, k)``, ``k >= 2``, through a stable log-softmax.
  ``y`` is either integer labels of shape ``(n,)`` (or ``(n, 1)``), as Keras'
  *sparse_*categorical_crossentropy, or one-hot / probability rows of shape ``(n, k)``, as
  Keras' categorical_crossentropy; both give the same numbers.
* ``mse`` (alias ``mean_squared_error``): ``mean((x - y)**2)`` over the batch and the outputs;
  ``y`` of the shape of ``logits``, or ``(n,)`` for one output.

Every loss is the mean over the batch. ``value_and_grad(logits, y)`` returns
``(float, dloss/dlogits)`` with the gradient in the shape and dtype of ``logits``; the sums are
done in float64, so float32 logits are fine. Finite logits, even ``|x| = 1e4``, give a finite
loss and gradient without NumPy warnings; logits containing NaN or inf give a NaN loss and NaN
gradient, silently (divergence is a state for the trainer, not a warning). Bad shapes or labels
raise ``ValueError``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from initviz.core._registry import lookup

__all__ = ["Loss", "Targets", "get", "names"]


# --------------------------------------------------------------------------------------------
# input checks

def _logits(logits, loss: str, ndims=(1, 2)) -> np.ndarray:
    x = np.asarray(logits)
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{loss}: logits must be a numeric array, got dtype {x.dtype}")
    if x.ndim not in ndims:
        shapes = " or ".join({1: "(n,)", 2: "(n, k)"}[d] for d in ndims)
        raise ValueError(f"{loss}: logits must have shape {shapes}, got {x.shape}")
    if x.shape[0] == 0 or x.size == 0:
        raise ValueError(f"{loss}: empty batch (logits shape {x.shape})")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x


def _targets_like(x: np.ndarray, y, loss: str) -> np.ndarray:
    """``y`` as float64 in the shape of ``x`` (accepting ``(n,)`` <-> ``(n, 1)``)."""
    t = np.asarray(y)
    if t.dtype.kind not in "biuf":
        raise ValueError(f"{loss}: targets must be numeric, got dtype {t.dtype}")
    if t.shape != x.shape:
        n = x.shape[0]
        if x.shape == (n, 1) and t.shape == (n,) or x.shape == (n,) and t.shape == (n, 1):
            t = t.reshape(x.shape)
        else:
            raise ValueError(f"{loss}: targets of shape {t.shape} do not match logits of shape "
                             f"{x.shape}")
    t = t.astype(np.float64, copy=False)
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{loss}: targets contain NaN or inf")
    return t


def _nonfinite(x: np.ndarray, with_grad: bool):
    """The silent result for logits that contain NaN or inf: NaN loss (and NaN gradient)."""
    if with_grad:
        return float("nan"), np.full(x.shape, np.nan, dtype=x.dtype)
    return float("nan")


# --------------------------------------------------------------------------------------------
# the two parts of every loss: check the targets (once), then per-row values and gradients
#
# ``rows(x, t) -> (values, grads)``: ``values`` (float64, shape (n,)) is each row's loss, and
# ``grads`` (float64, the shape of x) is n times the gradient of the batch mean: the loss of any
# set S of rows is ``values[S].mean()`` with gradient ``grads[S] / len(S)``. The trainer uses
# that to score its training and test rows from one forward pass.


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    d = 1.0 / (1.0 + e)
    return np.where(x >= 0, d, e * d)


def _bce_check(x: np.ndarray, y) -> np.ndarray:
    name = "binary_crossentropy"
    t = _targets_like(x, y, name)
    if not np.all((t >= 0) & (t <= 1)):
        raise ValueError(f"{name}: targets must be in [0, 1] (class labels 0 / 1), got values "
                         f"from {t.min():g} to {t.max():g}")
    return t


def _bce_rows(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """softplus(x) - x t per element, softplus(x) = log(1 + e^x) = logaddexp(0, x) (stable for
    any finite x); gradient sigmoid(x) - t with sigmoid(x) = exp(x - softplus(x))."""
    x = x.astype(np.float64).reshape(t.shape)
    softplus = np.logaddexp(0.0, x)
    grads = np.exp(x - softplus)
    grads -= t
    x *= t
    softplus -= x
    return _row_means(softplus, grads)


def _row_means(terms: np.ndarray, grads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row means of element-wise losses (each row holds k outputs) and their gradients."""
    if terms.ndim == 1 or terms.shape[1] == 1:
        return terms.reshape(-1), grads
    k = terms.shape[1]
    grads /= k
    return np.add.reduce(terms, axis=1) / k, grads


def _bce_predict(logits):
    x = _logits(logits, "binary_crossentropy")
    return _sigmoid(x).astype(x.dtype, copy=False)


def _cce_check(x: np.ndarray, y) -> np.ndarray:
    """Targets as probability rows: one-hot rows as given, integer labels turned into them."""
    name = "categorical_crossentropy"
    n, k = x.shape
    if k < 2:
        raise ValueError(f"{name} needs at least 2 output units (one per class), got {k}; "
                         "for one logit use binary_crossentropy")
    t = np.asarray(y)
    if t.dtype.kind not in "biuf":
        raise ValueError(f"{name}: targets must be numeric, got dtype {t.dtype}")
    if t.shape == (n, k):
        t = t.astype(np.float64, copy=False)
        if not np.all(np.isfinite(t) & (t >= 0)):
            raise ValueError(f"{name}: one-hot targets must be finite and non-negative")
        return t
    if t.shape in ((n,), (n, 1)):
        t = t.reshape(n)
        if t.dtype.kind == "f":
            if not np.all(np.isfinite(t) & (t == np.round(t))):
                raise ValueError(f"{name}: labels must be integers 0 .. {k - 1}")
        labels = t.astype(np.intp)
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(f"{name}: labels must be integers 0 .. {k - 1} for {k} output "
                             f"units, got values from {labels.min()} to {labels.max()}")
        onehot = np.zeros((n, k))
        onehot[np.arange(n), labels] = 1.0
        return onehot
    raise ValueError(f"{name}: targets must be integer labels of shape ({n},) or one-hot rows "
                     f"of shape ({n}, {k}), got shape {t.shape}")


def _cce_rows(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable log-softmax: row loss sum(t) lse - sum(t s), s = x - max; gradient
    softmax(x) sum(t) - t (integer labels are one-hot rows)."""
    s = x.astype(np.float64)
    s -= s.max(axis=1, keepdims=True)              # <= 0: exp never overflows
    expo = np.exp(s)
    total = np.add.reduce(expo, axis=1)             # >= 1
    weight = np.add.reduce(t, axis=1)
    values = np.log(total) * weight - np.add.reduce(t * s, axis=1)
    grads = expo * (weight / total)[:, None] - t
    return values, grads


def _cce_predict(logits):
    x = _logits(logits, "categorical_crossentropy", ndims=(2,))
    s = x.astype(np.float64)
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return (e / e.sum(axis=1, keepdims=True)).astype(x.dtype, copy=False)


def _mse_check(x: np.ndarray, y) -> np.ndarray:
    return _targets_like(x, y, "mse")


def _mse_rows(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x - t)^2 per element; gradient 2 (x - t)."""
    d = x.astype(np.float64).reshape(t.shape) - t
    return _row_means(d * d, 2.0 * d)


def _mse_predict(logits):
    return _logits(logits, "mse").copy()


# --------------------------------------------------------------------------------------------
# the registry


@dataclass(frozen=True)
class Loss:
    """One loss: ``value(logits, y) -> float``, ``value_and_grad(logits, y) -> (float,
    dlogits)``, ``predict(logits)`` (probabilities for the cross-entropies, the outputs
    themselves for mse; for plotting), ``prepare(y, outputs)`` (targets checked once, for a
    training loop) and a one-line ``description``."""

    name: str
    description: str
    predict: Callable[[np.ndarray], np.ndarray]
    check: Callable[[np.ndarray, object], np.ndarray] = field(repr=False)
    rows: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] = field(repr=False)
    ndims: tuple[int, ...] = (1, 2)

    def _evaluate(self, logits, y, with_grad: bool):
        x = _logits(logits, self.name, self.ndims)
        t = self.check(x, y)
        if not np.all(np.isfinite(x)):
            return _nonfinite(x, with_grad)
        values, grads = self.rows(x, t)
        value = float(np.mean(values))
        if not with_grad:
            return value
        return value, (grads / len(values)).reshape(x.shape).astype(x.dtype, copy=False)

    def value(self, logits, y) -> float:
        """The mean loss over the batch."""
        return self._evaluate(logits, y, False)

    def value_and_grad(self, logits, y) -> tuple[float, np.ndarray]:
        """The mean loss and its gradient with respect to ``logits`` (their shape and dtype)."""
        return self._evaluate(logits, y, True)

    def prepare(self, y, outputs: int) -> Targets:
        """``y`` checked once against logits of shape ``(len(y), outputs)``, for
        :meth:`Targets.rows` (the trainer's hot path: no checks per call)."""
        return Targets(self, self.check(np.zeros((len(y), outputs)), y))


@dataclass(frozen=True)
class Targets:
    """Targets already checked for ``loss`` (see :meth:`Loss.prepare`)."""

    loss: Loss
    values: np.ndarray

    def rows(self, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row loss ``values`` (float64, (n,)) and ``grads`` (float64, the logits' shape) such
        that the mean loss over a set S of rows is ``values[S].mean()`` with gradient
        ``grads[S] / len(S)``. Logits are not checked: NaN or inf give NaN, silently under
        ``np.errstate(all='ignore')``."""
        values, grads = self.loss.rows(logits, self.values)
        return values, grads.reshape(logits.shape)


_LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in [
        Loss("binary_crossentropy",
             "Binary cross-entropy on one logit per sample: sigmoid output, labels 0 / 1.",
             _bce_predict, _bce_check, _bce_rows),
        Loss("categorical_crossentropy",
             "Categorical cross-entropy on one logit per class: softmax output, integer "
             "labels or one-hot rows.",
             _cce_predict, _cce_check, _cce_rows, ndims=(2,)),
        Loss("mse",
             "Mean squared error, mean((output - y)^2): linear output, for regression.",
             _mse_predict, _mse_check, _mse_rows),
    ]
}


_ALIASES = {
    "bce": "binary_crossentropy",
    "binary_cross_entropy": "binary_crossentropy",
    "sparse_categorical_crossentropy": "categorical_crossentropy",
    "cross_entropy": "categorical_crossentropy",
    "mean_squared_error": "mse",
}
_LOOKUP = {**_LOSSES, **{alias: _LOSSES[target] for alias, target in _ALIASES.items()}}


def get(name) -> Loss:
    """The :class:`Loss` called ``name`` (case-insensitive, Keras names and the aliases above).

    A :class:`Loss` is returned unchanged. Unknown names raise ``ValueError`` listing the valid
    choices and suggesting the closest.
    """
    if isinstance(name, Loss):
        return name
    return lookup(_LOOKUP, "loss", name)


def names() -> list[str]:
    """The canonical loss names (aliases not included)."""
    return list(_LOSSES)
