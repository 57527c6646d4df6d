"""The Theory tab: predicted (line) and measured (markers) per-layer std at initialisation, and its words."""
from __future__ import annotations

import numpy as np
from conftest import assert_no_errors, feature_of

from initviz.app import Explorer
from initviz.app.features.theory import TheoryFeature
from initviz.core import theory


def test_theory_overlay_draws_prediction_and_measurement_and_follows_resets():
    explorer = Explorer(activation="relu", initializer="he_normal", depth=8, width=64,
                        features=[TheoryFeature])
    tab = feature_of(explorer, TheoryFeature)
    view = tab.view
    for config in (explorer.config, explorer.config.replace(initializer="identity", scale=0.5, depth=12),
                   explorer.config.replace(activation="tanh", initializer="glorot_uniform", scale=3.0)):
        explorer.set_config(config)
        predicted = theory.predict(explorer.config)
        measured = theory.measure(explorer.trainer)
        assert view.depth == config.depth
        np.testing.assert_array_equal(view.predicted["activation"].get_xdata(), np.arange(1, config.depth + 1))
        np.testing.assert_allclose(view.predicted["activation"].get_ydata(), predicted.activation_std)
        np.testing.assert_allclose(view.measured["activation"].get_ydata(), measured.activation_std)
        np.testing.assert_allclose(view.predicted["gradient"].get_ydata(), predicted.gradient_std)
        np.testing.assert_allclose(view.measured["gradient"].get_ydata(), measured.gradient_std)
        assert view.ax_act.get_yscale() == "log"
        lo, hi = view.ax_act.get_ylim()
        assert lo <= np.nanmin(measured.activation_std) and np.nanmax(measured.activation_std) <= hi
    # training does not move the markers: they show the network at initialisation
    before = view.measured["activation"].get_ydata().copy()
    explorer.run(20)
    np.testing.assert_array_equal(view.measured["activation"].get_ydata(), before)
    assert_no_errors(explorer)


def test_theory_overlay_words_and_zero_kernels():
    explorer = Explorer(activation="relu", initializer="identity", scale=0.5, depth=10,
                        features=[TheoryFeature])
    tab = feature_of(explorer, TheoryFeature)
    assert "shrinking" in tab.summary.value
    explorer.set_config(initializer="zeros")
    assert "exactly 0 in every layer" in tab.view.caption.get_text()
    assert np.all(np.isnan(tab.view.measured["activation"].get_ydata()))
    explorer.set_config(initializer="he_normal", depth=1)
    assert "one hidden layer" in tab.summary.value
    assert_no_errors(explorer)


def test_theory_overlay_notes_overflow():
    from initviz.plots.theory_view import caption

    assert caption([1.0, np.inf, np.nan]) == "activations overflow from layer 2 (not drawn)"
    assert caption([0.0, 0.0]) == "activations are exactly 0 in every layer (zero kernels)"
    assert caption([1.0, 0.0]) == "activations exactly 0 in 1 layer (not drawn)"
    assert caption([1.0, 2.0]) == ""
    explorer = Explorer(initializer="ones", activation="relu", depth=30, features=[TheoryFeature])
    tab = feature_of(explorer, TheoryFeature)
    measured = theory.measure(explorer.trainer).activation_std
    if not np.all(np.isfinite(measured)):
        assert "overflow" in tab.view.caption.get_text()
    assert_no_errors(explorer)


def test_theory_tab_states_its_assumptions_and_verdicts_that_agree_with_the_lesson():
    from initviz.core import presets

    explorer = Explorer(presets.config("he_relu"), features=[TheoryFeature])
    tab = feature_of(explorer, TheoryFeature)
    text = tab.summary.value
    assert "theory: ×1 per layer (preserved" in text and "vanishing" not in text
    assert "The theory assumes independent zero-mean weights" in text
    assert "width 32: one network (the dots) wanders" in text
    explorer.set_config(presets.config("positive_uniform"))
    text = tab.summary.value
    assert "does not apply here (non-zero mean weights)" in text
    assert "this network: ×1.38 per layer (growing until the units saturate)" in text
    assert "2-D inputs" in text


def test_theory_overlay_says_where_the_theory_stops():
    """Normalization and residual connections: the tab names the step of the derivation that
    fails, and the markers measure the network as it is (batch norm keeps the signal the
    plain theory predicts to vanish)."""
    explorer = Explorer(activation="relu", initializer="random_normal", depth=10,
                        normalization="batch", features=[TheoryFeature])
    tab = feature_of(explorer, TheoryFeature)
    assert "Where the theory stops" in tab.summary.value and "Batch norm" in tab.summary.value
    measured = tab.view.measured["activation"].get_ydata()
    predicted = tab.view.predicted["activation"].get_ydata()
    assert predicted[-1] < 1e-6 and 0.3 < measured[-1] < 1.0  # the plain line vanishes
    net = explorer.trainer.network
    net.forward(explorer.trainer.train.X)
    np.testing.assert_allclose(measured, [np.std(a, dtype=np.float64) for a in net.activations],
                               rtol=1e-6)
    explorer.set_config(normalization="none", residual=True, initializer="he_normal", depth=6)
    assert "Residual connections" in tab.summary.value and "Batch norm" not in tab.summary.value
    explorer.set_config(residual=False)
    assert "Where the theory stops" not in tab.summary.value
    assert theory.limits(explorer.config) == []
    assert_no_errors(explorer)
