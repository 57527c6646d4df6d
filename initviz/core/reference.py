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

Normalization and residual connections (issue 16), between a hidden layer's affine map and its
activation: ``z_hat = (z - mean) / sqrt(var + 1e-3)`` with the biased variance, over the batch
(batch norm; in inference mode the running mean and variance) or over each row's units (layer
norm), then ``y = gamma z_hat + beta``; with ``residual`` every hidden layer after the first
outputs ``x_l = x_{l-1} + residual_scale * f(y)``. Backward, written out step by step as in
cs231n (``norm_backward``): through the scale and shift, the variance, then the mean; a skip
adds its ``dx`` to the branch's.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from initviz.core import activations, losses

Gradients = list[tuple[np.ndarray, np.ndarray]]
EPSILON = 1e-3  # Keras' default
AXES = {"batch": 0, "layer": 1}  # the axis each normalization takes its statistics over


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


def norm_forward(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, normalization: str,
                 running: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> tuple[np.ndarray, tuple]:
    """y = gamma (z - mean) / sqrt(var + eps) + beta, statistics over ``AXES[normalization]``
    (biased variance), or from ``running`` = (mean, var) (batch norm in inference mode)."""
    axis = AXES[normalization]
    if running is None:
        mean = z.mean(axis=axis, keepdims=True)
        var = ((z - mean) ** 2).mean(axis=axis, keepdims=True)
    else:
        mean, var = running
    std = np.sqrt(var + EPSILON)
    zhat = (z - mean) / std
    return gamma * zhat + beta, (z, mean, var, std, zhat, gamma, axis)


def norm_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dz, dgamma, dbeta), the training-mode statistics differentiated step by step:
    y = gamma zhat + beta, zhat = (z - mean) / std, std = sqrt(var + eps),
    var = mean((z - mean)^2), mean = mean(z), each over the axis of the statistics (m values)."""
    z, mean, var, std, zhat, gamma, axis = cache
    m = z.shape[axis]
    dgamma, dbeta = (dy * zhat).sum(axis=0), dy.sum(axis=0)
    dzhat = dy * gamma
    dvar = (dzhat * (z - mean) * -0.5 * (var + EPSILON) ** -1.5).sum(axis=axis, keepdims=True)
    dmean = ((-dzhat / std).sum(axis=axis, keepdims=True)
             + dvar * (-2 * (z - mean)).mean(axis=axis, keepdims=True))
    dz = dzhat / std + dvar * 2 * (z - mean) / m + dmean / m
    return dz, dgamma, dbeta


def forward(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], X: np.ndarray,
            activation: str, dtype: type = np.float64, normalization: str = "none",
            gammas: Sequence[np.ndarray] | None = None, betas: Sequence[np.ndarray] | None = None,
            residual: bool = False, residual_scale: float = 1.0,
            running: Sequence[tuple[np.ndarray, np.ndarray]] | None = None
            ) -> tuple[np.ndarray, list]:
    """The logits of X (n, fan_in) and the caches: ``(affine cache, norm cache, activation
    cache, skip)`` per hidden layer, then the output layer's affine cache. Computed in
    ``dtype``. ``normalization`` "batch" or "layer" needs ``gammas`` and ``betas`` (one per
    hidden layer); ``running`` = [(mean, var), ...] puts batch norm in inference mode."""
    h: np.ndarray = np.asarray(X, dtype=dtype)
    caches: list = []
    for layer, (W, b) in enumerate(zip(weights[:-1], biases[:-1])):
        z, affine_cache = affine_forward(h, np.asarray(W, dtype), np.asarray(b, dtype))
        y, norm_cache = z, None
        if normalization != "none":
            assert gammas is not None and betas is not None, "a normalization needs gammas and betas"
            stats: tuple[np.ndarray, np.ndarray] | None = None
            if running is not None:
                mean, var = running[layer]
                stats = (np.asarray(mean, dtype), np.asarray(var, dtype))
            y, norm_cache = norm_forward(z, np.asarray(gammas[layer], dtype),
                                         np.asarray(betas[layer], dtype), normalization, stats)
        a, activation_cache = activation_forward(y, activation)
        skip = residual and layer > 0
        x = h + residual_scale * a if skip else a  # x_l = x_{l-1} + s f(y)
        caches.append((affine_cache, norm_cache, activation_cache, residual_scale if skip else None))
        h = x
    logits, output_cache = affine_forward(h, np.asarray(weights[-1], dtype),
                                          np.asarray(biases[-1], dtype))
    return logits, [*caches, output_cache]


def backward(dlogits: np.ndarray, caches: list) -> Gradients:
    """``[(dW, db), ...]`` per layer, first to last, then ``(dgamma, dbeta)`` per hidden layer
    if normalised, from dL/dlogits and ``forward``'s caches (training mode): the layers of
    ``forward`` walked in reverse, each step undone by its backward rule."""
    dx, dW, db = affine_backward(dlogits, caches[-1])
    grads, norm_grads = [(dW, db)], []
    for affine_cache, norm_cache, activation_cache, skip in reversed(caches[:-1]):
        da = dx if skip is None else skip * dx  # x = h + s a: da = s dx
        dz = activation_backward(da, activation_cache)
        if norm_cache is not None:
            dz, dgamma, dbeta = norm_backward(dz, norm_cache)
            norm_grads.append((dgamma, dbeta))
        dh, dW, db = affine_backward(dz, affine_cache)
        dx = dh if skip is None else dh + dx  # the skip passes dx on unchanged
        grads.append((dW, db))
    return grads[::-1] + norm_grads[::-1]


def loss_and_gradients(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                       X: np.ndarray, y: np.ndarray, activation: str = "tanh",
                       loss: str = "binary_crossentropy", dtype: type = np.float64,
                       **options) -> tuple[float, Gradients]:
    """Mean loss over the batch and its gradients ``[(dW, db), ...]``, one pair per layer (then
    ``(dgamma, dbeta)`` per normalised hidden layer): the same structure as
    ``Network.loss_and_gradients``. ``options``: ``forward``'s normalization and residual
    keywords (training mode)."""
    logits, caches = forward(weights, biases, X, activation, dtype, **options)
    value, dlogits = losses.get(loss).value_and_grad(logits, y)
    return value, backward(dlogits, caches)


def running_update(running: Sequence[tuple[np.ndarray, np.ndarray]], caches: list,
                   momentum: float = 0.99) -> list[tuple[np.ndarray, np.ndarray]]:
    """Keras' moving statistics after a training-mode ``forward``: momentum * old +
    (1 - momentum) * the batch's mean and biased variance, per hidden layer."""
    out = []
    for (mean, var), (_, norm_cache, _, _) in zip(running, caches[:-1]):
        _, batch_mean, batch_var, *_ = norm_cache
        out.append((momentum * np.asarray(mean, np.float64) + (1 - momentum) * batch_mean[0],
                    momentum * np.asarray(var, np.float64) + (1 - momentum) * batch_var[0]))
    return out


def hidden_layers(caches: list) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(z, x)`` of every hidden layer, from ``forward``'s caches: the affine output z and the
    layer's output x (f(y), or with a skip x_{l-1} + s f(y)), which is the next layer's input."""
    outputs = [affine_cache[0] for affine_cache, *_ in caches[1:-1]] + [caches[-1][0]]
    affine = [activation_cache[0] if norm_cache is None else norm_cache[0]
              for _, norm_cache, activation_cache, _ in caches[:-1]]
    return list(zip(affine, outputs))


def normalized_layers(caches: list) -> list[np.ndarray]:
    """y = gamma z_hat + beta of every hidden layer (what the activation sees)."""
    return [activation_cache[0] for _, _, activation_cache, _ in caches[:-1]]
