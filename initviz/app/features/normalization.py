"""The Normalization tab: each hidden layer's pre-activations before and after batch or layer
norm, live while the network trains (``initviz.plots.normalization_view``).

It shows the claim the lesson tests: normalization divides the kernels' scale out of what the
activation sees (the left panel's rows widen or narrow with the scale, the right panel's keep
a unit spread), but a constant layer still normalises to a constant.
"""
from __future__ import annotations

import time

import ipywidgets as W

from initviz.app.canvas import live_figure
from initviz.app.features.base import Feature
from initviz.plots.normalization_view import NormalizationView

MIN_INTERVAL = 0.5  # seconds between two redraws while training
FIGSIZE = (9.0, 3.0)


class NormalizationFeature(Feature):
    """Pre-activations (left) and normalised pre-activations (right) per hidden layer."""

    title = "Normalization"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.figure, self.canvas = live_figure(FIGSIZE, "initviz-normalization-figure")
        intro = W.HTML(
            "<div style='font-size:12px;max-width:760px'>Left: z = x·W + b in each hidden "
            "layer, whose spread the kernels' scale sets. Right: what batch or layer norm hands the "
            "activation, (z − mean) / √(var + 0.001) scaled by γ and shifted by β. Set "
            "<i>normalize</i> to <i>batch</i> and change the scale: the left rows widen or "
            "collapse, the right ones do not.</div>")
        self.widget = W.VBox([intro, self.canvas])
        self.widget.add_class("initviz-normalization")
        self.view = NormalizationView(self.figure, explorer.trainer)
        self.redraws = 0
        self._due = 0.0

    def refresh(self, full: bool = False) -> None:
        """Draw the explorer's latest frame (or a snapshot of the network now)."""
        explorer = self.explorer
        frame = explorer.frame or explorer.dashboard.frame(explorer.trainer)
        relayout = self.view.update(explorer.trainer, frame)
        self.view.blitter.push(full=full or relayout)
        self.redraws += 1
        self._due = time.monotonic() + MIN_INTERVAL

    def _shown(self) -> bool:
        tabs = self.explorer.tabs
        if tabs is None or self.widget not in tabs.children:
            return True  # built alone (a script or a test): always draw
        index = tabs.selected_index
        return index is not None and tabs.children[index] is self.widget

    def on_reset(self) -> None:
        if self._shown():
            self.refresh(full=True)

    def on_frame(self) -> None:
        if time.monotonic() >= self._due and self._shown():
            self.refresh()
