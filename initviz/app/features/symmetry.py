"""Symmetry meter tab: how many different hidden units the network has, live while it trains.

With zeros, ones or any constant kernel every unit of a layer starts equal, gets the same
gradient and stays equal: the meter shows 1 distinct unit of 32 however long the network trains.
A random initializer gives 32 distinct units and mean cosine near 0.
"""
from __future__ import annotations

import html
import time

import ipywidgets as W

from initviz.app.canvas import live_figure
from initviz.app.features.base import Feature
from initviz.core import symmetry
from initviz.core.symmetry import SymmetryReport
from initviz.plots.symmetry_view import SymmetryView

MIN_INTERVAL = 0.5  # seconds between two measurements while training
COST_FACTOR = 20.0  # ... and at least 20x the last measurement's cost (huge networks)
FIGSIZE = (8.0, 2.5)


class SymmetryFeature(Feature):
    """The symmetry meter: bars per hidden layer, updated at most every ``MIN_INTERVAL`` s."""

    title = "Symmetry"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.figure, self.canvas = live_figure(FIGSIZE, "initviz-symmetry-figure")
        self.summary = W.HTML()
        self.summary.add_class("initviz-symmetry-summary")
        intro = W.HTML(
            "<div style='font-size:12px;max-width:640px'>A hidden unit is its column of incoming "
            "weights plus its bias. Units that start equal get equal gradients and stay equal: "
            "try <code>zeros</code> or <code>ones</code>, press ▶ and watch the count stay at 1."
            "</div>")
        self.widget = W.VBox([intro, self.summary, self.canvas])
        self.widget.add_class("initviz-symmetry")
        self.report: SymmetryReport | None = None
        self.measurements = 0
        self._due = 0.0
        self._interval = MIN_INTERVAL
        self._watching = False
        config = explorer.config
        self.view = SymmetryView(self.figure, config.depth, config.width)
        # no draw now: the page draws the figure when it first shows it (a faster start)
        self.refresh(push=False)

    def on_reset(self) -> None:
        self.refresh()  # blitted; a new depth or width redraws fully

    def on_frame(self) -> None:
        if time.monotonic() < self._due or self._hidden():
            return
        self.refresh()

    def _hidden(self) -> bool:
        """True when the explorer's tabs show another tab (then frames skip the measurement)."""
        tabs = self.explorer.tabs  # None while the features are being built
        if tabs is None or self.widget not in tabs.children:
            return False
        if not self._watching:
            tabs.observe(self.explorer.guard(self._on_tab), names="selected_index")
            self._watching = True
        index = tabs.selected_index
        return index is None or tabs.children[index] is not self.widget

    def _on_tab(self, change) -> None:
        if not self._hidden():
            self.refresh()

    def refresh(self, full: bool = False, push: bool = True) -> None:
        """Measure now and push the bars (blitted unless the layout changed or ``full``)."""
        start = time.perf_counter()
        report = symmetry.measure(self.explorer.trainer.network)
        self.report = report
        self.measurements += 1
        relayout = self.view.update(report)
        self.summary.value = (f"<div style='font-size:13px'>{html.escape(report.summary())}</div>")
        if push:
            self.view.blitter.push(full=full or relayout)
        cost = time.perf_counter() - start
        self._interval = max(MIN_INTERVAL, COST_FACTOR * cost)
        self._due = time.monotonic() + self._interval
