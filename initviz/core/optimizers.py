"""Optimizers that update a list of parameter arrays in place.

Each optimizer splits a step in two: ``updates(params, grads)`` advances its state and returns
the arrays to add to the parameters, without touching them; ``apply(params, updates)`` adds
them. ``step(params, grads)`` does both and returns the updates, so the trainer can report the
update:data ratio (Karpathy's makemore part 3 diagnostic) and can refuse an update that is not
finite (the run then keeps its last finite weights).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from initviz.core._registry import check_finite, lookup


class _Optimizer:
    learning_rate: float

    @property
    def gradient_multiple(self) -> float | None:
        """c when every update is c times the gradient (plain SGD), else None."""
        return None

    def updates(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        raise NotImplementedError

    @staticmethod
    def apply(params: Sequence[np.ndarray], updates: Sequence[np.ndarray]) -> None:
        for p, u in zip(params, updates):
            p += u

    def step(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One update of ``params`` in place; returns the update arrays that were added."""
        updates = self.updates(params, grads)
        self.apply(params, updates)
        return updates


class SGD(_Optimizer):
    """Plain gradient descent: w <- w - lr * g. The setting of He et al. (2015), fig. 3."""

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate
        self._buffers: list[np.ndarray] = []

    @property
    def gradient_multiple(self) -> float:
        """The update is this multiple of the gradient (-lr): its statistics follow from the
        gradient's."""
        return -self.learning_rate

    def updates(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        """-lr * g for each gradient, written into buffers reused from the previous call (valid
        until the next call)."""
        buffers = self._buffers
        if len(buffers) != len(grads) or any(
                b.shape != g.shape or b.dtype != g.dtype for b, g in zip(buffers, grads)):
            self._buffers = [np.empty_like(g) for g in grads]
        lr = -self.learning_rate
        return [np.multiply(g, g.dtype.type(lr), out=b) for g, b in zip(grads, self._buffers)]


class Momentum(_Optimizer):
    """Heavy-ball momentum (Keras SGD(momentum=0.9)): v <- m v - lr g;  w <- w + v."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9) -> None:
        self.learning_rate = learning_rate
        self.momentum = momentum
        self._velocity: list[np.ndarray] | None = None

    def updates(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        if self._velocity is None:
            self._velocity = [np.zeros_like(p) for p in params]
        for g, v in zip(grads, self._velocity):
            v *= self.momentum
            v -= self.learning_rate * g
        return self._velocity


class Adam(_Optimizer):
    """Adam with Keras defaults (beta_1 0.9, beta_2 0.999, epsilon 1e-7).

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  w <- w - lr_t m / (sqrt(v) + eps),
    lr_t = lr sqrt(1 - b2^t) / (1 - b1^t). Adam rescales each weight's step, which hides a
    bad initial scale for a while; SGD shows it plainly.
    """

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7) -> None:
        self.learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._m: list[np.ndarray] | None = None
        self._v: list[np.ndarray] = []
        self._t = 0

    def updates(self, params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> list[np.ndarray]:
        if self._m is None:
            self._m = [np.zeros_like(p) for p in params]
            self._v = [np.zeros_like(p) for p in params]
        self._t += 1
        b1, b2 = self.beta_1, self.beta_2
        lr_t = self.learning_rate * np.sqrt(1 - b2**self._t) / (1 - b1**self._t)
        out = []
        for g, m, v in zip(grads, self._m, self._v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            update = m / (np.sqrt(v) + self.epsilon)
            update *= -lr_t
            out.append(update)
        return out


Optimizer = SGD | Momentum | Adam

_OPTIMIZERS: dict[str, Callable[[float], Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "adam": Adam,
}


def names() -> list[str]:
    """Every optimizer name ``get`` accepts."""
    return list(_OPTIMIZERS)


def get(name: str, learning_rate: float) -> Optimizer:
    """A fresh optimizer by name (``sgd``, ``momentum`` or ``adam``)."""
    factory = lookup(_OPTIMIZERS, "optimizer", name)
    learning_rate = check_finite("learning_rate", learning_rate)
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    return factory(learning_rate)
