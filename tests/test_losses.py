import math
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from initviz.core import losses

BCE = losses.get("binary_crossentropy")
CCE = losses.get("categorical_crossentropy")
MSE = losses.get("mse")


@contextmanager
def silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _log_softmax(x):
    return x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))


def _finite_difference(loss, x, y, h=1e-6):
    grad = np.zeros_like(x)
    flat = grad.reshape(-1)
    for i in range(x.size):
        xp = x.copy().reshape(-1)
        xm = x.copy().reshape(-1)
        xp[i] += h
        xm[i] -= h
        flat[i] = (loss.value(xp.reshape(x.shape), y) - loss.value(xm.reshape(x.shape), y)) / (2 * h)
    return grad


def _rel_err(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300)


# ------------------------------------------------------------------------------------- registry

def test_names_and_aliases():
    assert losses.names() == ["binary_crossentropy", "categorical_crossentropy", "mse"]
    for alias in ["bce", "binary_cross_entropy", "BCE", " Binary_CrossEntropy "]:
        assert losses.get(alias) is BCE
    for alias in ["sparse_categorical_crossentropy", "cross_entropy", "categorical_crossentropy"]:
        assert losses.get(alias) is CCE
    assert losses.get("mean_squared_error") is MSE
    assert losses.get(MSE) is MSE
    for name in losses.names():
        loss = losses.get(name)
        assert loss.name == name and loss.description


def test_unknown_name():
    with pytest.raises(ValueError, match="did you mean 'mse'"):
        losses.get("mes")
    with pytest.raises(ValueError, match="Valid choices: .*binary_crossentropy"):
        losses.get("hinge")
    with pytest.raises(ValueError, match="Valid choices"):
        losses.get(None)


# ------------------------------------------------------------------------------- known values

def test_keras_known_values():
    # bce of logit 0 is log 2 whatever the label
    assert BCE.value(np.zeros((3, 1)), np.array([0, 1, 1])) == pytest.approx(math.log(2))
    # uniform logits over k classes: log k
    assert CCE.value(np.zeros((4, 5)), np.array([0, 1, 4, 2])) == pytest.approx(math.log(5))
    assert MSE.value(np.array([[1.0], [3.0]]), np.array([0.0, 1.0])) == pytest.approx(2.5)
    # Keras docs example: y_true [[0, 1], [0, 0]], y_pred [[1, 1], [1, 0]] -> mse 0.5
    assert MSE.value(np.array([[1.0, 1.0], [1.0, 0.0]]), np.array([[0, 1], [0, 0]])) == \
        pytest.approx(0.5)
    # Keras docs example (probabilities converted to logits): bce 0.815
    p = np.array([[0.6, 0.4], [0.4, 0.6]])
    assert BCE.value(np.log(p / (1 - p)), np.array([[0, 1], [0, 0]])) == \
        pytest.approx(0.81492424, rel=1e-6)
    # Keras docs example for sparse categorical: y [1, 2], probs [[.05, .95, 0], [.1, .8, .1]]
    # -> 1.177 (the zero probability is irrelevant to the labels used)
    probs = np.array([[0.05, 0.95, 1e-300], [0.1, 0.8, 0.1]])
    assert CCE.value(np.log(probs), np.array([1, 2])) == pytest.approx(1.1769392, rel=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_values_match_direct_formulas(seed):
    rng = np.random.default_rng(seed)
    n, k = 7, 4
    x1 = rng.normal(0, 3, (n, 1))
    y1 = rng.integers(0, 2, n)
    s = _sigmoid(x1[:, 0])
    want = -np.mean(y1 * np.log(s) + (1 - y1) * np.log(1 - s))
    assert BCE.value(x1, y1) == pytest.approx(want, rel=1e-12)
    assert BCE.value(x1, y1[:, None]) == pytest.approx(want, rel=1e-12)
    assert BCE.value(x1[:, 0], y1) == pytest.approx(want, rel=1e-12)

    xk = rng.normal(0, 3, (n, k))
    yk = rng.integers(0, k, n)
    want = -np.mean(_log_softmax(xk)[np.arange(n), yk])
    assert CCE.value(xk, yk) == pytest.approx(want, rel=1e-12)

    yr = rng.normal(size=n)
    assert MSE.value(x1, yr) == pytest.approx(np.mean((x1[:, 0] - yr) ** 2), rel=1e-12)
    yr2 = rng.normal(size=(n, k))
    assert MSE.value(xk, yr2) == pytest.approx(np.mean((xk - yr2) ** 2), rel=1e-12)


def test_value_equals_value_and_grad_value():
    rng = np.random.default_rng(1)
    x1, xk = rng.normal(size=(6, 1)), rng.normal(size=(6, 3))
    for loss, x, y in [(BCE, x1, rng.integers(0, 2, 6)), (CCE, xk, rng.integers(0, 3, 6)),
                       (MSE, x1, rng.normal(size=6))]:
        v, g = loss.value_and_grad(x, y)
        assert isinstance(v, float) and v == loss.value(x, y)
        assert g.shape == x.shape


def test_one_hot_equals_integer_labels():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 2, (9, 4))
    y = rng.integers(0, 4, 9)
    onehot = np.eye(4)[y]
    v1, g1 = CCE.value_and_grad(x, y)
    v2, g2 = CCE.value_and_grad(x, onehot)
    v3, g3 = CCE.value_and_grad(x, y[:, None])
    v4, g4 = CCE.value_and_grad(x, y.astype(np.float32))
    assert v1 == pytest.approx(v2, rel=1e-12) and v1 == v3 == v4
    np.testing.assert_allclose(g1, g2, atol=1e-15)
    np.testing.assert_array_equal(g1, g3)
    np.testing.assert_array_equal(g1, g4)


# ---------------------------------------------------------------------------------- gradients

@pytest.mark.parametrize("seed", range(4))
def test_gradients_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    n, k = 6, 3
    cases = [
        (BCE, rng.normal(0, 2, (n, 1)), rng.integers(0, 2, n)),
        (BCE, rng.normal(0, 2, (n,)), rng.integers(0, 2, (n, 1))),
        (BCE, rng.normal(0, 2, (n, 2)), rng.uniform(0, 1, (n, 2))),   # soft, multi-label
        (CCE, rng.normal(0, 2, (n, k)), rng.integers(0, k, n)),
        (CCE, rng.normal(0, 2, (n, k)), np.eye(k)[rng.integers(0, k, n)]),
        (CCE, rng.normal(0, 2, (n, k)), rng.dirichlet(np.ones(k), n)),  # soft targets
        (MSE, rng.normal(0, 2, (n, 1)), rng.normal(size=n)),
        (MSE, rng.normal(0, 2, (n, k)), rng.normal(size=(n, k))),
    ]
    for loss, x, y in cases:
        _, g = loss.value_and_grad(x, y)
        fd = _finite_difference(loss, x, y)
        assert g.dtype == np.float64 and g.shape == x.shape
        assert _rel_err(g, fd) < 1e-6, (loss.name, x.shape)


def test_gradient_formulas():
    x = np.array([[0.3], [-1.2], [2.0]])
    y = np.array([1, 0, 1])
    _, g = BCE.value_and_grad(x, y)
    np.testing.assert_allclose(g[:, 0], (_sigmoid(x[:, 0]) - y) / 3)
    xk = np.array([[0.1, 0.2, -0.3], [1.0, -1.0, 0.0]])
    yk = np.array([2, 0])
    _, g = CCE.value_and_grad(xk, yk)
    np.testing.assert_allclose(g, (np.exp(_log_softmax(xk)) - np.eye(3)[yk]) / 2)
    _, g = MSE.value_and_grad(x, np.zeros(3))
    np.testing.assert_allclose(g, 2 * x / 3)


# ---------------------------------------------------------------------------- dtype, stability

def test_float32_in_float32_out():
    rng = np.random.default_rng(3)
    x1 = rng.normal(size=(8, 1)).astype(np.float32)
    xk = rng.normal(size=(8, 3)).astype(np.float32)
    for loss, x, y in [(BCE, x1, rng.integers(0, 2, 8)), (CCE, xk, rng.integers(0, 3, 8)),
                       (MSE, x1, rng.normal(size=(8, 1)).astype(np.float32))]:
        v, g = loss.value_and_grad(x, y)
        assert g.dtype == np.float32
        assert loss.predict(x).dtype == np.float32
        v64, g64 = loss.value_and_grad(x.astype(np.float64), y)
        assert v == pytest.approx(v64, rel=1e-6)
        np.testing.assert_allclose(g, g64, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_finite_and_silent(dtype):
    big = np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=dtype)
    y = np.array([1, 1, 0, 0])
    with silent():
        v, g = BCE.value_and_grad(big, y)
        p = BCE.predict(big)
    assert v == pytest.approx((0 + 1e4 + 1e4 + 0) / 4)
    np.testing.assert_allclose(g[:, 0], np.array([0, -1, 1, 0]) / 4)
    np.testing.assert_array_equal(p[:, 0], [1, 0, 1, 0])

    bigk = np.array([[1e4, -1e4, 0], [-1e4, 1e4, -1e4]], dtype=dtype)
    with silent():
        v, g = CCE.value_and_grad(bigk, np.array([0, 0]))
        v2, g2 = CCE.value_and_grad(bigk, np.eye(3)[[0, 0]])
        p = CCE.predict(bigk)
    assert v == pytest.approx(1e4) and v2 == pytest.approx(1e4)
    np.testing.assert_allclose(g, [[0, 0, 0], [-0.5, 0.5, 0]], atol=1e-12)
    np.testing.assert_allclose(g2, g, atol=1e-12)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1)

    with silent():
        v, g = MSE.value_and_grad(big, np.zeros(4))
    assert v == pytest.approx(1e8) and np.all(np.isfinite(g))


BIG32 = float(np.float32(1e30))


@settings(max_examples=60, deadline=None)
@given(
    x=hnp.arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(2, 4)),
                 elements=st.floats(-BIG32, BIG32, width=32)),
    seed=st.integers(0, 2**16),
)
def test_any_finite_logits_finite_and_silent(x, seed):
    rng = np.random.default_rng(seed)
    n, k = x.shape
    cases = [(BCE, x[:, :1], rng.integers(0, 2, n)), (CCE, x, rng.integers(0, k, n)),
             (CCE, x, np.eye(k)[rng.integers(0, k, n)]), (MSE, x, rng.normal(size=(n, k)))]
    for loss, logits, y in cases:
        with silent():
            v, g = loss.value_and_grad(logits, y)
            p = loss.predict(logits)
        assert math.isfinite(v) and v >= 0
        assert np.all(np.isfinite(g)) and g.dtype == np.float32
        assert np.all(np.isfinite(p))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_logits_give_nan_silently(bad):
    x = np.array([[0.5, bad], [0.1, 0.2]], dtype=np.float32)
    for loss, logits, y in [(BCE, x[:, 1:], [0, 1]), (CCE, x, [0, 1]), (MSE, x, np.zeros((2, 2)))]:
        with silent():
            v, g = loss.value_and_grad(logits, y)
            assert math.isnan(loss.value(logits, y))
        assert math.isnan(v) and np.all(np.isnan(g)) and g.shape == logits.shape


def test_inputs_not_modified():
    x = np.array([[0.5, -1.0, 2.0]])
    keep = x.copy()
    y = np.array([[0.0, 1.0, 0.0]])
    for loss in (CCE, MSE):
        loss.value_and_grad(x, y)
        loss.predict(x)
    np.testing.assert_array_equal(x, keep)
    out = MSE.predict(x)
    out[...] = 0
    np.testing.assert_array_equal(x, keep)


def test_predict():
    x = np.array([[0.0], [100.0]])
    np.testing.assert_allclose(BCE.predict(x), [[0.5], [1.0]])
    p = CCE.predict(np.array([[0.0, 0.0], [0.0, math.log(3)]]))
    np.testing.assert_allclose(p, [[0.5, 0.5], [0.25, 0.75]])
    np.testing.assert_array_equal(MSE.predict(x), x)


# ---------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("loss, logits, y, match", [
    (BCE, np.zeros((3, 1)), np.array([0, 1]), "do not match"),
    (BCE, np.zeros((3, 1)), np.array([0, 2, 1]), r"in \[0, 1\]"),
    (BCE, np.zeros((3, 1)), np.array([0, np.nan, 1]), "NaN"),
    (BCE, np.zeros((0, 1)), np.zeros(0), "empty"),
    (BCE, np.zeros((2, 1, 1)), np.zeros(2), "shape"),
    (BCE, np.array([["a"], ["b"]]), np.zeros(2), "numeric"),
    (CCE, np.zeros((3, 1)), np.array([0, 0, 0]), "at least 2 output units"),
    (CCE, np.zeros(3), np.array([0, 0, 0]), "shape"),
    (CCE, np.zeros((3, 2)), np.array([0, 2, 1]), "0 .. 1"),
    (CCE, np.zeros((3, 2)), np.array([0, -1, 1]), "0 .. 1"),
    (CCE, np.zeros((3, 2)), np.array([0, 0.5, 1]), "integers"),
    (CCE, np.zeros((3, 2)), np.zeros((3, 3)), "one-hot"),
    (CCE, np.zeros((3, 2)), -np.ones((3, 2)), "non-negative"),
    (MSE, np.zeros((3, 2)), np.zeros(3), "do not match"),
    (MSE, np.zeros((3, 1)), np.zeros(4), "do not match"),
])
def test_bad_input(loss, logits, y, match):
    with pytest.raises(ValueError, match=match):
        loss.value_and_grad(logits, y)
    with pytest.raises(ValueError, match=match):
        loss.value(logits, y)
