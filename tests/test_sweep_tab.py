"""The Depth x scale tab: the sweep fills the map (in a script or as a task), a click on a cell loads it."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest
from conftest import assert_no_errors, feature_of
from matplotlib.backend_bases import MouseEvent

from initviz.app import Explorer
from initviz.app.features.sweep import SweepFeature


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
