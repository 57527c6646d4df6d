"""The Compare A/B tab: trains in a script or as a task on the event loop, draws both runs, can be stopped."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest
from conftest import assert_no_errors, feature_of

from initviz.app import Explorer
from initviz.app.features.compare import CompareFeature


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


def test_b_can_differ_from_a_in_normalization():
    """A: Keras 'normal' at depth 10 (stays at 0.69 under SGD); B: the same with batch norm."""
    explorer = Explorer(initializer="random_normal", activation="relu", depth=10,
                        features=[CompareFeature])
    tab = feature_of(explorer, CompareFeature)
    assert "initviz-compare-b-normalization" in tab.b_normalization._dom_classes
    tab.copy_button.click()
    tab.b_normalization.value = "batch"
    tab.epochs.value = 300
    tab.button.click()
    result = tab.result
    assert result.config_b == explorer.config.replace(normalization="batch")
    assert result.final_loss_a > 0.69 and result.final_loss_b < 0.03
    from initviz.core.compare import describe_config
    assert describe_config(result.config_b).endswith("relu · batch norm")
    tab.copy_button.click()
    assert tab.b_normalization.value == "none"
    assert_no_errors(explorer)
