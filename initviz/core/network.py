"""A small dense network in NumPy: forward and exact backward passes.

Kernels use the Keras layout ``(fan_in, fan_out)``, so a layer computes ``z = h @ W + b`` and
``a = f(z)``. The output layer is linear; the loss turns its logits into probabilities.

To read what it computes, start with :mod:`initviz.core.reference`: the same network in plain
NumPy, each layer's forward and backward side by side (cs231n style), with the backward rules
as formulas. This module is an optimised version of exactly that, and tests/test_reference.py
checks that both give the same logits, activations and gradients.

Speed (the widget trains this live, and a 225 x 32 product costs about as much as one more
NumPy call): every parameter is a view into one flat buffer ``[W0, b0, W1, b1, ...]``
(``flat_parameters()``), so an optimizer step or a per-layer statistic is one NumPy call for the
whole network. Because each bias follows its kernel in that buffer, ``[W; b]`` is one
``(fan_in + 1, fan_out)`` matrix, and every layer input carries a column of ones: ``[h, 1] @ [W; b]``
is the layer with its bias, and ``[h, 1].T @ delta`` is ``[dW; db]``, so biases cost no call of
their own. With equal hidden widths the layers' pre-activations, activations and activation
derivatives are slices of ``(depth, n, width)`` arrays, computed for all layers in one call
where the order allows (the derivatives after the forward pass) and summarised in one call each
by the trainer. The common activations (linear, relu, tanh) run in place through ``out=``.

Normalization and residual connections (issue 16) take a separate per-layer path
(``_forward_normalized`` / ``_backward_normalized``), so the plain network above keeps its speed:
hidden layer l computes z = [h, 1] @ [W; b], z_hat = (z - mean) / sqrt(var + 1e-3) (biased
variance, over the batch for batch norm or over each row's units for layer norm),
y = gamma * z_hat + beta, a = f(y), and with ``residual`` every hidden layer after the first
outputs x_l = x_{l-1} + residual_scale * a. gamma (1 at first) and beta (0) follow the kernels and
biases in the flat buffer ``[W0, b0, ..., W_L, b_L, gamma_0, beta_0, ...]``. Batch norm's
predictions (``logits``) use running statistics, updated as Keras does with momentum 0.99
(``update_running_statistics``).
"""
from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from initviz.core import activations, initializers, losses
from initviz.core._registry import check_finite, lookup


@dataclass(frozen=True)
class _InPlace:
    """An activation written into given arrays: ``forward(z, out)`` sets out = f(z);
    ``derivative(x, out)`` sets out = f'(z) from x = a = f(z), or from x = a^2 when
    ``from_square`` (tanh; the trainer needs a^2 for its statistics anyway), or is None: f' = 1,
    nothing to multiply.
    ``one_at`` is a z with f(z) = 1: the pre-activations carry a column of it, so that
    ``[a, 1] = f([z, one_at])`` is one call over a contiguous array."""

    forward: Callable[[np.ndarray, np.ndarray], object]
    derivative: Callable[[np.ndarray, np.ndarray], object] | None
    one_at: float
    from_square: bool = False


_IN_PLACE: dict[str, _InPlace] = {
    "linear": _InPlace(lambda z, out: np.copyto(out, z), None, 1.0),
    "relu": _InPlace(lambda z, out: np.maximum(z, 0, out=out),
                     lambda a, out: np.greater(a, 0, out=out), 1.0),  # [z > 0] = [a > 0]
    "tanh": _InPlace(lambda z, out: np.tanh(z, out=out),
                     lambda a2, out: np.subtract(1, a2, out=out), np.inf, from_square=True),
}
"""Activations with an in-place path, numerically identical to ``activations.get(name)``."""


@dataclass(frozen=True)
class Normalization:
    """Where a hidden layer's pre-activations are normalised: over the batch (``axis`` 0, with
    running statistics for predictions) or over the units of each row (``axis`` 1)."""

    name: str
    axis: int
    running: bool
    description: str


NORMALIZATIONS: dict[str, Normalization | None] = {
    "none": None,
    "batch": Normalization("batch", 0, True, "batch norm: each unit standardised over the batch "
                           "(predictions use running statistics)"),
    "layer": Normalization("layer", 1, False, "layer norm: each row standardised over its units"),
}
"""Normalization name -> where it standardises; ``"none"`` is the plain network."""

NORM_EPSILON = 1e-3  # Keras' default epsilon (PyTorch's is 1e-5: exported code sets 1e-3)
NORM_MOMENTUM = 0.99  # Keras: running = 0.99 running + 0.01 batch (PyTorch's momentum=0.01)


def normalization_names() -> list[str]:
    """The valid ``normalization`` names."""
    return list(NORMALIZATIONS)


TRANSPOSE_MAX_WIDTH = 128  # wider hidden layers multiply by W^T views (see _transposed_kernels)


class Network:
    """A multilayer perceptron ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    ``initializer`` draws every kernel (hidden and output) and ``scale`` multiplies the drawn
    kernels: the widget's scale slider, so ``initializer='identity', scale=1.5`` is the classic
    exploding network and ``scale=0.5`` the vanishing one. ``bias_std`` adds N(0, bias_std^2)
    noise to every bias the bias initializer drew (the mean-field theory's bias variance
    sigma_b^2 = Var(bias init) + bias_std^2); it is drawn after all kernels and biases, so the
    kernels of one seed are the same whatever bias_std.

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
        initializer: str = initializers.DEFAULT_KERNEL,
        scale: float = 1.0,
        bias_initializer: str = initializers.DEFAULT_BIAS,
        loss: str = "binary_crossentropy",
        seed: int | np.random.Generator = 0,
        dtype: type | np.dtype = np.float32,
        initializer_params: Mapping[str, object] | None = None,
        bias_std: float = 0.0,
        normalization: str = "none",
        residual: bool = False,
        residual_scale: float = 1.0,
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
        bias_std = check_finite("bias_std", bias_std)
        if bias_std < 0:
            raise ValueError(f"bias_std must be >= 0, got {bias_std!r}")
        self.sizes = [int(s) for s in sizes]
        self.normalization = lookup(NORMALIZATIONS, "normalization", normalization)
        if not isinstance(residual, (bool, np.bool_)):
            raise ValueError(f"residual must be True or False, got {residual!r}")
        self.residual = bool(residual)
        self.residual_scale = check_finite("residual_scale", residual_scale)
        if self.residual_scale < 0:
            raise ValueError(f"residual_scale must be >= 0, got {residual_scale!r}")
        if self.residual and len(set(self.sizes[1:-1])) > 1:
            raise ValueError(f"residual connections add a layer's input to its output, so the "
                             f"hidden widths must be equal, got {self.sizes[1:-1]}")
        self._plain = self.normalization is None and not self.residual
        self.dtype = np.dtype(dtype)
        self.activation = activations.get(activation)
        self.loss = losses.get(loss)
        self.kernel_initializer = initializers.get(initializer, **dict(initializer_params or {}))
        self.bias_initializer = initializers.get(bias_initializer)
        self.scale = scale
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        # one flat buffer [W0, b0, W1, b1, ...]; weights and biases are views into it
        self._shapes = [shape for fi, fo in zip(sizes[:-1], sizes[1:]) for shape in ((fi, fo), (fo,))]
        self._layer_segments = len(self._shapes)  # [W, b] per layer; gamma, beta after them
        if self.normalization is not None:
            self._shapes += [(w,) for w in sizes[1:-1] for _ in "gb"]
        self._starts = np.cumsum([0] + [int(np.prod(s)) for s in self._shapes])
        self._flat = np.empty(int(self._starts[-1]), dtype=self.dtype)
        self._in_place = _IN_PLACE.get(self.activation.name)
        self._bind()
        for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            kernel = self.kernel_initializer((fan_in, fan_out), rng)
            self.weights[layer][...] = kernel * scale
            # PyTorch's default bounds a bias by its weight's fan_in (initializers.for_bias)
            bias_init = initializers.for_bias(self.bias_initializer, fan_in)
            self.biases[layer][...] = bias_init((fan_out,), rng)
        self.bias_std = bias_std
        if bias_std > 0:  # drawn after everything else: the kernels do not depend on bias_std
            for bias in self.biases:
                bias += (rng.standard_normal(bias.shape) * bias_std).astype(self.dtype)
        for gamma, beta in zip(self.gammas, self.betas):
            gamma[...], beta[...] = 1, 0
        # batch norm's running statistics (Keras starts them at mean 0, variance 1)
        self.running_means = [np.zeros(w, dtype=self.dtype) for w in self.sizes[1:-1]]
        self.running_variances = [np.ones(w, dtype=self.dtype) for w in self.sizes[1:-1]]

    _VIEWS = ("weights", "biases", "_own_weights", "_own_biases", "_augmented", "_transposed",
              "_grad_views", "_workspaces", "_last", "_inference", "gammas", "betas")
    """Attributes that are views of the flat buffer or scratch space: rebuilt, never copied."""

    def _bind(self) -> None:
        """(Re)build every view of the flat parameter buffer and clear the scratch space."""
        views = self._views(self._flat)
        layers, norms = views[:self._layer_segments], views[self._layer_segments:]
        self.weights: list[np.ndarray] = layers[0::2]
        self.biases: list[np.ndarray] = layers[1::2]
        self._own_weights, self._own_biases = layers[0::2], layers[1::2]
        self.gammas: list[np.ndarray] = norms[0::2]  # views: edit in place
        self.betas: list[np.ndarray] = norms[1::2]
        self._augmented = self._augmented_views(self._flat)
        self._transposed = self._transposed_kernels()
        # (gradient buffer, (dW, db) views, [dW; db] views, hidden [dW; db] blocks or None)
        self._grad_views: tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]], list[np.ndarray],
                                np.ndarray | None] | None = None
        self._workspaces: dict[int, _Workspace] = {}
        self._last: _Workspace | None = None  # the arrays of the last forward pass
        self._inference: tuple[np.ndarray, list] | None = None  # logits()' buffers

    def move_parameters(self, buffer: np.ndarray) -> None:
        """Keep the parameters in ``buffer`` (flat, this network's size and dtype) from now on,
        with every view rebuilt on it: the trainer keeps them beside its gradient, so that
        per-layer statistics of both are one call."""
        flat = self.flat_parameters()
        if buffer.shape != flat.shape or buffer.dtype != flat.dtype:
            raise ValueError(f"a parameter buffer must have shape {flat.shape} and dtype "
                             f"{flat.dtype}, got {buffer.shape} {buffer.dtype}")
        buffer[...] = flat
        self._flat = buffer
        self._bind()

    def __getstate__(self) -> dict:
        """Copies (``copy.deepcopy``) carry the flat buffer; their views are rebuilt on it."""
        self.flat_parameters()
        return {k: v for k, v in self.__dict__.items() if k not in self._VIEWS}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._bind()

    def _views(self, flat: np.ndarray) -> list[np.ndarray]:
        return [flat[a:b].reshape(shape)
                for a, b, shape in zip(self._starts[:-1], self._starts[1:], self._shapes)]

    def _augmented_views(self, flat: np.ndarray) -> list[np.ndarray]:
        """``[W; b]`` per layer as ``(fan_in + 1, fan_out)`` views of a flat buffer (each bias
        follows its kernel)."""
        return [flat[self._starts[2 * i]:self._starts[2 * i + 2]].reshape(fan_in + 1, fan_out)
                for i, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]))]

    def _hidden_stack(self, flat: np.ndarray, rows: int, writeable: bool) -> np.ndarray | None:
        """The first ``rows`` rows of the hidden-to-hidden ``[W; b]`` of layers 1 .. depth-1 as
        one (depth - 1, rows, width) view of a flat buffer (they are evenly spaced in it), when
        the hidden widths are equal and there are at least two hidden layers."""
        hidden = self.sizes[1:-1]
        if len(hidden) < 2 or len(set(hidden)) > 1:
            return None
        width, item = hidden[0], flat.itemsize
        return np.lib.stride_tricks.as_strided(
            flat[self._starts[2]:], (len(hidden) - 1, rows, width),
            ((width + 1) * width * item, width * item, item), writeable=writeable)

    def _hidden_blocks(self, flat: np.ndarray) -> np.ndarray | None:
        """The hidden-to-hidden ``[W; b]`` blocks of a gradient buffer, written in one batched
        product by the backward pass."""
        width = self.sizes[1]
        return self._hidden_stack(flat, width + 1, writeable=True)

    def _transposed_kernels(self) -> tuple[np.ndarray, np.ndarray, list] | None:
        """(the hidden-to-hidden kernels W_1 .. W_{depth-1} as one view of the flat buffer, a
        buffer for their transposes, every layer's W^T for the backward pass) when the hidden
        widths are equal and at most ``TRANSPOSE_MAX_WIDTH``. The backward pass copies the
        transposes once per step (one call): OpenBLAS multiplies by a contiguous W^T about 30%
        faster than by a transposed view at width 32; for wide layers the product dominates
        and the copy would only cost memory."""
        kernels = self._hidden_stack(self._flat, self.sizes[1], writeable=False)
        if kernels is None or self.sizes[1] > TRANSPOSE_MAX_WIDTH:
            return None
        transposed = np.empty(kernels.shape, dtype=self.dtype)
        return kernels, transposed, [None, *transposed, self._own_weights[-1].T]

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.sizes) - 2

    @property
    def parameters(self) -> list[np.ndarray]:
        """Kernels and biases interleaved ``[W0, b0, W1, b1, ...]``, then the normalization's
        ``[gamma_0, beta_0, ...]`` if any: the optimizer's view."""
        return ([p for pair in zip(self.weights, self.biases) for p in pair]
                + [p for pair in zip(self.gammas, self.betas) for p in pair])

    @property
    def segment_starts(self) -> np.ndarray:
        """Start of each kernel and bias ``[W0, b0, W1, b1, ...]`` in the flat buffer (and the
        end of the last bias; a normalization's gamma and beta follow it)."""
        return self._starts[:self._layer_segments + 1]

    def flat_parameters(self) -> np.ndarray:
        """Every parameter as one flat array ``[W0, b0, W1, b1, ...]``, shared with ``weights``
        and ``biases`` (an in-place change to one is a change to the other). Arrays assigned to
        the lists since the last call are copied in first."""
        if (any(map(operator.is_not, self.weights, self._own_weights))
                or any(map(operator.is_not, self.biases, self._own_biases))):
            for current, own in [(self.weights, self._own_weights), (self.biases, self._own_biases)]:
                for p, view in zip(current, own):
                    if p is not view:
                        view[...] = p
            self.weights, self.biases = list(self._own_weights), list(self._own_biases)
        return self._flat

    @property
    def augmented(self) -> list[np.ndarray]:
        """``[W; b]`` per layer, shape ``(fan_in + 1, fan_out)``: views of the flat buffer."""
        self.flat_parameters()
        return self._augmented

    @property
    def preactivations(self) -> list[np.ndarray]:
        """z per hidden layer from the last ``forward`` (n, width)."""
        return [] if self._last is None else self._last.preactivations

    @property
    def activations(self) -> list[np.ndarray]:
        """a = f(z) per hidden layer from the last ``forward`` (n, width)."""
        return [] if self._last is None else self._last.activations

    @property
    def stacked_preactivations(self) -> np.ndarray | None:
        """All hidden z as one (depth, n, width) array when the hidden widths are equal."""
        stack = None if self._last is None else self._last.preactivation_stack
        return None if stack is None else stack[:, :, :-1]

    @property
    def stacked_activations(self) -> np.ndarray | None:
        """All hidden a as one (depth, n, width) view when the hidden widths are equal."""
        stack = None if self._last is None else self._last.activation_stack
        return None if stack is None else stack[:, :, :-1]

    @property
    def workspace(self) -> _Workspace | None:
        """The arrays of the last ``forward`` (inputs and activations with their column of ones)."""
        return self._last

    def forward(self, X: np.ndarray, reuse: bool = False) -> np.ndarray:
        """Output logits for inputs ``X`` (n, sizes[0]).

        Fills ``preactivations`` (z) and ``activations`` (a = f(z)), one array per hidden layer
        (with equal hidden widths they are slices of ``stacked_preactivations`` /
        ``stacked_activations``, shape (depth, n, width)). They are fresh arrays, unless
        ``reuse=True``: then the network's own buffers for this batch size are overwritten
        (the trainer's hot path: no new memory pages each epoch).
        """
        X = self._check_inputs(X)
        n = X.shape[0]
        if reuse:
            work = self._workspaces.get(n)
            if work is None:
                if len(self._workspaces) >= 4:  # the four latest batch sizes are kept
                    self._workspaces.pop(next(iter(self._workspaces)))
                work = self._workspaces[n] = self._workspace(n)
        else:
            work = self._workspace(n)
        if X is not work.source or X.flags.writeable:  # a read-only X cannot have changed
            np.copyto(work.inputs[0][:, :-1], X, casting="unsafe")
            work.source = X
        if not self._plain:
            assert isinstance(work, _NormalizedWorkspace)  # _workspace() builds one when not plain
            self._last = work
            return self._forward_normalized(work)
        logits = self._propagate(work.inputs[0], zip(
            work.preactivations, work.augmented_preactivations, work.inputs[1:]))
        work.squared_rows = None
        self._last = work
        return logits

    def _propagate(self, x: np.ndarray, layers) -> np.ndarray:
        """The logits of ``x`` = [X, 1], each hidden layer written into its buffers from
        ``layers``: (z, [z, one_at], [a, 1]) per hidden layer, z a view of [z, one_at]."""
        in_place, f = self._in_place, self.activation.forward
        kernels = self.augmented
        h = x
        for Wb, (z, z1, h1) in zip(kernels, layers):
            np.matmul(h, Wb, out=z)  # [h, 1] @ [W; b] = h W + b
            if in_place is not None:
                in_place.forward(z1, h1)  # [a, 1] = f([z, one_at])
            else:
                h1[:, :-1] = f(z)
            h = h1
        return h @ kernels[-1]

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Output logits for inputs ``X`` like :meth:`forward`, without keeping the per-layer
        arrays (no ``backward`` from it): two reused ``(n, width + 1)`` buffers however deep
        the network, for predictions over a grid every frame."""
        X = self._check_inputs(X)
        if not self._plain:
            return self._logits_normalized(X)
        n = X.shape[0]
        if self._inference is None or self._inference[0].shape[0] != n:
            self._inference = self._inference_buffers(n)
        x, layers = self._inference
        np.copyto(x[:, :-1], X, casting="unsafe")
        return self._propagate(x, layers)

    def _check_inputs(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"inputs must have shape (n, {self.sizes[0]}), got {X.shape}")
        return X

    @property
    def _one_at(self) -> float:
        """The pre-activation column's value: f(one_at) = 1 (generic activations: unused)."""
        return 0.0 if self._in_place is None else self._in_place.one_at

    def _inference_buffers(self, n: int
                           ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """[x, 1] and, per hidden layer, (z, [z, one_at], [a, 1]) buffers for ``_propagate``;
        layers of one width share one z buffer and alternate between two a buffers."""
        shared: dict[tuple[int, int], np.ndarray] = {}
        layers = []
        for layer, width in enumerate(self.sizes[1:-1]):
            if (width, 2) not in shared:
                shared[width, 2] = np.full((n, width + 1), self._one_at, dtype=self.dtype)
                shared[width, 0] = np.ones((n, width + 1), dtype=self.dtype)
                shared[width, 1] = np.ones((n, width + 1), dtype=self.dtype)
            z1 = shared[width, 2]
            layers.append((z1[:, :-1], z1, shared[width, layer % 2]))
        return np.ones((n, self.sizes[0] + 1), dtype=self.dtype), layers

    def _workspace(self, n: int) -> _Workspace:
        if not self._plain:
            return _NormalizedWorkspace(self.sizes, n, self.dtype, self._one_at,
                                        self.normalization is not None, self.residual)
        return _Workspace(self.sizes, n, self.dtype, self._one_at)

    def backward(self, dout: np.ndarray, out: np.ndarray | None = None
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Gradients ``[(dW, db), ...]`` of a loss whose gradient w.r.t. the logits is ``dout``
        (with a normalization, then ``(dgamma, dbeta)`` of every hidden layer).

        Uses the arrays that the last ``forward`` stored; ``dout`` may cover only its first
        rows (the trainer forwards its training and test rows together and backpropagates the
        training rows; not with batch norm, whose batch statistics couple all rows). The
        gradients are views into one flat array laid out like ``flat_parameters()``: a fresh
        one, or ``out`` when given (the trainer reuses one).
        """
        work = self._last
        if work is None:
            raise ValueError("backward needs a forward pass first")
        delta = np.asarray(dout, dtype=self.dtype)
        rows = delta.shape[0]
        if delta.ndim != 2 or rows > work.n or delta.shape[1] != self.sizes[-1]:
            raise ValueError(f"dout of shape {delta.shape} does not match the last forward pass "
                             f"({work.n} rows, {self.sizes[-1]} outputs)")
        flat = np.empty_like(self._flat) if out is None else out
        if self._grad_views is None or self._grad_views[0] is not flat:
            views = self._views(flat)
            self._grad_views = (flat, list(zip(views[0::2], views[1::2])),
                                self._augmented_views(flat), self._hidden_blocks(flat))
        _, pairs, grads, hidden_grads = self._grad_views
        self.flat_parameters()
        if not self._plain:
            assert isinstance(work, _NormalizedWorkspace)  # _workspace() builds one when not plain
            self._backward_normalized(work, delta, grads, pairs[self.depth + 1:])
            return list(pairs)
        if self._transposed is not None:
            kernels, transposed, transposes = self._transposed
            np.copyto(transposed, kernels.transpose(0, 2, 1))
        else:
            transposes = [W.T for W in self.weights]
        derivatives = self._derivatives(work, rows)
        buffers, inputs = work.deltas(rows), work.transposed_inputs(rows)
        batched = hidden_grads is not None and work.delta_stack is not None
        for layer in range(len(transposes) - 1, -1, -1):
            # [dW; db] = [h, 1]^T delta: the bias gradient is the sum of delta over the batch
            if not (batched and 0 < layer < len(transposes) - 1):
                np.matmul(inputs[layer], delta, out=grads[layer])
            if layer:
                # z_l = h_{l-1} W_l + b_l  =>  dL/dh_{l-1} = delta W_l^T;  h = f(z) => times f'(z)
                buffer, previous = buffers[layer - 1]  # (rows, width + 1) and its [:, :-1]
                np.matmul(delta, transposes[layer], out=previous)
                if derivatives is not None:
                    np.multiply(buffer, derivatives[layer - 1], out=buffer)
                delta = previous
        if batched:  # the hidden-to-hidden [dW; db], all in one batched product
            assert work.activation_stack is not None and work.delta_stack is not None  # stacked
            np.matmul(work.activation_stack[:-1, :rows].transpose(0, 2, 1),
                      work.delta_stack[1:, :rows, :-1], out=hidden_grads)
        return list(pairs)

    def _derivatives(self, work: _Workspace, rows: int) -> list[np.ndarray] | None:
        """f'(z) for the first ``rows`` rows of every hidden layer, in arrays shaped like the
        inputs ``[a, 1]`` (all layers in one call when they are stacked); None for linear."""
        in_place = self._in_place
        if in_place is not None and in_place.derivative is None:
            return None
        out = work.derivative_buffers(rows)
        if in_place is not None:
            in_place_derivative = in_place.derivative
            assert in_place_derivative is not None  # returned above when None
            if work.activation_stack is not None:  # one call for every layer
                assert work.derivative_stack is not None  # stacked like activation_stack
                if in_place.from_square:
                    a = work.squared(rows)
                else:
                    a = work.activation_stack[:, :rows]
                in_place_derivative(a, work.derivative_stack[:, :rows])
            else:
                for h, d in zip(work.inputs[1:], out):
                    a = np.square(h[:rows]) if in_place.from_square else h[:rows]
                    in_place_derivative(a, d)
        else:
            derivative = self.activation.derivative
            for z, a, d in zip(work.preactivations, work.activations, out):
                d[:, :-1] = derivative(z[:rows], a[:rows])
        return out

    # -- normalization and residual connections: the per-layer path ---------------------------
    @property
    def normalized_preactivations(self) -> list[np.ndarray]:
        """y = gamma * z_hat + beta per hidden layer from the last ``forward``, what the
        activation sees (z itself without a normalization)."""
        work = self._last
        if work is None:
            return []
        return work.normalized if isinstance(work, _NormalizedWorkspace) else work.preactivations

    def _standardize(self, z: np.ndarray, layer: int, training: bool, zhat: np.ndarray
                     ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """z_hat = (z - mean) / sqrt(var + eps) into ``zhat``; returns 1 / sqrt(var + eps) and
        the batch's (mean, var) when they are batch statistics (batch norm, training)."""
        norm = self.normalization
        eps = self.dtype.type(NORM_EPSILON)
        if norm.running and not training:
            mean, var, moments = self.running_means[layer], self.running_variances[layer], None
            inv = 1 / np.sqrt(var + eps)
            np.subtract(z, mean, out=zhat)
        else:  # ufuncs directly: np.mean's Python wrapper costs as much as the sum at n = 225
            share = self.dtype.type(1 / z.shape[norm.axis])
            mean = np.add.reduce(z, axis=norm.axis, keepdims=True)
            mean *= share
            np.subtract(z, mean, out=zhat)
            var = np.add.reduce(np.square(zhat), axis=norm.axis, keepdims=True)
            var *= share  # biased
            moments = (mean[0], var[0]) if norm.running else None
            inv = 1 / np.sqrt(var + eps)
        np.multiply(zhat, inv, out=zhat)
        return inv, moments

    def _forward_normalized(self, work: _NormalizedWorkspace) -> np.ndarray:
        """The logits of ``work.inputs[0]`` = [X, 1], training mode (batch statistics), each
        hidden layer's z, z_hat, y, f(y) and output x written into ``work``."""
        in_place, f = self._in_place, self.activation.forward
        kernels = self.augmented
        scale = self.dtype.type(self.residual_scale)
        h = work.inputs[0]
        for layer, Wb in enumerate(kernels[:-1]):
            z = work.preactivations[layer]
            np.matmul(h, Wb, out=z)  # z = h W + b
            y = work.normalized[layer]
            if self.normalization is not None:
                zhat = work.standardized[layer]
                assert zhat is not None  # allocated with a normalization
                work.inverse_std[layer], work.batch_moments[layer] = self._standardize(
                    z, layer, True, zhat)
                np.multiply(zhat, self.gammas[layer], out=y)
                np.add(y, self.betas[layer], out=y)  # y = gamma z_hat + beta
            a, x = work.branches[layer], work.activations[layer]
            if in_place is not None:
                in_place.forward(y, a)
            else:
                a[...] = f(y)
            if self.residual and layer:  # x_l = x_{l-1} + s f(y)
                np.multiply(a, scale, out=x)
                np.add(x, h[:, :-1], out=x)
            h = work.inputs[layer + 1]
        work.squared_rows = None
        return h @ kernels[-1]

    def _logits_normalized(self, X: np.ndarray) -> np.ndarray:
        """Logits in inference mode: batch norm uses the running statistics."""
        h = X.astype(self.dtype)
        f, scale = self.activation.forward, self.dtype.type(self.residual_scale)
        for layer, (W, b) in enumerate(zip(self.weights[:-1], self.biases[:-1])):
            y = h @ W + b
            if self.normalization is not None:
                self._standardize(y, layer, False, y)
                y *= self.gammas[layer]
                y += self.betas[layer]
            a = f(y)
            h = h + scale * a if self.residual and layer else a
        return h @ self.weights[-1] + self.biases[-1]

    def update_running_statistics(self, momentum: float = NORM_MOMENTUM) -> None:
        """Batch norm: running = momentum * running + (1 - momentum) * the last ``forward``'s
        batch mean and (biased) variance, as Keras updates its moving statistics in a training
        step. Nothing for other networks."""
        work = self._last
        if self.normalization is None or not self.normalization.running or work is None:
            return
        assert isinstance(work, _NormalizedWorkspace)  # a normalization is never plain
        keep = self.dtype.type(momentum)
        for mean, var, moments in zip(self.running_means, self.running_variances,
                                      work.batch_moments):
            assert moments is not None  # the last forward pass (batch norm) set every layer's
            batch_mean, batch_var = moments
            mean *= keep
            mean += (1 - keep) * batch_mean
            var *= keep
            var += (1 - keep) * batch_var

    def _backward_normalized(self, work: _NormalizedWorkspace, delta: np.ndarray,
                             grads: list[np.ndarray], norm_grads: list) -> None:
        """The backward pass of ``_forward_normalized`` into ``grads`` ([dW; db] per layer) and
        ``norm_grads`` ((dgamma, dbeta) per hidden layer). Per layer, from dL/dx_l:
        da = s dx (residual) or dx; dy = da f'(y); dgamma = sum dy z_hat, dbeta = sum dy;
        dz = (gamma / sigma) (dy - mean(dy) - z_hat mean(dy z_hat)) (means over the axis the
        statistics were taken); [dW; db] = [h, 1]^T dz; dx_{l-1} = dz W^T (+ dx_l: the skip)."""
        rows, norm = delta.shape[0], self.normalization
        if norm is not None and norm.running and rows != work.n:
            raise ValueError(f"batch norm couples the rows of a batch through its statistics: "
                             f"dout must cover all {work.n} rows of the last forward pass, "
                             f"got {rows}")
        derivative, scale = self.activation.derivative, self.dtype.type(self.residual_scale)
        in_place = self._in_place
        last = self.depth
        np.matmul(work.inputs[last][:rows].T, delta, out=grads[last])
        dx = delta @ self._own_weights[last].T
        for layer in range(last - 1, -1, -1):
            y, a = work.normalized[layer][:rows], work.branches[layer][:rows]
            skip = self.residual and layer > 0
            dy = dx * scale if skip else dx  # dx is a fresh product: free to overwrite
            if in_place is None:
                dy *= derivative(y, a)
            elif in_place.derivative is not None:  # f'(y) from a (or a^2), in a scratch array
                slope = np.square(a) if in_place.from_square else np.empty_like(dy)
                in_place.derivative(slope if in_place.from_square else a, slope)
                dy *= slope
            if norm is not None:
                standardized = work.standardized[layer]
                assert standardized is not None  # allocated with a normalization
                zhat = standardized[:rows]
                gamma, (dgamma, dbeta) = self.gammas[layer], norm_grads[layer]
                dyz = dy * zhat
                np.add.reduce(dyz, axis=0, out=dgamma)
                np.add.reduce(dy, axis=0, out=dbeta)
                inv = work.inverse_std[layer]
                assert inv is not None  # set by the forward pass with a normalization
                if norm.axis == 0:  # gamma is constant along the batch: it factors out
                    g, gz, factor = dy, dyz, gamma * inv
                    g_sum, gz_sum = dbeta[None], dgamma[None]  # the sums just taken
                else:  # dL/dz_hat = gamma dy varies along the row's units
                    g = dy * gamma
                    gz, factor = g * zhat, inv[:rows]
                    g_sum = np.add.reduce(g, axis=1, keepdims=True)
                    gz_sum = np.add.reduce(gz, axis=1, keepdims=True)
                share = self.dtype.type(1 / g.shape[norm.axis])
                dz = g - g_sum * share
                dz -= zhat * (gz_sum * share)
                dz *= factor
            else:
                dz = dy
            np.matmul(work.inputs[layer][:rows].T, dz, out=grads[layer])
            if layer:
                previous = dz @ self._own_weights[layer].T
                if skip:
                    previous += dx
                dx = previous

    def loss_and_gradients(self, X: np.ndarray, y: np.ndarray
                           ) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """Mean loss over the batch and its exact gradients, one ``(dW, db)`` pair per layer."""
        logits = self.forward(X)
        loss, dlogits = self.loss.value_and_grad(logits, y)
        return loss, self.backward(dlogits.astype(self.dtype, copy=False))


class _Workspace:
    """The arrays of one forward pass over n rows, and the buffers its backward pass reuses.

    ``inputs[l]`` is layer l's input with a column of ones, ``[h_{l-1}, 1]`` (n, fan_in + 1);
    ``activations[l]`` is the view ``inputs[l + 1][:, :-1]``. ``augmented_preactivations[l]``
    is ``[z_l, one_at]`` and ``preactivations[l]`` its view ``z_l``.

    With equal hidden widths every hidden layer is a slice of one stack, shape
    (depth, n, width + 1), so one call covers all layers:

    - ``activation_stack``: every hidden ``[a, 1]`` (``inputs[1:]`` are its slices);
    - ``square_stack``: ``[a, 1]^2``, filled by :meth:`squared` (tanh's derivative and the
      trainer's statistics);
    - ``activation_and_square_stack``: the two above as one (2, depth, n, width + 1) array, so
      the column sums of a and a^2 are one product;
    - ``preactivation_stack``: every ``[z, one_at]`` (``augmented_preactivations``);
    - ``derivative_stack``: f'(z) of every layer (last column unused);
    - ``delta_stack``: dL/dz of every layer (last column stays 0).

    With unequal widths these are None and the lists hold separate arrays.
    """

    def __init__(self, sizes: Sequence[int], n: int, dtype: np.dtype, one_at: float) -> None:
        self.n, self.dtype = n, dtype
        self.source: np.ndarray | None = None  # the X last copied into inputs[0]
        self.squared_rows: int | None = None  # rows squared into square_stack
        # the stacks: None when the hidden widths differ
        self.activation_and_square_stack: np.ndarray | None
        self.activation_stack: np.ndarray | None
        self.square_stack: np.ndarray | None
        self.preactivation_stack: np.ndarray | None
        self.derivative_stack: np.ndarray | None
        self.delta_stack: np.ndarray | None
        hidden = list(sizes[1:-1])
        stacked = bool(hidden) and len(set(hidden)) == 1
        x = np.ones((n, sizes[0] + 1), dtype=dtype)
        if stacked:
            depth, width = len(hidden), hidden[0]
            # [a, 1] and its square side by side: their column sums are one product
            self.activation_and_square_stack = np.empty((2, depth, n, width + 1), dtype=dtype)
            self.activation_stack, self.square_stack = self.activation_and_square_stack
            self.activation_stack[...] = 1  # squares, derivatives, deltas: backward only
            self.preactivation_stack = np.full((depth, n, width + 1), one_at, dtype=dtype)
            self.derivative_stack = np.zeros(self.activation_stack.shape, dtype=dtype)
            self.inputs = [x, *self.activation_stack]
            self.augmented_preactivations = list(self.preactivation_stack)
            derivatives = list(self.derivative_stack)
        else:
            self.activation_and_square_stack = self.activation_stack = self.square_stack = None
            self.preactivation_stack = self.derivative_stack = None
            self.inputs = [x, *(np.ones((n, w + 1), dtype=dtype) for w in hidden)]
            self.augmented_preactivations = [np.full((n, w + 1), one_at, dtype=dtype)
                                             for w in hidden]
            derivatives = [np.zeros((n, w + 1), dtype=dtype) for w in hidden]
        self.preactivations = [z[:, :-1] for z in self.augmented_preactivations]
        self.activations = [h[:, :-1] for h in self.inputs[1:]]
        self._derivatives = derivatives
        if stacked:  # dL/dz per hidden layer; the last column stays 0
            self.delta_stack = np.zeros((len(hidden), n, hidden[0] + 1), dtype=dtype)
            self._deltas = list(self.delta_stack)
        else:
            self.delta_stack = None
            self._deltas = [np.zeros((n, w + 1), dtype=dtype) for w in hidden]
        self._rows: dict[int, tuple[list, list, list]] = {}
        self._blocks: dict[tuple[int, bool], np.ndarray] = {}

    def _first_rows(self, rows: int) -> tuple[list, list, list]:
        if rows not in self._rows:
            self._rows[rows] = ([d[:rows] for d in self._derivatives],
                                [(d[:rows], d[:rows, :-1]) for d in self._deltas],
                                [h[:rows].T for h in self.inputs])
        return self._rows[rows]

    def derivative_buffers(self, rows: int) -> list[np.ndarray]:
        """One (rows, width + 1) array per hidden layer for f'(z) (last column unused)."""
        return self._first_rows(rows)[0]

    def deltas(self, rows: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per hidden layer, a (rows, width + 1) buffer for dL/dz and its (rows, width) view
        that the products write (the last column stays 0, so multiplying the whole buffer by
        the derivatives is one contiguous call)."""
        return self._first_rows(rows)[1]

    def transposed_inputs(self, rows: int) -> list[np.ndarray]:
        """``[h, 1]^T`` of every layer over the first ``rows`` rows (for ``[dW; db]``)."""
        return self._first_rows(rows)[2]

    def squared(self, rows: int) -> np.ndarray:
        """``[a, 1]^2`` of the first ``rows`` rows, (depth, rows, width + 1), computed once per
        forward pass (the tanh derivative and the activation statistics both use it). Needs
        equal hidden widths."""
        assert self.activation_stack is not None and self.square_stack is not None, "unequal widths"
        if self.squared_rows != rows:
            np.square(self.activation_stack[:, :rows], out=self.square_stack[:, :rows])
            self.squared_rows = rows
        return self.square_stack[:, :rows]

    def blocks(self, rows: int, squared: bool = False) -> np.ndarray:
        """The stacked ``[a, 1]`` (or with ``squared``, ``[a, 1]^2`` as last computed by
        :meth:`squared`) of the first ``rows`` rows as a (depth, rows * (width + 1)) read-only
        view: each layer's block is contiguous, so a per-layer reduction is one call for all
        layers. Needs equal hidden widths."""
        key = (rows, squared)
        if key not in self._blocks:
            whole = self.square_stack if squared else self.activation_stack
            assert whole is not None, "unequal widths"
            stack = whole[:, :rows]
            self._blocks[key] = np.lib.stride_tricks.as_strided(
                stack, (stack.shape[0], rows * stack.shape[2]), (stack.strides[0], stack.strides[2]),
                writeable=False)
        return self._blocks[key]


class _NormalizedWorkspace(_Workspace):
    """A :class:`_Workspace` for the per-layer path (normalization, residual connections),
    with per hidden layer: ``standardized`` z_hat, ``normalized`` y = gamma z_hat + beta
    (``preactivations`` z itself when there is no normalization), ``branches`` f(y) (the
    layer's output ``activations`` itself except in residual layers), ``inverse_std``
    1 / sqrt(var + eps) and ``batch_moments`` (mean, var) of the last pass. With equal widths
    ``normalized_stack`` holds every y as one (depth, n, width) array."""

    def __init__(self, sizes: Sequence[int], n: int, dtype: np.dtype, one_at: float,
                 normalized: bool, residual: bool) -> None:
        super().__init__(sizes, n, dtype, one_at)
        hidden = list(sizes[1:-1])
        stacked = bool(hidden) and len(set(hidden)) == 1
        self.normalized_stack: np.ndarray | None = None
        self.normalized: list[np.ndarray]
        self.standardized: list[np.ndarray | None]  # None without a normalization
        if normalized:
            if stacked:
                self.normalized_stack = np.empty((len(hidden), n, hidden[0]), dtype=dtype)
                self.normalized = list(self.normalized_stack)
                self.standardized = list(np.empty((len(hidden), n, hidden[0]), dtype=dtype))
            else:
                self.normalized = [np.empty((n, w), dtype=dtype) for w in hidden]
                self.standardized = [np.empty((n, w), dtype=dtype) for w in hidden]
        else:
            self.normalized = self.preactivations
            self.standardized = [None] * len(hidden)
        self.branches = [np.empty((n, w), dtype=dtype) if residual and layer else x
                         for layer, (w, x) in enumerate(zip(hidden, self.activations))]
        self.inverse_std: list[np.ndarray | None] = [None] * len(hidden)
        self.batch_moments: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(hidden)
