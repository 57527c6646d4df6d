"""A small dense network in NumPy: forward and exact backward passes.

Kernels use the Keras layout ``(fan_in, fan_out)``, so a layer computes ``z = h @ W + b`` and
``a = f(z)``. The output layer is linear; the loss turns its logits into probabilities. Each
backward rule sits next to the forward quantity it differentiates (cs231n style).

Speed (the widget trains this live): every parameter is a view into one flat buffer
(``flat_parameters()``), so an optimizer step or a per-layer statistic is one NumPy call for the
whole network; when all hidden layers have the same width their pre-activations and activations
are slices of one ``(depth, n, width)`` array, so per-layer statistics are one call too; the
common activations (linear, relu, tanh) run in place through ``out=``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from initviz.core import activations, initializers, losses
from initviz.core._registry import check_finite


def _fast_kernels(name: str, dtype: np.dtype):
    """In-place ``forward(z, out)`` and ``backprop(delta, z, a)`` (delta *= f'(z)) for the common
    activations, numerically identical to ``activations.get(name)``; None for the others."""
    t = dtype.type
    zero, one = t(0), t(1)
    if name == "linear":
        return (lambda z, out: np.copyto(out, z)), None
    if name == "relu":
        return ((lambda z, out: np.maximum(z, zero, out=out)),
                (lambda d, z, a: np.multiply(d, np.greater(z, zero), out=d)))
    if name == "tanh":
        def tanh_backprop(d, z, a):
            s = np.multiply(a, a)
            np.subtract(one, s, out=s)
            np.multiply(d, s, out=d)
        return (lambda z, out: np.tanh(z, out=out)), tanh_backprop
    return None


class Network:
    """A multilayer perceptron ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    ``initializer`` draws every kernel (hidden and output) and ``scale`` multiplies the drawn
    kernels: the widget's scale slider, so ``initializer='identity', scale=1.5`` is the classic
    exploding network and ``scale=0.5`` the vanishing one.

    ``weights`` and ``biases`` are editable in place (``net.weights[0][...] = 0``); assigning a
    new array to a list entry works too (it is copied into the flat buffer on the next
    ``flat_parameters()``).

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
        self.sizes = [int(s) for s in sizes]
        self.dtype = np.dtype(dtype)
        self.activation = activations.get(activation)
        self.loss = losses.get(loss)
        self.kernel_initializer = initializers.get(initializer, **dict(initializer_params or {}))
        self.bias_initializer = initializers.get(bias_initializer)
        self.scale = scale
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        # one flat buffer [W0, b0, W1, b1, ...]; weights and biases are views into it
        self._shapes = [shape for fi, fo in zip(sizes[:-1], sizes[1:]) for shape in ((fi, fo), (fo,))]
        self._starts = np.cumsum([0] + [int(np.prod(s)) for s in self._shapes])
        self._flat = np.empty(int(self._starts[-1]), dtype=self.dtype)
        views = self._views(self._flat)
        self.weights: list[np.ndarray] = views[0::2]
        self.biases: list[np.ndarray] = views[1::2]
        self._own = list(views)
        for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            kernel = self.kernel_initializer((fan_in, fan_out), rng)
            self.weights[layer][...] = kernel * scale
            bias_init = self.bias_initializer
            if bias_init.name == "torch_default":  # PyTorch bounds a bias by its weight's fan_in
                bias_init = initializers.get("torch_default", fan_in=fan_in)
            self.biases[layer][...] = bias_init((fan_out,), rng)
        self._uniform = len(set(self.sizes[1:-1])) <= 1
        self._fast = _fast_kernels(self.activation.name, self.dtype)
        self.preactivations: list[np.ndarray] = []
        self.activations: list[np.ndarray] = []
        self.stacked_preactivations: np.ndarray | None = None
        self.stacked_activations: np.ndarray | None = None

    def _views(self, flat: np.ndarray) -> list[np.ndarray]:
        return [flat[a:b].reshape(shape)
                for a, b, shape in zip(self._starts[:-1], self._starts[1:], self._shapes)]

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.sizes) - 2

    @property
    def parameters(self) -> list[np.ndarray]:
        """Kernels and biases interleaved ``[W0, b0, W1, b1, ...]``, the optimizer's view."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    @property
    def segment_starts(self) -> np.ndarray:
        """Start of each parameter ``[W0, b0, W1, b1, ...]`` in the flat buffer (and its end)."""
        return self._starts

    def flat_parameters(self) -> np.ndarray:
        """Every parameter as one flat array ``[W0, b0, W1, b1, ...]``, shared with ``weights``
        and ``biases`` (an in-place change to one is a change to the other). Arrays assigned to
        the lists since the last call are copied in first."""
        current = self.parameters
        if any(p is not q for p, q in zip(current, self._own)):
            for p, own in zip(current, self._own):
                if p is not own:
                    own[...] = p
            self.weights, self.biases = self._own[0::2], self._own[1::2]
        return self._flat

    def forward(self, X: np.ndarray, reuse: bool = False) -> np.ndarray:
        """Output logits for inputs ``X`` (n, sizes[0]).

        Fills ``preactivations`` (z) and ``activations`` (a = f(z)), one array per hidden layer
        (with equal hidden widths they are slices of ``stacked_preactivations`` /
        ``stacked_activations``, shape (depth, n, width)). They are fresh arrays, unless
        ``reuse=True``: then the network's own buffers for this batch size are overwritten
        (the trainer's hot path: no new memory pages each epoch).
        """
        h = np.asarray(X, dtype=self.dtype)
        n, depth = h.shape[0], self.depth
        if self._uniform and depth:
            if reuse:
                Z, A, zs, hs = self._workspace(n)
            else:
                Z = np.empty((depth, n, self.sizes[1]), dtype=self.dtype)
                A = np.empty_like(Z)
                zs, hs = list(Z), list(A)
        else:
            Z = A = None
            zs = [np.empty((n, size), dtype=self.dtype) for size in self.sizes[1:-1]]
            hs = [np.empty_like(z) for z in zs]
        f = self.activation.forward
        into = self._fast[0] if self._fast else None
        for W, b, z, a in zip(self.weights, self.biases, zs, hs):
            np.matmul(h, W, out=z)
            z += b
            if into is not None:
                into(z, a)
            else:
                a[...] = f(z)
            h = a
        self.preactivations, self.activations = zs, hs
        self.stacked_preactivations, self.stacked_activations = Z, A
        out = h @ self.weights[-1]
        out += self.biases[-1]
        return out

    def _workspace(self, n: int):
        """Reusable stacked buffers for batches of n rows (the two latest sizes are kept)."""
        cache = self.__dict__.setdefault("_workspaces", {})
        if n not in cache:
            if len(cache) >= 2:
                cache.pop(next(iter(cache)))
            Z = np.empty((self.depth, n, self.sizes[1]), dtype=self.dtype)
            A = np.empty_like(Z)
            cache[n] = (Z, A, list(Z), list(A))
        return cache[n]

    def backward(self, X: np.ndarray, dout: np.ndarray,
                 out: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Gradients ``[(dW, db), ...]`` of a loss whose gradient w.r.t. the logits is ``dout``.

        Uses the pre-activations and activations that the last ``forward(X)`` stored. The
        gradients are views into one flat array laid out like ``flat_parameters()``: a fresh
        one, or ``out`` when given (the trainer reuses one buffer).
        """
        X = np.asarray(X, dtype=self.dtype)
        flat = np.empty_like(self._flat) if out is None else out
        views = self._views(flat)
        grads = list(zip(views[0::2], views[1::2]))
        inputs = [X, *self.activations]
        backprop = self._fast[1] if self._fast else None
        derivative = self.activation.derivative
        delta = np.asarray(dout, dtype=self.dtype)
        for layer in range(len(self.weights) - 1, -1, -1):
            dW, db = grads[layer]
            np.matmul(inputs[layer].T, delta, out=dW)
            np.add.reduce(delta, axis=0, out=db)
            if layer:
                # z_l = h_{l-1} W_l + b_l  =>  dL/dh_{l-1} = delta W_l^T;  h = f(z) => times f'(z)
                delta = delta @ self.weights[layer].T
                z, a = self.preactivations[layer - 1], self.activations[layer - 1]
                if self._fast:
                    if backprop is not None:
                        backprop(delta, z, a)
                else:
                    delta *= derivative(z, a)
        return grads

    def loss_and_gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """Mean loss over the batch and its exact gradients, one ``(dW, db)`` pair per layer."""
        logits = self.forward(X)
        loss, dlogits = self.loss.value_and_grad(logits, y)
        return loss, self.backward(X, dlogits.astype(self.dtype, copy=False))
