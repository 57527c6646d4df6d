"""What variance propagation predicts at initialisation, and the same quantities measured.

The Glorot (2010) and He (2015) derivations, layer by layer, in the mean-field picture of a wide
network: every pre-activation of hidden layer l is treated as a Gaussian ``z_l ~ N(mu_b, q_l)``,
independent of the weights that read it. Forward (``fan_in`` of the layer's kernel)::

    q_1     = n_in * E[w^2] * E[x^2]            + Var(b)      E[x^2] = 1: standardised inputs
    q_{l+1} = fan_in * E[w^2] * E[f(z_l)^2]     + Var(b)

and backward, for the gradient of the loss with respect to the pre-activations
(``delta_l = dL/dz_l``; ``fan_out`` of the kernel that reads layer l)::

    E[delta_l^2] = fan_out * E[w^2] * E[f'(z_l)^2] * E[delta_{l+1}^2]

``E[f(z)^2]``, ``E[f(z)]`` and ``E[f'(z)^2]`` for ``z ~ N(mu, s^2)`` are computed numerically
with Gauss-Hermite quadrature (probabilists' weights, ``numpy.polynomial.hermite_e.hermegauss``)
using the activation's own ``forward`` and ``derivative``, never looked up. An even number of
nodes (no node at 0) makes the quadrature exact for ReLU-type kinks at 0 when ``mu = 0``:
``E[relu(z)^2] = s^2/2`` and ``E[relu'(z)^2] = 1/2`` come out exactly.

``E[w^2]`` comes from the initializer's formula (:func:`kernel_variance`, times ``scale^2``), or,
with ``predict(config, network=net)``, from the kernels that were actually drawn. ``Var(b)`` is
the bias initializer's variance plus ``config.bias_std^2`` (the Gaussian noise added to biases).

Where it is exact and where it is an approximation
--------------------------------------------------
* linear and ReLU (and leaky ReLU) with zero-mean kernels: the second-moment recursion needs no
  Gaussian assumption at all (``E[relu(z)^2] = q/2`` for any symmetric z), so the prediction
  is the exact expectation over weight draws. One network wanders around it (the squared
  signal norm does a random walk of relative spread ~sqrt(2 l / width) at layer l, see
  :func:`measure`); the average over draws (:func:`measure_mean`) is tested within 10% per
  layer at width 256, and an orthogonal linear network matches with a single draw.
* tanh, sigmoid, and the other smooth functions: exact *if* the pre-activations are Gaussian,
  which a wide layer makes approximately true (central limit theorem over fan_in inputs). The
  first hidden layer of a 2-input network is a sum of only two terms, so its pre-activations are
  far from Gaussian and the next layer's prediction is off by a few percent; the error shrinks
  with width and is largest where the function saturates.
* sigmoid: its mean is 1/2, not 0, so the next layer's pre-activations are a sum of variables
  with a common non-zero mean; with zero-mean weights the recursion still holds in the
  second moment (``E[f(z)^2]`` includes the mean), but the finite-width fluctuation of the
  kernel's column sums multiplies that mean and adds variance the mean-field formula ignores.
* The backward formula assumes the gradients are independent of the forward weights (the
  "gradient independence" assumption of mean-field theory); good for wide layers at init.
* Kernels with a non-zero mean (ones, constant, positive_uniform, torch_uniform, ...) make all
  units move together; the prediction then uses the weights' second moment ``E[w^2]`` and is
  only a rough guide. Orthogonal and identity kernels are deterministic up to rotation: their
  per-entry second moment is ``gain^2 min(fan_in, fan_out) / (fan_in fan_out)``, which makes the
  linear-network recursion exact in expectation.
* Normalization and residual connections (``Config.normalization``, ``Config.residual``) are
  outside this derivation: :func:`limits` says which step fails, and :func:`measure` then
  measures the network as it is (its own forward pass, no gradient column).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from initviz.core import activations, datasets, initializers
from initviz.core.network import Network

__all__ = ["TheoryPrediction", "kernel_variance", "kernel_moments", "gaussian_moments",
           "mean_field_variances", "predict", "measure", "measure_mean", "network_shape",
           "per_layer_factor", "spread_verdict", "departures", "applies"]

_NODES, _WEIGHTS = hermegauss(200)          # even: no node at 0 (see the module docstring)
_WEIGHTS = _WEIGHTS / math.sqrt(2 * math.pi)  # E[g(Z)] = sum(weights * g(nodes)), Z ~ N(0, 1)


@dataclass(frozen=True)
class TheoryPrediction:
    """Per hidden layer ``l = 1 .. depth`` (arrays of shape ``(depth,)``):

    ``preactivation_std``: std of z_l over samples and units;
    ``activation_std``: std of f(z_l);
    ``activation_mean``: mean of f(z_l);
    ``gradient_std``: root mean square of dL/dz_l divided by that of dL/dlogits (the output's
    gradient, which depends on the labels, is factored out; < 1 means the gradient shrinks on
    its way back). dL/dz has mean ~0 at initialisation, so its RMS is its std.
    """

    preactivation_std: np.ndarray
    activation_std: np.ndarray
    activation_mean: np.ndarray
    gradient_std: np.ndarray

    @property
    def depth(self) -> int:
        return len(self.activation_std)


# ---------------------------------------------------------------------------------------------
# moments of the initializers


def kernel_moments(name: str, fan_in: int, fan_out: int, scale: float = 1.0,
                   params: Mapping[str, object] | None = None) -> tuple[float, float]:
    """``(E[w], E[w^2])`` per entry of a ``(fan_in, fan_out)`` kernel drawn by ``name`` (any
    spelling ``initializers.get`` accepts, with the initializer's own ``params``, e.g.
    ``{"stddev": 0.1}``) and multiplied by ``scale`` (the network's scale slider).

    The closed form is the initializer's own (:func:`initializers.moments`, its spec's moments
    facet, Keras fans clamped to >= 1); ``scale`` multiplies E[w] and ``scale^2`` E[w^2].

    >>> kernel_moments("he_normal", 256, 256)[1] == 2 / 256
    True
    """
    mean, second = initializers.moments(name, fan_in, fan_out, params)
    return mean * scale, second * scale * scale


def kernel_variance(name: str, fan_in: int, fan_out: int, scale: float = 1.0,
                    params: Mapping[str, object] | None = None) -> float:
    """``E[w^2]`` of one kernel entry: the variance for every zero-mean initializer (the
    quantity in Var(z) = fan_in Var(w) E[f(z)^2]); see :func:`kernel_moments`."""
    return kernel_moments(name, fan_in, fan_out, scale, params)[1]


def _bias_moments(name: str, fan_in: int, fan_out: int) -> tuple[float, float]:
    """Mean and variance of a bias entry of a layer with this kernel shape."""
    init = initializers.for_bias(name, fan_in)  # torch_default: bounded by the weight's fan_in
    m, second = initializers.moments(init, fan_out, fan_out)  # a 1-D shape (n,) has fans (n, n)
    return m, max(second - m * m, 0.0)


def mean_field_variances(config) -> tuple[float, float]:
    """``(weight_variance, bias_variance)`` of ``config``'s hidden-to-hidden layers in the
    mean-field picture (:mod:`initviz.core.signal`): ``sw = width * E[w^2]`` for a
    ``(width, width)`` kernel from the initializer's moments times ``scale^2``, and ``sb`` the
    bias variance (the bias initializer's plus ``bias_std^2``). Glorot at equal fans and He
    give 1 and 2 (the edges of chaos of tanh and ReLU with no bias)."""
    width = config.width
    weight = width * kernel_variance(config.initializer, width, width, config.scale)
    bias = _bias_moments(config.bias_initializer, width, width)[1] + config.bias_std ** 2
    return float(weight), float(bias)


# ---------------------------------------------------------------------------------------------
# Gaussian expectations by quadrature


def gaussian_moments(activation: str, mean: float, std: float) -> tuple[float, float, float]:
    """``(E[f(z)], E[f(z)^2], E[f'(z)^2])`` for ``z ~ N(mean, std^2)``, by Gauss-Hermite
    quadrature with 200 nodes and the activation's own forward and derivative."""
    act = activations.get(activation)
    with np.errstate(all="ignore"):
        z = mean + std * _NODES
        a = act.forward(z)
        d = act.derivative(z, a)
        return (float(_WEIGHTS @ a), float(_WEIGHTS @ (a * a)), float(_WEIGHTS @ (d * d)))


# ---------------------------------------------------------------------------------------------
# predictions and measurements


def network_shape(config) -> tuple[int, int]:
    """``(input features, output units)`` of ``config``'s dataset (2-D sets: 2, sine: 1;
    one output for binary and regression tasks, one per class for multiclass)."""
    data = datasets.make(config.dataset, n_samples=16, noise=0.0, seed=0)
    return data.X.shape[1], data.output_units


def predict(config, network: Network | None = None) -> TheoryPrediction:
    """Variance propagation for ``config`` (a :class:`~initviz.core.training.Config`) at init.

    With ``network`` (e.g. ``Trainer(config).network``) the weights' and biases' second moments
    are those of the arrays actually drawn (sample moments) instead of the initializer's
    formulas: that removes the sampling noise of small layers (an output layer of 1 unit) from
    the comparison with :func:`measure`. Inputs have E[x^2] = 1 (standardised features).
    """
    n_in, n_out = network_shape(config)
    sizes = [n_in, *config.hidden_widths, n_out]
    kernel, bias = [], []
    for layer, (fi, fo) in enumerate(zip(sizes[:-1], sizes[1:])):
        if network is not None:
            W = network.weights[layer].astype(np.float64)
            b = network.biases[layer].astype(np.float64)
            kernel.append(float(np.mean(W * W)))
            bias.append((float(b.mean()), float(b.var())))
        else:
            kernel.append(kernel_variance(config.initializer, fi, fo, config.scale,
                                          config.kernel_params))
            mean_b, var_b = _bias_moments(config.bias_initializer, fi, fo)
            bias.append((mean_b, var_b + config.bias_std ** 2))

    pre, act_std, act_mean, slope2 = [], [], [], []
    second = 1.0  # E[x^2] of the standardised inputs
    with np.errstate(all="ignore"):
        for layer in range(config.depth):
            mu_b, var_b = bias[layer]
            q = sizes[layer] * kernel[layer] * second + var_b   # Var(z): the variance part
            s = math.sqrt(q) if q >= 0 else math.nan
            mean_f, second_f, slope = gaussian_moments(config.activation, mu_b, s)
            pre.append(s)
            act_mean.append(mean_f)
            act_std.append(math.sqrt(max(second_f - mean_f * mean_f, 0.0)))
            slope2.append(slope)
            second = second_f
        # backward: delta_l = (delta_{l+1} W_{l+1}^T) * f'(z_l); W_{l+1} has fan_out sizes[l+2]
        grad, g2 = [0.0] * config.depth, 1.0
        for layer in range(config.depth - 1, -1, -1):
            g2 = sizes[layer + 2] * kernel[layer + 1] * slope2[layer] * g2
            grad[layer] = math.sqrt(g2) if g2 >= 0 else math.nan
    return TheoryPrediction(np.array(pre), np.array(act_std), np.array(act_mean), np.array(grad))


LIMITS = {
    "batch": "Batch norm re-standardises every layer's pre-activations over the batch, so the "
             "recursion Var(z_l+1) = fan_in · Var(w) · E[f(z_l)²] stops at each layer: what "
             "the activation sees has variance var / (var + 1e-3), about 1 whatever the "
             "initializer's scale (the line is the plain network's).",
    "layer": "Layer norm re-standardises each row over its units, so the recursion stops at "
             "each layer: what the activation sees has variance about 1 whatever the "
             "initializer's scale (the line is the plain network's).",
    "residual": "Residual connections add each layer's input to its output, x + s · f(z): the "
                "second moment adds up instead of being multiplied by fan_in · Var(w) · ..., "
                "and ReLU branches, whose mean is not 0, add a common drift; the line is the "
                "plain network's.",
}
"""Why the variance theory no longer applies, per feature the plain derivation leaves out."""


def limits(config) -> list[str]:
    """The sentences of ``LIMITS`` that apply to ``config`` (empty for a plain network: the
    theory applies as the module docstring says)."""
    out = []
    if getattr(config, "normalization", "none") != "none":
        out.append(LIMITS[config.normalization])
    if getattr(config, "residual", False):
        out.append(LIMITS["residual"])
    return out


def measure(trainer) -> TheoryPrediction:
    """The same quantities measured on ``trainer``'s network (at init if it has not trained)
    over its full training batch: pooled std over samples and units (sums in float64).

    ``trainer`` is a :class:`~initviz.core.training.Trainer` (anything with ``network`` and
    ``train``). One network fluctuates around the mean-field prediction: at layer l of width n
    the squared signal norm performs a random walk with relative spread about sqrt(2 l / n)
    (the inputs are 2-D, so the batch hardly averages it out). For a ReLU net at width 256 and
    depth 12 a single draw is typically 10-25% off in std at the deepest layers while the
    average over draws (:func:`measure_mean`) is within a few percent.
    """
    net = trainer.network
    X = np.asarray(trainer.train.X, dtype=net.dtype)
    if net.normalization is not None or net.residual:  # the network's own forward pass
        with np.errstate(all="ignore"):
            net.forward(X)
            zs, hs = net.preactivations, net.activations
            return TheoryPrediction(
                np.array([float(np.std(z, dtype=np.float64)) for z in zs]),
                np.array([float(np.std(a, dtype=np.float64)) for a in hs]),
                np.array([float(np.mean(a, dtype=np.float64)) for a in hs]),
                np.full(len(zs), np.nan))
    Ws, bs = net.weights, net.biases  # products in the network's dtype, statistics in float64
    act = net.activation
    with np.errstate(all="ignore"):
        h, zs, hs = X, [], []
        for W, b in zip(Ws[:-1], bs[:-1]):
            z = h @ W + b
            h = act.forward(z)
            zs.append(z)
            hs.append(h)
        logits = h @ Ws[-1] + bs[-1]
        _, delta = net.loss.value_and_grad(logits, trainer.train.y)
        delta = np.asarray(delta, dtype=net.dtype)
        out_rms = math.sqrt(float(np.mean(np.square(delta, dtype=np.float64))))
        grad = [0.0] * len(zs)
        for layer in range(len(zs) - 1, -1, -1):
            delta = (delta @ Ws[layer + 1].T) * act.derivative(zs[layer], hs[layer])
            grad[layer] = math.sqrt(float(np.mean(np.square(delta, dtype=np.float64)))) / out_rms
        return TheoryPrediction(
            np.array([float(np.std(z, dtype=np.float64)) for z in zs]),
            np.array([float(np.std(a, dtype=np.float64)) for a in hs]),
            np.array([float(np.mean(a, dtype=np.float64)) for a in hs]),
            np.array(grad),
        )


def measure_mean(config, draws: int = 8) -> TheoryPrediction:
    """:func:`measure` averaged over ``draws`` networks (seeds ``config.seed + i``, each with
    its own dataset draw, as a Trainer would make them): stds are combined as the root of the
    mean variance, means by their mean. This is the quantity the mean-field recursion predicts
    (an expectation over weight draws); its own spread shrinks as 1/sqrt(draws)."""
    from types import SimpleNamespace

    from initviz.core.training import build  # training does not import theory: no cycle

    runs = []
    for i in range(draws):
        _, train, _, network = build(config.replace(seed=(config.seed + i) % 2**32))
        runs.append(measure(SimpleNamespace(network=network, train=train)))

    def rms(name: str) -> np.ndarray:
        return np.sqrt(np.mean([getattr(r, name) ** 2 for r in runs], axis=0))

    return TheoryPrediction(rms("preactivation_std"), rms("activation_std"),
                            np.mean([r.activation_mean for r in runs], axis=0),
                            rms("gradient_std"))


# ---------------------------------------------------------------------------------------------
# verdict words and the assumptions a setting departs from (the Theory tab's sentences)

PRESERVED_BAND = 0.02
"""A per-layer factor within 2% of 1 is 'preserved' (x1.02^30 = 1.8 over 30 layers)."""
SLOW_BAND = 0.10
"""Within 10% of 1 the spread drifts 'slowly'; beyond, it vanishes or explodes with depth."""
NONZERO_MEAN = 0.05
"""Weights whose squared mean exceeds this fraction of their mean square break the zero-mean
assumption (positive_uniform: 0.75, ones: 1; identity at width 32: 1/32)."""
EXACT_WITHOUT_GAUSSIAN = ("linear", "relu", "leaky_relu")
"""Activations whose second-moment recursion needs no Gaussian pre-activations (module doc)."""



def fixed_norm(name: str) -> bool:
    """True for kernels whose norm is not random (identity, orthogonal, constants): one network
    is then the average, with no finite-width wander. Told by drawing, not by name: two draws
    with different seeds have the same Frobenius norm."""
    init = initializers.get(name)
    a, b = (init((8, 6), np.random.default_rng(seed)) for seed in (0, 1))
    return bool(np.isclose(np.linalg.norm(a), np.linalg.norm(b), rtol=1e-6, atol=0.0))

ASSUMPTIONS = ("independent zero-mean weights", "wide layers (each unit sums many terms, so its "
               "pre-activation is Gaussian)", "the average over weight draws")


def per_layer_factor(stds) -> float:
    """Geometric mean ratio between consecutive layers' stds (1 = preserved, < 1 = shrinking)."""
    stds = np.asarray(stds, dtype=float)
    if len(stds) < 2 or not np.all(np.isfinite(stds)) or stds[0] <= 0 or stds[-1] <= 0:
        return float("nan")
    return float((stds[-1] / stds[0]) ** (1.0 / (len(stds) - 1)))


def spread_verdict(factor: float, activation: str | None = None) -> str:
    """The words for a per-layer factor of the activation std: 'preserved' within
    PRESERVED_BAND, 'shrinking/growing slowly' within SLOW_BAND, else 'shrinking: vanishing with
    depth' or 'growing: exploding with depth' ('growing until the units saturate' for an
    activation with a bounded range, which caps the spread instead of exploding)."""
    if not math.isfinite(factor) or factor <= 0:
        return "—"
    if abs(factor - 1) <= PRESERVED_BAND:
        return f"×{factor:.3g} per layer (preserved: within {PRESERVED_BAND:.0%} per layer)"
    direction = "shrinking" if factor < 1 else "growing"
    if abs(factor - 1) <= SLOW_BAND:
        return f"×{factor:.3g} per layer ({direction} slowly: within {SLOW_BAND:.0%} per layer)"
    if factor > 1 and activation is not None and activations.get(activation).saturation is not None:
        return f"×{factor:.3g} per layer (growing until the units saturate)"
    trend = "vanishing" if factor < 1 else "exploding"
    return f"×{factor:.3g} per layer ({direction}: {trend} with depth)"


def departures(config) -> list[str]:
    """Where ``config`` departs from the variance argument's ASSUMPTIONS, one sentence each:
    non-zero weight means (the prediction then does not apply), few inputs (non-Gaussian first
    pre-activations, for activations that need them), finite width (one network wanders)."""
    n_in, _ = network_shape(config)
    notes = []
    mean, second = kernel_moments(config.initializer, config.width, config.width, config.scale)
    if second > 0 and mean * mean > NONZERO_MEAN * second:
        notes.append(f"the weights have mean {mean:.3g} (RMS {math.sqrt(second):.3g}): the theory "
                     "assumes zero-mean weights; with a common sign all units move together, "
                     "so the line does not apply")
    if n_in < 10 and config.activation not in EXACT_WITHOUT_GAUSSIAN:
        notes.append(f"{n_in}-D inputs: each first-layer unit sums only {n_in} terms, so its "
                     f"pre-activations are not Gaussian and {config.activation}'s prediction is "
                     "off by a few percent from layer 2")
    if config.depth >= 2 and not fixed_norm(config.initializer):
        wander = math.sqrt(2 * config.depth / config.width) / 2
        notes.append(f"width {config.width}: one network (the dots) wanders around the average "
                     f"(the line) by roughly ±{wander:.0%} in std at layer {config.depth} "
                     f"(sqrt(2·depth/width)/2)")
    return notes


def applies(config) -> bool:
    """False when the weights' mean breaks the zero-mean assumption (see :func:`departures`)."""
    mean, second = kernel_moments(config.initializer, config.width, config.width, config.scale)
    return not (second > 0 and mean * mean > NONZERO_MEAN * second)
