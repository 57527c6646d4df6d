"""Weight initializers as Keras 3 and PyTorch define them, plus two JAX ones for contrast.

``get(name, **params)`` returns an :class:`Initializer`; calling it with ``(shape, rng)`` draws a
float32 array in the Keras kernel layout ``(fan_in, fan_out)`` (so a layer is ``h @ W + b``)
from the ``numpy.random.Generator`` it is given (never the global ``np.random``).

A Keras name means what Keras means and a PyTorch name what PyTorch means, because users paste
names from either library: ``glorot_normal`` is Keras' *truncated* normal (widened by 1/0.8796 so
its std really is sqrt(2/(fan_in+fan_out))), ``xavier_normal`` is PyTorch's plain normal;
``normal`` is Keras' N(0, 0.05^2), ``normal_`` is PyTorch's N(0, 1). Keras class names
(``HeNormal``), dotted paths (``torch.nn.init.kaiming_normal_``) and PyTorch's trailing
underscores all resolve; names are case-insensitive.

PyTorch stores a Linear weight as ``(out, in)``; initviz stores its transpose ``(in, out)``, so a
PyTorch fan_in is ``shape[0]`` here, exactly as in Keras (see :func:`fans`).

Each initializer is one spec in ``_SPECS``, the only place its name is defined: sampler, teaching
description and formula, parameters with defaults, and the facets the rest of initviz reads:
:func:`moments` (theory), :func:`keras_expression` and :func:`torch_statements` (codegen),
:func:`for_bias` / :func:`uses_weight_fan_in` (PyTorch bounds a bias by its weight's fan_in).

    >>> import numpy as np
    >>> w = get("he_normal")((256, 256), np.random.default_rng(0))
    >>> w.dtype, w.shape
    (dtype('float32'), (256, 256))
    >>> round(float(w.std() / np.sqrt(2 / 256)), 1)
    1.0
"""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from initviz.core._registry import check_finite, lookup, unknown_name_error
from initviz.core._source import kwargs, num

__all__ = [
    "DEFAULT_BIAS",
    "DEFAULT_KERNEL",
    "Initializer",
    "InitializerInfo",
    "bias_names",
    "calculate_gain",
    "fans",
    "for_bias",
    "get",
    "groups",
    "info",
    "keras_bias_expression",
    "keras_expression",
    "keras_helpers",
    "moments",
    "names",
    "params_of",
    "torch_statements",
    "uses_weight_fan_in",
]

#: Keras' default kernel initializer, and initviz's
DEFAULT_KERNEL = "glorot_uniform"
#: Keras' default bias initializer, and initviz's
DEFAULT_BIAS = "zeros"
#: PyTorch nn.Linear's default for weights and biases (what pasted PyTorch code gets unless it
#: calls nn.init); a tensor's ``fill_(value)`` draws CONSTANT; VARIANCE_SCALING is the general
#: recipe a fan-dependent draw is matched against (code_reader)
TORCH_LINEAR_DEFAULT = "torch_default"
CONSTANT = "constant"
VARIANCE_SCALING = "variance_scaling"

#: Std of a unit normal truncated to (-2, 2); Keras divides by it so a truncated normal keeps
#: the variance asked for.
TRUNCATION_CORRECTION = 0.87962566103423978

_F32_MAX = float(np.finfo(np.float32).max)
_MIN_ACCEPTANCE = 0.01  # trunc_normal's rejection samplers must keep at least 1 draw in 100


# ---------------------------------------------------------------------------------------------
# Shapes and fans
# ---------------------------------------------------------------------------------------------
def _shape(shape: object) -> tuple[int, ...]:
    """``shape`` as a tuple of positive ints (an int means a 1-D shape), or a ValueError."""
    given: Any = (shape,) if isinstance(shape, numbers.Integral) else shape
    try:
        dims: tuple = tuple(given)
    except TypeError:
        raise ValueError(f"shape must be a tuple of positive integers, got {shape!r}") from None
    for d in dims:
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral):
            raise ValueError(
                f"shape must be a tuple of positive integers, got {shape!r} "
                f"({d!r} is not an integer)"
            )
        if d <= 0:
            raise ValueError(
                f"shape must be a tuple of positive integers, got {shape!r} "
                f"(every dimension must be at least 1)"
            )
    return tuple(int(d) for d in dims)


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` by Keras' rules, each clamped to at least 1.

    2-D ``(fan_in, fan_out)`` kernel: ``(shape[0], shape[1])``. 1-D (a bias): ``(n, n)``.
    Conv kernels ``(*receptive_field, in, out)``: both fans times the receptive field size.
    A scalar shape ``()`` gives ``(1, 1)``.

    >>> fans((784, 128)), fans((10,)), fans((3, 3, 16, 32))
    ((784, 128), (10, 10), (144, 288))
    """
    dims = _shape(shape)
    if len(dims) == 0:
        fan_in = fan_out = 1
    elif len(dims) == 1:
        fan_in = fan_out = dims[0]
    else:
        receptive = math.prod(dims[:-2])
        fan_in, fan_out = dims[-2] * receptive, dims[-1] * receptive
    return max(1, fan_in), max(1, fan_out)


# ---------------------------------------------------------------------------------------------
# PyTorch's calculate_gain
# ---------------------------------------------------------------------------------------------
def _leaky_relu_gain(param: object) -> float:
    if param is None:
        slope = 0.01
    elif isinstance(param, (bool, np.bool_)):
        raise ValueError(f"negative_slope {param!r} is not a valid number")
    else:
        slope = check_finite("negative_slope", param)
    # sqrt(2 / (1 + a^2)), not sqrt(2/1 + a^2): the classic slip makes the gain grow with a.
    return math.sqrt(2.0 / (1.0 + slope**2))


def _fixed(value: float) -> Callable[[object], float]:
    return lambda param: value


_GAINS: dict[str, Callable[[object], float]] = {
    **{
        name: _fixed(1.0)
        for name in (
            "linear", "identity", "conv1d", "conv2d", "conv3d",
            "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid",
        )
    },
    "tanh": _fixed(5.0 / 3.0),
    "relu": _fixed(math.sqrt(2.0)),
    "leaky_relu": _leaky_relu_gain,
    "selu": _fixed(0.75),
}


def calculate_gain(nonlinearity: str, param: object = None) -> float:
    """PyTorch's ``torch.nn.init.calculate_gain``: the factor a std is multiplied by so a layer
    followed by this nonlinearity keeps its signal's scale.

    linear, identity, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + slope^2)) with slope ``param`` (0.01 when None); selu: 3/4.
    ``param`` is ignored by every nonlinearity except leaky_relu.

    >>> calculate_gain("relu") == 2 ** 0.5, round(calculate_gain("leaky_relu", 0.2), 4)
    (True, 1.3868)
    """
    return float(lookup(_GAINS, "nonlinearity", nonlinearity)(param))


# ---------------------------------------------------------------------------------------------
# Sampling primitives (float32 out, exact bounds)
# ---------------------------------------------------------------------------------------------
# The comparisons below are between Python floats on purpose: under NumPy 2 (NEP 50) the
# expression ``np.float32(x) < x`` casts x to float32 and is always False.
def _f32_at_least(x: float) -> np.float32:
    """The smallest float32 >= x."""
    f = np.float32(x)
    return np.nextafter(f, np.float32(np.inf)) if float(f) < x else f


def _f32_at_most(x: float) -> np.float32:
    """The largest float32 <= x."""
    f = np.float32(x)
    return np.nextafter(f, np.float32(-np.inf)) if float(f) > x else f


def _f32_below(x: float) -> np.float32:
    """The largest float32 < x."""
    f = np.float32(x)
    return np.nextafter(f, np.float32(-np.inf)) if float(f) >= x else f


def _uniform(shape: tuple[int, ...], rng: np.random.Generator, lo: float, hi: float) -> np.ndarray:
    """U[lo, hi) as float32; every value satisfies lo <= w < hi exactly (float32 rounding of the
    last ulp is clipped back inside)."""
    if hi <= lo:  # only reachable through a zero gain or scale: a point mass
        return np.full(shape, lo, dtype=np.float32)
    u = rng.random(shape, dtype=np.float32)
    w = np.float32(lo) + np.float32(hi - lo) * u
    return np.clip(w, _f32_at_least(lo), _f32_below(hi), out=np.asarray(w))


def _normal(shape: tuple[int, ...], rng: np.random.Generator, mean: float, std: float) -> np.ndarray:
    """Untruncated N(mean, std^2) as float32."""
    z = rng.standard_normal(shape, dtype=np.float32)
    return np.asarray(np.float32(mean) + np.float32(std) * z, dtype=np.float32)


def _std_normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _mass(a: float, b: float) -> float:
    """P(a <= Z <= b) for a unit normal Z, accurate in either tail."""
    if a >= 0:
        return 0.5 * (math.erfc(a / math.sqrt(2.0)) - math.erfc(b / math.sqrt(2.0)))
    if b <= 0:
        return _mass(-b, -a)
    return _std_normal_cdf(b) - _std_normal_cdf(a)


def _fill(n: int, dtype: type, draw_accepted: Callable[[int], np.ndarray], acceptance: float) -> np.ndarray:
    """n iid accepted draws: propose in vectorised batches sized by the acceptance rate (at most
    4M proposals at a time), keep the accepted ones, repeat for the remainder. Exact rejection
    sampling, no per-element loop."""
    out: np.ndarray = np.empty(n, dtype=dtype)
    filled = 0
    while filled < n:
        need = n - filled
        got = draw_accepted(min(int(need / acceptance * 1.02) + 16, 1 << 22))
        take = min(need, got.size)
        out[filled:filled + take] = got[:take]
        filled += take
    return out


def _truncation_plan(a: float, b: float) -> tuple[str, float]:
    """The best exact rejection sampler for a unit normal conditioned on [a, b], and its
    acceptance rate: "normal" (unit-normal proposals; acceptance = mass of [a, b]), "uniform"
    (U[a, b] proposals; narrow intervals) or "exponential" (Robert 1995, shifted exponential
    proposals; one-sided tails, e.g. [3, 10]). ValueError if the interval is out of reach."""
    mass = _mass(a, b)
    if not mass > 1e-100:
        raise ValueError(
            f"the interval [a, b] lies {a:.3g} to {b:.3g} standard deviations from the mean and "
            f"holds practically none of the normal's mass; move a, b closer to mean or widen std"
        )
    z_star = min(max(0.0, a), b)  # the point of [a, b] closest to 0, where the density peaks
    plans = {
        "normal": mass,
        "uniform": mass * math.sqrt(2 * math.pi) / ((b - a) * math.exp(-0.5 * z_star**2)),
    }
    tail = a if a >= 0 else (-b if b <= 0 else None)
    if tail is not None:
        lam = (tail + math.sqrt(tail * tail + 4.0)) / 2.0
        plans["exponential"] = math.sqrt(2 * math.pi) * mass * lam * math.exp(lam * tail - lam * lam / 2)
    method = max(plans, key=plans.__getitem__)
    if plans[method] < _MIN_ACCEPTANCE:  # not reached for sane inputs; guards the batch sizes
        raise ValueError(f"cannot sample a normal truncated to [{a:.3g}, {b:.3g}] std efficiently")
    return method, plans[method]


def _truncated_standard(n: int, rng: np.random.Generator, a: float, b: float) -> np.ndarray:
    """n iid draws (float64) of a unit normal conditioned on [a, b], by exact rejection (see
    _truncation_plan): unit-normal proposals kept inside [a, b]; U[a, b] proposals kept with
    probability exp((z*^2 - z^2)/2), z* the point of [a, b] closest to 0; or, for a tail
    [t, u] (t >= 0, mirrored when b <= 0), z = t + Exp(1)/lam, lam = (t + sqrt(t^2+4))/2, kept
    with probability exp(-(z - lam)^2 / 2) when z <= u."""
    method, acceptance = _truncation_plan(a, b)
    z_star = min(max(0.0, a), b)
    sign, t, u = (1.0, a, b) if a >= 0 else (-1.0, -b, -a)
    lam = (t + math.sqrt(t * t + 4.0)) / 2.0

    def draw_normal(m: int) -> np.ndarray:
        z = rng.standard_normal(m)
        return z[(z >= a) & (z <= b)]

    def draw_uniform(m: int) -> np.ndarray:
        z = a + (b - a) * rng.random(m)
        return z[rng.random(m) < np.exp(0.5 * (z_star**2 - z * z))]

    def draw_exponential(m: int) -> np.ndarray:
        z = t + rng.standard_exponential(m) / lam
        keep = (z <= u) & (rng.random(m) < np.exp(-0.5 * (z - lam) ** 2))
        return sign * z[keep]

    draw = {"normal": draw_normal, "uniform": draw_uniform, "exponential": draw_exponential}[method]
    return _fill(n, np.float64, draw, acceptance)


def _keras_truncated(shape: tuple[int, ...], rng: np.random.Generator, mean: float,
                     stddev: float) -> np.ndarray:
    """Keras/TF truncated normal: N(mean, stddev^2) with values beyond mean +/- 2 stddev redrawn.
    No correction: the result's std is 0.8796 stddev. float32 proposals (the hot path)."""
    n = math.prod(shape)

    def draw(m: int) -> np.ndarray:
        z = rng.standard_normal(m, dtype=np.float32)
        return z[np.abs(z) <= 2.0]

    z = _fill(n, np.float32, draw, _mass(-2.0, 2.0)).reshape(shape)
    w = np.float32(mean) + np.float32(stddev) * z
    lo, hi = mean - 2.0 * stddev, mean + 2.0 * stddev
    return np.clip(w, _f32_at_least(lo), _f32_at_most(hi), out=np.asarray(w, dtype=np.float32))


def _torch_truncated(shape: tuple[int, ...], rng: np.random.Generator, mean: float, std: float,
                     a: float, b: float) -> np.ndarray:
    """N(mean, std^2) conditioned on the absolute interval [a, b]."""
    z = _truncated_standard(math.prod(shape), rng, (a - mean) / std, (b - mean) / std)
    w = (mean + std * z).reshape(shape).astype(np.float32)
    return np.clip(w, _f32_at_least(a), _f32_at_most(b), out=w)


# ---------------------------------------------------------------------------------------------
# The initializers: each one's facets, next to each other
# ---------------------------------------------------------------------------------------------
# An initializer is a _Facets: how it draws (sample), what it draws on average (moments, for
# theory), and how Keras and PyTorch spell it (keras, torch, for codegen). Families that share
# one formula (variance scaling, fixed normals, fixed uniforms, identities) are built by one
# function from what distinguishes their members, so nothing is written twice.
_K = "keras.initializers."


class _WeightFanBias(NamedTuple):
    """PyTorch's nn.Linear rule: the bias is drawn like the weight, bounded by the *weight's*
    fan_in (a 1-D bias has no fan_in of its own)."""

    param: str                   #: the parameter that receives the weight's fan_in
    keras: Callable[[str], str]  #: the Keras expression, given that fan_in as source code


@dataclass(frozen=True)
class _Facets:
    """Everything initviz knows about one initializer; each function takes its parameters as
    keywords (defaults filled in, validated).

    ``sample(shape, rng, **p)``: float32 array; ``moments(fan_in, fan_out, **p)``: ``(E[w],
    E[w^2])`` unscaled; ``keras(scale, **p)``: the Keras expression with ``scale`` (!= 0)
    folded in; ``torch(target, fan_in, fan_out, **p)``: unscaled PyTorch statements, fans given
    as source code; ``weight_fan_bias``: set when a bias uses the weight's fan_in;
    ``no_params_hint``: appended to the error for a parameter it does not take."""

    sample: Callable[..., np.ndarray]
    moments: Callable[..., tuple[float, float]]
    keras: Callable[..., str]
    torch: Callable[..., list[str]]
    weight_fan_bias: _WeightFanBias | None = None
    no_params_hint: str = ""


def _documented(doc: str, function: Callable) -> Callable:
    function.__doc__ = doc
    return function


# ----- constants ------------------------------------------------------------------------------
def _zeros(shape, rng):
    """w = 0. Every unit computes the same output and gets the same gradient: symmetry is never
    broken, so a layer of n units behaves like one unit."""
    return np.zeros(shape, dtype=np.float32)


_ZEROS = _Facets(
    _zeros,
    moments=lambda fan_in, fan_out: (0.0, 0.0),
    keras=lambda s: _K + "Zeros()",
    torch=lambda target, fan_in, fan_out: [f"nn.init.zeros_({target})"],
)


def _ones(shape, rng):
    """w = 1. As symmetric as zeros, and each layer multiplies the signal's mean by fan_in."""
    return np.ones(shape, dtype=np.float32)


_ONES = _Facets(
    _ones,
    moments=lambda fan_in, fan_out: (1.0, 1.0),
    keras=lambda s: _K + "Ones()" if s == 1 else _K + f"Constant(value={num(s)})",
    torch=lambda target, fan_in, fan_out: [f"nn.init.ones_({target})"],
)


def _constant(shape, rng, value):
    """w = value. Any constant keeps all units identical (no symmetry breaking)."""
    return np.full(shape, value, dtype=np.float32)


_CONSTANT = _Facets(
    _constant,
    moments=lambda fan_in, fan_out, value: (float(value), float(value) * float(value)),
    keras=lambda s, value: _K + f"Constant(value={num(value * s)})",
    torch=lambda target, fan_in, fan_out, value: [f"nn.init.constant_({target}, {num(value)})"],
)


# ----- fixed normals and uniforms (spreads that ignore the layer's width) ---------------------
def _fixed_normal(mean_std: Callable[..., tuple[float, float]], doc: str,
                  keras_default: bool = False) -> _Facets:
    """N(mean, std^2) with ``(mean, std) = mean_std(**params)``; Keras RandomNormal, written as
    Keras writes its own default (stddev 0.05) when ``keras_default`` and nothing changed it."""
    def moments(fan_in, fan_out, **p):
        mean, std = (float(v) for v in mean_std(**p))
        return mean, std * std + mean * mean

    def keras(s, **p):
        mean, std = mean_std(**p)
        if keras_default and s == 1 and mean == 0 and std == 0.05:
            return _K + "RandomNormal(stddev=0.05)"
        return _K + f"RandomNormal({kwargs(mean=num(mean * s), stddev=num(std * s))})"

    def torch(target, fan_in, fan_out, **p):
        mean, std = mean_std(**p)
        return [f"nn.init.normal_({target}, mean={num(mean)}, std={num(std)})"]

    return _Facets(_documented(doc, lambda shape, rng, **p: _normal(shape, rng, *mean_std(**p))),
                   moments, keras, torch)


_RANDOM_NORMAL = _fixed_normal(
    lambda mean, stddev: (mean, stddev),
    "N(mean, stddev^2), Keras default stddev 0.05: a fixed spread that ignores layer width.",
    keras_default=True)
_TORCH_NORMAL = _fixed_normal(lambda mean, std: (mean, std),
                              "PyTorch normal_: N(mean, std^2), default N(0, 1).")
_JAX_NORMAL = _fixed_normal(
    lambda stddev: (0.0, stddev),
    "JAX's normal: untruncated N(0, stddev^2), stddev 0.01 regardless of layer width.")


def _fixed_uniform(bounds: Callable[..., tuple[float, float]], doc: str) -> _Facets:
    """U[lo, hi) with ``(lo, hi) = bounds(**params)``; Keras RandomUniform."""
    def moments(fan_in, fan_out, **p):
        lo, hi = (float(v) for v in bounds(**p))
        mean = (lo + hi) / 2
        return mean, (hi - lo) ** 2 / 12 + mean * mean

    def keras(s, **p):
        lo, hi = bounds(**p)
        return _K + f"RandomUniform({kwargs(minval=num(lo * s), maxval=num(hi * s))})"

    def torch(target, fan_in, fan_out, **p):
        lo, hi = bounds(**p)
        return [f"nn.init.uniform_({target}, a={num(lo)}, b={num(hi)})"]

    return _Facets(_documented(doc, lambda shape, rng, **p: _uniform(shape, rng, *bounds(**p))),
                   moments, keras, torch)


_RANDOM_UNIFORM = _fixed_uniform(
    lambda minval, maxval: (minval, maxval),
    "U[minval, maxval), Keras default [-0.05, 0.05): std = 0.1/sqrt(12) ~= 0.029.")
_TORCH_UNIFORM = _fixed_uniform(lambda a, b: (a, b), "PyTorch uniform_: U[a, b), default U[0, 1).")
_POSITIVE_UNIFORM = _fixed_uniform(
    lambda scale: (0.0, scale),
    "JAX's uniform: U[0, scale). Positive only, so every pre-activation has mean "
    "fan_in * scale/2 * mean(input): the bias grows with width.")


# ----- truncated normals ----------------------------------------------------------------------
def _truncated_normal(shape, rng, mean, stddev):
    """N(mean, stddev^2) redrawn outside mean +/- 2 stddev, without correction: std = 0.88 stddev."""
    return _keras_truncated(shape, rng, mean, stddev)


def _truncated_normal_torch(target, fan_in, fan_out, mean, stddev):
    m, s = num(mean), num(stddev)  # Keras cuts at mean +/- 2 stddev, no correction
    return [f"nn.init.trunc_normal_({target}, mean={m}, std={s}, a={m} - 2 * {s}, b={m} + 2 * {s})"]


_TRUNCATED_NORMAL = _Facets(
    _truncated_normal,
    moments=lambda fan_in, fan_out, mean, stddev: (
        float(mean), (TRUNCATION_CORRECTION * float(stddev)) ** 2 + float(mean) * float(mean)),
    keras=lambda s, mean, stddev: (
        _K + f"TruncatedNormal({kwargs(mean=num(mean * s), stddev=num(stddev * s))})"),
    torch=_truncated_normal_torch,
)


def _trunc_normal(shape, rng, mean, std, a, b):
    """N(mean, std^2) redrawn outside the *absolute* interval [a, b] (default [-2, 2])."""
    return _torch_truncated(shape, rng, mean, std, a, b)


def _trunc_normal_moments(fan_in, fan_out, mean, std, a, b) -> tuple[float, float]:
    """Mean and second moment of N(mean, std^2) conditioned on [a, b]."""
    mean, std, a, b = float(mean), float(std), float(a), float(b)
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))               # noqa: E731
    mass = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / mass
    var = std**2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - shift**2)
    m = mean + std * shift
    return m, var + m * m


#: NumPy functions a Keras export defines for what Keras lacks (Keras accepts any f(shape, dtype))
_KERAS_HELPERS = {
    "torch_trunc_normal": '''
def torch_trunc_normal(mean=0.0, std=1.0, a=-2.0, b=2.0, scale=1.0):
    """PyTorch trunc_normal_ for Keras: N(mean, std^2) redrawn outside [a, b], times scale."""
    def init(shape, dtype=None):
        rng, n, kept = np.random.default_rng(), math.prod(shape), np.empty(0)
        while kept.size < n:
            z = rng.normal(mean, std, 2 * n + 16)
            kept = np.concatenate([kept, z[(z >= a) & (z <= b)]])
        return (scale * kept[:n]).reshape(shape).astype("float32")
    return init
''',
    "torch_sparse": '''
def torch_sparse(sparsity=0.1, std=0.01, scale=1.0):
    """PyTorch sparse_ for Keras' (in, out) kernels: N(0, std^2), ceil(sparsity * out) zeros
    in each row (each input unit's outgoing weights), times scale."""
    def init(shape, dtype=None):
        rng = np.random.default_rng()
        w = rng.normal(0.0, std, shape)
        cols = np.argsort(rng.random(shape), axis=1)[:, :math.ceil(sparsity * shape[1])]
        np.put_along_axis(w, cols, 0.0, axis=1)
        return (scale * w).astype("float32")
    return init
''',
}


def _trunc_normal_keras(s, mean, std, a, b):
    if math.isclose(a, mean - 2 * std) and math.isclose(b, mean + 2 * std):
        # Keras cuts at mean +/- 2 stddev: the same distribution (PyTorch's default N(0,1))
        return _K + f"TruncatedNormal({kwargs(mean=num(mean * s), stddev=num(std * s))})"
    args = kwargs(mean=num(mean), std=num(std), a=num(a), b=num(b), scale=num(s))
    return f"torch_trunc_normal({args})"


_TRUNC_NORMAL = _Facets(
    _trunc_normal,
    moments=_trunc_normal_moments,
    keras=_trunc_normal_keras,
    torch=lambda target, fan_in, fan_out, **p: [
        f"nn.init.trunc_normal_({target}, {kwargs(**{k: num(v) for k, v in p.items()})})"],
)


# ----- variance scaling: Glorot, He, LeCun ----------------------------------------------------
def _vs_truncated(shape, rng, variance):
    sigma = math.sqrt(variance) / TRUNCATION_CORRECTION
    return _keras_truncated(shape, rng, 0.0, sigma)


def _vs_untruncated(shape, rng, variance):
    return _normal(shape, rng, 0.0, math.sqrt(variance))


def _vs_uniform(shape, rng, variance):
    limit = math.sqrt(3.0 * variance)
    return _uniform(shape, rng, -limit, limit)


_VS_DISTRIBUTIONS = {
    "truncated_normal": _vs_truncated,
    "untruncated_normal": _vs_untruncated,
    "uniform": _vs_uniform,
}

_VS_MODES = {
    "fan_in": lambda fan_in, fan_out: fan_in,
    "fan_out": lambda fan_in, fan_out: fan_out,
    "fan_avg": lambda fan_in, fan_out: (fan_in + fan_out) / 2.0,
}


def _variance_scaling(shape, rng, scale, mode, distribution):
    """Var(w) = scale / n with n = fan_in, fan_out or (fan_in + fan_out)/2.

    truncated_normal: sigma = sqrt(scale/n) / 0.8796, cut at +/- 2 sigma (so the std is
    sqrt(scale/n)); untruncated_normal: sigma = sqrt(scale/n); uniform: U(-L, L), L = sqrt(3 scale/n).
    """
    n = _VS_MODES[mode](*fans(shape))
    return _VS_DISTRIBUTIONS[distribution](shape, rng, scale / n)


def _vs_moments(fan_in, fan_out, scale, mode, distribution):
    return 0.0, float(scale) / _VS_MODES[mode](fan_in, fan_out)


def _vs_keras(scale: float, mode: str, distribution: str) -> str:
    """Keras VarianceScaling; its scale is a variance, so a weight scale s enters it as s**2."""
    return (f"{_K}VarianceScaling(scale={num(scale)}, mode={mode!r}, "
            f"distribution={distribution!r})")


def _vs_torch(target, fan_in, fan_out, scale, mode, distribution):
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": f"({fan_in} + {fan_out}) / 2"}[mode]
    variance = f"{num(scale)} / {fan}" if mode != "fan_avg" else f"{num(scale)} / ({fan})"
    if distribution == "uniform":
        return [f"limit = math.sqrt(3 * {variance})", f"nn.init.uniform_({target}, -limit, limit)"]
    if distribution == "untruncated_normal":
        return [f"nn.init.normal_({target}, std=math.sqrt({variance}))"]
    c = num(TRUNCATION_CORRECTION)
    return [f"std = math.sqrt({variance}) / {c}  # Keras widens its truncated normal",
            f"nn.init.trunc_normal_({target}, std=std, a=-2 * std, b=2 * std)"]


_VARIANCE_SCALING = _Facets(
    _variance_scaling, _vs_moments,
    keras=lambda s, scale, mode, distribution: _vs_keras(scale * s * s, mode, distribution),
    torch=_vs_torch,
)


def _vs_preset(scale: float, mode: str, distribution: str, keras_class: str,
               torch_call: str | None = None) -> _Facets:
    """A Keras preset: VarianceScaling(scale, mode, distribution) under the name ``keras_class``.
    ``torch_call`` is PyTorch's own function for it (``{target}`` in it is replaced); it is used
    when the fans differ (a 2-D weight), since nn.init cannot compute a 1-D bias's fans."""
    vs = dict(scale=scale, mode=mode, distribution=distribution)

    def sample(shape, rng):
        return _variance_scaling(shape, rng, **vs)

    def torch(target, fan_in, fan_out):
        if torch_call is not None and fan_in != fan_out:
            return [torch_call.format(target=target)]
        return _vs_torch(target, fan_in, fan_out, **vs)

    sample.__doc__ = (f"Keras {keras_class} (VarianceScaling(scale={scale:g}, mode={mode!r}, "
                      f"distribution={distribution!r}))")
    return _Facets(
        sample,
        moments=lambda fan_in, fan_out: _vs_moments(fan_in, fan_out, **vs),
        keras=lambda s: (f"{_K}{keras_class}()" if s == 1
                         else _vs_keras(scale * s * s, mode, distribution)),
        torch=torch,
        no_params_hint=" (use variance_scaling for a custom scale, mode or distribution)",
    )


# ----- PyTorch's own scaled initializers -------------------------------------------------------
def _torch_default(shape, rng, fan_in):
    """nn.Linear's default, kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3), bound
    gain*sqrt(3/fan_in) = 1/sqrt(fan_in), std 1/sqrt(3 fan_in). Its bias uses the same bound
    with the *weight's* fan_in: pass ``fan_in=`` for a 1-D bias shape."""
    n = fans(shape)[0] if fan_in is None else fan_in
    bound = 1.0 / math.sqrt(n)
    return _uniform(shape, rng, -bound, bound)


def _torch_default_bias_keras(fan_in: str) -> str:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for Keras: a literal bound when ``fan_in`` is a number
    (``"13"``), else the formula in the expression ``fan_in``."""
    if fan_in.isdigit():
        bound = 1.0 / math.sqrt(int(fan_in))
        return f"{_K}RandomUniform({kwargs(minval=num(-bound), maxval=num(bound))})"
    bound_text = f"1 / math.sqrt({fan_in})"
    return f"{_K}RandomUniform(minval=-{bound_text}, maxval={bound_text})"


_TORCH_DEFAULT = _Facets(
    _torch_default,
    # the kernel's fans are fi, fo; the parameter fan_in (when set) overrides fi
    moments=lambda fi, fo, fan_in: (0.0, 1.0 / (3.0 * (fi if fan_in is None else float(fan_in)))),
    # U(-1/sqrt(fan_in), +1/sqrt(fan_in)) has Var = 1/(3 fan_in)
    keras=lambda s, fan_in: _vs_keras(s * s / 3.0, "fan_in", "uniform"),
    torch=lambda target, fi, fo, fan_in: [f"bound = 1 / math.sqrt({fi})",
                                          f"nn.init.uniform_({target}, -bound, bound)"],
    weight_fan_bias=_WeightFanBias("fan_in", _torch_default_bias_keras),
)


def _xavier_uniform(shape, rng, gain):
    """U(-L, L), L = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform(shape, rng, -limit, limit)


def _xavier_normal(shape, rng, gain):
    """Plain (untruncated) N(0, sigma^2), sigma = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    return _normal(shape, rng, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _xavier(sample: Callable, distribution: str, torch_function: str) -> _Facets:
    """PyTorch's Glorot: Var = gain^2 * 2/(fan_in + fan_out), Keras VarianceScaling fan_avg."""
    return _Facets(
        sample,
        moments=lambda fan_in, fan_out, gain: (0.0, gain * gain * 2.0 / (fan_in + fan_out)),
        keras=lambda s, gain: _vs_keras(gain * gain * s * s, "fan_avg", distribution),
        torch=lambda target, fan_in, fan_out, gain: [
            f"nn.init.{torch_function}({target}, gain={num(gain)})"],
    )


def _kaiming_std(shape, a, mode, nonlinearity):
    fan = fans(shape)[0 if mode == "fan_in" else 1]
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _kaiming_uniform(shape, rng, a, mode, nonlinearity):
    """U(-b, b), b = gain * sqrt(3 / fan_mode) with gain = calculate_gain(nonlinearity, a)."""
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    return _uniform(shape, rng, -bound, bound)


def _kaiming_normal(shape, rng, a, mode, nonlinearity):
    """Plain N(0, sigma^2), sigma = gain / sqrt(fan_mode)."""
    return _normal(shape, rng, 0.0, _kaiming_std(shape, a, mode, nonlinearity))


def _kaiming(sample: Callable, distribution: str, torch_function: str) -> _Facets:
    """PyTorch's He: Var = gain^2 / fan_mode, Keras VarianceScaling(gain^2, mode)."""
    def moments(fan_in, fan_out, a, mode, nonlinearity):
        gain = calculate_gain(nonlinearity, a)
        return 0.0, gain * gain / (fan_in if mode == "fan_in" else fan_out)

    def keras(s, a, mode, nonlinearity):
        g = calculate_gain(nonlinearity, a)
        return _vs_keras(g * g * s * s, mode, distribution)

    def torch(target, fan_in, fan_out, a, mode, nonlinearity):
        return [f"nn.init.{torch_function}({target}, a={num(a)}, mode={mode!r}, "
                f"nonlinearity={nonlinearity!r})"]

    return _Facets(sample, moments, keras, torch)


# ----- structured: orthogonal, identity, sparse ------------------------------------------------
def _orthogonal(shape, rng, gain):
    """gain * Q with Q from the QR decomposition of an N(0, 1) matrix, columns sign-fixed by
    sign(diag R) so Q is uniformly (Haar) distributed. rows = prod(shape[:-1]); a wide matrix is
    drawn tall and transposed (as Keras does), so Q^T Q = I or Q Q^T = I, whichever fits."""
    rows, cols = math.prod(shape[:-1]), shape[-1]
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(np.float32)


def _frobenius_second_moment(fan_in, fan_out, gain):
    """gain^2 min(fi, fo) / (fi fo): a deterministic Frobenius norm spread over the entries."""
    return gain * gain * min(fan_in, fan_out) / (fan_in * fan_out)


_ORTHOGONAL = _Facets(
    _orthogonal,
    moments=lambda fan_in, fan_out, gain: (0.0, _frobenius_second_moment(fan_in, fan_out, gain)),
    keras=lambda s, gain: _K + f"Orthogonal(gain={num(gain * s)})",
    torch=lambda target, fan_in, fan_out, gain: [
        f"nn.init.orthogonal_({target}, gain={num(gain)})"],
)


def _identity(shape, rng, gain):
    """gain * I (rectangular allowed: the extra rows or columns are zero)."""
    return (gain * np.eye(*shape)).astype(np.float32)


def _eye(shape, rng):
    """I (PyTorch eye_, no gain; rectangular allowed)."""
    return np.eye(*shape, dtype=np.float32)


def _identity_facets(sample: Callable, gain_of: Callable[..., float]) -> _Facets:
    """gain * I, ``gain = gain_of(**params)``: min(fi, fo) entries equal to gain, the rest 0.
    PyTorch's (out, in) eye_ is the transpose of Keras' (in, out) Identity: the same matrix."""
    def moments(fan_in, fan_out, **p):
        gain = gain_of(**p)
        return gain * min(fan_in, fan_out) / (fan_in * fan_out), _frobenius_second_moment(
            fan_in, fan_out, gain)

    def keras(s, **p):
        gain = gain_of(**p) * s
        return _K + ("Identity()" if gain == 1 else f"Identity(gain={num(gain)})")

    def torch(target, fan_in, fan_out, **p):
        gain = gain_of(**p)
        scaled = [f"{target}.mul_({num(gain)})"] if gain != 1.0 else []
        return [f"nn.init.eye_({target})", *scaled]

    return _Facets(sample, moments, keras, torch)


def _sparse(shape, rng, sparsity, std):
    """PyTorch sparse_: N(0, std^2), then ceil(sparsity * rows) zeros in every column of its
    (out, in) weight, i.e. of each *input* unit's outgoing weights. In initviz's (in, out)
    layout that column is a row: each row gets ceil(sparsity * fan_out) zeros."""
    w = _normal(shape, rng, 0.0, std)
    n_zeros = math.ceil(sparsity * shape[1])
    if n_zeros:
        cols = np.argsort(rng.random(shape), axis=1)[:, :n_zeros]
        np.put_along_axis(w, cols, np.float32(0.0), axis=1)
    return w


def _sparse_moments(fan_in, fan_out, sparsity, std):
    zeros = math.ceil(float(sparsity) * fan_out)
    return 0.0, float(std) ** 2 * (1 - zeros / fan_out)


_SPARSE = _Facets(
    _sparse,
    moments=_sparse_moments,
    keras=lambda s, sparsity, std: (
        f"torch_sparse({kwargs(sparsity=num(sparsity), std=num(std), scale=num(s))})"),
    torch=lambda target, fan_in, fan_out, sparsity, std: [
        f"nn.init.sparse_({target}, sparsity={num(sparsity)}, std={num(std)})"],
)


# ---------------------------------------------------------------------------------------------
# Parameter checks
# ---------------------------------------------------------------------------------------------
def _number(name: str, value: object) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    x = check_finite(name, value)
    if abs(x) > _F32_MAX:
        raise ValueError(f"{name}={value!r} does not fit in float32 (max {_F32_MAX:.3g})")
    return x


def _non_negative(name: str, value: object) -> float:
    x = _number(name, value)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return x


def _positive(name: str, value: object) -> float:
    x = _number(name, value)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return x


def _ordered(lo: str, hi: str) -> Callable[[dict], None]:
    def check(p: dict) -> None:
        if not p[lo] < p[hi]:
            raise ValueError(f"{lo} must be less than {hi}, got {lo}={p[lo]!r}, {hi}={p[hi]!r}")
    return check


def _choice(kind: str, table: dict, aliases: dict | None = None) -> Callable[[str, object], str]:
    def check(name: str, value: object) -> str:
        key = value.lower().strip() if isinstance(value, str) else value
        key = (aliases or {}).get(key, key)
        lookup(table, kind, key)
        return key
    return check


def _nonlinearity(name: str, value: object) -> str:
    return _choice("nonlinearity", _GAINS)(name, value)


def _fan_in_or_none(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")
    return int(value)


def _sparsity(name: str, value: object) -> float:
    x = _number(name, value)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
    return x


def _check_trunc(p: dict) -> None:
    _ordered("a", "b")(p)
    _truncation_plan((p["a"] - p["mean"]) / p["std"], (p["b"] - p["mean"]) / p["std"])


def _check_kaiming(p: dict) -> None:
    calculate_gain(p["nonlinearity"], p["a"])


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    """One initializer: its facets (sampler, moments, Keras and PyTorch spellings), its teaching
    text, its parameters ``{name: (default, check)}`` and where it may be used."""

    name: str
    library: str
    facets: _Facets
    description: str
    formula: str
    params: dict[str, tuple[Any, Callable[[str, object], Any]]] = field(default_factory=dict)
    check: Callable[[dict], None] | None = None
    ndim: tuple[int, int | None] = (0, None)  # allowed (min, max) number of dimensions
    ndim_reason: str = ""
    offered_for_bias: bool = False  # listed in the widget's bias menu (bias_names())


_VS_PARAMS = {
    "scale": (1.0, _positive),
    "mode": ("fan_in", _choice("mode", _VS_MODES)),
    "distribution": (
        "truncated_normal",
        _choice("distribution", _VS_DISTRIBUTIONS, {"normal": "truncated_normal"}),
    ),
}

_TORCH_2D = "PyTorch cannot compute fan_in and fan_out for a tensor with fewer than 2 dimensions"

_SPECS: list[_Spec] = [
    # ----- Keras ----------------------------------------------------------------------------
    _Spec("zeros", "Keras", _ZEROS,
          "All weights 0: every unit computes the same thing and gets the same gradient, so "
          "symmetry is never broken (fine for biases, fatal for kernels).",
          "w = 0", offered_for_bias=True),
    _Spec("ones", "Keras", _ONES,
          "All weights 1: as symmetric as zeros, and each layer multiplies the signal by fan_in.",
          "w = 1", offered_for_bias=True),
    _Spec("constant", "Keras", _CONSTANT,
          "Every weight equals value: any constant leaves all units identical.",
          "w = value (default 0)",
          {"value": (0.0, _number)}, offered_for_bias=True),
    _Spec("random_normal", "Keras", _RANDOM_NORMAL,
          "Keras RandomNormal: a fixed spread of 0.05 that ignores layer width, so signals "
          "shrink (narrow layers) or grow (wide layers) with depth.",
          "N(mean, stddev²), default N(0, 0.05²)",
          {"mean": (0.0, _number), "stddev": (0.05, _non_negative)}, offered_for_bias=True),
    _Spec("random_uniform", "Keras", _RANDOM_UNIFORM,
          "Keras RandomUniform: a fixed range ±0.05 whatever the layer size (std = 0.05/√3 ≈ 0.029).",
          "U[minval, maxval), default U[-0.05, 0.05)",
          {"minval": (-0.05, _number), "maxval": (0.05, _number)},
          check=_ordered("minval", "maxval"), offered_for_bias=True),
    _Spec("truncated_normal", "Keras", _TRUNCATED_NORMAL,
          "Keras TruncatedNormal: values beyond 2 stddev are redrawn and nothing corrects for "
          "it, so the actual std is only 0.88 × stddev.",
          "N(mean, stddev²) redrawn outside mean ± 2·stddev; std ≈ 0.88·stddev",
          {"mean": (0.0, _number), "stddev": (0.05, _non_negative)}),
    _Spec("glorot_uniform", "Keras", _vs_preset(1.0, "fan_avg", "uniform", "GlorotUniform",
                     "nn.init.xavier_uniform_({target})"),
          "Keras' default kernel (Glorot & Bengio 2010): variance 2/(fan_in+fan_out) balances "
          "the forward signal and the backward gradient for tanh or linear layers.",
          "U(-√(6/(fan_in+fan_out)), +√(6/(fan_in+fan_out)))"),
    _Spec("glorot_normal", "Keras", _vs_preset(1.0, "fan_avg", "truncated_normal", "GlorotNormal"),
          "Glorot with a truncated normal, widened by 1/0.8796 so the std really is "
          "√(2/(fan_in+fan_out)).",
          "truncated N, std = √(2/(fan_in+fan_out)), |w| ≤ 2·√(2/(fan_in+fan_out))/0.8796"),
    _Spec("he_uniform", "Keras", _vs_preset(2.0, "fan_in", "uniform", "HeUniform",
                     'nn.init.kaiming_uniform_({target}, nonlinearity="relu")'),
          "He et al. 2015 for ReLU, uniform: ReLU zeroes half the signal, so variance 2/fan_in "
          "keeps it steady with depth.",
          "U(-√(6/fan_in), +√(6/fan_in))"),
    _Spec("he_normal", "Keras", _vs_preset(2.0, "fan_in", "truncated_normal", "HeNormal"),
          "He et al. 2015 for ReLU: ReLU zeroes half the signal, so doubling the variance to "
          "2/fan_in keeps it steady with depth.",
          "truncated N, std = √(2/fan_in), |w| ≤ 2·√(2/fan_in)/0.8796"),
    _Spec("lecun_uniform", "Keras", _vs_preset(1.0, "fan_in", "uniform", "LecunUniform",
                     'nn.init.kaiming_uniform_({target}, nonlinearity="linear")'),
          "LeCun 1998, uniform: variance 1/fan_in keeps a unit-variance input unit-variance "
          "through a linear layer.",
          "U(-√(3/fan_in), +√(3/fan_in))"),
    _Spec("lecun_normal", "Keras", _vs_preset(1.0, "fan_in", "truncated_normal", "LecunNormal"),
          "LeCun 1998 (Flax's Dense default, SELU's partner): variance 1/fan_in keeps a "
          "unit-variance input unit-variance through a linear layer.",
          "truncated N, std = √(1/fan_in), |w| ≤ 2·√(1/fan_in)/0.8796"),
    _Spec("variance_scaling", "Keras", _VARIANCE_SCALING,
          "Keras VarianceScaling, the recipe behind Glorot, He and LeCun: target variance "
          "scale/n, n = fan_in, fan_out or their average.",
          "Var(w) = scale/n; truncated: σ = √(scale/n)/0.8796 cut at ±2σ; "
          "untruncated: σ = √(scale/n); uniform: U(-√(3·scale/n), +√(3·scale/n))",
          dict(_VS_PARAMS)),
    _Spec("orthogonal", "Keras", _ORTHOGONAL,
          "Saxe et al. 2014: an orthogonal matrix keeps every vector's length, so a deep linear "
          "net neither shrinks nor amplifies the signal.",
          "W = gain·Q, Q from QR of an N(0,1) matrix, QᵀQ = I",
          {"gain": (1.0, _number)}, ndim=(2, None),
          ndim_reason="an orthogonal matrix needs at least 2 dimensions"),
    _Spec("identity", "Keras", _identity_facets(_identity, lambda gain: gain),
          "gain × identity: each unit copies one input, so a deep net starts as the identity "
          "map (rectangular allowed, extra rows or columns are 0).",
          "W = gain·I",
          {"gain": (1.0, _number)}, ndim=(2, 2),
          ndim_reason="an identity matrix is 2-D"),
    # ----- PyTorch --------------------------------------------------------------------------
    _Spec("torch_default", "PyTorch", _TORCH_DEFAULT,
          "PyTorch nn.Linear's default (kaiming_uniform_ with a=√5): bound 1/√fan_in, so "
          "Var = 1/(3·fan_in), a third of LeCun's; the bias uses the same bound.",
          "U(-1/√fan_in, +1/√fan_in)",
          {"fan_in": (None, _fan_in_or_none)}),
    _Spec("xavier_uniform", "PyTorch", _xavier(_xavier_uniform, "uniform", "xavier_uniform_"),
          "PyTorch's name for Glorot uniform, times a gain (calculate_gain of the activation).",
          "U(-a, a), a = gain·√(6/(fan_in+fan_out))",
          {"gain": (1.0, _non_negative)}, ndim=(2, None), ndim_reason=_TORCH_2D),
    _Spec("xavier_normal", "PyTorch",
          _xavier(_xavier_normal, "untruncated_normal", "xavier_normal_"),
          "PyTorch's Glorot normal: a plain, untruncated normal (Keras' glorot_normal is "
          "truncated and rescaled, with the same std).",
          "N(0, σ²), σ = gain·√(2/(fan_in+fan_out))",
          {"gain": (1.0, _non_negative)}, ndim=(2, None), ndim_reason=_TORCH_2D),
    _Spec("kaiming_uniform", "PyTorch",
          _kaiming(_kaiming_uniform, "uniform", "kaiming_uniform_"),
          "PyTorch's He uniform; the defaults (a=0, leaky_relu so slope 0) give gain √2, the "
          "same as Keras' he_uniform.",
          "U(-b, b), b = gain·√(3/fan_mode), gain = calculate_gain(nonlinearity, a)",
          {"a": (0.0, _number), "mode": ("fan_in", _choice("mode", {"fan_in": 0, "fan_out": 1})),
           "nonlinearity": ("leaky_relu", _nonlinearity)},
          check=_check_kaiming, ndim=(2, None), ndim_reason=_TORCH_2D),
    _Spec("kaiming_normal", "PyTorch",
          _kaiming(_kaiming_normal, "untruncated_normal", "kaiming_normal_"),
          "PyTorch's He normal: untruncated, std gain/√fan_mode; the defaults give √(2/fan_in) "
          "like Keras' he_normal.",
          "N(0, σ²), σ = gain/√fan_mode, gain = calculate_gain(nonlinearity, a)",
          {"a": (0.0, _number), "mode": ("fan_in", _choice("mode", {"fan_in": 0, "fan_out": 1})),
           "nonlinearity": ("leaky_relu", _nonlinearity)},
          check=_check_kaiming, ndim=(2, None), ndim_reason=_TORCH_2D),
    _Spec("trunc_normal", "PyTorch", _TRUNC_NORMAL,
          "PyTorch trunc_normal_: a and b are absolute values, not multiples of std, so with "
          "std=0.02 the default [-2, 2] cuts nothing.",
          "N(mean, std²) redrawn outside [a, b], default N(0, 1) in [-2, 2]",
          {"mean": (0.0, _number), "std": (1.0, _positive), "a": (-2.0, _number),
           "b": (2.0, _number)},
          check=_check_trunc),
    _Spec("torch_normal", "PyTorch", _TORCH_NORMAL,
          "PyTorch normal_: N(0, 1) by default, 20× Keras' 0.05 and far too wide for a weight "
          "matrix of any real width.",
          "N(mean, std²), default N(0, 1)",
          {"mean": (0.0, _number), "std": (1.0, _non_negative)}),
    _Spec("torch_uniform", "PyTorch", _TORCH_UNIFORM,
          "PyTorch uniform_: U[0, 1) by default, positive only, so every unit's input sum has a "
          "large positive mean.",
          "U[a, b), default U[0, 1)",
          {"a": (0.0, _number), "b": (1.0, _number)}, check=_ordered("a", "b")),
    _Spec("sparse", "PyTorch", _SPARSE,
          "Martens 2010 sparse init (PyTorch sparse_): small N(0, 0.01²) weights with a fixed "
          "fraction of each input unit's outgoing weights set to 0.",
          "N(0, std²), then ceil(sparsity·fan_out) zeros in each row of the (fan_in, fan_out) kernel",
          {"sparsity": (0.1, _sparsity), "std": (0.01, _non_negative)},
          ndim=(2, 2), ndim_reason="PyTorch sparse_ only supports 2-D tensors"),
    _Spec("eye", "PyTorch", _identity_facets(_eye, lambda: 1.0),
          "PyTorch eye_: the identity matrix without a gain (rectangular allowed).",
          "W = I",
          ndim=(2, 2), ndim_reason="PyTorch eye_ only supports 2-D tensors"),
    # ----- Other (JAX) ----------------------------------------------------------------------
    _Spec("positive_uniform", "Other", _POSITIVE_UNIFORM,
          "JAX's uniform: U[0, scale), positive only, unlike the zero-centred Keras and "
          "PyTorch versions, so pre-activations drift by fan_in·scale/2 per unit of input.",
          "U[0, scale), default scale 0.01",
          {"scale": (0.01, _positive)}),
    _Spec("jax_normal", "Other", _JAX_NORMAL,
          "JAX's normal: untruncated N(0, 0.01²), again a fixed spread that ignores layer width.",
          "N(0, stddev²), default stddev 0.01",
          {"stddev": (0.01, _non_negative)}),
]

_REGISTRY: dict[str, _Spec] = {spec.name: spec for spec in _SPECS}

# Aliases -> canonical name. Keras class names need no entry when their snake_case form is
# canonical (HeNormal -> he_normal); they are listed in _KERAS_CLASS_NAMES for names().
_ALIASES: dict[str, str] = {
    # Keras
    "zero": "zeros", "one": "ones", "normal": "random_normal", "uniform": "random_uniform",
    "orthogonal_initializer": "orthogonal", "identity_initializer": "identity",
    # PyTorch torch.nn.init function names (trailing underscore = in place)
    "zeros_": "zeros", "ones_": "ones", "constant_": "constant", "orthogonal_": "orthogonal",
    "xavier_uniform_": "xavier_uniform", "xavier_normal_": "xavier_normal",
    "kaiming_uniform_": "kaiming_uniform", "kaiming_normal_": "kaiming_normal",
    "trunc_normal_": "trunc_normal", "sparse_": "sparse", "eye_": "eye",
    "normal_": "torch_normal", "uniform_": "torch_uniform",
    "pytorch_default": "torch_default",
    # JAX
    "jax_uniform": "positive_uniform",
}

_KERAS_CLASS_NAMES = (
    "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
    "LecunUniform", "LecunNormal", "Orthogonal", "OrthogonalInitializer", "Identity",
    "IdentityInitializer",
)

# Names written without underscores ('henormal', 'HENORMAL', 'xavieruniform'). Names ending in
# '_' are left out so 'normal_' (PyTorch) can never be confused with 'normal' (Keras).
_SQUASHED: dict[str, str] = {}
for _key, _name in [*((n, n) for n in _REGISTRY), *_ALIASES.items()]:
    if not _key.endswith("_"):
        assert _SQUASHED.setdefault(_key.replace("_", ""), _name) == _name, _key
del _key, _name

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _canonical(name: object) -> str:
    """The canonical name for anything ``get`` accepts, or a ValueError with a suggestion."""
    if isinstance(name, str):
        key = name.strip()
        if key.endswith("()"):
            key = key[:-2]
        key = key.rsplit(".", 1)[-1]  # keras.initializers.HeNormal, torch.nn.init.eye_
        key = re.sub(r"[\s\-]+", "_", key)
        key = _CAMEL.sub("_", key).lower()
        key = _ALIASES.get(key, key)
        if key in _REGISTRY:
            return key
        if not key.endswith("_") and key.replace("_", "") in _SQUASHED:
            return _SQUASHED[key.replace("_", "")]
    raise unknown_name_error("initializer", name, _REGISTRY)


def _validate(spec: _Spec, params: dict) -> dict:
    """Defaults filled in, each value checked and normalised, unknown keywords refused."""
    unknown = [k for k in params if k not in spec.params]
    if unknown:
        key = unknown[0]
        if key in ("seed", "generator", "dtype"):
            raise ValueError(
                f"{spec.name}: {key!r} is not a parameter here; initviz draws float32 from the "
                f"numpy Generator passed as init(shape, rng)"
            )
        if not spec.params:
            hint = spec.facets.no_params_hint
            raise ValueError(f"{spec.name} takes no parameters, got {key!r}{hint}")
        err = unknown_name_error(f"parameter for {spec.name}", key, spec.params)
        raise ValueError(str(err)) from None
    out = {}
    for key, (default, check) in spec.params.items():
        out[key] = check(key, params[key]) if key in params else default
    if spec.check is not None:
        spec.check(out)
    return out


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
class InitializerInfo(NamedTuple):
    """What the widget shows about an initializer."""

    name: str         #: canonical name
    library: str      #: "Keras", "PyTorch" or "Other"
    description: str  #: one teaching sentence
    formula: str      #: short plain-text/Unicode formula


@dataclass(frozen=True)
class Initializer:
    """A named initializer with its (validated, defaults-filled) parameters.

    ``init(shape, rng)`` returns a float32 array of ``shape`` in the Keras kernel layout
    ``(fan_in, fan_out)``, drawn from the ``numpy.random.Generator`` ``rng``. The same seed gives
    the same array. ``Initializer(name, params)`` is the same as ``get(name, **params)``: the
    name is resolved to its canonical form, so aliases compare equal.

    >>> get("normal") == get("RandomNormal", stddev=0.05)
    True
    """

    name: str
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        spec = _REGISTRY[_canonical(self.name)]
        object.__setattr__(self, "name", spec.name)
        object.__setattr__(self, "params", _validate(spec, dict(self.params)))

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.params.items()))))

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Initializer({self.name!r}{args})"

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        spec = _REGISTRY[self.name]
        dims = _shape(shape)
        lo, hi = spec.ndim
        if len(dims) < lo or (hi is not None and len(dims) > hi):
            want = f"exactly {lo}" if lo == hi else f"at least {lo}"
            raise ValueError(
                f"{self.name} needs {want} dimensions, got shape {dims}: {spec.ndim_reason}"
            )
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got "
                f"{type(rng).__name__}; initviz never draws from the global np.random"
            )
        out = spec.facets.sample(dims, rng, **self.params)
        return np.ascontiguousarray(out, dtype=np.float32).reshape(dims)

    @property
    def info(self) -> InitializerInfo:
        return info(self.name)

    @property
    def library(self) -> str:
        return _REGISTRY[self.name].library

    @property
    def description(self) -> str:
        return _REGISTRY[self.name].description

    @property
    def formula(self) -> str:
        return _REGISTRY[self.name].formula


def get(name: str, **params: Any) -> Initializer:
    """The initializer called ``name`` (any accepted spelling) with ``params`` over its defaults.

    Unknown names, unknown parameters and bad values raise ValueError with the valid choices.
    """
    return Initializer(name, params)


def names() -> list[str]:
    """Every name ``get`` accepts: the canonical names (in teaching order), then the aliases,
    Keras class names and PyTorch in-place (trailing underscore) names."""
    canonical = [n for group in groups().values() for n in group]
    extra = sorted(set(_ALIASES) | set(_KERAS_CLASS_NAMES), key=str.lower)
    return canonical + [n for n in extra if n not in canonical]


def groups() -> dict[str, list[str]]:
    """Canonical names by library, each in teaching order (naive, then scaled, then structured)."""
    out: dict[str, list[str]] = {"Keras": [], "PyTorch": [], "Other": []}
    for spec in _SPECS:
        out[spec.library].append(spec.name)
    return out


def info(name: str) -> InitializerInfo:
    """Canonical name, library, one-line teaching description and formula of ``name``."""
    spec = _REGISTRY[_canonical(name)]
    return InitializerInfo(spec.name, spec.library, spec.description, spec.formula)


def params_of(name: str) -> dict:
    """The parameters ``name`` takes with their default values (empty if it takes none)."""
    return {k: default for k, (default, _) in _REGISTRY[_canonical(name)].params.items()}


def bias_names() -> list[str]:
    """The canonical names the widget offers for biases (constants and fixed spreads: a bias
    needs no symmetry breaking), :data:`DEFAULT_BIAS` first."""
    return [spec.name for spec in _SPECS if spec.offered_for_bias]


# ---------------------------------------------------------------------------------------------
# The facets: what theory and codegen read
# ---------------------------------------------------------------------------------------------
def _spec_and_params(init: str | Initializer,
                     params: Mapping[str, object] | None) -> tuple[_Spec, dict]:
    """The spec of ``init`` (a name or an Initializer) and its validated parameters."""
    if not isinstance(init, Initializer):
        init = Initializer(init, dict(params or {}))
    elif params:
        init = Initializer(init.name, {**init.params, **params})
    return _REGISTRY[init.name], init.params


def moments(name: str | Initializer, fan_in: int, fan_out: int,
            params: Mapping[str, object] | None = None) -> tuple[float, float]:
    """``(E[w], E[w^2])`` of one entry of a ``(fan_in, fan_out)`` kernel drawn by ``name`` (any
    spelling, with its ``params``; fans clamped to >= 1), from the initializer's definition.

    >>> moments("he_normal", 256, 256) == (0.0, 2 / 256)
    True
    """
    spec, p = _spec_and_params(name, params)
    mean, second = spec.facets.moments(max(1, int(fan_in)), max(1, int(fan_out)), **p)
    return float(mean), float(second)


def keras_expression(name: str | Initializer, scale: float = 1.0,
                     params: Mapping[str, object] | None = None) -> str:
    """The Keras expression drawing what ``name`` draws times ``scale`` (a weight scale: it
    enters VarianceScaling's scale squared). May call a helper of :func:`keras_helpers`.

    >>> keras_expression("he_normal", 1.5)
    "keras.initializers.VarianceScaling(scale=4.5, mode='fan_in', distribution='truncated_normal')"
    """
    spec, p = _spec_and_params(name, params)
    s = float(scale)
    return _K + "Zeros()" if s == 0 else spec.facets.keras(s, **p)


def variance_scaling_choices() -> tuple[list[str], list[str]]:
    """VarianceScaling's ``(modes, distributions)``."""
    return list(_VS_MODES), list(_VS_DISTRIBUTIONS)


def keras_helpers() -> dict[str, str]:
    """``{function name: source}`` of the NumPy functions Keras expressions may call."""
    return dict(_KERAS_HELPERS)


def torch_statements(name: str | Initializer, target: str, fan_in: str, fan_out: str,
                     params: Mapping[str, object] | None = None) -> list[str]:
    """PyTorch statements (``nn.init``, ``math``) filling tensor ``target`` as ``name`` does,
    unscaled; ``fan_in`` / ``fan_out`` are source expressions for the Keras fans.

    >>> torch_statements("xavier_uniform", "w", "fan_in", "fan_out")
    ['nn.init.xavier_uniform_(w, gain=1.0)']
    """
    spec, p = _spec_and_params(name, params)
    return list(spec.facets.torch(target, fan_in, fan_out, **p))


def uses_weight_fan_in(name: str | Initializer) -> bool:
    """True when a bias drawn by ``name`` is bounded by its layer's *weight* fan_in (PyTorch's
    nn.Linear default); otherwise a bias ``(n,)`` is drawn like any 1-D shape, fans ``(n, n)``."""
    return _spec_and_params(name, None)[0].facets.weight_fan_bias is not None


def for_bias(name: str | Initializer, weight_fan_in: int) -> Initializer:
    """The initializer that draws the bias of a layer whose weight has ``weight_fan_in``
    inputs: ``name`` itself, or (:func:`uses_weight_fan_in`) ``name`` told that fan_in.

    >>> for_bias("torch_default", 64)
    Initializer('torch_default', fan_in=64)
    """
    spec, p = _spec_and_params(name, None)
    rule = spec.facets.weight_fan_bias
    return Initializer(spec.name, p if rule is None else {**p, rule.param: int(weight_fan_in)})


def keras_bias_expression(name: str | Initializer, weight_fan_in: str) -> str:
    """The Keras ``bias_initializer=`` for ``name``, unscaled (biases are never scaled);
    ``weight_fan_in`` is a source expression, used by :func:`uses_weight_fan_in` initializers."""
    spec, p = _spec_and_params(name, None)
    rule = spec.facets.weight_fan_bias
    return keras_expression(spec.name, 1.0, p) if rule is None else rule.keras(weight_fan_in)
