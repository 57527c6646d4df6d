"""Activation functions, their derivatives and their PyTorch gains.

Each entry of the registry is an :class:`Activation`:

* ``forward(z)`` returns ``f(z)`` with the dtype of ``z`` (float32 stays float32; integer or
  Python-number input is computed in float64).
* ``derivative(z, a)`` returns ``f'(z)``; ``a`` must be ``forward(z)``. It is passed so that
  tanh (``1 - a**2``) and sigmoid (``a * (1 - a)``) reuse the forward pass, as a backward pass
  does; functions whose derivative is more accurate from ``z`` ignore it.
* ``gain`` is ``torch.nn.init.calculate_gain(name)`` where PyTorch defines one, else ``None``.
* ``saturated(a)`` / ``dead(z)`` give boolean masks for the per-layer statistics, or ``None``
  where the notion does not apply (see :class:`Activation`).

Everything is vectorised and overflow-free: forward and derivative are finite and silent (no
NumPy overflow / invalid / divide warnings) for every ``|z| <= 1e30``, in float32 and float64.

Choices worth knowing
---------------------
* ``leaky_relu`` uses PyTorch's default negative slope 0.01 (Keras' ``LeakyReLU`` defaults to
  0.3 in Keras 2 and 0.2 in Keras 3).
* ``gelu`` is the tanh approximation (``jax.nn.gelu`` default, Keras ``approximate=True``,
  PyTorch ``approximate='tanh'``), not PyTorch's default exact erf form: the two differ by less
  than 1e-3 everywhere, and the approximation has an exact closed-form derivative, so the
  backward pass agrees with the forward pass to rounding error. It is evaluated as
  ``z * sigmoid(2u)`` with ``u = sqrt(2/pi) (z + 0.044715 z**3)``, which equals
  ``0.5 z (1 + tanh(u))`` but stays accurate in the negative tail.
* ``swish`` is ``z * sigmoid(z)``; ``silu`` is accepted as an alias.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from initviz.core._registry import lookup

__all__ = ["Activation", "get", "names", "sigmoid", "LEAKY_RELU_SLOPE", "SELU_ALPHA", "SELU_SCALE",
           "SATURATION_THRESHOLD"]

#: Negative slope of ``leaky_relu`` (PyTorch's default).
LEAKY_RELU_SLOPE = 0.01
#: SELU constants from Klambauer et al. (2017), as in PyTorch and Keras.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
#: tanh units count as saturated when ``|a| > 0.97``; sigmoid units when ``a < 0.03`` or
#: ``a > 0.97`` (the same distance, 0.03, from the asymptotes; the slope is then below ~6% of
#: its peak for tanh and ~12% for sigmoid).
SATURATION_THRESHOLD = 0.97
_SIGMOID_LOW = 0.03  # written out: 1 - 0.97 is 0.030000000000000027 in floating point

_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715
# Beyond |z| = 50 the GELU sigmoid is exactly 0 or 1 even in float64 (2u > 9000), so clipping
# z there changes nothing but keeps z**3 far from float32 overflow.
_GELU_CLIP = 50.0


@dataclass(frozen=True)
class Activation:
    """One activation function.

    ``forward(z)``, ``derivative(z, a)`` (with ``a = forward(z)``), ``gain`` (PyTorch's
    ``calculate_gain`` or ``None``) and a one-line ``description`` (plus formula) for the UI.
    ``saturation`` / ``inactive`` are the optional mask functions behind :meth:`saturated` and
    :meth:`dead`; use the methods.
    """

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gain: float | None
    description: str
    saturation: Callable[[np.ndarray], np.ndarray] | None = None
    inactive: Callable[[np.ndarray], np.ndarray] | None = None

    def saturated(self, a) -> np.ndarray | None:
        """Boolean mask of saturated units given the activations ``a``, or ``None``.

        Only meaningful for the squashing functions: tanh (``|a| > 0.97``) and sigmoid
        (``a < 0.03`` or ``a > 0.97``). ``None`` for every other activation.
        """
        return None if self.saturation is None else self.saturation(np.asarray(a))

    def dead(self, z) -> np.ndarray | None:
        """Boolean mask of inactive units given the pre-activations ``z``, or ``None``.

        Only for ``relu``: a unit is inactive where ``z <= 0`` (output and gradient both 0).
        ``None`` for every other activation (leaky_relu, elu, ... still pass a gradient).
        """
        return None if self.inactive is None else self.inactive(np.asarray(z))


# --------------------------------------------------------------------------------------------
# helpers

def _as_float(z) -> np.ndarray:
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


def _sigmoids(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(sigmoid(x), sigmoid(-x)) = (s, 1 - s)``, both accurate and overflow-free."""
    e = np.exp(-np.abs(x))          # in (0, 1]: never overflows, underflow to 0 is harmless
    d = 1.0 / (1.0 + e)
    ed = e * d
    positive = x >= 0
    return np.where(positive, d, ed), np.where(positive, ed, d)


def sigmoid(z) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))`` without overflow, same dtype as ``z``."""
    z = _as_float(z)
    return _sigmoids(z)[0].astype(z.dtype, copy=False)


def _one(z: np.ndarray):
    return z.dtype.type(1)


# --------------------------------------------------------------------------------------------
# the functions

def _linear(z):
    z = _as_float(z)
    return z.copy()


def _linear_d(z, a):
    z = _as_float(z)
    return np.ones_like(z)


def _relu(z):
    z = _as_float(z)
    return np.maximum(z, z.dtype.type(0))


def _relu_d(z, a):
    z = _as_float(z)
    return (z > 0).astype(z.dtype)


def _relu_dead(z):
    return z <= 0


def _leaky_relu(z):
    z = _as_float(z)
    return np.where(z > 0, z, z * z.dtype.type(LEAKY_RELU_SLOPE)).astype(z.dtype, copy=False)


def _leaky_relu_d(z, a):
    z = _as_float(z)
    return np.where(z > 0, _one(z), z.dtype.type(LEAKY_RELU_SLOPE))


def _elu(z):
    z = _as_float(z)
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0))).astype(z.dtype, copy=False)


def _elu_d(z, a):
    # exp(z) rather than a + 1: no cancellation in the far negative tail.
    z = _as_float(z)
    return np.where(z > 0, _one(z), np.exp(np.minimum(z, 0))).astype(z.dtype, copy=False)


def _selu(z):
    z = _as_float(z)
    t = z.dtype.type
    neg = t(SELU_ALPHA) * np.expm1(np.minimum(z, 0))
    return (t(SELU_SCALE) * np.where(z > 0, z, neg)).astype(z.dtype, copy=False)


def _selu_d(z, a):
    z = _as_float(z)
    t = z.dtype.type
    neg = t(SELU_SCALE * SELU_ALPHA) * np.exp(np.minimum(z, 0))
    return np.where(z > 0, t(SELU_SCALE), neg).astype(z.dtype, copy=False)


def _gelu_parts(z):
    t = z.dtype.type
    zc = np.clip(z, t(-_GELU_CLIP), t(_GELU_CLIP))
    u2 = t(2 * _GELU_C) * (zc + t(_GELU_K) * zc * zc * zc)   # 2u
    s, sc = _sigmoids(u2)
    return zc, s, sc


def _gelu(z):
    z = _as_float(z)
    _, s, _ = _gelu_parts(z)
    return (z * s).astype(z.dtype, copy=False)


def _gelu_d(z, a):
    # d/dz [z s(2u)] = s + z s (1 - s) 2u'(z),  2u' = 2c (1 + 3k z^2)
    z = _as_float(z)
    t = z.dtype.type
    zc, s, sc = _gelu_parts(z)
    du2 = t(2 * _GELU_C) * (1 + t(3 * _GELU_K) * zc * zc)
    return (s + zc * s * sc * du2).astype(z.dtype, copy=False)


def _tanh(z):
    z = _as_float(z)
    return np.tanh(z)


def _tanh_d(z, a):
    a = _as_float(a)
    return 1 - a * a


def _tanh_saturated(a):
    return np.abs(a) > SATURATION_THRESHOLD


def _sigmoid_d(z, a):
    a = _as_float(a)
    return a * (1 - a)


def _sigmoid_saturated(a):
    return (a < _SIGMOID_LOW) | (a > SATURATION_THRESHOLD)


def _softplus(z):
    z = _as_float(z)
    return (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))).astype(z.dtype, copy=False)


def _softplus_d(z, a):
    return sigmoid(z)


def _swish(z):
    z = _as_float(z)
    return (z * _sigmoids(z)[0]).astype(z.dtype, copy=False)


def _swish_d(z, a):
    # s + z s (1 - s)
    z = _as_float(z)
    s, sc = _sigmoids(z)
    return (s * (1 + z * sc)).astype(z.dtype, copy=False)


# --------------------------------------------------------------------------------------------
# the registry
#
# Gains are torch.nn.init.calculate_gain's values, written out as numbers so this module does
# not depend on initializers.py. PyTorch defines no gain for elu, gelu, softplus or swish.

_ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("linear", _linear, _linear_d, 1.0,
                   "Identity, f(z) = z. No nonlinearity: a deep linear network is still linear."),
        Activation("relu", _relu, _relu_d, math.sqrt(2.0),
                   "Rectified linear unit, f(z) = max(z, 0). Units with z <= 0 pass no gradient.",
                   inactive=_relu_dead),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_d,
                   math.sqrt(2.0 / (1.0 + LEAKY_RELU_SLOPE ** 2)),
                   "Leaky ReLU, f(z) = z for z > 0 else 0.01 z (PyTorch's default slope; "
                   "Keras defaults to 0.3 or 0.2)."),
        Activation("elu", _elu, _elu_d, None,
                   "Exponential linear unit (alpha = 1), f(z) = z for z > 0 else exp(z) - 1."),
        Activation("selu", _selu, _selu_d, 0.75,
                   "Scaled ELU (Klambauer et al. 2017), f(z) = 1.0507 z for z > 0 else "
                   "1.0507 * 1.6733 (exp(z) - 1). Self-normalising with lecun_normal weights."),
        Activation("gelu", _gelu, _gelu_d, None,
                   "Gaussian error linear unit, tanh approximation: "
                   "f(z) = 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))."),
        Activation("tanh", _tanh, _tanh_d, 5.0 / 3.0,
                   "Hyperbolic tangent, f(z) = tanh(z), in (-1, 1); saturates for large |z|.",
                   saturation=_tanh_saturated),
        Activation("sigmoid", sigmoid, _sigmoid_d, 1.0,
                   "Logistic sigmoid, f(z) = 1 / (1 + exp(-z)), in (0, 1); slope at most 1/4.",
                   saturation=_sigmoid_saturated),
        Activation("softplus", _softplus, _softplus_d, None,
                   "Softplus, f(z) = log(1 + exp(z)), a smooth ReLU."),
        Activation("swish", _swish, _swish_d, None,
                   "Swish / SiLU, f(z) = z * sigmoid(z)."),
    ]
}

_ALIASES = {"silu": "swish"}
_LOOKUP = {**_ACTIVATIONS, **{alias: _ACTIVATIONS[target] for alias, target in _ALIASES.items()}}


def get(name) -> Activation:
    """The :class:`Activation` called ``name`` (case-insensitive; ``silu`` = ``swish``).

    An :class:`Activation` is returned unchanged. Unknown names raise ``ValueError`` listing
    the valid choices and suggesting the closest.
    """
    if isinstance(name, Activation):
        return name
    return lookup(_LOOKUP, "activation", name)


def names() -> list[str]:
    """The canonical activation names, in display order (aliases not included)."""
    return list(_ACTIVATIONS)
