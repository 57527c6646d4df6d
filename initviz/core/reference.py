"""The reference network: a dense network in plain NumPy, each layer's forward and backward
side by side (cs231n style). Read this to see what the network computes.

It is the oracle of the tests: :class:`initviz.core.network.Network` is an optimised version of
exactly these lines (one flat parameter buffer, ``[h, 1] @ [W; b]``, layers stacked), and must
give the same logits, activations and gradients (tests/test_reference.py). It uses the same
registries (``activations.get``, ``losses.get``), so it covers every activation and loss.

Forward, hidden layer l: ``z = h W + b`` (affine), ``a = f(z)`` (activation), and ``a`` is the
next layer's ``h``; the output layer is affine only and the loss turns its logits into
probabilities. Backward, given ``dout`` = dL/d(output) of each step (the chain rule):

- affine: ``dh = dout W^T``, ``dW = h^T dout``, ``db = sum of dout over the rows``;
- activation: ``dz = da * f'(z)`` (element-wise);
- loss: ``dlogits = dL/dlogits``, from ``losses.get(name).value_and_grad(logits, y)``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from initviz.core import activations, losses

Gradients = list[tuple[np.ndarray, np.ndarray]]


def affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """out = x W + b; the cache keeps x and W for the backward pass."""
    return x @ W + b, (x, W)


def affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dx = dout W^T, dW = x^T dout, db = sum of dout over the rows."""
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def activation_forward(z: np.ndarray, activation: str) -> tuple[np.ndarray, tuple]:
    """a = f(z); the cache keeps (z, a, the Activation)."""
    f = activations.get(activation)
    a = f.forward(z)
    return a, (z, a, f)


def activation_backward(da: np.ndarray, cache: tuple) -> np.ndarray:
    """dz = da * f'(z) (the registry's derivative takes z and a = f(z))."""
    z, a, f = cache
    return da * f.derivative(z, a)


def forward(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray,
            activation: str, dtype: type = np.float64) -> tuple[np.ndarray, list]:
    """The logits of X (n, fan_in) and the caches: ``(affine cache, activation cache)`` per
    hidden layer, then the output layer's affine cache. Computed in ``dtype``."""
    h, caches = np.asarray(X, dtype=dtype), []
    for W, b in zip(weights[:-1], biases[:-1]):
        z, affine_cache = affine_forward(h, np.asarray(W, dtype), np.asarray(b, dtype))
        h, activation_cache = activation_forward(z, activation)
        caches.append((affine_cache, activation_cache))
    logits, output_cache = affine_forward(h, np.asarray(weights[-1], dtype),
                                          np.asarray(biases[-1], dtype))
    return logits, [*caches, output_cache]


def backward(dlogits: np.ndarray, caches: list) -> Gradients:
    """``[(dW, db), ...]`` per layer, first to last, from dL/dlogits and ``forward``'s caches:
    the layers of ``forward`` walked in reverse, each step undone by its backward rule."""
    dh, dW, db = affine_backward(dlogits, caches[-1])
    grads = [(dW, db)]
    for affine_cache, activation_cache in reversed(caches[:-1]):
        dz = activation_backward(dh, activation_cache)
        dh, dW, db = affine_backward(dz, affine_cache)
        grads.append((dW, db))
    return grads[::-1]


def loss_and_gradients(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                       X: np.ndarray, y: np.ndarray, activation: str = "tanh",
                       loss: str = "binary_crossentropy", dtype: type = np.float64
                       ) -> tuple[float, Gradients]:
    """Mean loss over the batch and its gradients ``[(dW, db), ...]``, one pair per layer:
    the same structure as ``Network.loss_and_gradients``."""
    logits, caches = forward(weights, biases, X, activation, dtype)
    value, dlogits = losses.get(loss).value_and_grad(logits, y)
    return value, backward(dlogits, caches)


def hidden_layers(caches: list) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(z, a)`` of every hidden layer, from ``forward``'s caches."""
    return [(z, a) for _, (z, a, _) in caches[:-1]]
