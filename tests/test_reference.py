"""The reference network (initviz.core.reference) as the oracle of the fast path: it matches
centred finite differences; the fast Network (float32 and float64, every activation, equal and
unequal widths, depth 1 and several, full batch and the trainer's partial dout, reused buffers)
gives its logits, activations and gradients; a Trainer's SGD epoch is its update done by hand."""
import zlib

import numpy as np
import pytest
from gradcheck import numeric_gradient, rel_error

from initviz.core import activations, losses, reference
from initviz.core.network import Network
from initviz.core.training import Config, Trainer

KINKED = {"relu", "leaky_relu", "elu", "selu"}  # derivative (or its derivative) jumps at z = 0


def _targets(loss, rng, n):
    """Targets for ``loss`` and the number of outputs they need."""
    if loss == "binary_crossentropy":
        return rng.integers(0, 2, n), 1
    if loss == "categorical_crossentropy":
        return rng.integers(0, 3, n), 3
    return rng.standard_normal((n, 2)), 2


# ---------------------------------------------------------------------------------------------
# the reference against centred finite differences


@pytest.mark.parametrize("loss", losses.names())
@pytest.mark.parametrize("activation", activations.names())
def test_reference_gradients_match_finite_differences(activation, loss):
    for attempt in range(50):
        rng = np.random.default_rng([zlib.crc32(f"ref/{activation}/{loss}".encode()), attempt])
        X = rng.standard_normal((7, 3))
        y, outputs = _targets(loss, rng, 7)
        sizes = [3, 5, 4, outputs]
        weights = [rng.normal(0, 1 / np.sqrt(fi), (fi, fo)) for fi, fo in zip(sizes, sizes[1:])]
        biases = [rng.normal(0, 0.3, fo) for fo in sizes[1:]]  # non-zero: db is really checked
        value, grads = reference.loss_and_gradients(weights, biases, X, y, activation, loss)
        _, caches = reference.forward(weights, biases, X, activation)
        # a perturbation of h moves z by at most ~h * 10 here: keep every z off the kink at 0
        if activation not in KINKED or min(np.min(np.abs(z))
                                           for z, _ in reference.hidden_layers(caches)) > 1e-3:
            break
    else:
        pytest.fail("no draw kept the pre-activations away from the kink")

    def loss_of():
        return reference.loss_and_gradients(weights, biases, X, y, activation, loss)[0]

    assert np.isfinite(value) and len(grads) == len(weights)
    for (dW, db), W, b in zip(grads, weights, biases):
        assert dW.shape == W.shape and db.shape == b.shape
        assert dW.dtype == np.float64 and db.dtype == np.float64
        assert rel_error(dW, numeric_gradient(loss_of, W)) < 1e-6
        assert rel_error(db, numeric_gradient(loss_of, b)) < 1e-6


def test_the_reference_computes_in_float64_by_default():
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((2, 3)).astype(np.float32),
               rng.standard_normal((3, 1)).astype(np.float32)]
    biases = [np.zeros(3, np.float32), np.zeros(1, np.float32)]
    X = rng.standard_normal((4, 2)).astype(np.float32)
    logits, caches = reference.forward(weights, biases, X, "tanh")
    assert logits.dtype == np.float64
    assert all(z.dtype == a.dtype == np.float64 for z, a in reference.hidden_layers(caches))
    _, grads = reference.loss_and_gradients(weights, biases, X, np.array([0, 1, 1, 0]))
    assert all(dW.dtype == db.dtype == np.float64 for dW, db in grads)
    low, _ = reference.forward(weights, biases, X, "tanh", dtype=np.float32)
    assert low.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# the fast Network against the reference

SHAPES = {  # hidden sizes and the loss the output uses
    "depth 3, equal widths (stacked)": ([6, 6, 6], "binary_crossentropy"),
    "depth 3, unequal widths": ([7, 4, 5], "categorical_crossentropy"),
    "depth 1": ([5], "mse"),
    "depth 2, wide (W^T views)": ([130, 130], "binary_crossentropy"),
}
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}  # relative error, whole arrays


def _assert_gradients_equal(fast, oracle, tol, what):
    assert len(fast) == len(oracle)
    for layer, ((dW, db), (rW, rb)) in enumerate(zip(fast, oracle)):
        assert dW.shape == rW.shape and db.shape == rb.shape
        assert rel_error(dW, rW) < tol, f"{what}: dW of layer {layer}"
        assert rel_error(db, rb) < tol, f"{what}: db of layer {layer}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("activation", activations.names())
def test_the_fast_network_gives_the_references_numbers(activation, shape, dtype):
    hidden, loss = SHAPES[shape]
    rng = np.random.default_rng(zlib.crc32(f"{activation}/{shape}".encode()))
    n, rows = 9, 6  # the trainer forwards training and test rows, backpropagates the training rows
    y, outputs = _targets(loss, rng, n)
    net = Network([3, *hidden, outputs], activation=activation, initializer="glorot_normal",
                  loss=loss, seed=1, dtype=dtype)
    for b in net.biases:  # non-zero biases: the bias column of [W; b] is really checked
        b[...] = rng.normal(0, 0.3, b.shape)
    X = rng.standard_normal((n, 3))
    seen = X.astype(dtype)  # the inputs as the network stores them
    tol = TOLERANCE[dtype]
    for round_ in range(2):  # the second round reuses the buffers, with changed weights
        what = f"round {round_}"
        logits = net.forward(X, reuse=True)
        oracle_logits, caches = reference.forward(net.weights, net.biases, seen, activation)
        assert logits.dtype == dtype
        assert rel_error(logits, oracle_logits) < tol, what
        layers = reference.hidden_layers(caches)
        assert len(net.preactivations) == len(net.activations) == len(layers)
        for (z, a), fast_z, fast_a in zip(layers, net.preactivations, net.activations):
            assert rel_error(fast_z, z) < tol and rel_error(fast_a, a) < tol, what
        if len(set(hidden)) == 1:
            assert rel_error(net.stacked_preactivations, [z for z, _ in layers]) < tol
            assert rel_error(net.stacked_activations, [a for _, a in layers]) < tol
        else:
            assert net.stacked_preactivations is None and net.stacked_activations is None
        # a partial dout, as the trainer: the gradient of the first rows' mean loss
        _, dlogits = net.loss.value_and_grad(logits[:rows], y[:rows])
        partial = net.backward(dlogits)
        _, oracle = reference.loss_and_gradients(net.weights, net.biases, seen[:rows],
                                                 y[:rows], activation, loss)
        _assert_gradients_equal(partial, oracle, tol, f"{what}, first {rows} rows")
        # the full batch
        value, full = net.loss_and_gradients(X, y)
        oracle_value, oracle = reference.loss_and_gradients(net.weights, net.biases, seen, y,
                                                            activation, loss)
        assert value == pytest.approx(oracle_value, rel=tol)
        _assert_gradients_equal(full, oracle, tol, f"{what}, full batch")
        for (dW, db), W, b in zip(full, net.weights, net.biases):  # a step for the next round
            W -= 0.5 * dW
            b -= 0.5 * db


# ---------------------------------------------------------------------------------------------
# a Trainer epoch against the reference's update done by hand


@pytest.mark.parametrize("config", [
    Config(dataset="moons", depth=3, width=8, activation="tanh", bias_initializer="random_normal"),
    Config(dataset="blobs", depth=2, width=6, activation="relu", initializer="he_normal",
           learning_rate=0.05),
    Config(dataset="sine", depth=1, width=10, activation="gelu", bias_initializer="random_normal"),
    Config(dataset="spirals", depth=4, width=5, activation="elu", initializer="lecun_normal",
           seed=2),
], ids=["moons-tanh", "blobs-relu", "sine-gelu", "spirals-elu"])
def test_a_trainer_sgd_epoch_is_the_reference_update(config):
    """Full batch SGD: W <- W - lr dL/dW over the training rows, epoch after epoch."""
    t = Trainer(config)
    net = t.network
    X = t.train.X.astype(net.dtype)  # the inputs as the trainer stores them
    lr = config.learning_rate
    for epoch in range(3):
        before = [p.astype(np.float64) for p in net.parameters]  # [W0, b0, W1, b1, ...]
        _, grads = reference.loss_and_gradients(before[0::2], before[1::2], X, t.train.y,
                                                config.activation, net.loss.name)
        assert t.step(1) == 1
        after = [p.astype(np.float64) for p in net.parameters]
        expected = [-lr * g for pair in grads for g in pair]
        for k, (p0, p1, update) in enumerate(zip(before, after, expected)):
            what = f"epoch {epoch}, parameter {k}"
            np.testing.assert_allclose(p1, p0 + update, rtol=1e-6, atol=1e-7, err_msg=what)
            # the update itself (float32 weights round it by about 6e-8 |W|)
            assert rel_error(p1 - p0, update) < 2e-4, what
