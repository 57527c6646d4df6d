"""Feature tabs B (compare A/B, theory overlay, symmetry meter, depth x scale map), headless:
widget values set in code, callbacks run, artists' data and outputs asserted."""
from __future__ import annotations

import time

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
    n = meter.measurements
    explorer.run(1)
    explorer.run(1)
    assert meter.measurements == n  # not due yet
    start = time.perf_counter()
    for _ in range(1000):
        meter.on_frame()
    assert (time.perf_counter() - start) / 1000 < 20e-6
    meter._due = 0.0  # time passes
    explorer.run(1)
    assert meter.measurements == n + 1
    assert meter.view.blitter.blits >= 1  # the bars were blitted, not fully redrawn
