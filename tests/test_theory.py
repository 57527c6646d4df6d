"""Variance propagation: initializer second moments, Gaussian expectations, and prediction
against measurement (ReLU and linear within 10% per layer at width 256)."""
import math
import warnings

import numpy as np
import pytest

from initviz.core import activations, initializers, theory
from initviz.core.training import Config, Trainer

CANONICAL = [n for group in initializers.groups().values() for n in group]
DETERMINISTIC = {"zeros", "ones", "constant", "orthogonal", "identity", "eye"}


@pytest.mark.parametrize("name", CANONICAL)
@pytest.mark.parametrize("shape, scale", [((64, 128), 1.0), ((300, 20), 1.7), ((7, 7), 0.5)])
def test_kernel_moments_match_drawn_kernels(name, shape, scale):
    params = {"constant": {"value": 0.3}}.get(name, {})
    fan_in, fan_out = shape
    mean, second = theory.kernel_moments(name, fan_in, fan_out, scale, params)
    assert theory.kernel_variance(name, fan_in, fan_out, scale, params) == second
    init = initializers.get(name, **params)
    draws = np.concatenate([
        (init(shape, np.random.default_rng(seed)).astype(np.float64) * scale).ravel()
        for seed in range(max(1, 20_000 // (fan_in * fan_out)))])
    if name in DETERMINISTIC:
        assert np.mean(draws**2) == pytest.approx(second, rel=1e-5, abs=1e-12)
        if name != "orthogonal":  # a random rotation: its mean is not fixed
            assert np.mean(draws) == pytest.approx(mean, rel=1e-5, abs=1e-7)
        return
    # tolerance from the sample: 6 standard errors of the mean of w^2 (and of w)
    se2 = np.std(draws**2) / math.sqrt(draws.size)
    se1 = np.std(draws) / math.sqrt(draws.size)
    assert abs(np.mean(draws**2) - second) <= 6 * se2 + 1e-12 * second
    assert abs(np.mean(draws) - mean) <= 6 * se1 + 1e-12


def test_kernel_variance_formulas_by_name():
    kv = theory.kernel_variance
    assert kv("he_normal", 256, 128) == pytest.approx(2 / 256)
    assert kv("glorot_uniform", 100, 300) == pytest.approx(2 / 400)
    assert kv("lecun_normal", 50, 10) == pytest.approx(1 / 50)
    assert kv("normal", 13, 13) == pytest.approx(0.05**2)
    assert kv("uniform", 13, 13) == pytest.approx(0.1**2 / 12)
    assert kv("truncated_normal", 13, 13) == pytest.approx((0.87962566 * 0.05) ** 2)
    assert kv("torch_default", 64, 32) == pytest.approx(1 / (3 * 64))
    assert kv("kaiming_normal", 64, 32) == pytest.approx(2 / 64)
    assert kv("kaiming_normal", 64, 32, params={"nonlinearity": "tanh", "mode": "fan_out"}) == pytest.approx(
        (5 / 3) ** 2 / 32)
    assert kv("xavier_normal", 10, 30, params={"gain": 5 / 3}) == pytest.approx((5 / 3) ** 2 * 2 / 40)
    assert kv("variance_scaling", 10, 30, params={"scale": 3.0, "mode": "fan_avg"}) == pytest.approx(3 / 20)
    assert kv("orthogonal", 32, 32) == pytest.approx(1 / 32)
    assert kv("identity", 2, 32, params={"gain": 2.0}) == pytest.approx(4 * 2 / 64)
    assert kv("he_normal", 256, 256, scale=3.0) == pytest.approx(9 * 2 / 256)
    assert kv("zeros", 5, 5) == 0.0
    assert kv("positive_uniform", 5, 5, 2.0, {"scale": 0.3}) == pytest.approx(4 * 0.09 / 3)


def test_gaussian_moments_by_quadrature():
    for s in (0.1, 1.0, 7.0):
        m, f2, d2 = theory.gaussian_moments("relu", 0.0, s)
        assert f2 == pytest.approx(s * s / 2, rel=1e-12)       # exact: no node at the kink
        assert d2 == pytest.approx(0.5, rel=1e-12)
        # E[relu(z)] = E[|z|]/2 is not polynomial: 200 nodes give it to ~0.2%
        assert m == pytest.approx(s / math.sqrt(2 * math.pi), rel=1e-2)
        assert theory.gaussian_moments("linear", 0.0, s)[1:] == pytest.approx((s * s, 1.0))
    # smooth functions against a dense grid integral of the Gaussian density
    z = np.linspace(-40, 40, 400_001)
    for name, mu, s in [("tanh", 0.0, 1.0), ("tanh", 0.3, 2.5), ("sigmoid", 0.0, 1.0),
                        ("sigmoid", -1.0, 0.5), ("gelu", 0.0, 1.3), ("selu", 0.0, 1.0)]:
        pdf = np.exp(-0.5 * ((z - mu) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        act = activations.get(name)
        a = act.forward(z)
        d = act.derivative(z, a)
        dz = z[1] - z[0]
        expected = (np.sum(pdf * a) * dz, np.sum(pdf * a * a) * dz, np.sum(pdf * d * d) * dz)
        # 200 nodes: ~1e-5 for smooth functions (tanh' with a wide s converges slowest);
        # selu' jumps at 0, so its moments converge more slowly
        rel, abs_ = (1e-2, 1e-3) if name == "selu" else (2e-4, 1e-9)
        assert theory.gaussian_moments(name, mu, s) == pytest.approx(expected, rel=rel, abs=abs_)


@pytest.mark.parametrize("dataset, expected", [("moons", (2, 1)), ("blobs", (2, 3)),
                                               ("sine", (1, 1))])
def test_network_shape(dataset, expected):
    assert theory.network_shape(Config(dataset=dataset)) == expected


@pytest.mark.parametrize("activation, initializer, dataset", [
    ("relu", "he_normal", "moons"),
    ("relu", "glorot_normal", "blobs"),
    ("linear", "lecun_normal", "moons"),
    ("linear", "glorot_uniform", "blobs"),
])
def test_relu_and_linear_prediction_matches_measurement_within_10_percent(activation, initializer,
                                                                           dataset):
    # mean-field predicts the average over weight draws; one draw wanders (see measure())
    config = Config(dataset=dataset, depth=8, width=256, activation=activation,
                    initializer=initializer)
    predicted = theory.predict(config)
    measured = theory.measure_mean(config, draws=24)
    for field in ("preactivation_std", "activation_std", "gradient_std"):
        p, m = getattr(predicted, field), getattr(measured, field)
        assert p.shape == m.shape == (8,)
        np.testing.assert_array_less(np.abs(p / m - 1), 0.10, err_msg=field)


def test_orthogonal_linear_network_is_predicted_by_a_single_draw():
    config = Config(depth=8, width=256, activation="linear", initializer="orthogonal")
    predicted, measured = theory.predict(config), theory.measure(Trainer(config))
    np.testing.assert_allclose(predicted.activation_std, measured.activation_std, rtol=0.03)
    np.testing.assert_allclose(predicted.gradient_std, measured.gradient_std, rtol=0.03)


@pytest.mark.parametrize("activation, initializer", [("tanh", "glorot_uniform"),
                                                     ("sigmoid", "glorot_uniform")])
def test_tanh_and_sigmoid_are_close_in_early_layers(activation, initializer):
    # mean-field assumes Gaussian pre-activations: an approximation, good near the input
    config = Config(depth=6, width=256, activation=activation, initializer=initializer)
    predicted, measured = theory.predict(config), theory.measure_mean(config, draws=6)
    np.testing.assert_array_less(
        np.abs(predicted.activation_std[:3] / measured.activation_std[:3] - 1), 0.05)
    np.testing.assert_array_less(
        np.abs(predicted.activation_std / measured.activation_std - 1), 0.15)
    np.testing.assert_array_less(
        np.abs(predicted.gradient_std / measured.gradient_std - 1), 0.25)
    if activation == "sigmoid":
        np.testing.assert_allclose(predicted.activation_mean, 0.5, atol=0.01)


def test_glorot_halves_relu_variance_per_layer_and_he_keeps_it():
    he = theory.predict(Config(depth=30, width=32, activation="relu", initializer="he_normal"))
    glorot = theory.predict(Config(depth=30, width=32, activation="relu",
                                   initializer="glorot_normal"))
    ratios = glorot.preactivation_std[1:] / glorot.preactivation_std[:-1]
    np.testing.assert_allclose(ratios, math.sqrt(0.5), rtol=1e-9)
    np.testing.assert_allclose(he.preactivation_std[1:], he.preactivation_std[1], rtol=1e-9)
    assert glorot.gradient_std[0] < 1e-3 < he.gradient_std[0]


def test_identity_scale_compounds_per_layer_and_network_moments_are_used():
    config = Config(depth=6, width=16, activation="linear", initializer="identity", scale=0.5)
    trainer = Trainer(config)
    from_network = theory.predict(config, network=trainer.network)
    from_formula = theory.predict(config)
    np.testing.assert_allclose(from_formula.preactivation_std[1:] / from_formula.preactivation_std[:-1],
                               0.5, rtol=1e-9)
    # identity kernels: the drawn second moment is the formula's, exactly
    np.testing.assert_allclose(from_network.activation_std, from_formula.activation_std, rtol=1e-6)


def test_extreme_configs_give_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            blown = theory.predict(Config(depth=50, width=64, activation="relu",
                                          initializer="he_normal", scale=100))
            gone = theory.predict(Config(depth=50, width=8, activation="tanh",
                                         initializer="identity", scale=0.01))
    assert blown.preactivation_std.shape == (50,)
    assert gone.activation_std[-1] < 1e-30


def test_bias_variance_enters_the_prediction():
    with_bias = theory.predict(Config(depth=3, width=64, activation="relu",
                                      initializer="he_normal", bias_initializer="random_normal"))
    without = theory.predict(Config(depth=3, width=64, activation="relu", initializer="he_normal"))
    np.testing.assert_allclose(with_bias.preactivation_std[0] ** 2,
                               without.preactivation_std[0] ** 2 + 0.05**2, rtol=1e-9)


# -- verdict words and departures (the Theory tab's sentences) ---------------------------------

def _verdicts(name, seed=0):
    from initviz.core import presets
    from initviz.core.training import Trainer

    config = presets.config(name).replace(seed=seed)
    predicted = theory.per_layer_factor(theory.predict(config).activation_std)
    measured = theory.per_layer_factor(theory.measure(Trainer(config)).activation_std)
    return (config, theory.spread_verdict(predicted, config.activation),
            theory.spread_verdict(measured, config.activation))


def test_verdict_bands():
    assert "preserved" in theory.spread_verdict(1.0) and "preserved" in theory.spread_verdict(0.981)
    assert "shrinking slowly" in theory.spread_verdict(0.92)
    assert "growing slowly" in theory.spread_verdict(1.08)
    assert "vanishing with depth" in theory.spread_verdict(0.707)
    assert "exploding with depth" in theory.spread_verdict(1.5, "relu")
    assert "until the units saturate" in theory.spread_verdict(1.5, "tanh")
    assert theory.spread_verdict(float("nan")) == "—"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_he_relu_is_preserved_in_theory_and_never_called_vanishing(seed):
    """The issue: 'x0.92 per layer (shrinking: vanishing with depth)' on He + ReLU."""
    config, predicted, measured = _verdicts("he_relu", seed)
    assert "preserved" in predicted
    assert "vanishing" not in measured and "exploding" not in measured
    assert any(note.startswith("width 32: one network") for note in theory.departures(config))


def test_glorot_relu_deep_and_identity_half_vanish_in_theory_and_measurement():
    for name in ("glorot_relu_deep", "identity_vanishing"):
        _, predicted, measured = _verdicts(name)
        assert "vanishing with depth" in predicted and "vanishing with depth" in measured, name


def test_glorot_tanh_shrinks_slowly_as_the_lesson_says():
    _, predicted, measured = _verdicts("glorot_tanh")
    assert "shrinking slowly" in predicted and "shrinking slowly" in measured


def test_positive_only_weights_say_the_theory_does_not_apply():
    """The issue: zero-mean theory says 'vanishing' while the measurement says 'exploding'."""
    config, _, measured = _verdicts("positive_uniform")
    assert not theory.applies(config)
    assert "growing until the units saturate" in measured  # tanh caps it at 1, the lesson's 0.988
    notes = theory.departures(config)
    assert any("mean 0.15" in note and "does not apply" in note for note in notes)
    assert any(note.startswith("2-D inputs") for note in notes)  # tanh needs Gaussian inputs


def test_departures_name_only_what_applies():
    from initviz.core.training import Config

    relu = theory.departures(Config(initializer="he_normal", activation="relu", width=512, depth=2))
    assert len(relu) == 1 and "±4%" in relu[0]  # exact for ReLU without Gaussian inputs
    assert theory.applies(Config(initializer="identity"))  # mean 1/32 of a 32-wide identity
    assert not any("width" in n for n in theory.departures(Config(initializer="identity", depth=30)))
