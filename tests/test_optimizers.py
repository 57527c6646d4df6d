"""Optimizers: the update formulas, in-place steps, the updates/apply split, and get()."""
import numpy as np
import pytest

from initviz.core import optimizers


def _params_and_grads(seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float32)]
    grads = [[rng.standard_normal(p.shape).astype(np.float32) for p in params] for _ in range(5)]
    return params, grads


def test_sgd():
    params, grads = _params_and_grads()
    expected = [p.astype(np.float64) for p in params]
    opt = optimizers.get("sgd", 0.1)
    for g in grads:
        ids = [id(p) for p in params]
        updates = opt.step(params, g)
        assert [id(p) for p in params] == ids  # in place
        for e, gi, u in zip(expected, g, updates):
            e -= 0.1 * gi
            np.testing.assert_allclose(u, -0.1 * gi, rtol=1e-6)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-5, atol=1e-6)
        assert p.dtype == np.float32


def test_momentum():
    params, grads = _params_and_grads(1)
    expected = [p.astype(np.float64) for p in params]
    velocity = [np.zeros_like(e) for e in expected]
    opt = optimizers.get("momentum", 0.05)
    for g in grads:
        opt.step(params, g)
        for e, v, gi in zip(expected, velocity, g):
            v *= 0.9
            v -= 0.05 * gi
            e += v
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-5, atol=1e-6)


def test_adam_matches_the_keras_formula():
    params, grads = _params_and_grads(2)
    expected = [p.astype(np.float64) for p in params]
    m = [np.zeros_like(e) for e in expected]
    v = [np.zeros_like(e) for e in expected]
    opt = optimizers.get("adam", 0.01)
    for t, g in enumerate(grads, start=1):
        opt.step(params, g)
        lr_t = 0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        for e, mi, vi, gi in zip(expected, m, v, g):
            mi[...] = 0.9 * mi + 0.1 * gi
            vi[...] = 0.999 * vi + 0.001 * gi.astype(np.float64) ** 2
            e -= lr_t * mi / (np.sqrt(vi) + 1e-7)
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", optimizers.names())
def test_updates_do_not_touch_params_and_apply_adds_them(name):
    params, grads = _params_and_grads(3)
    before = [p.copy() for p in params]
    opt = optimizers.get(name, 0.01)
    updates = opt.updates(params, grads[0])
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p, b)
    opt.apply(params, updates)
    for p, b, u in zip(params, before, updates):
        np.testing.assert_allclose(p, b + u, rtol=1e-6)
    # step() is updates() then apply(): two fresh optimizers agree
    a, b = optimizers.get(name, 0.01), optimizers.get(name, 0.01)
    pa, pb = [p.copy() for p in before], [p.copy() for p in before]
    for g in grads:
        a.step(pa, g)
        b.apply(pb, b.updates(pb, g))
    for x, y in zip(pa, pb):
        np.testing.assert_array_equal(x, y)


def test_get_validates():
    assert optimizers.names() == ["sgd", "momentum", "adam"]
    assert isinstance(optimizers.get("ADAM", 0.1), optimizers.Adam)
    with pytest.raises(ValueError, match="did you mean 'adam'"):
        optimizers.get("adma", 0.1)
    for bad in (0, -1.0, float("nan"), float("inf"), "fast"):
        with pytest.raises(ValueError, match="learning_rate"):
            optimizers.get("sgd", bad)
