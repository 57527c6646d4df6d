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

from dataclasses import dataclass
from typing import Callable

import numpy as np

from initviz.core._registry import lookup

__all__ = ["Loss", "get", "names"]


@dataclass(frozen=True)
class Loss:
    """One loss: ``value(logits, y) -> float``, ``value_and_grad(logits, y) -> (float,
    dlogits)``, ``predict(logits)`` (probabilities for the cross-entropies, the outputs
    themselves for mse; for plotting) and a one-line ``description``."""

    name: str
    value: Callable[[np.ndarray, np.ndarray], float]
    value_and_grad: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]
    predict: Callable[[np.ndarray], np.ndarray]
    description: str


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


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    d = 1.0 / (1.0 + e)
    return np.where(x >= 0, d, e * d)


# --------------------------------------------------------------------------------------------
# binary cross-entropy

def _bce(logits, y, with_grad):
    name = "binary_crossentropy"
    x = _logits(logits, name)
    t = _targets_like(x, y, name)
    if not np.all((t >= 0) & (t <= 1)):
        raise ValueError(f"{name}: targets must be in [0, 1] (class labels 0 / 1), got values "
                         f"from {t.min():g} to {t.max():g}")
    if not np.all(np.isfinite(x)):
        return _nonfinite(x, with_grad)
    x64 = x.astype(np.float64, copy=False)
    terms = np.maximum(x64, 0) - x64 * t + np.log1p(np.exp(-np.abs(x64)))
    value = float(np.mean(terms))
    if not with_grad:
        return value
    grad = (_sigmoid(x64) - t) / x.size
    return value, grad.astype(x.dtype, copy=False)


def _bce_predict(logits):
    x = _logits(logits, "binary_crossentropy")
    return _sigmoid(x).astype(x.dtype, copy=False)


# --------------------------------------------------------------------------------------------
# categorical cross-entropy

def _cce_targets(x: np.ndarray, y, name: str):
    """``(labels, None)`` for integer labels or ``(None, probabilities)`` for one-hot rows."""
    n, k = x.shape
    t = np.asarray(y)
    if t.dtype.kind not in "biuf":
        raise ValueError(f"{name}: targets must be numeric, got dtype {t.dtype}")
    if t.shape == (n, k):
        t = t.astype(np.float64, copy=False)
        if not np.all(np.isfinite(t) & (t >= 0)):
            raise ValueError(f"{name}: one-hot targets must be finite and non-negative")
        return None, t
    if t.shape in ((n,), (n, 1)):
        t = t.reshape(n)
        if t.dtype.kind == "f":
            if not np.all(np.isfinite(t) & (t == np.round(t))):
                raise ValueError(f"{name}: labels must be integers 0 .. {k - 1}")
        labels = t.astype(np.intp)
        if labels.min() < 0 or labels.max() >= k:
            raise ValueError(f"{name}: labels must be integers 0 .. {k - 1} for {k} output "
                             f"units, got values from {labels.min()} to {labels.max()}")
        return labels, None
    raise ValueError(f"{name}: targets must be integer labels of shape ({n},) or one-hot rows "
                     f"of shape ({n}, {k}), got shape {t.shape}")


def _cce(logits, y, with_grad):
    name = "categorical_crossentropy"
    x = _logits(logits, name, ndims=(2,))
    n, k = x.shape
    if k < 2:
        raise ValueError(f"{name} needs at least 2 output units (one per class), got {k}; "
                         "for one logit use binary_crossentropy")
    labels, onehot = _cce_targets(x, y, name)
    if not np.all(np.isfinite(x)):
        return _nonfinite(x, with_grad)
    s = x.astype(np.float64)
    s -= s.max(axis=1, keepdims=True)              # <= 0: exp never overflows
    expo = np.exp(s)
    total = expo.sum(axis=1)                        # >= 1
    lse = np.log(total)                             # log-softmax = s - lse
    if labels is not None:
        rows = np.arange(n)
        value = float(np.mean(lse - s[rows, labels]))
        if not with_grad:
            return value
        grad = expo / total[:, None]
        grad[rows, labels] -= 1.0
    else:
        weight = onehot.sum(axis=1)
        value = float(np.mean(lse * weight - np.sum(onehot * s, axis=1)))
        if not with_grad:
            return value
        grad = expo * (weight / total)[:, None] - onehot
    grad /= n
    return value, grad.astype(x.dtype, copy=False)


def _cce_predict(logits):
    x = _logits(logits, "categorical_crossentropy", ndims=(2,))
    s = x.astype(np.float64)
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return (e / e.sum(axis=1, keepdims=True)).astype(x.dtype, copy=False)


# --------------------------------------------------------------------------------------------
# mean squared error

def _mse(logits, y, with_grad):
    name = "mse"
    x = _logits(logits, name)
    t = _targets_like(x, y, name)
    if not np.all(np.isfinite(x)):
        return _nonfinite(x, with_grad)
    d = x.astype(np.float64) - t
    value = float(np.mean(d * d))
    if not with_grad:
        return value
    d *= 2.0 / x.size
    return value, d.astype(x.dtype, copy=False)


def _mse_predict(logits):
    return _logits(logits, "mse").copy()


# --------------------------------------------------------------------------------------------
# the registry

def _make(name, fn, predict, description) -> Loss:
    return Loss(
        name=name,
        value=lambda logits, y: fn(logits, y, False),
        value_and_grad=lambda logits, y: fn(logits, y, True),
        predict=predict,
        description=description,
    )


_LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in [
        _make("binary_crossentropy", _bce, _bce_predict,
              "Binary cross-entropy on one logit per sample: sigmoid output, labels 0 / 1."),
        _make("categorical_crossentropy", _cce, _cce_predict,
              "Categorical cross-entropy on one logit per class: softmax output, integer "
              "labels or one-hot rows."),
        _make("mse", _mse, _mse_predict,
              "Mean squared error, mean((output - y)^2): linear output, for regression."),
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
