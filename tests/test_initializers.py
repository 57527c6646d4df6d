"""Tests for initviz.core.initializers against the Keras 3 / PyTorch definitions.

Every expected number below is written from the formula (docs: shared reference
``initializers.md``), not read back from the module. Statistical checks use tolerances derived
from the sample size (see ``mean_tol`` / ``std_tol``) at Z = 5 standard errors, so a correct
implementation fails a given check with probability below 1e-6 while a wrong factor (missing
truncation correction, sqrt(3) slip, wrong fan) fails reliably on the larger shapes.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from initviz.core import initializers as I

C = 0.87962566103423978  # std of a unit normal truncated to (-2, 2)
Z = 5.0                  # standard errors allowed in statistical checks

SHAPES = [(256, 256), (13, 13), (2, 32), (300, 100)]
SEEDS = [0, 1]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------------------------
# Tolerances
# ---------------------------------------------------------------------------------------------
def mean_tol(sigma: float, n: int) -> float:
    """Z standard errors of a sample mean: sigma / sqrt(n)."""
    return Z * sigma / math.sqrt(n)


def std_tol(sigma: float, n: int, kurtosis: float) -> float:
    """Z standard errors of a sample std.

    Var(s^2) ~= sigma^4 (kurtosis - 1) / n, and by the delta method Var(s) ~= Var(s^2) / (4 sigma^2)
    = sigma^2 (kurtosis - 1) / (4 n). Normal (kurtosis 3): sigma / sqrt(2n); uniform (kurtosis
    9/5): sigma * sqrt(0.2 / n). Truncated normals have kurtosis < 3, so 3 is conservative.
    """
    return Z * sigma * math.sqrt((kurtosis - 1.0) / (4.0 * n))


def keras_fans(shape):
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


@dataclasses.dataclass
class Expect:
    mean: float
    std: float
    lo: float = -math.inf      # inclusive
    hi: float = math.inf       # inclusive unless hi_open
    kurtosis: float = 3.0
    hi_open: bool = False
    edge_density: float = 0.0  # density (per unit of w) just inside the bounds, for coverage


def uniform(lo, hi):
    width = hi - lo
    return Expect((lo + hi) / 2, width / math.sqrt(12), lo, hi, 1.8, True, 1.0 / width)


def normal(mean, std):
    return Expect(mean, std)


def keras_truncated(mean, sigma):
    """Keras/TF: N(mean, sigma^2) redrawn beyond +/- 2 sigma; std = C * sigma."""
    phi2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    return Expect(mean, C * sigma, mean - 2 * sigma, mean + 2 * sigma, 3.0, False,
                  phi2 / 0.9544997361036416 / sigma)


def truncated(mean, std, a, b, kurtosis=3.0):
    """N(mean, std^2) conditioned on the absolute interval [a, b]: the textbook moments
    mean + std (phi(al) - phi(be)) / Z and std^2 (1 + (al phi(al) - be phi(be)) / Z - m^2)."""
    al, be = (a - mean) / std, (b - mean) / std
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    mass = 0.5 * (math.erfc(al / math.sqrt(2)) - math.erfc(be / math.sqrt(2)))
    m = (phi(al) - phi(be)) / mass
    v = 1 + (al * phi(al) - be * phi(be)) / mass - m * m
    return Expect(mean + std * m, std * math.sqrt(v), a, b, kurtosis)


def vs(scale, mode, distribution):
    def expect(shape):
        fan_in, fan_out = keras_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        sd = math.sqrt(scale / n)
        if distribution == "uniform":
            return uniform(-math.sqrt(3 * scale / n), math.sqrt(3 * scale / n))
        if distribution == "untruncated_normal":
            return normal(0.0, sd)
        return keras_truncated(0.0, sd / C)  # corrected: the std comes out as sd
    return expect


def fixed(e):
    return lambda shape: e


# (name, params, expectation as a function of shape)
CASES = [
    ("random_normal", {}, fixed(normal(0.0, 0.05))),
    ("random_normal", {"mean": 0.3, "stddev": 0.2}, fixed(normal(0.3, 0.2))),
    ("random_uniform", {}, fixed(uniform(-0.05, 0.05))),
    ("random_uniform", {"minval": 0.1, "maxval": 0.7}, fixed(uniform(0.1, 0.7))),
    ("truncated_normal", {}, fixed(keras_truncated(0.0, 0.05))),
    ("truncated_normal", {"mean": 1.0, "stddev": 0.5}, fixed(keras_truncated(1.0, 0.5))),
    ("glorot_uniform", {}, vs(1.0, "fan_avg", "uniform")),
    ("glorot_normal", {}, vs(1.0, "fan_avg", "truncated_normal")),
    ("he_uniform", {}, vs(2.0, "fan_in", "uniform")),
    ("he_normal", {}, vs(2.0, "fan_in", "truncated_normal")),
    ("lecun_uniform", {}, vs(1.0, "fan_in", "uniform")),
    ("lecun_normal", {}, vs(1.0, "fan_in", "truncated_normal")),
    ("variance_scaling", {}, vs(1.0, "fan_in", "truncated_normal")),
    ("variance_scaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"},
     vs(2.0, "fan_out", "uniform")),
    ("variance_scaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "untruncated_normal"},
     vs(0.5, "fan_avg", "untruncated_normal")),
    ("variance_scaling", {"scale": 3.0, "mode": "FAN_OUT", "distribution": "normal"},
     vs(3.0, "fan_out", "truncated_normal")),
    ("torch_default", {}, lambda s: uniform(-1 / math.sqrt(s[0]), 1 / math.sqrt(s[0]))),
    ("xavier_uniform", {}, lambda s: uniform(-math.sqrt(6 / (s[0] + s[1])), math.sqrt(6 / (s[0] + s[1])))),
    ("xavier_uniform", {"gain": 5 / 3},
     lambda s: uniform(-5 / 3 * math.sqrt(6 / (s[0] + s[1])), 5 / 3 * math.sqrt(6 / (s[0] + s[1])))),
    ("xavier_normal", {}, lambda s: normal(0.0, math.sqrt(2 / (s[0] + s[1])))),
    ("xavier_normal", {"gain": 2.0}, lambda s: normal(0.0, 2 * math.sqrt(2 / (s[0] + s[1])))),
    ("kaiming_uniform", {}, lambda s: uniform(-math.sqrt(6 / s[0]), math.sqrt(6 / s[0]))),
    ("kaiming_uniform", {"a": math.sqrt(5)}, lambda s: uniform(-1 / math.sqrt(s[0]), 1 / math.sqrt(s[0]))),
    ("kaiming_uniform", {"nonlinearity": "tanh", "mode": "fan_out"},
     lambda s: uniform(-5 / 3 * math.sqrt(3 / s[1]), 5 / 3 * math.sqrt(3 / s[1]))),
    ("kaiming_normal", {}, lambda s: normal(0.0, math.sqrt(2 / s[0]))),
    ("kaiming_normal", {"mode": "fan_out", "nonlinearity": "relu"}, lambda s: normal(0.0, math.sqrt(2 / s[1]))),
    ("kaiming_normal", {"a": 0.2}, lambda s: normal(0.0, math.sqrt(2 / (1 + 0.04)) / math.sqrt(s[0]))),
    ("trunc_normal", {}, fixed(keras_truncated(0.0, 1.0))),  # N(0,1) in absolute [-2, 2]
    ("trunc_normal", {"std": 0.02}, fixed(Expect(0.0, 0.02, -2.0, 2.0))),  # the cut does nothing
    ("trunc_normal", {"a": 0.0, "b": 10.0},  # half-normal: sqrt(2/pi), sqrt(1 - 2/pi)
     fixed(Expect(math.sqrt(2 / math.pi), math.sqrt(1 - 2 / math.pi), 0.0, 10.0, 4.0))),
    ("trunc_normal", {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 4.0}, fixed(truncated(0.5, 2.0, -1.0, 4.0))),
    ("trunc_normal", {"a": 3.0, "b": 3.5}, fixed(truncated(0.0, 1.0, 3.0, 3.5))),  # far tail
    ("trunc_normal", {"a": -30.0, "b": -2.5}, fixed(truncated(0.0, 1.0, -30.0, -2.5))),
    ("torch_normal", {}, fixed(normal(0.0, 1.0))),
    ("torch_uniform", {}, fixed(uniform(0.0, 1.0))),
    ("positive_uniform", {}, fixed(uniform(0.0, 0.01))),
    ("positive_uniform", {"scale": 0.5}, fixed(uniform(0.0, 0.5))),
    ("jax_normal", {}, fixed(normal(0.0, 0.01))),
]


def case_id(case):
    name, params, _ = case
    return name + "".join(f"-{k}={v:.3g}" if isinstance(v, float) else f"-{k}={v}" for k, v in params.items())


# ---------------------------------------------------------------------------------------------
# Moments and bounds of every random initializer
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_moments_and_bounds(case, shape, seed):
    name, params, expect = case
    e = expect(shape)
    w = I.get(name, **params)(shape, rng(seed))
    assert w.dtype == np.float32 and w.shape == shape
    x = w.astype(np.float64).ravel()
    n = x.size
    assert abs(x.mean() - e.mean) <= mean_tol(e.std, n), (x.mean(), e.mean)
    assert abs(x.std() - e.std) <= std_tol(e.std, n, e.kurtosis), (x.std(), e.std)
    # Bounds are exact (no float32 rounding past them)...
    assert x.min() >= e.lo
    assert (x.max() < e.hi) if e.hi_open else (x.max() <= e.hi)
    # ... and reached: with density d at the edge, P(no draw within t of it) ~ exp(-n d t).
    if e.edge_density and n >= 1000:
        t = 25.0 / (n * e.edge_density)
        assert x.min() - e.lo < t and e.hi - x.max() < t, (x.min(), x.max(), e.lo, e.hi)


class EdgeGenerator(np.random.Generator):
    """Draws sitting on the edges: random() alternates 0 and the largest float below 1,
    standard_normal() cycles 2, -2, 0 (inside any cut at 2 sd, and 0 so rejection ends)."""

    def random(self, size=None, dtype=np.float64, out=None):
        top = np.nextafter(dtype(1), dtype(0))
        return np.resize(np.array([0, top], dtype=dtype), size)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return np.resize(np.array([2, -2, 0], dtype=dtype), size)


@pytest.mark.parametrize("name,params,lo,hi", [
    # float32(minval) < minval, and minval + (maxval-minval)*(1-2^-24) rounds up to maxval
    ("uniform", {"minval": 0.099, "maxval": 0.155}, 0.099, 0.155),
    ("uniform", {"minval": 0.753, "maxval": 1.697}, 0.753, 1.697),
    ("positive_uniform", {"scale": 0.155}, 0.0, 0.155),
    ("truncated_normal", {"mean": 0.099, "stddev": 0.028}, 0.099 - 0.056, 0.099 + 0.056),
    ("truncated_normal", {"mean": 0.0, "stddev": 0.1}, -0.2, 0.2),
    ("trunc_normal", {"std": 0.1, "a": -0.2, "b": 0.2}, -0.2, 0.2),
])
def test_bounds_exact_at_float32_edges(name, params, lo, hi):
    w = I.get(name, **params)((4, 6), EdgeGenerator(np.random.PCG64(0))).astype(np.float64)
    assert w.min() >= lo
    assert w.max() < hi if "uniform" in name else w.max() <= hi
    assert w.max() > hi - 1e-6 and (w.min() < lo + 1e-6 or "trunc" not in name)


def test_truncation_constant_is_std_of_unit_normal_cut_at_two():
    phi2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert math.sqrt(1 - 2 * 2 * phi2 / mass) == pytest.approx(C, rel=1e-14)
    assert I.TRUNCATION_CORRECTION == pytest.approx(C, rel=1e-15)


def test_keras_truncated_normal_is_not_corrected_but_glorot_normal_is():
    shape = (600, 400)
    plain = I.get("truncated_normal")(shape, rng(3)).std()
    assert plain / 0.05 == pytest.approx(C, rel=0.01)  # 0.88 x stddev, not 0.05
    g = I.get("glorot_normal")(shape, rng(3)).std()
    assert g == pytest.approx(math.sqrt(2 / (600 + 400)), rel=0.01)  # not 0.88 x that
    he = I.get("he_normal")(shape, rng(4))
    assert np.abs(he).max() <= 2 * math.sqrt(2 / 600) / C
    assert np.abs(he).max() > 0.99 * 2 * math.sqrt(2 / 600) / C  # cut at 2 sigma_pre, not 2 sigma


@pytest.mark.parametrize("seed", range(5))
def test_documented_he_normal_256(seed):
    w = I.get("he_normal")((256, 256), rng(seed))
    assert abs(w.std() / math.sqrt(2 / 256) - 1) < 0.02


@pytest.mark.parametrize("seed", range(3))
def test_documented_keras_normal_dense_13(seed):
    # Dense(13, input_dim=13) with 'normal': std 0.05 whatever the layer size.
    small = I.get("normal")((13, 13), rng(seed)).astype(np.float64)
    assert abs(small.std() - 0.05) <= std_tol(0.05, 169, 3.0)
    big = I.get("normal")((1000, 1000), rng(seed)).astype(np.float64)
    assert abs(big.std() / 0.05 - 1) < 0.01
    assert abs(big.mean()) < mean_tol(0.05, big.size)


def test_pytorch_normal_is_unit_not_keras_small():
    assert I.get("normal_")((500, 500), rng(0)).std() == pytest.approx(1.0, rel=0.01)
    assert I.get("normal")((500, 500), rng(0)).std() == pytest.approx(0.05, rel=0.01)
    assert I.get("uniform_")((500, 500), rng(0)).min() >= 0.0
    assert I.get("uniform")((500, 500), rng(0)).min() < 0.0


def test_xavier_normal_is_untruncated_unlike_glorot_normal():
    shape = (400, 400)
    sd = math.sqrt(2 / 800)
    xn = I.get("xavier_normal")(shape, rng(0))
    gn = I.get("glorot_normal")(shape, rng(0))
    assert xn.std() == pytest.approx(sd, rel=0.01) and gn.std() == pytest.approx(sd, rel=0.01)
    # 160000 plain normal draws reach beyond 2.27 sd (the Keras cut) ~370 times on average.
    assert np.sum(np.abs(xn) > 2 * sd / C) > 250
    assert np.sum(np.abs(gn) > 2 * sd / C) == 0


def test_conv_kernel_and_1d_fans():
    w = I.get("he_normal")((3, 3, 16, 32), rng(0))
    assert w.shape == (3, 3, 16, 32)
    assert w.std() == pytest.approx(math.sqrt(2 / 144), rel=0.03)
    b = I.get("variance_scaling", distribution="untruncated_normal")((4000,), rng(0))
    assert b.std() == pytest.approx(math.sqrt(1 / 4000), abs=std_tol(math.sqrt(1 / 4000), 4000, 3.0))


def test_torch_default_bias_uses_the_weight_fan_in():
    bias = I.get("torch_default", fan_in=64)((5000,), rng(0)).astype(np.float64)
    assert np.abs(bias).max() < 1 / 8
    assert bias.std() == pytest.approx(1 / 8 / math.sqrt(3), abs=std_tol(1 / 8 / math.sqrt(3), 5000, 1.8))
    # without fan_in a 1-D shape falls back to Keras' rule fan_in = shape[0]
    assert np.abs(I.get("torch_default")((400,), rng(0))).max() < 1 / 20


def test_kaiming_uniform_with_a_sqrt5_is_torch_default():
    a = I.get("kaiming_uniform", a=math.sqrt(5))((64, 32), rng(7))
    b = I.get("torch_default")((64, 32), rng(7))
    np.testing.assert_allclose(a, b, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Deterministic and structured initializers
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(7, 3), (4,), (2, 3, 4)], ids=str)
def test_zeros_ones_constant(shape):
    np.testing.assert_array_equal(I.get("zeros")(shape, rng()), np.zeros(shape, np.float32))
    np.testing.assert_array_equal(I.get("ones")(shape, rng()), np.ones(shape, np.float32))
    np.testing.assert_array_equal(I.get("constant")(shape, rng()), np.zeros(shape, np.float32))
    c = I.get("constant", value=0.3)(shape, rng())
    assert c.dtype == np.float32 and np.all(c == np.float32(0.3))


@pytest.mark.parametrize("gain", [1.0, 2.0, 0.5])
@pytest.mark.parametrize("shape", [(64, 64), (300, 100), (100, 300), (13, 13), (2, 32), (3, 4, 5)], ids=str)
def test_orthogonal(shape, gain):
    w = I.get("orthogonal", gain=gain)(shape, rng(1)).astype(np.float64)
    assert w.shape == shape
    m = w.reshape(-1, shape[-1])  # rows = prod(shape[:-1]), as Keras
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-5 * gain**2)
    # every entry then has mean square gain^2 / max(rows, cols), exactly
    assert np.mean(m**2) == pytest.approx(gain**2 / max(rows, cols), rel=1e-5)


def test_orthogonal_is_sign_fixed_haar():
    # Q * sign(diag R) makes Q Haar, so E[Q_ii] = 0 and the diagonal mean of an n x n draw has sd
    # 1/n. numpy's raw Householder Q has a diagonal mean near -0.04 at n = 200 (7 sd off).
    for seed in range(3):
        q = I.get("orthogonal")((200, 200), rng(seed))
        assert abs(np.diag(q).mean()) < Z / 200


def test_identity_and_eye():
    for shape in [(5, 5), (3, 5), (5, 3)]:
        np.testing.assert_array_equal(I.get("identity")(shape, rng()), np.eye(*shape, dtype=np.float32))
        np.testing.assert_array_equal(I.get("identity", gain=2.5)(shape, rng()), 2.5 * np.eye(*shape, dtype=np.float32))
        np.testing.assert_array_equal(I.get("eye_")(shape, rng()), np.eye(*shape, dtype=np.float32))
    for name in ("identity", "eye"):
        for shape in [(5,), (2, 3, 4)]:
            with pytest.raises(ValueError, match="2-D"):
                I.get(name)(shape, rng())
    with pytest.raises(ValueError, match="takes no parameters"):
        I.get("eye", gain=2.0)


@pytest.mark.parametrize("shape,sparsity", [((300, 100), 0.1), ((40, 7), 0.25), ((13, 13), 0.5), ((2, 32), 0.9)], ids=str)
def test_sparse_zero_count(shape, sparsity):
    w = I.get("sparse", sparsity=sparsity)(shape, rng(2))
    fan_in, fan_out = shape
    # torch.nn.init.sparse_ zeroes ceil(sparsity * rows) entries per column of its (out, in)
    # weight, i.e. per input unit; in the (in, out) layout that is per row, ceil(sparsity * fan_out).
    k = math.ceil(sparsity * fan_out)
    np.testing.assert_array_equal((w == 0).sum(axis=1), np.full(fan_in, k))
    nonzero = w[w != 0].astype(np.float64)
    assert abs(nonzero.std() - 0.01) <= std_tol(0.01, nonzero.size, 3.0)
    assert abs(nonzero.mean()) <= mean_tol(0.01, nonzero.size)
    # the zeros are spread over the columns, not stacked in the same ones
    if fan_in >= 100:
        assert (w == 0).sum(axis=0).min() > 0


def test_sparse_extremes():
    assert np.all(I.get("sparse", sparsity=1.0)((10, 10), rng()) == 0)
    assert np.all(I.get("sparse", sparsity=0.0)((10, 10), rng()) != 0)


# ---------------------------------------------------------------------------------------------
# calculate_gain
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,param,gain", [
    ("linear", None, 1.0), ("identity", None, 1.0), ("conv2d", None, 1.0),
    ("conv_transpose3d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("relu", 0.3, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("leaky_relu", 0, math.sqrt(2)), ("leaky_relu", 1.0, 1.0), ("leaky_relu", -0.2, math.sqrt(2 / 1.04)),
    ("ReLU", None, math.sqrt(2)),
])
def test_calculate_gain(name, param, gain):
    assert I.calculate_gain(name, param) == pytest.approx(gain, rel=1e-12)


def test_leaky_relu_gain_pitfall():
    g = I.calculate_gain("leaky_relu", 0.2)
    assert g == pytest.approx(1.3867504905630728)
    assert g != pytest.approx(math.sqrt(2 / 1 + 0.2**2))  # the sqrt(2/1 + a^2) slip: 1.428
    assert I.calculate_gain("leaky_relu", 0.5) < I.calculate_gain("leaky_relu", 0.1)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="did you mean 'tanh'"):
        I.calculate_gain("tahn")
    with pytest.raises(ValueError, match="negative_slope"):
        I.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="negative_slope"):
        I.calculate_gain("leaky_relu", float("nan"))


# ---------------------------------------------------------------------------------------------
# Reproducibility, dtype, names and aliases
# ---------------------------------------------------------------------------------------------
RANDOM = [n for g in I.groups().values() for n in g
          if n not in {"zeros", "ones", "constant", "identity", "eye"}]


@pytest.mark.parametrize("name", [n for g in I.groups().values() for n in g])
def test_reproducible_float32(name):
    init = I.get(name)
    a = init((20, 30), rng(5))
    b = init((20, 30), rng(5))
    assert a.dtype == np.float32 and a.shape == (20, 30) and a.flags.c_contiguous
    assert np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, b)
    if name in RANDOM:
        assert not np.array_equal(a, init((20, 30), rng(6)))


def test_draws_only_from_the_given_generator():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    for name in RANDOM:
        I.get(name)((8, 8), rng())
    np.testing.assert_array_equal(np.random.get_state()[1], before)


ALIASES = {
    "zero": "zeros", "one": "ones", "normal": "random_normal", "uniform": "random_uniform",
    "normal_": "torch_normal", "uniform_": "torch_uniform", "xavier_uniform_": "xavier_uniform",
    "xavier_normal_": "xavier_normal", "kaiming_uniform_": "kaiming_uniform",
    "kaiming_normal_": "kaiming_normal", "trunc_normal_": "trunc_normal", "sparse_": "sparse",
    "eye_": "eye", "orthogonal_": "orthogonal", "zeros_": "zeros", "constant_": "constant",
    "HeNormal": "he_normal", "HeUniform": "he_uniform", "GlorotUniform": "glorot_uniform",
    "GlorotNormal": "glorot_normal", "LecunNormal": "lecun_normal", "LecunUniform": "lecun_uniform",
    "RandomNormal": "random_normal", "RandomUniform": "random_uniform",
    "TruncatedNormal": "truncated_normal", "VarianceScaling": "variance_scaling",
    "Orthogonal": "orthogonal", "OrthogonalInitializer": "orthogonal", "Identity": "identity",
    "Zeros": "zeros", "Ones": "ones", "Constant": "constant",
    "HE_NORMAL": "he_normal", "henormal": "he_normal", "He-Normal": "he_normal",
    " glorot_uniform ": "glorot_uniform", "keras.initializers.HeNormal": "he_normal",
    "torch.nn.init.kaiming_normal_": "kaiming_normal", "HeNormal()": "he_normal",
    "jax_uniform": "positive_uniform",
}


@pytest.mark.parametrize("alias,canonical", ALIASES.items())
def test_alias_draws_equal_canonical(alias, canonical):
    assert I.get(alias).name == canonical
    assert I.info(alias).name == canonical
    shape = (6, 6)
    np.testing.assert_array_equal(I.get(alias)(shape, rng(11)), I.get(canonical)(shape, rng(11)))


def test_every_name_works():
    all_names = I.names()
    canonical = [n for g in I.groups().values() for n in g]
    assert all_names[:len(canonical)] == canonical
    assert len(set(all_names)) == len(all_names)
    assert {"zero", "one", "normal", "uniform", "normal_", "xavier_uniform_", "kaiming_normal_",
            "trunc_normal_", "HeNormal", "GlorotUniform", "VarianceScaling"} <= set(all_names)
    for name in all_names:
        w = I.get(name)((4, 4), rng())
        assert w.dtype == np.float32 and w.shape == (4, 4)


def test_initializer_value_semantics():
    a, b = I.get("normal"), I.get("RandomNormal", stddev=0.05)
    assert a == b and hash(a) == hash(b)
    assert a != I.get("normal", stddev=0.1)
    assert a.params == {"mean": 0.0, "stddev": 0.05}
    assert repr(a) == "Initializer('random_normal', mean=0.0, stddev=0.05)"
    assert I.get("variance_scaling", distribution="Normal") == I.get("variance_scaling")
    assert I.Initializer("HeNormal", {}) == I.get("he_normal")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "zeros"
    assert a.library == "Keras" and "0.05" in a.formula and a.description == a.info.description


# ---------------------------------------------------------------------------------------------
# info, groups, params_of, fans
# ---------------------------------------------------------------------------------------------
def test_groups_and_info_cover_every_canonical_name():
    groups = I.groups()
    assert list(groups) == ["Keras", "PyTorch", "Other"]
    flat = [n for g in groups.values() for n in g]
    assert len(flat) == len(set(flat))
    assert set(flat) == {I.info(n).name for n in I.names()}
    assert {"glorot_uniform", "he_normal", "orthogonal", "identity", "variance_scaling"} <= set(groups["Keras"])
    assert {"xavier_uniform", "kaiming_normal", "trunc_normal", "sparse", "eye", "torch_default"} <= set(groups["PyTorch"])
    assert "positive_uniform" in groups["Other"]
    for library, members in groups.items():
        for name in members:
            info = I.info(name)
            assert info.name == name and info.library == library
            assert info.description and "\n" not in info.description and len(info.description) < 200
            assert info.formula and "\n" not in info.formula
    assert "√(6/(fan_in+fan_out))" in I.info("glorot_uniform").formula
    assert "untruncated" in I.info("xavier_normal").description


def test_params_of():
    assert I.params_of("random_normal") == {"mean": 0.0, "stddev": 0.05}
    assert I.params_of("normal") == {"mean": 0.0, "stddev": 0.05}
    assert I.params_of("uniform") == {"minval": -0.05, "maxval": 0.05}
    assert I.params_of("truncated_normal") == {"mean": 0.0, "stddev": 0.05}
    assert I.params_of("constant") == {"value": 0.0}
    assert I.params_of("VarianceScaling") == {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}
    assert I.params_of("he_normal") == {}
    assert I.params_of("kaiming_uniform_") == {"a": 0.0, "mode": "fan_in", "nonlinearity": "leaky_relu"}
    assert I.params_of("trunc_normal") == {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0}
    assert I.params_of("sparse") == {"sparsity": 0.1, "std": 0.01}
    assert I.params_of("xavier_uniform") == {"gain": 1.0}
    assert I.params_of("orthogonal") == {"gain": 1.0}
    assert I.params_of("positive_uniform") == {"scale": 0.01}
    assert I.params_of("torch_default") == {"fan_in": None}
    for name in I.names():
        assert I.get(name, **I.params_of(name)) == I.get(name)


def test_fans():
    assert I.fans((784, 128)) == (784, 128)
    assert I.fans((10,)) == (10, 10)
    assert I.fans((3, 3, 16, 32)) == (144, 288)
    assert I.fans(()) == (1, 1)
    assert I.fans(np.array([5, 7])) == (5, 7)


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,params,match", [
    ("he_nromal", {}, r"unknown initializer 'he_nromal'; did you mean 'he_normal'\?.*glorot_uniform"),
    ("xavier_unifrom_", {}, r"did you mean 'xavier_uniform'"),
    ("GlorotUnifrom", {}, r"did you mean 'glorot_uniform'"),
    ("", {}, r"Valid choices: .*he_normal"),
    (None, {}, r"unknown initializer None"),
    ("random_normal", {"stdev": 0.1}, r"did you mean 'stddev'\?.*mean, stddev"),
    ("random_normal", {"std": 0.1}, r"did you mean 'stddev'"),
    ("trunc_normal", {"stddev": 0.1}, r"did you mean 'std'"),
    ("he_normal", {"scale": 2.0}, r"he_normal takes no parameters.*variance_scaling"),
    ("zeros", {"value": 1.0}, r"zeros takes no parameters"),
    ("normal", {"seed": 3}, r"'seed' is not a parameter.*Generator"),
    ("random_normal", {"stddev": float("nan")}, r"stddev must be a finite number"),
    ("random_normal", {"stddev": math.inf}, r"stddev must be a finite number"),
    ("random_normal", {"stddev": -0.1}, r"stddev must be >= 0"),
    ("random_normal", {"mean": True}, r"mean must be a finite number"),
    ("random_normal", {"stddev": None}, r"stddev must be a finite number"),
    ("constant", {"value": 1e40}, r"does not fit in float32"),
    ("uniform", {"minval": 0.1, "maxval": -0.1}, r"minval must be less than maxval"),
    ("uniform", {"minval": 0.1, "maxval": 0.1}, r"minval must be less than maxval"),
    ("uniform_", {"a": 1.0, "b": 0.0}, r"a must be less than b"),
    ("variance_scaling", {"mode": "fan_ave"}, r"unknown mode 'fan_ave'; did you mean 'fan_avg'"),
    ("variance_scaling", {"distribution": "gaussian"}, r"unknown distribution 'gaussian'.*truncated_normal"),
    ("variance_scaling", {"scale": 0.0}, r"scale must be > 0"),
    ("kaiming_normal", {"mode": "fan_avg"}, r"unknown mode 'fan_avg'.*fan_in, fan_out"),
    ("kaiming_normal", {"nonlinearity": "relu6"}, r"unknown nonlinearity 'relu6'"),
    ("xavier_uniform", {"gain": -1.0}, r"gain must be >= 0"),
    ("trunc_normal", {"a": 1.0, "b": -1.0}, r"a must be less than b"),
    ("trunc_normal", {"std": 0.0}, r"std must be > 0"),
    ("trunc_normal", {"a": 50.0, "b": 60.0}, r"standard deviations from the mean"),
    ("sparse", {"sparsity": 1.5}, r"sparsity must be between 0 and 1"),
    ("positive_uniform", {"scale": 0.0}, r"scale must be > 0"),
    ("torch_default", {"fan_in": 0}, r"fan_in must be a positive integer"),
    ("torch_default", {"fan_in": 2.5}, r"fan_in must be a positive integer"),
])
def test_bad_parameters(name, params, match):
    with pytest.raises(ValueError, match=match):
        I.get(name, **params)


@pytest.mark.parametrize("shape,match", [
    ((3, 0), r"at least 1"), ((-2, 3), r"at least 1"), ((2.5, 3), r"2.5 is not an integer"),
    (("3", 3), r"not an integer"), ((True, 3), r"not an integer"), (None, r"tuple of positive integers"),
    (3.0, r"tuple of positive integers"),
])
def test_bad_shapes(shape, match):
    with pytest.raises(ValueError, match=match):
        I.get("glorot_uniform")(shape, rng())
    with pytest.raises(ValueError, match=match):
        I.fans(shape)


def test_bad_rng_and_dimensions():
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        I.get("he_normal")((3, 3), np.random.RandomState(0))
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        I.get("he_normal")((3, 3), 0)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        I.get("xavier_uniform_")((10,), rng())
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        I.get("orthogonal")((10,), rng())
    with pytest.raises(ValueError, match="exactly 2 dimensions"):
        I.get("sparse")((2, 3, 4), rng())


# ---------------------------------------------------------------------------------------------
# Properties over arbitrary shapes
# ---------------------------------------------------------------------------------------------
ANY_ND = [n for n in RANDOM + ["zeros", "ones", "constant"]
          if n not in {"xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
                       "orthogonal", "sparse"}]


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(ANY_ND),
       shape=st.lists(st.integers(1, 9), min_size=0, max_size=3).map(tuple),
       seed=st.integers(0, 2**32 - 1))
def test_any_shape(name, shape, seed):
    w = I.get(name)(shape, rng(seed))
    assert w.shape == shape and w.dtype == np.float32 and np.all(np.isfinite(w))
    np.testing.assert_array_equal(w, I.get(name)(shape, rng(seed)))


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 40), cols=st.integers(1, 40), gain=st.floats(0.1, 3.0))
def test_orthogonal_any_2d_shape(rows, cols, gain):
    w = I.get("orthogonal", gain=gain)((rows, cols), rng(0)).astype(np.float64)
    gram = w.T @ w if rows >= cols else w @ w.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-5 * gain**2)
