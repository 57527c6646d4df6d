"""Config validation and round-trips, Trainer determinism, divergence, vanishing, bounded history,
per-layer statistics against direct NumPy formulas, histograms, status, He et al. 2015 fig. 3."""
import copy
import math
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from initviz.core import activations, initializers
from initviz.core.stats import GRADIENT_BINS, HISTOGRAM_SAMPLE, Bins
from initviz.core.training import (
    FIELDS,
    MAX_DEPTH,
    MAX_WIDTH,
    PER_EPOCH,
    PER_HIDDEN,
    PER_LAYER,
    STATUSES,
    Config,
    History,
    Snapshot,
    Trainer,
)


@contextmanager
def strict():
    """Any warning is an error, and NumPy floating-point errors raise."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            yield


def all_finite(arrays):
    return all(np.all(np.isfinite(a)) for a in arrays)


# ---------------------------------------------------------------------------------------------
# Config: validation


@pytest.mark.parametrize("field, value, message", [
    ("dataset", "moon", r"dataset: unknown dataset 'moon'; did you mean 'moons'\?.*Valid choices"),
    ("dataset", 3, "dataset must be a name"),
    ("activation", "rleu", r"activation: .*did you mean 'relu'"),
    ("initializer", "he_nromal", r"initializer: .*did you mean 'he_normal'"),
    ("bias_initializer", "zeroes", r"bias_initializer: .*did you mean 'zeros'"),
    ("bias_initializer", "orthogonal", "bias_initializer: .*2 dimensions"),
    ("optimizer", "adma", r"optimizer: .*did you mean 'adam'.*sgd"),
    ("n_samples", 0, "n_samples must be from 4 to 100,000"),
    ("n_samples", 3, "n_samples must be from 4 to 100,000"),
    ("n_samples", 100.0, "n_samples must be an integer from 4 to 100,000"),
    ("depth", 0, f"depth must be from 1 to {MAX_DEPTH}"),
    ("depth", MAX_DEPTH + 1, f"depth must be from 1 to {MAX_DEPTH}"),
    ("depth", 2.5, "depth must be an integer"),
    ("depth", True, "depth must be an integer"),
    ("width", 0, f"width must be from 1 to {MAX_WIDTH}"),
    ("width", MAX_WIDTH + 1, f"width must be from 1 to {MAX_WIDTH}"),
    ("width", "32", "width must be an integer"),
    ("scale", -0.5, "scale must be from 0.001 to 100"),
    ("scale", float("nan"), "scale must be from 0.001 to 100"),
    ("scale", float("inf"), "scale must be from 0.001 to 100"),
    ("scale", "big", "scale must be a number from 0.001 to 100"),
    ("learning_rate", 0.0, "learning_rate must be from 1e-05 to 10"),
    ("learning_rate", -0.1, "learning_rate must be from 1e-05 to 10"),
    ("learning_rate", float("inf"), "learning_rate must be from 1e-05 to 10"),
    ("learning_rate", float("nan"), "learning_rate must be from 1e-05 to 10"),
    ("noise", -0.1, "noise must be from 0 to 2"),
    ("noise", float("nan"), "noise must be from 0 to 2"),
    ("batch_size", 0, "batch_size must be from 1 to"),
    ("batch_size", 8.0, "batch_size must be an integer"),
    ("seed", -1, "seed must be from 0 to"),
    ("seed", 2**32, "seed must be from 0 to"),
])
def test_invalid_fields_raise_naming_the_field_and_the_range(field, value, message):
    with pytest.raises(ValueError, match=message):
        Config(**{field: value})


def test_n_samples_too_small_for_the_dataset_classes():
    Config(dataset="moons", n_samples=4)
    with pytest.raises(ValueError, match="n_samples: .*6 for 3 classes"):
        Config(dataset="blobs", n_samples=5)
    Trainer(Config(dataset="blobs", n_samples=6))


def test_defaults_are_valid_and_names_are_canonical():
    c = Config()
    assert (c.dataset, c.depth, c.width, c.activation, c.initializer) == (
        "moons", 6, 32, "tanh", "glorot_uniform")
    assert c.batch_size is None and c.optimizer == "sgd"
    same = Config(initializer="HeNormal", activation="ReLU", dataset="MOONS", optimizer="SGD")
    assert same == Config(initializer="he_normal", activation="relu")
    assert Config(initializer="normal").initializer == "random_normal"
    assert Config(activation="silu").activation == "swish"
    assert Config(scale=2).scale == 2.0 and isinstance(Config(scale=2).scale, float)


def test_replace_validates_and_refuses_unknown_fields():
    c = Config().replace(depth=12)
    assert c.depth == 12
    with pytest.raises(ValueError, match="depth must be from"):
        Config().replace(depth=0)
    with pytest.raises(ValueError, match=r"unknown Config field\(s\) \['detph'\]"):
        Config().replace(detph=3)


# ---------------------------------------------------------------------------------------------
# Config: round trips

CONFIGS = [
    Config(),
    Config(initializer="he_normal", activation="relu", depth=12),
    Config(dataset="blobs", n_samples=500, noise=0.05, depth=1, width=512, activation="sigmoid",
           initializer="identity", scale=0.5, bias_initializer="random_normal",
           optimizer="adam", learning_rate=0.001, batch_size=32, seed=123),
    Config(dataset="sine", noise=0.0, scale=0.1 + 0.2, learning_rate=1e-5, seed=2**32 - 1),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_dict_and_query_round_trip(config):
    assert Config.from_dict(config.to_dict()) == config
    assert Config.from_query(config.to_query()) == config
    assert Config.from_query("?" + config.to_query()) == config


def test_query_lists_only_changed_fields_sorted():
    assert Config().to_query() == ""
    assert Config.from_query("") == Config()
    assert Config.from_query("?") == Config()
    assert (Config(initializer="he_normal", activation="relu", depth=12).to_query()
            == "activation=relu&depth=12&initializer=he_normal")
    assert Config(batch_size=16).to_query() == "batch_size=16"
    assert Config.from_query("batch_size=none") == Config()
    assert Config.from_query("initializer=he_normal&depth=12") == Config(initializer="he_normal",
                                                                         depth=12)
    assert Config.from_query("scale=1e-3").scale == 0.001


@pytest.mark.parametrize("query, message", [
    ("detph=3", "unknown query key 'detph'"),
    ("depth=3&bogus=1", "unknown query key 'bogus'"),
    ("depth=three", "malformed value for 'depth'"),
    ("depth=3.0", "malformed value for 'depth'"),
    ("depth=1_0", "malformed value for 'depth'"),
    ("depth=", "malformed value for 'depth'"),
    ("scale=abc", "malformed value for 'scale'"),
    ("scale=1_0", "malformed value for 'scale'"),
    ("batch_size=x", "malformed value for 'batch_size'"),
    ("depth", "malformed query"),
    ("depth=3&&width=4", "malformed query"),
    ("depth=3&depth=4", "given more than once"),
    ("scale=nan", "malformed value for 'scale'"),
    ("depth=0", "depth must be from 1"),
    ("initializer=he_nromal", "did you mean 'he_normal'"),
])
def test_unknown_or_malformed_query_raises(query, message):
    with pytest.raises(ValueError, match=message):
        Config.from_query(query)


def test_from_dict_refuses_unknown_keys():
    with pytest.raises(ValueError, match=r"unknown Config field\(s\) \['colour'\]"):
        Config.from_dict({**Config().to_dict(), "colour": "red"})


_BIAS_INITIALIZERS = ["zeros", "ones", "random_normal", "random_uniform", "torch_default",
                      "constant", "truncated_normal", "he_normal"]


@st.composite
def valid_configs(draw):
    """Any setting Config accepts, drawn from each field's own range in the FIELDS table; the
    number of samples is then capped so that the whole setting fits the memory budget."""
    values = {}
    for name, spec in FIELDS.items():
        if spec.kind == "name":
            names = _BIAS_INITIALIZERS if name == "bias_initializer" else spec.names()
            values[name] = draw(st.sampled_from(names))
        elif spec.kind == "float":
            values[name] = draw(st.floats(spec.low, spec.high, allow_nan=False))
        elif spec.kind == "int":
            values[name] = draw(st.integers(int(spec.low), int(spec.high)))
        elif spec.kind == "bool":
            values[name] = draw(st.booleans())
        elif spec.kind == "widths":  # unequal hidden widths (they override depth x width)
            values[name] = draw(st.sampled_from([(), (), (16, 8), (3, 5, 2), (1, 512)]))
        elif spec.kind == "params":  # the initializer's numeric parameters, scaled together
            factor = draw(st.floats(0.1, 10.0))
            values[name] = {k: v * factor for k, v in
                            initializers.params_of(values["initializer"]).items()
                            if isinstance(v, float) and v != 0}
        else:
            values[name] = draw(st.none() | st.integers(int(spec.low), int(spec.high)))
    values["n_samples"] = max(64, values["n_samples"])
    if values.get("widths") and (values.get("normalization", "none") != "none"
                                 or values.get("residual")):
        values["widths"] = ()  # stacked layers only: Config refuses unequal widths there
    while True:
        try:
            return Config(**values)
        except ValueError as error:
            assert "budget" in str(error), error
            values["n_samples"] = max(64, values["n_samples"] // 4)
            values["width"] = max(1, values["width"] // 2) if values["n_samples"] == 64 else values["width"]


@settings(max_examples=200, deadline=None)
@given(valid_configs())
def test_round_trips_are_exact_for_any_valid_config(config):
    assert Config.from_dict(config.to_dict()) == config
    assert Config.from_query(config.to_query()) == config
    again = Config.from_query(config.to_query())
    assert all(repr(getattr(again, k)) == repr(getattr(config, k)) for k in Config.field_names())


# ---------------------------------------------------------------------------------------------
# Trainer: determinism, epochs, batches


def _history_arrays(trainer):
    h = trainer.history
    return {k: getattr(h, k).copy() for k in ("epochs", *PER_EPOCH, *PER_LAYER, *PER_HIDDEN)}


@pytest.mark.parametrize("config", [
    Config(depth=3, width=16),
    Config(dataset="blobs", depth=2, width=8, activation="relu", initializer="he_uniform",
           optimizer="adam", learning_rate=0.01, batch_size=32, bias_initializer="random_normal"),
    Config(dataset="sine", depth=2, width=8, optimizer="momentum", learning_rate=0.01,
           batch_size=50),
])
def test_same_config_gives_identical_histories(config):
    a, b = Trainer(config), Trainer(config)
    assert a.step(30) == b.step(30) == 30
    ha, hb = _history_arrays(a), _history_arrays(b)
    for k in ha:
        np.testing.assert_array_equal(ha[k], hb[k], err_msg=k)
    for p, q in zip(a.network.parameters, b.network.parameters):
        np.testing.assert_array_equal(p, q)
    assert len(a.history.snapshots) == len(b.history.snapshots) == 3
    for sa, sb in zip(a.history.snapshots, b.history.snapshots):
        assert sa.epoch == sb.epoch
        for kind in sa.counts:
            np.testing.assert_array_equal(sa.counts[kind], sb.counts[kind])
    # reset redraws the same network and replays the same run
    a.reset()
    a.step(30)
    for k, v in _history_arrays(a).items():
        np.testing.assert_array_equal(v, hb[k], err_msg=k)
    # a different seed differs
    c = Trainer(config.replace(seed=config.seed + 1))
    c.step(30)
    assert not np.array_equal(_history_arrays(c)["loss"], ha["loss"])


def test_trainer_overrides_and_reset_with_a_new_config():
    t = Trainer(Config(), depth=2, width=4)
    assert t.config.depth == 2 and [w.shape for w in t.network.weights] == [(2, 4), (4, 4), (4, 1)]
    t.step(3)
    t.reset(Config(dataset="blobs", depth=1, width=5))
    assert t.epoch == 0 and len(t.history) == 0
    assert [w.shape for w in t.network.weights] == [(2, 5), (5, 3)]
    t3 = Trainer(Config(dataset="sine", depth=1, width=5))
    assert [w.shape for w in t3.network.weights] == [(1, 5), (5, 1)]


def test_minibatches_make_one_update_per_batch():
    t = Trainer(Config(optimizer="adam", learning_rate=0.01, batch_size=32, depth=2, width=8))
    t.step(1)
    n_train = len(t.train.X)
    assert t.optimizer._t == math.ceil(n_train / 32)
    assert t.epoch == 1 and len(t.history) == 1


def test_step_counts_epochs_and_records_every_epoch():
    t = Trainer(Config(depth=2, width=8))
    assert t.step(0) == 0 and t.epoch == 0
    assert t.step(5) == 5 and t.epoch == 5
    np.testing.assert_array_equal(t.history.epochs, np.arange(5))
    assert t.history.grad_norm.shape == (5, 3) and t.history.activation_std.shape == (5, 2)
    assert t.history.loss.shape == (5,)
    assert t.history.last("loss") == t.history.loss[-1]
    assert math.isnan(Trainer(Config(depth=1)).history.last("loss"))
    with pytest.raises(AttributeError, match="no statistic"):
        _ = t.history.bogus


# ---------------------------------------------------------------------------------------------
# Divergence and vanishing


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_scale_100_at_depth_20_diverges_cleanly(activation):
    with strict():
        t = Trainer(Config(activation=activation, initializer="he_normal", scale=100, depth=20))
        first = [p.copy() for p in t.network.parameters]
        ran = t.step(50)
        assert t.diverged and t.status == "diverged"
        assert t.diverged_epoch is not None and ran == t.diverged_epoch < 50
        assert t.epoch == t.diverged_epoch
        assert all_finite(t.network.parameters)
        if t.diverged_epoch == 0:  # nothing was applied: the weights are the initial ones
            for p, q in zip(first, t.network.parameters):
                np.testing.assert_array_equal(p, q)
        assert t.step(10) == 0 and t.epoch == t.diverged_epoch  # a diverged run stays stopped
        assert len(t.history) == t.diverged_epoch
        assert all_finite([t.history.loss])
        t.snapshot()
        t.predict(t.test.X)
        t.history.last("loss")


def test_an_overflowing_update_is_refused_and_the_weights_stay_finite():
    with strict():
        t = Trainer(Config(activation="relu", initializer="he_normal"))
        t.optimizer.learning_rate = 1e30  # beyond Config's range: the trainer must still refuse
        first = [p.copy() for p in t.network.parameters]
        assert t.step(5) == 0
        assert t.diverged and t.diverged_epoch == 0
        for p, q in zip(first, t.network.parameters):
            np.testing.assert_array_equal(p, q)


def test_exploding_identity_diverges_at_a_later_epoch_with_the_last_finite_weights():
    with strict():
        t = Trainer(Config(activation="linear", initializer="identity", scale=1.5, depth=30))
        t.step(100)
        assert t.diverged and t.diverged_epoch >= 1
        assert all_finite(t.network.parameters)
        assert len(t.history) == t.diverged_epoch


def test_identity_half_at_depth_30_vanishes_without_warnings():
    with strict():
        t = Trainer(Config(initializer="identity", scale=0.5, depth=30))
        t.step(20)
        assert not t.diverged
        assert t.status == "vanishing"
        grad = t.history.grad_norm[-1]
        assert grad[0] < 1e-8
        assert t.history.activation_std[0, -1] < 1e-6 * t.history.activation_std[0, 0]
        t.snapshot()


# ---------------------------------------------------------------------------------------------
# History: bounded memory


def test_history_thins_to_its_capacity_and_keeps_exact_values():
    h = History(n_layers=3, capacity=16, snapshot_capacity=4, snapshot_stride=1)
    for epoch in range(1000):
        if h.wants(epoch):
            h.record(epoch, {"loss": float(epoch), "grad_norm": [epoch, 2 * epoch, 3 * epoch]})
        if h.wants_snapshot(epoch):
            h.add_snapshot(Snapshot(epoch, {"weights": np.zeros((3, 4))}, {}))
        assert len(h) <= 16 and len(h.snapshots) <= 4
    assert h.stride & (h.stride - 1) == 0 and h.stride >= 1000 // 16
    assert np.all(h.epochs % h.stride == 0) and h.epochs[0] == 0
    assert h.epochs[-1] > 1000 - 2 * h.stride
    np.testing.assert_array_equal(h.loss, h.epochs.astype(float))
    np.testing.assert_array_equal(h.grad_norm[:, 2], 3 * h.epochs)
    assert np.all(np.isnan(h.activation_std))
    assert all(s.epoch % h.snapshot_stride == 0 for s in h.snapshots)


def test_a_thinned_trainer_history_matches_the_full_one():
    config = Config(depth=2, width=8)
    full, thin = Trainer(config), Trainer(config)
    thin.history = History(n_layers=3, capacity=32, snapshot_capacity=4)
    full.step(300)
    thin.step(300)
    assert len(thin.history) <= 32 and len(thin.history.snapshots) <= 4
    assert thin.history.stride >= 8
    keep = thin.history.epochs
    np.testing.assert_array_equal(thin.history.loss, full.history.loss[keep])
    np.testing.assert_array_equal(thin.history.weight_std, full.history.weight_std[keep])


def test_default_history_at_depth_30_stays_far_under_100_mb():
    t = Trainer(Config(depth=30, width=512 // 16))
    h = t.history
    # fill every row and every snapshot as a 20,000-epoch run would (the bound is the capacity)
    snap = t.snapshot()
    for epoch in range(20_000):
        if h.wants(epoch):
            h.record(epoch, {"loss": 1.0})
        if h.wants_snapshot(epoch):
            h.add_snapshot(Snapshot(epoch, {k: v.copy() for k, v in snap.counts.items()},
                                    snap.bins))
    assert len(h) <= h.capacity and len(h.snapshots) <= h.snapshot_capacity
    assert h.nbytes < 100e6
    # the bound itself, at the widest allowed depth: rows x columns x 8 bytes + snapshots
    layers = MAX_DEPTH + 1
    rows = h.capacity * (1 + len(PER_EPOCH) + layers * (len(PER_LAYER) + len(PER_HIDDEN))) * 8
    snapshots = h.snapshot_capacity * 4 * layers * 42 * 4
    assert rows + snapshots < 100e6


def test_a_long_run_keeps_bounded_history():
    t = Trainer(Config(depth=1, width=4))
    t.step(5000)
    assert len(t.history) <= t.history.capacity and t.history.stride >= 2
    assert len(t.history.snapshots) <= t.history.snapshot_capacity
    assert t.history.epochs[-1] >= 5000 - 2 * t.history.stride


# ---------------------------------------------------------------------------------------------
# Per-layer statistics against direct NumPy formulas


def _direct_stats(config, epochs_before=0):
    """Train a copy of the trainer's network by hand (plain SGD, full batch) and compute every
    statistic with textbook NumPy formulas."""
    t = Trainer(config)
    t.step(epochs_before)
    net = copy.deepcopy(t.network)
    X, y = t.train.X, t.train.y
    Ws = [W.astype(np.float64) for W in net.weights]
    bs = [b.astype(np.float64) for b in net.biases]
    h, zs, hs = X.astype(np.float64), [], []
    f = activations.get(config.activation).forward
    for W, b in zip(Ws[:-1], bs[:-1]):
        z = h @ W + b
        h = f(z)
        zs.append(z)
        hs.append(h)
    loss, grads = net.loss_and_gradients(X, y)
    lr = config.learning_rate
    expected = {
        "grad_norm": [np.sqrt(np.sum(dW.astype(np.float64) ** 2)) for dW, _ in grads],
        "weight_std": [np.std(W) for W in Ws],
        "activation_mean": [np.mean(a) for a in hs],
        "activation_std": [np.std(a) for a in hs],
        # the update against the weights it is applied to (cs231n's update:data ratio)
        "update_ratio": [np.log10(np.std(-lr * dW.astype(np.float64)) / np.std(W))
                         for (dW, _), W in zip(grads, Ws)],
        "loss": loss,
    }
    if config.activation == "tanh":
        expected["saturation"] = [np.mean(np.abs(a) > 0.97) for a in hs]
    if config.activation == "relu":
        expected["dead_fraction"] = [np.mean(np.all(z <= 0, axis=0)) for z in zs]
    t.step(1)
    return t, expected


@pytest.mark.parametrize("config", [
    Config(depth=3, width=8, activation="tanh", initializer="glorot_normal", scale=3.0),
    Config(depth=4, width=6, activation="relu", initializer="he_uniform",
           bias_initializer="random_normal", seed=3),
])
def test_per_layer_statistics_match_direct_formulas(config):
    for before in (0, 7):
        t, expected = _direct_stats(config, before)
        h = t.history
        assert h.epochs[-1] == before
        for name, values in expected.items():
            got = getattr(h, name)[-1]
            np.testing.assert_allclose(got, values, rtol=2e-4, atol=1e-6, err_msg=name)
    if config.activation == "tanh":
        assert np.all(h.saturation[-1] > 0)  # scale 3 saturates some units
        assert np.all(np.isnan(h.dead_fraction))
    else:
        assert np.any(h.dead_fraction > 0)
        assert np.all(np.isnan(h.saturation))


def test_loss_accuracy_and_test_loss():
    t = Trainer(Config(depth=2, width=8))
    net = copy.deepcopy(t.network)
    logits = net.forward(t.train.X)
    acc = np.mean((logits[:, 0] > 0) == (t.train.y == 1))
    loss = net.loss.value(logits, t.train.y)
    test_loss = net.loss.value(net.forward(t.test.X), t.test.y)  # the same weights as the loss
    t.step(1)
    assert t.history.accuracy[0] == pytest.approx(acc)
    assert t.history.loss[0] == pytest.approx(loss, rel=1e-6)
    assert t.history.test_loss[0] == pytest.approx(test_loss, rel=1e-6)
    sine = Trainer(Config(dataset="sine", depth=1, width=4))
    sine.step(2)
    assert np.all(np.isnan(sine.history.accuracy)) and np.all(np.isfinite(sine.history.loss))
    blobs = Trainer(Config(dataset="blobs", depth=1, width=4))
    blobs.step(2)
    assert np.all((blobs.history.accuracy >= 0) & (blobs.history.accuracy <= 1))


# ---------------------------------------------------------------------------------------------
# Histograms


def test_bins_fractions_sum_to_one_and_overflow_goes_to_edge_bins():
    bins = Bins(-1.0, 1.0, 10)
    x = np.array([-5.0, -1.0, -0.95, 0.05, 0.95, 1.0, 7.0, np.inf, -np.inf])
    counts = bins.counts([x, np.zeros(4)])
    assert counts.shape == (2, 10)
    np.testing.assert_allclose(counts.sum(axis=1), 1.0, rtol=1e-6)
    assert counts[0, 0] == pytest.approx(4 / 9)    # -5, -1, -0.95, -inf
    assert counts[0, -1] == pytest.approx(4 / 9)   # 0.95, 1, 7, inf
    assert counts[0, 5] == pytest.approx(1 / 9)
    assert counts[1, 5] == 1.0
    log = GRADIENT_BINS.counts([np.array([0.0, 1e-30, 1e-12, 1.0, 1e10])])
    assert log[0, 0] == pytest.approx(3 / 5) and log[0, -1] == pytest.approx(1 / 5)


def test_bins_agree_with_numpy_histogram_for_lists_and_stacks():
    """Every layer's fractions equal np.histogram's on the same values (inside the range), for
    arrays of mixed sizes and for a stacked (layers, rows, columns) view binned together."""
    rng = np.random.default_rng(5)
    bins = Bins(-2.0, 2.0, 41)
    arrays = [rng.standard_normal(shape).astype(np.float32) * 0.6
              for shape in [(2, 32), (32, 32), (32, 32), (32, 1)]]
    for counts, x in zip(bins.counts(arrays), arrays):
        expected, _ = np.histogram(np.clip(x, -2.0, 1.9999), bins=bins.edges)
        np.testing.assert_allclose(counts, expected / x.size, atol=1e-6)
    stack = rng.standard_normal((3, 50, 9)).astype(np.float32)[:, :, :8]  # a strided view
    for counts, x in zip(bins.counts_stacked(stack), stack):
        expected, _ = np.histogram(np.clip(x, -2.0, 1.9999), bins=bins.edges)
        np.testing.assert_allclose(counts, expected / x.size, atol=1e-6)
    bad = stack.copy()
    bad[1, 0, :3] = [np.nan, np.inf, -np.inf]
    stacked = bins.counts_stacked(bad)
    np.testing.assert_allclose(stacked, bins.counts(list(bad)), atol=1e-6)
    finite, _ = np.histogram(np.clip(bad[1][np.isfinite(bad[1])], -2.0, 1.9999), bins=bins.edges)
    finite[0] += 2   # NaN and -inf go to the first bin
    finite[-1] += 1  # +inf to the last
    np.testing.assert_allclose(stacked[1], finite / bad[1].size, atol=1e-6)


def test_a_stack_larger_than_the_sample_uses_its_leading_rows():
    bins = Bins(-1.0, 1.0, 4)
    rows = HISTOGRAM_SAMPLE // 8
    stack = np.zeros((2, 3 * rows, 8), dtype=np.float32)
    stack[:, rows:] = 0.9  # beyond the sample: not counted
    counts = bins.counts_stacked(stack)
    np.testing.assert_allclose(counts, [[0, 0, 1, 0], [0, 0, 1, 0]])


@pytest.mark.parametrize("config", [Config(depth=3, width=8),
                                    Config(depth=2, width=8, activation="relu", scale=50),
                                    Config(depth=2, width=8, batch_size=40)])
def test_snapshot_histograms_sum_to_one_per_layer(config):
    t = Trainer(config)
    t.step(11)
    snaps = t.history.snapshots
    assert [s.epoch for s in snaps] == [0, 10]
    for snap in [*snaps, t.snapshot()]:
        assert set(snap.counts) == {"weights", "preactivations", "activations", "gradients"}
        layers = {"weights": config.depth + 1, "gradients": config.depth + 1,
                  "preactivations": config.depth, "activations": config.depth}
        for kind, counts in snap.counts.items():
            assert counts.shape == (layers[kind], snap.bins[kind].n_bins)
            np.testing.assert_allclose(counts.sum(axis=1), 1.0, rtol=1e-5)
    assert t.snapshot().epoch == t.epoch


def test_a_full_batch_history_snapshot_is_the_state_at_its_epoch():
    t = Trainer(Config(depth=2, width=8))
    replay = Trainer(Config(depth=2, width=8))
    t.step(11)
    replay.step(10)
    live = replay.snapshot()
    recorded = t.history.snapshots[1]
    assert recorded.epoch == live.epoch == 10
    for kind in live.counts:
        np.testing.assert_allclose(recorded.counts[kind], live.counts[kind], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Status


def test_status_semantics():
    assert set(STATUSES) == {"ready", "training", "converged", "stuck", "diverged", "vanishing",
                             "symmetric", "plateau"}  # each word's criterion: tests/test_status.py
    t = Trainer(Config(depth=2, width=8))
    assert t.status == "ready"
    t.step(5)
    assert t.status == "training"
    done = Trainer(Config(dataset="blobs", noise=0.0, depth=2, optimizer="adam",
                          learning_rate=0.05))
    done.step(400)
    assert done.history.loss[-1] < 1e-3 and done.status == "converged"
    stuck = Trainer(Config(depth=2, width=8))
    stuck.optimizer.learning_rate = 1e-9  # far below Config's range: the loss cannot move
    stuck.step(199)
    assert stuck.status == "training"
    stuck.step(2)
    assert stuck.status == "stuck"  # settled where it started: the loss no longer moves
    gone = Trainer(Config(scale=100, depth=20, activation="relu", initializer="he_normal"))
    gone.step(5)
    assert gone.status == "diverged"


# ---------------------------------------------------------------------------------------------
# He et al. (2015), figure 3: a 30-layer ReLU net trains with He and stalls with Glorot


@pytest.mark.parametrize("seed", [0, 1])
def test_he_trains_and_glorot_stalls_at_depth_30(seed):
    def run(initializer):
        t = Trainer(Config(depth=30, width=32, activation="relu", initializer=initializer,
                           learning_rate=0.01, seed=seed))
        t.step(250)
        assert not t.diverged
        return t.history

    he, glorot = run("he_normal"), run("glorot_normal")
    # plain SGD on a 30-layer net is bumpy: judge He by its best recent epoch
    assert he.loss[-50:].min() < 0.35 and he.loss[-50:].min() < he.loss[0] - 0.3
    assert he.accuracy[-50:].max() > 0.85
    assert glorot.loss[-1] > 0.68 and glorot.loss[0] - glorot.loss.min() < 0.01
    assert glorot.accuracy.max() < 0.65
    # why: Glorot halves the signal's variance at each ReLU layer; He keeps it
    assert glorot.activation_std[0, -1] < 1e-3 * glorot.activation_std[0, 0]
    assert 0.1 < he.activation_std[0, -1] / he.activation_std[0, 0] < 10


def test_weights_assigned_between_steps_are_trained():
    t = Trainer(Config(depth=2, width=8))
    t.network.weights[1] = np.zeros((8, 8), dtype=np.float32)
    t.step(1)
    assert t.history.weight_std[0, 1] == 0.0  # the statistics saw the assigned kernel
    assert np.shares_memory(t.network.weights[1], t.network.flat_parameters())


def test_minibatch_statistics_come_from_a_full_batch():
    """225 rows in batches of 32 leave a last batch of one row; a ReLU unit that is 0 on one row
    is not dead, so the recorded statistics must come from a full batch."""
    config = Config(batch_size=32, activation="relu", initializer="he_normal")
    minibatch, full = Trainer(config), Trainer(config.replace(batch_size=None))
    minibatch.step(3)
    full.step(3)
    assert np.all(minibatch.history.dead_fraction <= 0.3)
    np.testing.assert_allclose(minibatch.history.activation_std[0], full.history.activation_std[0],
                               rtol=0.35)


def test_wide_networks_sum_kernel_by_kernel_with_the_same_statistics(monkeypatch):
    """Above SEGMENT_LOOP_SIZE parameters the per-kernel sums go kernel by kernel (reduceat
    would copy the whole buffer to float64); the statistics are the same."""
    import initviz.core.training as training

    config = Config(depth=3, width=16, activation="relu", optimizer="momentum")
    default = Trainer(config)
    default.step(5)
    monkeypatch.setattr(training, "SEGMENT_LOOP_SIZE", 0)
    looped = Trainer(config)
    looped.step(5)
    for name in ("grad_norm", "weight_std", "update_ratio"):
        np.testing.assert_allclose(getattr(looped.history, name), getattr(default.history, name),
                                   rtol=1e-6, err_msg=name)
