"""A small dense network in NumPy: forward and exact backward passes.

Kernels use the Keras layout ``(fan_in, fan_out)``, so a layer computes ``z = h @ W + b`` and
``a = f(z)``. The output layer is linear; the loss turns its logits into probabilities. Each
backward rule sits next to the forward quantity it differentiates (cs231n style).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from initviz.core import activations, initializers, losses
from initviz.core._registry import check_finite


class Network:
    """A multilayer perceptron ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    ``initializer`` draws every kernel (hidden and output) and ``scale`` multiplies the drawn
    kernels: the widget's scale slider, so ``initializer='identity', scale=1.5`` is the classic
    exploding network and ``scale=0.5`` the vanishing one.

    >>> net = Network([2, 32, 32, 1], activation="tanh", initializer="glorot_uniform", seed=0)
    >>> [w.shape for w in net.weights]
    [(2, 32), (32, 32), (32, 1)]
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "tanh",
        initializer: str = "glorot_uniform",
        scale: float = 1.0,
        bias_initializer: str = "zeros",
        loss: str = "binary_crossentropy",
        seed: int | np.random.Generator = 0,
        dtype: type | np.dtype = np.float32,
        initializer_params: Mapping[str, object] | None = None,
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs an input and an output size, got {sizes!r}")
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
                raise ValueError(f"layer sizes must be positive integers, got {sizes!r}")
        scale = check_finite("scale", scale)
        if scale < 0:
            raise ValueError(f"scale must be >= 0, got {scale!r}")
        self.sizes = sizes
        self.dtype = np.dtype(dtype)
        self.activation = activations.get(activation)
        self.loss = losses.get(loss)
        self.kernel_initializer = initializers.get(initializer, **dict(initializer_params or {}))
        self.bias_initializer = initializers.get(bias_initializer)
        self.scale = scale
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            kernel = self.kernel_initializer((fan_in, fan_out), rng)
            self.weights.append(np.asarray(kernel * scale, dtype=self.dtype))
            bias_init = self.bias_initializer
            if bias_init.name == "torch_default":  # PyTorch bounds a bias by its weight's fan_in
                bias_init = initializers.get("torch_default", fan_in=fan_in)
            self.biases.append(np.asarray(bias_init((fan_out,), rng), dtype=self.dtype))
        self.preactivations: list[np.ndarray] = []
        self.activations: list[np.ndarray] = []

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.sizes) - 2

    @property
    def parameters(self) -> list[np.ndarray]:
        """Kernels and biases interleaved ``[W0, b0, W1, b1, ...]``, the optimizer's view."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Output logits for inputs ``X`` (n, sizes[0]).

        Fills ``preactivations`` (z) and ``activations`` (a = f(z)), one array per hidden layer.
        """
        f = self.activation.forward
        h = np.asarray(X, dtype=self.dtype)
        zs, hs = [], []
        for W, b in zip(self.weights[:-1], self.biases[:-1]):
            z = h @ W
            z += b
            h = f(z)
            zs.append(z)
            hs.append(h)
        self.preactivations, self.activations = zs, hs
        out = h @ self.weights[-1]
        out += self.biases[-1]
        return out

    def backward(self, X: np.ndarray, dout: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Gradients ``[(dW, db), ...]`` of a loss whose gradient w.r.t. the logits is ``dout``.

        Uses the pre-activations and activations that the last ``forward(X)`` stored.
        """
        derivative = self.activation.derivative
        inputs = [np.asarray(X, dtype=self.dtype), *self.activations]
        grads: list[tuple[np.ndarray, np.ndarray]] = [None] * len(self.weights)  # type: ignore[list-item]
        delta = dout
        for layer in range(len(self.weights) - 1, -1, -1):
            grads[layer] = (inputs[layer].T @ delta, delta.sum(axis=0))
            if layer:
                # z_l = h_{l-1} W_l + b_l  =>  dL/dh_{l-1} = delta W_l^T;  h = f(z) => times f'(z)
                delta = delta @ self.weights[layer].T
                delta *= derivative(self.preactivations[layer - 1], self.activations[layer - 1])
        return grads

    def loss_and_gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """Mean loss over the batch and its exact gradients, one ``(dW, db)`` pair per layer."""
        logits = self.forward(X)
        loss, dlogits = self.loss.value_and_grad(logits, y)
        return loss, self.backward(X, dlogits.astype(self.dtype, copy=False))
