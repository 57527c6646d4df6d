"""The Normalization tab: pre-activations and normalised pre-activations per hidden layer."""
from __future__ import annotations

import numpy as np
from conftest import assert_no_errors, feature_of

from initviz.app import Explorer
from initviz.app.features.normalization import NormalizationFeature
from initviz.core import presets


def _heights(view, counts):
    """The ridgeline heights a LayerHistogramView draws for ``counts`` (its rows)."""
    c = np.sqrt(counts[view.rows])
    peak = c.max(axis=1, keepdims=True)
    return np.divide(c, peak, out=np.zeros_like(c), where=peak > 0) * 0.9


def test_the_tab_draws_both_histograms_of_a_normalised_network():
    explorer = Explorer(presets.config("batchnorm_rescue"), features=[NormalizationFeature])
    tab = feature_of(explorer, NormalizationFeature)
    explorer.run(3)
    tab.refresh()
    snapshot = explorer.frame.snapshot
    for view, kind in ((tab.view.pre, "preactivations"), (tab.view.post, "normalized")):
        segments = view.lines.get_segments()
        assert len(segments) == len(view.rows) == 10
        drawn = np.array([s[0::2, 1] - row for row, s in enumerate(segments)])
        np.testing.assert_allclose(drawn, _heights(view, snapshot.counts[kind]), atol=1e-6)
    # the point of the tab: z's spread follows the kernels' scale, the normalised values keep
    # theirs (history row 0: the network as drawn, before any update)
    z1, y1 = (explorer.trainer.history.preactivation_std[0, -1],
              explorer.trainer.history.normalized_std[0, -1])
    explorer.set_config(explorer.config.replace(scale=10.0))
    explorer.run(1)
    z10, y10 = (explorer.trainer.history.preactivation_std[0, -1],
                explorer.trainer.history.normalized_std[0, -1])
    assert 8 < z10 / z1 < 12 and abs(y10 / y1 - 1) < 0.05
    assert_no_errors(explorer)


def test_without_normalization_the_tab_says_so_and_shows_the_preactivations():
    explorer = Explorer(depth=3, features=[NormalizationFeature])
    tab = feature_of(explorer, NormalizationFeature)
    tab.refresh()
    assert tab.view.post is None and len(tab.view.pre.lines.get_segments()) == 3
    assert any("normalization is off" in t.get_text() for ax in tab.figure.axes for t in ax.texts)
    explorer.set_config(explorer.config.replace(normalization="layer"))
    assert tab.view.post is not None  # rebuilt for the new setting
    assert_no_errors(explorer)
