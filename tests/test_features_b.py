"""Feature tabs B (compare A/B, theory overlay, symmetry meter, depth x scale map), headless:
widget values set in code, callbacks run, artists' data and outputs asserted."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest

from initviz.app import Explorer
from initviz.app.features.symmetry import SymmetryFeature
from initviz.core import symmetry


def feature_of(explorer: Explorer, cls):
    return next(f for f in explorer.features if isinstance(f, cls))


def assert_no_errors(explorer: Explorer) -> None:
    assert not explorer.errors.outputs, explorer.errors.outputs


# -- symmetry meter -----------------------------------------------------------------------------
def test_symmetry_meter_shows_one_unit_for_ones_and_width_for_glorot():
    explorer = Explorer(initializer="ones", depth=4, width=16, features=[SymmetryFeature])
    meter = feature_of(explorer, SymmetryFeature)
    assert meter.title == "Symmetry"
    assert meter.view.distinct_heights == [1.0] * 4
    assert meter.view.cosine_heights == pytest.approx([1.0] * 4)
    assert "1 distinct unit of 16" in meter.summary.value
    explorer.run(200)
    meter.refresh()
    assert meter.view.distinct_heights == [1.0] * 4
    explorer.set_config(initializer="glorot_uniform", depth=6)
    report = symmetry.measure(explorer.trainer.network)
    assert meter.view.depth == 6
    assert meter.view.distinct_heights == [16.0] * 6
    np.testing.assert_allclose(meter.view.cosine_heights, report.mean_cosine)
    assert "all 16 units" in meter.summary.value
    assert_no_errors(explorer)


def test_symmetry_meter_is_throttled_and_cheap_between_measurements():
    explorer = Explorer(features=[SymmetryFeature])
    meter = feature_of(explorer, SymmetryFeature)
    assert meter.view.blitter.full_draws == 0  # nothing drawn until the page shows the figure
    meter.canvas.draw()  # what the page's first display does
    n = meter.measurements
    meter._due = float("inf")  # not due yet (a deterministic stand-in for "less than 0.5 s")
    explorer.run(1)
    explorer.run(1)
    for _ in range(1000):
        meter.on_frame()
    assert meter.measurements == n  # frames in between measure nothing
    meter._due = 0.0  # time passes
    explorer.run(1)
    assert meter.measurements == n + 1
    assert meter.view.blitter.blits == 1  # the bars were blitted, not fully redrawn
    assert meter.view.blitter.full_draws == 0



def test_symmetry_meter_skips_work_while_its_tab_is_hidden():
    from initviz.app.features.presets import PresetsFeature

    explorer = Explorer(initializer="ones", features=[PresetsFeature, SymmetryFeature])
    meter = feature_of(explorer, SymmetryFeature)
    explorer.tabs.selected_index = 0
    n = meter.measurements
    meter._due = 0.0
    explorer.run(1)
    assert meter.measurements == n  # hidden: nothing measured
    explorer.tabs.selected_index = 1  # shown: measured at once
    assert meter.measurements == n + 1
    meter._due = 0.0
    explorer.run(1)
    assert meter.measurements == n + 2
    assert_no_errors(explorer)

# -- compare A/B --------------------------------------------------------------------------------
from initviz.app.features.compare import CompareFeature, Comparison, compare, gradient_ratio  # noqa: E402
from initviz.core.training import Config, Trainer  # noqa: E402


def test_compare_sync_trains_both_on_the_same_data_and_seed():
    a = Config(depth=12, activation="relu", initializer="random_normal")  # N(0, 0.05^2): vanishes
    b = a.replace(initializer="he_normal")
    result = compare(a, b, 300)
    assert result.trainer_a.epoch == result.trainer_b.epoch == 300
    np.testing.assert_array_equal(result.trainer_a.train.X, result.trainer_b.train.X)
    # identical to training each alone
    alone = Trainer(b).run(300)
    np.testing.assert_allclose(result.history_b.loss, alone.history.loss)
    assert result.final_loss_b < 0.8 * result.final_loss_a
    text = result.summary()
    assert text.startswith(f"B reached loss {result.final_loss_b:.3g} vs A {result.final_loss_a:.3g}")
    assert "after 300 epochs" in text
    assert "A's first-layer gradient is 1e-" in text and "(vanishing)" in text
    assert gradient_ratio(result.history_a) < 1e-3 < gradient_ratio(result.history_b)


def test_compare_words_for_divergence_zeros_and_ties():
    diverging = compare(Config(initializer="random_normal", scale=100.0, activation="relu", depth=10),
                        Config(activation="relu", depth=10), 60)
    assert diverging.trainer_a.diverged
    assert diverging.summary().startswith("A diverged at epoch")
    assert np.isnan(diverging.final_loss_a)
    zeros = compare(Config(), Config(initializer="zeros"), 60)
    assert "B's first-layer gradient is exactly 0" in zeros.summary()
    tie = compare(Config(), Config(), 30)
    assert tie.summary().startswith("A and B end at about the same loss")
    with pytest.raises(ValueError, match="epochs"):
        Comparison(Config(), Config(), 0)


def test_compare_tab_in_a_script_trains_synchronously_and_draws():
    explorer = Explorer(depth=5, features=[CompareFeature])
    tab = feature_of(explorer, CompareFeature)
    assert "glorot_uniform" in tab.a_label.value
    assert {"initviz-compare-b"} <= set(tab.b_initializer._dom_classes)
    assert "initviz-compare-b" in tab.b_scale._dom_classes and "initviz-compare-b" in tab.b_activation._dom_classes
    tab.b_initializer.value = "zeros"
    tab.b_activation.value = "tanh"
    tab.epochs.value = 40
    tab.button.click()  # no event loop: trains now
    result = tab.result
    assert result is not None and result.config_b.initializer == "zeros"
    assert result.config_b.replace(initializer="glorot_uniform") == explorer.config
    view = tab.view
    np.testing.assert_allclose(view.loss["A"].get_ydata(), result.history_a.loss)
    np.testing.assert_allclose(view.loss["B"].get_ydata(), result.history_b.loss)
    np.testing.assert_allclose(view.grad["A"].get_ydata(), result.history_a.grad_norm[-1])
    np.testing.assert_array_equal(view.grad["B"].get_xdata(), np.arange(1, 7))
    assert result.summary() in tab.summary.value.replace("&#x27;", "'")
    assert tab.progress.value == 1.0
    tab.copy_button.click()
    assert tab.b_initializer.value == explorer.config.initializer
    assert_no_errors(explorer)


def test_compare_button_runs_as_a_task_and_keeps_the_loop_live():
    async def main():
        explorer = Explorer(depth=4, features=[CompareFeature])
        tab = feature_of(explorer, CompareFeature)
        tab.b_scale.value = 0.01
        tab.epochs.value = 1000  # several 30 ms chunks even on a fast machine
        tab.button.click()
        assert tab.running and tab.button.description == "stop"
        ticks = 0
        while not tab.task.done():  # other coroutines run while A and B train
            ticks += 1
            await asyncio.sleep(0)
        await tab.task
        return explorer, tab, ticks

    explorer, tab, ticks = asyncio.run(main())
    assert ticks >= 5
    assert tab.result.trainer_a.epoch == tab.result.trainer_b.epoch == 1000
    assert tab.result.config_b.scale == pytest.approx(0.01)
    assert tab.button.description == "compare"
    assert "after 1000 epochs" in tab.summary.value
    np.testing.assert_allclose(tab.view.loss["B"].get_ydata(), tab.result.history_b.loss)
    assert_no_errors(explorer)


def test_compare_button_again_stops_the_run():
    async def main():
        explorer = Explorer(features=[CompareFeature])
        tab = feature_of(explorer, CompareFeature)
        tab.epochs.value = 5000
        tab.button.click()
        task = tab.task
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        tab.button.click()  # stop
        with pytest.raises(asyncio.CancelledError):
            await task
        return tab

    tab = asyncio.run(main())
    assert not tab.running and tab.result is None
    assert tab.comparison.trainer_a.epoch < 5000
    assert "stopped" in tab.summary.value


# -- depth x scale map ------------------------------------------------------------------------------
from matplotlib.backend_bases import MouseEvent  # noqa: E402

from initviz.app.features.sweep import SweepFeature  # noqa: E402


def small_sweep(explorer):
    return SweepFeature(explorer, depths=(2, 4), scales=(0.1, 1.0, 30.0), epochs=20)


def test_sweep_tab_in_a_script_fills_the_map_and_a_click_loads_a_cell():
    explorer = Explorer(activation="relu", initializer="he_normal", features=[small_sweep])
    tab = feature_of(explorer, SweepFeature)
    assert "initviz-sweep-progress" in tab.progress._dom_classes
    tab.button.click()  # no event loop: runs now
    result = tab.result
    assert result.complete and tab.progress.value == tab.progress.max == 6
    shown = np.ma.filled(tab.view.image.get_array().astype(float), np.nan)
    from initviz.plots.sweep_view import LOSS_RANGE, diverged_value

    # finished cells clipped into the colour bar, diverged ones above it (their own colour)
    expected = np.where(result.diverged, diverged_value("loss"), np.clip(result.final_loss, *LOSS_RANGE))
    np.testing.assert_allclose(shown, expected)
    assert "6 of 6 runs" in tab.status.value
    # colour toggle
    tab.color.value = "gradient"
    assert tab.view.mode == "gradient"
    # a real click on the canvas (a synthetic mouse event through matplotlib's callbacks)
    x, y = tab.view.pixel_of(1, 0)
    event = MouseEvent("button_press_event", tab.canvas, x, y, button=1)
    tab.canvas.callbacks.process("button_press_event", event)
    assert explorer.config.depth == 4 and explorer.config.scale == pytest.approx(0.1)
    assert explorer.controls.depth.value == 4
    assert tab.view.selected == (1, 0) and tab.view.outline.get_visible()
    assert not tab.running
    # select() is the same path
    config = tab.select(0, 1)
    assert explorer.config == config == result.config_at(0, 1)
    assert tab.view.selected == (0, 1)
    # another setting: the map says so, the outline goes
    explorer.set_config(initializer="glorot_uniform")
    assert tab.view.selected is None
    assert "another setting" in tab.status.value
    assert_no_errors(explorer)


def test_sweep_runs_as_a_task_with_progress_and_is_cancelled_by_a_setting_change():
    async def main():
        explorer = Explorer(features=[small_sweep])
        tab = feature_of(explorer, SweepFeature)
        tab.epochs.value = 200  # several chunks of training even on a fast machine
        task = tab.button.click() or tab.task
        assert tab.running and tab.button.description == "cancel"
        seen = set()
        while not task.done():
            seen.add(tab.progress.value)
            await asyncio.sleep(0)
        await task
        assert tab.result.complete and tab.progress.value == 6
        assert len(seen) >= 3  # the bar moved while the loop stayed live
        # a long sweep, then move a control: the sweep stops (after the controls' debounce)
        tab.depths, tab.epochs.value = (10, 30), 400
        tab.button.click()
        task = tab.task
        await asyncio.sleep(0)
        explorer.controls.seed.value = 7
        await asyncio.sleep(0.2)
        assert explorer.config.seed == 7
        assert not tab.running and "setting changed" in tab.status.value
        with pytest.raises(asyncio.CancelledError):
            await task
        # sweep again, press the button again: cancelled
        tab.button.click()
        task = tab.task
        tab.button.click()
        assert not tab.running and tab.button.description == "sweep"
        with pytest.raises(asyncio.CancelledError):
            await task
        return explorer

    explorer = asyncio.run(main())
    assert_no_errors(explorer)


def test_selecting_a_cell_during_a_sweep_does_not_cancel_it():
    async def main():
        explorer = Explorer(features=[small_sweep])
        tab = feature_of(explorer, SweepFeature)
        tab.button.click()
        task = tab.task
        await asyncio.sleep(0)
        tab.select(1, 1)
        assert tab.running
        await task
        return explorer, tab

    explorer, tab = asyncio.run(main())
    assert tab.result.complete and tab.view.selected == (1, 1)
    assert_no_errors(explorer)


def test_sweep_click_outside_the_grid_does_nothing():
    explorer = Explorer(features=[small_sweep])
    tab = feature_of(explorer, SweepFeature)
    before = explorer.config
    event = MouseEvent("button_press_event", tab.canvas, 2, 2, button=1)  # bottom-left corner
    tab.canvas.callbacks.process("button_press_event", event)
    assert explorer.config == before
    assert_no_errors(explorer)



# -- theory overlay -----------------------------------------------------------------------------------
from initviz.app.features.theory import TheoryFeature  # noqa: E402
from initviz.core import theory  # noqa: E402


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
    assert_no_errors(explorer)
