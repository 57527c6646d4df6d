"""Issue 17 in the app: the bias std control, the mean-field setting of a Config, the
depth x weight variance sweep and the three signal tabs (moved in code, artists checked)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from initviz.core import signal, theory
from initviz.core.config import FIELDS
from initviz.core.network import Network
from initviz.core.signal_sweep import TRAINED_LOSS, TrainabilitySweep, scales_for
from initviz.core.training import Config, Trainer

# -- bias_std ---------------------------------------------------------------------------------


def test_bias_std_defaults_to_the_bias_initializer_alone():
    assert Config().bias_std == 0.0 and Config().to_query() == ""
    net = Trainer(Config()).network
    assert all(not b.any() for b in net.biases)  # zeros, as before


def test_bias_std_adds_gaussian_noise_and_leaves_the_kernels_alone():
    plain = Network([2, 1000, 1000, 1], seed=3)
    noisy = Network([2, 1000, 1000, 1], seed=3, bias_std=0.5)
    for W0, W1 in zip(plain.weights, noisy.weights):
        np.testing.assert_array_equal(W0, W1)
    biases = np.concatenate([b for b in noisy.biases[:-1]])
    assert abs(biases.std() - 0.5) < 0.02 and abs(biases.mean()) < 0.03
    with pytest.raises(ValueError, match="bias_std"):
        Network([2, 4, 1], bias_std=-1.0)


def test_bias_std_is_a_field_a_link_and_a_control():
    spec = FIELDS["bias_std"]
    assert (spec.kind, spec.low, spec.group) == ("float", 0.0, "Initializer")
    assert Config.from_query("bias_std=0.3").bias_std == 0.3
    with pytest.raises(ValueError, match="bias_std"):
        Config(bias_std=-0.1)
    from initviz.app.controls import Controls

    controls = Controls(Config(bias_std=0.25))
    assert controls.config.bias_std == 0.25


def test_theory_adds_bias_std_squared_to_the_bias_variance():
    base = Config(initializer="he_normal", activation="relu", width=256, depth=8)
    noisy = base.replace(bias_std=0.5)
    q0 = theory.predict(base).preactivation_std[0] ** 2
    q1 = theory.predict(noisy).preactivation_std[0] ** 2
    assert q1 - q0 == pytest.approx(0.25, rel=1e-9)
    # relu's recursion is exact in expectation: the mean over draws follows it within 10%
    measured = theory.measure_mean(noisy, draws=6).preactivation_std
    np.testing.assert_allclose(measured, theory.predict(noisy).preactivation_std, rtol=0.1)


@pytest.mark.parametrize("changes, expected", [
    ({}, (1.0, 0.0)),                                            # Glorot at equal fans
    ({"initializer": "he_normal"}, (2.0, 0.0)),                  # He: ReLU's edge of chaos
    ({"initializer": "identity", "scale": 1.5}, (2.25, 0.0)),
    ({"bias_std": 0.2}, (1.0, 0.04)),
])
def test_mean_field_variances(changes, expected):
    assert theory.mean_field_variances(Config(**changes)) == pytest.approx(expected, rel=1e-6)


# -- the trainability sweep -------------------------------------------------------------------


def test_scales_reach_each_weight_variance():
    config = Config(initializer="he_normal")
    for sw, scale in zip((0.5, 2.0, 8.0), scales_for(config, (0.5, 2.0, 8.0))):
        assert theory.mean_field_variances(config.replace(scale=scale))[0] == pytest.approx(sw)
    with pytest.raises(ValueError, match="weight variance 0"):
        scales_for(Config(initializer="zeros"), (1.0,))


def test_trainability_sweep_marks_runs_below_the_loss_threshold():
    sweep = TrainabilitySweep(Config(), (1.0, 4.0), (2,), epochs=30).run()
    assert sweep.finished.all()
    np.testing.assert_array_equal(sweep.trained, sweep.final_loss < TRAINED_LOSS)
    assert "of 2 runs trained" in sweep.summary()
    assert np.isinf(sweep.six_xi()[0])  # tanh, no bias, sw = 1: the edge of chaos


# -- the tabs -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app():
    from initviz.app.explorer import Explorer
    from initviz.app.features import JacobianSpectrumFeature, OrderChaosFeature, SignalDepthFeature

    return Explorer(features=[SignalDepthFeature, JacobianSpectrumFeature, OrderChaosFeature])


def _show(app, index, **changes):
    app.tabs.selected_index = index
    app.set_config(Config(**changes))  # on_reset: the shown tab refreshes
    return app.features[index]


def test_tabs_compute_nothing_until_shown(app):
    from initviz.app.explorer import Explorer
    from initviz.app.features import JacobianSpectrumFeature, OrderChaosFeature, SignalDepthFeature

    fresh = Explorer(features=[SignalDepthFeature, JacobianSpectrumFeature, OrderChaosFeature])
    assert [f.refreshes for f in fresh.features] == [0, 0, 0]
    fresh.set_config(depth=3)
    assert [f.refreshes for f in fresh.features] == [1, 0, 0]  # tab 0 shown
    assert fresh.features[1].stale and fresh.features[2].stale
    fresh.tabs.selected_index = 1
    assert fresh.features[1].refreshes == 1


@pytest.mark.parametrize("changes, factor", [
    ({"initializer": "identity", "scale": 1.5, "activation": "linear", "depth": 30}, 1.5),
    ({"initializer": "identity", "scale": 0.5, "activation": "linear", "depth": 30}, 0.5),
    ({"initializer": "he_normal", "activation": "relu", "depth": 30, "width": 256}, 1.0),
])
def test_signal_through_depth_draws_straight_lines(app, changes, factor):
    tab = _show(app, 0, **changes)
    layers, predicted = tab.view.predicted.get_data()
    assert len(layers) == 30
    ratios = np.asarray(predicted)[1:] / np.asarray(predicted)[:-1]
    np.testing.assert_allclose(ratios, factor, rtol=0.02)
    measured = np.asarray(tab.view.measured.get_data()[1])
    if factor != 1.0:  # identity kernels: the measured spread follows exactly
        np.testing.assert_allclose(measured[1:] / measured[:-1], factor, rtol=1e-3)
    assert f"×{factor:.3g}" in tab.summary.value


def _spectrum(app, depth, **changes):
    tab = _show(app, 1, **changes)
    tab.depth.value = depth
    return tab


def test_jacobian_spectrum_follows_the_setting_and_the_depth_slider(app):
    tab = _spectrum(app, 30, initializer="orthogonal", activation="linear", width=64)
    s = tab.singular_values
    assert s.shape[1] == 64
    np.testing.assert_allclose(s, 1.0, rtol=1e-4)   # dynamical isometry
    assert "100% within 10% of 1" in tab.summary.value
    gaussian = [np.log(_spectrum(app, d, initializer="he_normal", activation="linear",
                                 scale=math.sqrt(0.5), width=64).singular_values).std()
                for d in (3, 30)]
    assert gaussian[1] > 2 * gaussian[0]            # spreads with depth
    relu = _spectrum(app, 10, initializer="orthogonal", activation="relu", width=64,
                     scale=math.sqrt(2)).singular_values
    assert np.mean(np.abs(relu - 1) <= 0.1) < 0.2   # never an isometry


def test_order_and_chaos_shows_the_setting_and_the_critical_line(app):
    tab = _show(app, 2, activation="tanh", depth=30, bias_std=0.2)
    sw, sb = tab.phase.point.get_data()
    assert (sw[0], sb[0]) == pytest.approx((1.0, 0.04))
    critical = signal.critical_weight_variance("tanh", 0.04)
    assert tab.trainability.critical.get_xdata()[0] == pytest.approx(critical)
    xs, ys = tab.trainability.xi_line.get_data()
    assert len(xs) == tab.XI_POINTS and np.all(np.asarray(ys) > 0)
    assert tab.phase.contour_set is not None    # 6 xi = 30 drawn (computed in a plain script)
    assert "ordered" in tab.summary.value        # chi1 < 1 at sw = 1 with a bias
    relu = _show(app, 2, activation="relu", initializer="he_normal", depth=30)
    assert relu.phase.critical.get_xdata()[0] == pytest.approx(2.0)
    assert relu.phase.point.get_data()[0][0] == pytest.approx(2.0)
    assert "relu" in relu.phase.ax.get_title(loc="left")


def test_order_and_chaos_measures_runs_and_shows_them(app):
    tab = _show(app, 2, activation="tanh")
    tab.depths, tab.weight_variances, tab.epochs = (2, 3), (1.0, 4.0), 20
    tab.start()  # no event loop here: runs at once
    assert tab.sweep.finished.all()
    assert len(tab.trainability.runs.get_offsets()) == 4
    assert "of 4 runs trained" in tab.status.value
    app.set_config(activation="relu", initializer="he_normal")   # another setting: runs hidden
    assert len(tab.trainability.runs.get_offsets()) == 0


def test_on_an_event_loop_6xi_and_the_sweep_run_in_the_background():
    import asyncio

    from initviz.app.explorer import Explorer
    from initviz.app.features import OrderChaosFeature

    async def scenario():
        app = Explorer(Config(depth=20, bias_std=0.2),
                       features=[OrderChaosFeature])
        await asyncio.sleep(0)           # the tab starts watching the tabs
        tab = app.features[0]
        app.set_config(depth=20, bias_std=0.2, activation="sigmoid")
        assert tab.refreshes == 1 and tab.theory_task is not None
        assert len(tab.trainability.xi_line.get_data()[0]) == 0   # not yet: it is computing
        await tab.theory_task                                     # computed off the loop
        assert len(tab.trainability.xi_line.get_data()[0]) == tab.XI_POINTS
        assert "computing" not in tab.status.value
        tab.depths, tab.weight_variances, tab.epochs = (2,), (1.0, 4.0), 10
        task = tab.start()
        assert tab.button.description == "cancel"
        await task
        assert tab.sweep.finished.all() and tab.button.description == "measure"
        assert not app.errors.outputs, app.errors.outputs

    asyncio.run(scenario())


def test_exports_add_the_bias_noise():
    from initviz.core import codegen

    plain, noisy = Config(), Config(bias_std=0.3)
    assert "bias std" not in codegen.to_pytorch(plain) and "N(0," not in codegen.to_keras(plain)
    assert "layer.bias.add_(torch.randn_like(layer.bias) * 0.3)" in codegen.to_pytorch(noisy)
    assert "normal(0.0, 0.3, layer.bias.shape)" in codegen.to_keras(noisy)
    assert "+ N(0, 0.3^2)" in codegen.to_keras(noisy).splitlines()[1]
