"""Network: exact gradients (centred finite differences, float64), shapes, determinism, scale,
editable kernels, input validation and the documented numbers (He std, Keras 'normal')."""
import copy
import math
import zlib

import numpy as np
import pytest
from gradcheck import numeric_gradient, rel_error

from initviz.core import activations, initializers, losses
from initviz.core.network import Network

KINKED = {"relu", "leaky_relu", "elu", "selu"}  # derivative (or its derivative) jumps at z = 0


def _problem(loss, rng, n=7):
    """Inputs, targets and output width for a loss."""
    X = rng.standard_normal((n, 3))
    if loss == "binary_crossentropy":
        return X, rng.integers(0, 2, n), 1
    if loss == "categorical_crossentropy":
        return X, rng.integers(0, 3, n), 3
    return X, rng.standard_normal((n, 2)), 2


def _loss(net, X, y):
    return net.loss.value(net.forward(X), y)


@pytest.mark.parametrize("loss", losses.names())
@pytest.mark.parametrize("activation", activations.names())
def test_gradients_match_finite_differences(activation, loss):
    for attempt in range(50):
        rng = np.random.default_rng([zlib.crc32(f"{activation}/{loss}".encode()), attempt])
        X, y, out = _problem(loss, rng)
        net = Network([3, 5, 4, out], activation=activation, initializer="glorot_normal",
                      loss=loss, seed=attempt, dtype=np.float64)
        for b in net.biases:  # non-zero biases so db is really checked
            b[...] = rng.normal(0, 0.3, b.shape)
        value, grads = net.loss_and_gradients(X, y)
        # a perturbation of h moves z by at most ~h * 10 here: keep every z off the kink at 0
        if activation not in KINKED or min(np.min(np.abs(z)) for z in net.preactivations) > 1e-3:
            break
    else:
        pytest.fail("no draw kept the pre-activations away from the kink")
    assert np.isfinite(value)
    assert len(grads) == len(net.weights)
    for (dW, db), W, b in zip(grads, net.weights, net.biases):
        assert dW.shape == W.shape and db.shape == b.shape
        assert dW.dtype == np.float64 and db.dtype == np.float64
        assert rel_error(dW, numeric_gradient(lambda: _loss(net, X, y), W)) < 1e-6
        assert rel_error(db, numeric_gradient(lambda: _loss(net, X, y), b)) < 1e-6


def test_gradient_check_with_one_hidden_layer_and_wide_output():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((9, 4)), rng.integers(0, 5, 9)
    net = Network([4, 6, 5], activation="tanh", loss="categorical_crossentropy", seed=2,
                  dtype=np.float64)
    _, grads = net.loss_and_gradients(X, y)
    for (dW, db), W, b in zip(grads, net.weights, net.biases):
        assert rel_error(dW, numeric_gradient(lambda: _loss(net, X, y), W)) < 1e-6
        assert rel_error(db, numeric_gradient(lambda: _loss(net, X, y), b)) < 1e-6


def test_shapes_and_dtypes():
    net = Network([2, 32, 16, 1], activation="tanh", initializer="glorot_uniform", seed=0)
    assert [w.shape for w in net.weights] == [(2, 32), (32, 16), (16, 1)]
    assert [b.shape for b in net.biases] == [(32,), (16,), (1,)]
    assert all(p.dtype == np.float32 for p in net.parameters)
    assert net.depth == 2
    assert len(net.parameters) == 6 and net.parameters[0] is net.weights[0]
    assert net.parameters[1] is net.biases[0]
    X = np.random.default_rng(0).standard_normal((10, 2))
    out = net.forward(X)
    assert out.shape == (10, 1) and out.dtype == np.float32
    assert [z.shape for z in net.preactivations] == [(10, 32), (10, 16)]
    assert [a.shape for a in net.activations] == [(10, 32), (10, 16)]
    np.testing.assert_allclose(net.activations[0], np.tanh(net.preactivations[0]), rtol=1e-6)
    # the output layer is linear
    np.testing.assert_allclose(out, net.activations[-1] @ net.weights[-1] + net.biases[-1],
                               rtol=1e-6)
    loss, grads = net.loss_and_gradients(X, np.zeros(10, dtype=np.int64))
    assert isinstance(loss, float)
    assert all(dW.dtype == np.float32 and db.dtype == np.float32 for dW, db in grads)


def test_forward_matches_a_direct_numpy_computation():
    net = Network([3, 8, 8, 2], activation="relu", initializer="he_uniform",
                  bias_initializer="random_normal", loss="mse", seed=4, dtype=np.float64)
    X = np.random.default_rng(1).standard_normal((5, 3))
    h = X
    for W, b in zip(net.weights[:-1], net.biases[:-1]):
        h = np.maximum(h @ W + b, 0)
    np.testing.assert_allclose(net.forward(X), h @ net.weights[-1] + net.biases[-1], rtol=1e-12)


def test_same_seed_same_weights_and_different_seed_different_weights():
    a = Network([2, 16, 16, 1], initializer="he_normal", bias_initializer="random_uniform", seed=7)
    b = Network([2, 16, 16, 1], initializer="he_normal", bias_initializer="random_uniform", seed=7)
    c = Network([2, 16, 16, 1], initializer="he_normal", bias_initializer="random_uniform", seed=8)
    for p, q in zip(a.parameters, b.parameters):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(a.weights[1], c.weights[1])
    # a Generator works as a seed, and draws are the same as from the seed it was made with
    d = Network([2, 16, 16, 1], initializer="he_normal", bias_initializer="random_uniform",
                seed=np.random.default_rng(7))
    for p, q in zip(a.parameters, d.parameters):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("initializer", ["glorot_uniform", "he_normal", "orthogonal", "identity",
                                         "random_normal"])
def test_scale_multiplies_the_kernels(initializer):
    base = Network([8, 8, 8, 1], initializer=initializer, seed=3)
    scaled = Network([8, 8, 8, 1], initializer=initializer, scale=2.5, seed=3)
    for w, ws in zip(base.weights, scaled.weights):
        np.testing.assert_allclose(ws, 2.5 * w, rtol=1e-6)
    for b, bs in zip(base.biases, scaled.biases):  # biases are not scaled
        np.testing.assert_array_equal(b, bs)
    zero = Network([8, 8, 8, 1], initializer=initializer, scale=0, seed=3)
    assert all(not w.any() for w in zero.weights)


def test_identity_scale_explodes_and_vanishes_with_depth():
    X = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)
    for scale, factor in [(1.5, 1.5), (0.5, 0.5)]:
        net = Network([4] + [4] * 10 + [1], activation="linear", initializer="identity",
                      scale=scale, seed=0)
        net.forward(X)
        np.testing.assert_allclose(net.activations[-1], X * factor**10, rtol=1e-5)


def test_kernels_are_editable_in_place():
    net = Network([2, 4, 1], activation="relu", bias_initializer="zeros", seed=0)
    X = np.ones((3, 2), dtype=np.float32)
    net.weights[0][...] = 0
    out = net.forward(X)
    assert not net.preactivations[0].any()
    np.testing.assert_array_equal(out, np.zeros((3, 1), dtype=np.float32))
    net.biases[-1][...] = 0.75
    np.testing.assert_array_equal(net.forward(X), np.full((3, 1), 0.75, dtype=np.float32))
    net.weights[0][...] = 1.0
    net.weights[1][...] = 1.0
    np.testing.assert_allclose(net.forward(X), np.full((3, 1), 4 * 2 + 0.75), rtol=1e-6)


@pytest.mark.parametrize("sizes", [[], [2], [2, 0, 1], [2, -3, 1], [2, 2.5, 1], [2, True, 1],
                                   ["2", 4, 1], [2, 4, None]])
def test_bad_sizes_raise(sizes):
    with pytest.raises(ValueError, match="size"):
        Network(sizes)


@pytest.mark.parametrize("scale", [-1.0, float("nan"), float("inf"), "big", None])
def test_bad_scale_raises(scale):
    with pytest.raises(ValueError, match="scale"):
        Network([2, 4, 1], scale=scale)


@pytest.mark.parametrize("field, value, hint", [
    ("activation", "rleu", "relu"),
    ("initializer", "he_nromal", "he_normal"),
    ("bias_initializer", "zeroes", "zeros"),
    ("loss", "binary_crossentropi", "binary_crossentropy"),
])
def test_bad_names_raise_with_a_suggestion(field, value, hint):
    with pytest.raises(ValueError, match=f"did you mean '{hint}'"):
        Network([2, 4, 1], **{field: value})


def test_he_normal_width_256_has_the_documented_std():
    # 65,536 draws: the sample std's relative standard error is 1/sqrt(2n) = 0.28%, so 2% is >7 sigma
    for seed in range(3):
        net = Network([2, 256, 256, 1], activation="relu", initializer="he_normal", seed=seed)
        std = float(np.std(net.weights[1], dtype=np.float64))
        assert abs(std / math.sqrt(2 / 256) - 1) < 0.02


def test_keras_normal_in_dense_13_has_std_0_05():
    # Dense(13, input_dim=13, kernel_initializer='normal'): a (13, 13) kernel of N(0, 0.05^2)
    net = Network([13, 13, 1], activation="relu", initializer="normal", seed=0)
    w = net.weights[0].astype(np.float64)
    assert w.shape == (13, 13)
    n = w.size  # 169 draws: allow 4 standard errors of the sample std, 0.05 / sqrt(2n) each
    assert abs(w.std() - 0.05) < 4 * 0.05 / math.sqrt(2 * n)
    assert abs(w.mean()) < 4 * 0.05 / math.sqrt(n)
    # pooled over many seeds of the same shape, and one large layer, for statistical power
    pooled = np.concatenate([Network([13, 13, 1], initializer="normal", seed=s).weights[0].ravel()
                             for s in range(200)]).astype(np.float64)
    assert abs(pooled.std() - 0.05) < 4 * 0.05 / math.sqrt(2 * pooled.size)  # within ~1.2%
    big = Network([13, 4096, 1], initializer="normal", seed=1).weights[0].astype(np.float64)
    assert abs(big.std() - 0.05) < 4 * 0.05 / math.sqrt(2 * big.size)  # within ~0.8%
    # the width does not matter for 'normal': the std is 0.05 whatever the fan-in
    wide = Network([1024, 64, 1], initializer="normal", seed=2).weights[0].astype(np.float64)
    assert abs(wide.std() - 0.05) < 4 * 0.05 / math.sqrt(2 * wide.size)


def test_torch_default_bias_uses_the_weight_fan_in():
    net = Network([100, 400, 1], initializer="torch_default", bias_initializer="torch_default",
                  seed=0)
    bound = 1 / math.sqrt(100)
    assert float(np.abs(net.biases[0]).max()) <= bound
    assert float(np.abs(net.biases[0]).max()) > 0.9 * bound
    assert float(np.abs(net.biases[1]).max()) <= 1 / math.sqrt(400)


def test_initializer_params_are_passed_through():
    net = Network([50, 50, 1], initializer="random_normal", initializer_params={"stddev": 0.5},
                  seed=0)
    assert abs(float(net.weights[0].std()) - 0.5) < 0.05
    assert net.kernel_initializer == initializers.get("random_normal", stddev=0.5)


def test_forward_of_a_huge_network_is_silent_under_errstate():
    net = Network([2] + [16] * 20 + [1], activation="relu", initializer="he_normal", scale=100,
                  seed=0)
    X = np.ones((4, 2), dtype=np.float32)
    with np.errstate(all="ignore"):
        out = net.forward(X)
    assert not np.all(np.isfinite(out))


def test_flat_parameters_share_memory_and_adopt_assigned_arrays():
    net = Network([3, 4, 4, 2], loss="mse", seed=0)
    flat = net.flat_parameters()
    assert flat.size == sum(p.size for p in net.parameters)
    assert all(np.shares_memory(p, flat) for p in net.parameters)
    flat[:] = 0.5
    assert all(np.all(p == 0.5) for p in net.parameters)
    replacement = np.full((4, 4), 2.0, dtype=np.float32)
    net.weights[1] = replacement  # assigned, not edited in place
    flat = net.flat_parameters()
    assert np.shares_memory(net.weights[1], flat) and np.all(net.weights[1] == 2.0)
    starts = net.segment_starts
    np.testing.assert_array_equal(flat[starts[2]:starts[3]].reshape(4, 4), replacement)


def test_backward_into_a_given_buffer_and_fresh_buffers_otherwise():
    net = Network([3, 5, 5, 1], activation="tanh", seed=1)
    X = np.random.default_rng(0).standard_normal((6, 3))
    y = np.array([0, 1, 0, 1, 1, 0])
    _, first = net.loss_and_gradients(X, y)
    _, second = net.loss_and_gradients(X, y)
    assert first[0][0] is not second[0][0]
    out = np.empty_like(net.flat_parameters())
    logits = net.forward(X)
    _, dlogits = net.loss.value_and_grad(logits, y)
    grads = net.backward(dlogits, out=out)
    assert all(np.shares_memory(dW, out) for dW, _ in grads)
    for (a, b), (c, d) in zip(grads, first):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_backward_over_the_first_rows_of_a_longer_forward_pass():
    """The trainer forwards its training and test rows together and backpropagates only the
    training rows: the gradients must equal a forward and backward pass over those rows alone."""
    for activation, sizes in [("tanh", [2, 6, 6, 6, 1]), ("relu", [2, 6, 4, 1]), ("elu", [2, 5, 5, 1])]:
        net = Network(sizes, activation=activation, initializer="he_normal", seed=3,
                      dtype=np.float64)
        X = np.random.default_rng(1).standard_normal((9, 2))
        y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1])
        _, alone = net.loss_and_gradients(X[:6], y[:6])
        logits = net.forward(X, reuse=True)
        _, dlogits = net.loss.value_and_grad(logits[:6], y[:6])
        together = net.backward(dlogits)
        for (a, b), (c, d) in zip(together, alone):
            np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(b, d, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="last forward pass"):
        net.backward(np.zeros((10, 1)))


def test_reused_forward_buffers_give_the_same_numbers():
    net = Network([2, 8, 8, 8, 1], activation="relu", initializer="he_normal", seed=0)
    X = np.random.default_rng(0).standard_normal((10, 2)).astype(np.float32)
    fresh = net.forward(X)
    fresh_z = [z.copy() for z in net.preactivations]
    reused = net.forward(X, reuse=True)
    np.testing.assert_array_equal(fresh, reused)
    for a, b in zip(fresh_z, net.preactivations):
        np.testing.assert_array_equal(a, b)
    assert net.stacked_activations.shape == (3, 10, 8)


def test_a_deep_copy_is_an_independent_network_with_its_own_views():
    net = Network([2, 6, 6, 6, 1], activation="tanh", seed=2)
    X = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    twin = copy.deepcopy(net)
    np.testing.assert_array_equal(twin.forward(X), net.forward(X))
    flat = twin.flat_parameters()
    assert not np.shares_memory(flat, net.flat_parameters())
    assert all(np.shares_memory(w, flat) for w in twin.weights)
    flat[:] = 0  # a change to the copy's buffer is a change to its kernels, not the original's
    assert not twin.forward(X).any() and net.forward(X).any()
    _, grads = twin.loss_and_gradients(X, np.zeros(5))
    _, (dW, _), *_ = grads
    assert np.all(dW == 0)  # zero kernels: no signal reaches the second layer's gradient input


@pytest.mark.parametrize("activation, sizes", [("tanh", [2, 8, 8, 8, 1]), ("relu", [3, 5, 7, 2]),
                                               ("gelu", [2, 6, 6, 1]), ("linear", [2, 4, 1])])
def test_logits_equal_forward_and_leave_the_last_forward_pass_alone(activation, sizes):
    net = Network(sizes, activation=activation, initializer="he_normal", seed=4)
    X = np.random.default_rng(2).standard_normal((7, sizes[0])).astype(np.float32)
    grid = np.random.default_rng(3).standard_normal((11, sizes[0])).astype(np.float32)
    out = net.forward(X)
    z = [a.copy() for a in net.preactivations]
    for rows in (grid, grid[:5], grid):  # buffers are reused, and remade for another size
        np.testing.assert_allclose(net.logits(rows), net.forward(rows.copy())[:len(rows)],
                                   rtol=1e-6, atol=1e-6)
    net.forward(X)
    net.logits(grid)
    for a, b in zip(net.preactivations, z):
        np.testing.assert_array_equal(a, b)  # backward still sees X's pass
    assert out.shape == (7, sizes[-1])


def test_move_parameters_keeps_the_values_and_rebinds_every_view():
    net = Network([2, 5, 5, 1], activation="relu", seed=6)
    X = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    before = net.forward(X).copy()
    work = np.empty((2, net.flat_parameters().size), dtype=np.float32)
    net.move_parameters(work[0])
    np.testing.assert_array_equal(net.forward(X), before)
    assert all(np.shares_memory(w, work) for w in net.weights + net.biases)
    kernel = net.weights[1].copy()
    work[0] *= 2  # the buffer is the parameters now
    np.testing.assert_array_equal(net.weights[1], 2 * kernel)
    assert not np.allclose(net.forward(X), before)
    with pytest.raises(ValueError, match="shape"):
        net.move_parameters(np.empty(3, dtype=np.float32))


def test_inputs_of_the_wrong_width_get_a_clear_error():
    net = Network([2, 4, 1], seed=0)
    for method in (net.forward, net.logits):
        with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
            method(np.zeros((3, 5)))
    net.forward(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="last forward pass"):
        net.backward(np.zeros((3, 2)))  # two outputs for a one-output network
