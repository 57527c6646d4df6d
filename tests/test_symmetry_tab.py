"""The Symmetry tab: distinct units per layer, measured at most every MIN_INTERVAL s, skipped while hidden."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_no_errors, feature_of

from initviz.app import Explorer
from initviz.app.features.symmetry import SymmetryFeature
from initviz.core import symmetry


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
