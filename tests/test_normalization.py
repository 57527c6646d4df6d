"""Normalization and residual connections (issue 16): the reference's definitions match centred
finite differences in float64 for every activation and combination; the fast Network gives the
reference's logits, z, y, layer outputs and gradients (float64 and float32, full batch and
mini-batches, reused buffers); batch norm's running statistics follow Keras (momentum 0.99) and
drive predictions; the plain network's layout is unchanged; bad arguments are ValueErrors."""
import itertools
import zlib

import numpy as np
import pytest
from gradcheck import numeric_gradient, rel_error

from initviz.core import activations, reference
from initviz.core.network import NORM_EPSILON, Network, normalization_names
from initviz.core.training import Config, Trainer

KINKED = {"relu", "leaky_relu", "elu", "selu"}
COMBINATIONS = [(n, r) for n, r in itertools.product(["none", "batch", "layer"], [False, True])
                if (n, r) != ("none", False)]
IDS = [f"{n}-{'residual' if r else 'plain'}" for n, r in COMBINATIONS]


def _options(normalization, residual, gammas, betas):
    return dict(normalization=normalization, gammas=gammas, betas=betas, residual=residual,
                residual_scale=0.7)


@pytest.mark.parametrize("normalization, residual", COMBINATIONS, ids=IDS)
@pytest.mark.parametrize("activation", activations.names())
def test_reference_gradients_match_finite_differences(activation, normalization, residual):
    sizes = [3, 5, 5, 5, 1]
    for attempt in range(50):
        rng = np.random.default_rng(
            [zlib.crc32(f"norm/{activation}/{normalization}/{residual}".encode()), attempt])
        X, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
        weights = [rng.normal(0, 1 / np.sqrt(fi), (fi, fo)) for fi, fo in zip(sizes, sizes[1:])]
        biases = [rng.normal(0, 0.3, fo) for fo in sizes[1:]]
        gammas = [rng.normal(1, 0.3, w) for w in sizes[1:-1]]  # not 1 / 0: really checked
        betas = [rng.normal(0, 0.3, w) for w in sizes[1:-1]]
        options = _options(normalization, residual, gammas, betas)
        _, caches = reference.forward(weights, biases, X, activation, **options)
        if activation not in KINKED or min(np.min(np.abs(y_))
                                           for y_ in reference.normalized_layers(caches)) > 1e-3:
            break
    else:
        pytest.fail("no draw kept the activations' inputs away from the kink")
    value, grads = reference.loss_and_gradients(weights, biases, X, y, activation, **options)

    def loss_of():
        return reference.loss_and_gradients(weights, biases, X, y, activation, **options)[0]

    params = [p for pair in zip(weights, biases) for p in pair]
    if normalization != "none":
        params += [p for pair in zip(gammas, betas) for p in pair]
    analytic = [g for pair in grads for g in pair]
    assert np.isfinite(value) and len(analytic) == len(params)
    for k, (g, p) in enumerate(zip(analytic, params)):
        assert g.shape == p.shape
        # tiny: batch norm subtracts the batch mean, so the hidden biases' gradients are 0
        assert rel_error(g, numeric_gradient(loss_of, p), tiny=1e-4) < 1e-6, f"parameter {k}"
    if normalization == "batch":
        assert all(np.abs(db).max() < 1e-12 for _, db in grads[:len(weights) - 1])


def test_the_reference_normalises_as_defined():
    """z_hat = (z - mean) / sqrt(var + 1e-3), biased variance: per unit over the batch (batch
    norm) and per row over the units (layer norm); gamma = 1, beta = 0 leave z_hat."""
    rng = np.random.default_rng(0)
    z = rng.normal(3, 2, (50, 4))
    ones, zeros = np.ones(4), np.zeros(4)
    y, _ = reference.norm_forward(z, ones, zeros, "batch")
    np.testing.assert_allclose(y, (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-3))
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    y, _ = reference.norm_forward(z, ones, zeros, "layer")
    row_mean, row_var = z.mean(1, keepdims=True), z.var(1, keepdims=True)
    np.testing.assert_allclose(y, (z - row_mean) / np.sqrt(row_var + 1e-3))
    assert NORM_EPSILON == reference.EPSILON == 1e-3


SHAPES = {"equal widths": [6, 6, 6], "depth 1": [5], "unequal widths": [7, 4, 5]}
TOLERANCE = {np.float64: 1e-10, np.float32: 2e-4}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("normalization, residual", COMBINATIONS, ids=IDS)
@pytest.mark.parametrize("activation", activations.names())
def test_the_fast_network_gives_the_references_numbers(activation, normalization, residual,
                                                       shape, dtype):
    hidden = SHAPES[shape]
    if residual and len(set(hidden)) > 1:
        with pytest.raises(ValueError, match="hidden widths must be equal"):
            Network([3, *hidden, 1], residual=True)
        return
    rng = np.random.default_rng(zlib.crc32(f"{activation}/{normalization}/{shape}".encode()))
    net = Network([3, *hidden, 1], activation=activation, initializer="glorot_normal", seed=1,
                  dtype=dtype, normalization=normalization, residual=residual,
                  residual_scale=0.7)
    for p in [*net.biases, *net.betas]:
        p[...] = rng.normal(0, 0.3, p.shape)
    for g in net.gammas:
        g[...] = rng.normal(1, 0.3, g.shape)
    tol = TOLERANCE[dtype]
    X_all, y_all = rng.standard_normal((12, 3)), rng.integers(0, 2, 12)
    for round_, rows in enumerate([slice(None), slice(0, 5), slice(None)]):  # full, mini, full
        X, y = X_all[rows], y_all[rows]
        seen = X.astype(dtype)
        options = _options(normalization, residual, net.gammas, net.betas)
        logits = net.forward(X, reuse=True)
        oracle_logits, caches = reference.forward(net.weights, net.biases, seen, activation,
                                                  **options)
        what = f"round {round_}"
        assert logits.dtype == dtype
        assert rel_error(logits, oracle_logits) < tol, what
        for (z, x), fast_z, fast_x in zip(reference.hidden_layers(caches), net.preactivations,
                                          net.activations):
            assert rel_error(fast_z, z) < tol and rel_error(fast_x, x) < tol, what
        for y_, fast_y in zip(reference.normalized_layers(caches), net.normalized_preactivations):
            assert rel_error(fast_y, y_) < tol, what
        value, grads = net.loss_and_gradients(X, y)
        oracle_value, oracle = reference.loss_and_gradients(net.weights, net.biases, seen, y,
                                                            activation, **options)
        assert value == pytest.approx(oracle_value, rel=tol)
        assert len(grads) == len(oracle) == len(net.parameters) // 2
        for k, ((g1, g2), (o1, o2)) in enumerate(zip(grads, oracle)):
            assert g1.shape == o1.shape and g2.shape == o2.shape
            # relative to the largest gradient of the layer's pair (batch norm's hidden db is 0)
            scale = max(np.abs(o1).max(), np.abs(o2).max())
            assert rel_error(g1, o1, scale) < tol and rel_error(g2, o2, scale) < tol, \
                f"{what}, pair {k}"
        flat = net.flat_parameters()
        flat -= 0.3 * np.concatenate([g.ravel() for pair in grads for g in pair])


@pytest.mark.parametrize("normalization", ["none", "layer"])
def test_a_partial_dout_is_the_first_rows_gradient_without_batch_norm(normalization):
    """The trainer's joint pass: forward training and test rows, backpropagate the first."""
    rng = np.random.default_rng(4)
    net = Network([3, 6, 6, 1], activation="tanh", seed=2, dtype=np.float64,
                  normalization=normalization, residual=True)
    X, y = rng.standard_normal((9, 3)), rng.integers(0, 2, 9)
    logits = net.forward(X)
    _, dlogits = net.loss.value_and_grad(logits[:6], y[:6])
    partial = net.backward(dlogits)
    _, oracle = reference.loss_and_gradients(net.weights, net.biases, X[:6], y[:6], "tanh",
                                             **_options(normalization, True, net.gammas,
                                                        net.betas) | {"residual_scale": 1.0})
    for (a, b), (c, d) in zip(partial, oracle):
        assert rel_error(a, c) < 1e-12 and rel_error(b, d) < 1e-12


def test_batch_norm_refuses_a_partial_dout():
    net = Network([2, 4, 4, 1], normalization="batch", dtype=np.float64)
    logits = net.forward(np.random.default_rng(0).standard_normal((8, 2)))
    with pytest.raises(ValueError, match="batch norm couples the rows"):
        net.backward(np.ones_like(logits[:5]))


def test_running_statistics_follow_keras_and_drive_predictions():
    """Keras: moving = 0.99 moving + 0.01 batch (biased variance), from mean 0 and variance 1;
    predictions (``logits``) normalise with them, training passes with the batch's own."""
    rng = np.random.default_rng(5)
    net = Network([2, 5, 5, 1], activation="relu", normalization="batch", residual=True,
                  dtype=np.float64, seed=3)
    assert all((m == 0).all() and (v == 1).all()
               for m, v in zip(net.running_means, net.running_variances))
    running = [(m.copy(), v.copy()) for m, v in zip(net.running_means, net.running_variances)]
    for _ in range(3):
        X = rng.standard_normal((16, 2))
        net.forward(X)
        _, caches = reference.forward(net.weights, net.biases, X, "relu", normalization="batch",
                                      gammas=net.gammas, betas=net.betas, residual=True)
        net.update_running_statistics()
        running = reference.running_update(running, caches)
        for (m, v), fm, fv in zip(running, net.running_means, net.running_variances):
            np.testing.assert_allclose(fm, m, rtol=1e-12)
            np.testing.assert_allclose(fv, v, rtol=1e-12)
    X = rng.standard_normal((7, 2))
    expected, _ = reference.forward(net.weights, net.biases, X, "relu", normalization="batch",
                                    gammas=net.gammas, betas=net.betas, residual=True,
                                    running=running)
    np.testing.assert_allclose(net.logits(X), expected, rtol=1e-12)
    training, _ = reference.forward(net.weights, net.biases, X, "relu", normalization="batch",
                                    gammas=net.gammas, betas=net.betas, residual=True)
    assert rel_error(net.logits(X), training) > 1e-3  # running statistics, not the batch's


def test_layer_norm_predicts_like_its_forward_pass():
    net = Network([2, 5, 5, 2], normalization="layer", loss="categorical_crossentropy",
                  dtype=np.float64)
    X = np.random.default_rng(1).standard_normal((6, 2))
    np.testing.assert_allclose(net.logits(X), net.forward(X), rtol=1e-12)
    np.testing.assert_allclose(net.logits(X[:1]), net.forward(X)[:1], rtol=1e-12)


def test_gamma_and_beta_follow_the_layers_in_the_flat_buffer():
    net = Network([2, 4, 4, 1], normalization="layer")
    plain = Network([2, 4, 4, 1])
    layer_parameters = plain.flat_parameters().size
    assert net.flat_parameters().size == layer_parameters + 2 * (4 + 4)
    assert [g.tolist() for g in net.gammas] == [[1.0] * 4] * 2  # gamma = 1, beta = 0
    assert [b.tolist() for b in net.betas] == [[0.0] * 4] * 2
    np.testing.assert_array_equal(net.flat_parameters()[:layer_parameters],
                                  plain.flat_parameters())  # same seed, same kernels
    np.testing.assert_array_equal(net.segment_starts, plain.segment_starts)
    net.gammas[1][...] = 3.0
    assert (net.flat_parameters()[-8:-4] == 3.0).all()
    assert plain.gammas == [] and plain.betas == []


def test_the_default_network_keeps_its_fast_path():
    net = Network([2, 8, 8, 1])
    assert net._plain and net.normalization is None and not net.residual
    net.forward(np.zeros((3, 2)), reuse=True)
    assert type(net.workspace).__name__ == "_Workspace"
    assert net.normalized_preactivations is net.preactivations


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="batch, layer, none"):
        Network([2, 4, 1], normalization="group")
    with pytest.raises(ValueError, match="residual must be True or False"):
        Network([2, 4, 1], residual="yes")
    with pytest.raises(ValueError, match="residual_scale must be >= 0"):
        Network([2, 4, 1], residual=True, residual_scale=-1)
    assert normalization_names() == ["none", "batch", "layer"]


# ---------------------------------------------------------------------------------------------
# the Trainer


@pytest.mark.parametrize("normalization, residual", COMBINATIONS, ids=IDS)
def test_a_trainer_sgd_epoch_is_the_reference_update(normalization, residual):
    config = Config(depth=3, width=6, activation="tanh", normalization=normalization,
                    residual=residual, residual_scale=0.5, bias_initializer="random_normal")
    t = Trainer(config)
    net = t.network
    X = t.train.X.astype(net.dtype)
    for epoch in range(3):
        before = [p.astype(np.float64) for p in net.parameters]
        layers = 2 * (config.depth + 1)
        weights, biases = before[0:layers:2], before[1:layers:2]
        options = _options(normalization, residual, before[layers::2], before[layers + 1::2])
        options["residual_scale"] = 0.5
        _, grads = reference.loss_and_gradients(weights, biases, X, t.train.y, "tanh",
                                                **options)
        assert t.step(1) == 1
        after = [p.astype(np.float64) for p in net.parameters]
        expected = [-config.learning_rate * g for pair in grads for g in pair]
        assert len(expected) == len(after)
        for k, (p0, p1, update) in enumerate(zip(before, after, expected)):
            np.testing.assert_allclose(p1, p0 + update, rtol=1e-5, atol=1e-6,
                                       err_msg=f"epoch {epoch}, parameter {k}")


def test_batch_norm_test_loss_uses_the_running_statistics():
    t = Trainer(Config(depth=3, width=8, normalization="batch"))
    net = t.network
    running = [(m.copy(), v.copy()) for m, v in zip(net.running_means, net.running_variances)]
    test_logits = net.logits(t.test.X)  # before the step: the running statistics of epoch 0
    t.step(1)
    expected = net.loss.value(test_logits, t.test.y)
    assert t.history.test_loss[-1] == pytest.approx(expected, rel=1e-5)
    moved = [not np.allclose(m, m0) for (m0, _), m in zip(running, net.running_means)]
    assert all(moved)  # one training step updated them


@pytest.mark.parametrize("batch_size", [None, 32])
@pytest.mark.parametrize("normalization", ["batch", "layer"])
def test_the_trainer_records_normalised_statistics_and_histograms(normalization, batch_size):
    t = Trainer(Config(depth=4, width=16, activation="relu", initializer="random_normal",
                       normalization=normalization, batch_size=batch_size))
    t.step(11)
    h = t.history
    assert h.normalized_std.shape == (11, 4) and h.preactivation_std.shape == (11, 4)
    # gamma = 1 at first: y is standardised, sqrt(var / (var + 1e-3)) (epsilon shows: the
    # 0.05-weights give a small raw z), whatever the raw z's std
    assert ((h.normalized_std[0] > 0.8) & (h.normalized_std[0] <= 1.0 + 1e-6)).all()
    assert (h.preactivation_std[0][1:] < 0.2).all()
    snapshot = h.snapshots[-1]
    assert snapshot.counts["normalized"].shape == (4, t.bins["normalized"].n_bins)
    np.testing.assert_allclose(snapshot.counts["normalized"].sum(axis=1), 1.0, rtol=1e-5)
    plain = Trainer(Config(depth=2))
    plain.step(1)
    assert np.isnan(plain.history.normalized_std).all()
    assert "normalized" not in plain.history.snapshots[-1].counts
