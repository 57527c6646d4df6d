"""Symmetry meter panels: distinct hidden units and mean pairwise cosine, one bar per layer.
"""
from __future__ import annotations

from matplotlib.figure import Figure

from initviz.core.symmetry import SymmetryReport
from initviz.plots.blit import Blitter

DISTINCT_COLOR = "#2e86c1"
SYMMETRIC_COLOR = "#c0392b"


class SymmetryView:
    """Two panels on ``figure``: distinct units per hidden layer (of ``width``) and mean cosine.

    ``update(report)`` changes the bars' heights (red where a layer has fewer distinct units than
    units) and returns True when the layout had to change (a new depth or width).
    """

    def __init__(self, figure: Figure, depth: int, width: int) -> None:
        self.figure = figure
        self.blitter = Blitter(figure)
        self.rebuild(depth, width)

    def rebuild(self, depth: int, width: int) -> None:
        fig = self.figure
        fig.clear()
        self.blitter.clear()
        self.depth, self.width = depth, width
        self.ax_units, self.ax_cosine = fig.subplots(1, 2, gridspec_kw=dict(
            left=0.07, right=0.99, top=0.84, bottom=0.2, wspace=0.22))
        layers = list(range(1, depth + 1))
        ax = self.ax_units
        ax.set_title("Distinct units per hidden layer", fontsize=10, loc="left")
        self.unit_bars = list(ax.bar(layers, [0] * depth, width=0.8, color=DISTINCT_COLOR))
        ax.axhline(width, color="0.4", lw=0.8, ls="--")
        ax.text(0.5, width, f" width {width}", va="bottom", fontsize=7, color="0.3")
        ax.set_ylim(0, max(width, 1) * 1.15)
        ax.set_xlim(0.4, depth + 0.6)
        ax.set_xlabel("hidden layer", fontsize=8)
        ax.tick_params(labelsize=7)
        ax = self.ax_cosine
        ax.set_title("Mean cosine between units' weights", fontsize=10, loc="left")
        self.cosine_bars = list(ax.bar(layers, [0] * depth, width=0.8, color="0.45"))
        ax.axhline(0, color="0.6", lw=0.6)
        ax.axhline(1, color=SYMMETRIC_COLOR, lw=0.8, ls=":")
        ax.set_ylim(-1.05, 1.1)
        ax.set_xlim(0.4, depth + 0.6)
        ax.set_xlabel("hidden layer", fontsize=8)
        ax.tick_params(labelsize=7)
        for axis in (self.ax_units, self.ax_cosine):
            if depth > 12:
                axis.set_xticks([1, *range(5, depth + 1, 5)])
        self.blitter.animate(*self.unit_bars, *self.cosine_bars)

    def update(self, report: SymmetryReport) -> bool:
        relayout = report.depth != self.depth or report.width != self.width
        if relayout:
            self.rebuild(report.depth, report.width)
        widths = report.widths or (report.width,) * report.depth
        for bar, distinct, units in zip(self.unit_bars, report.distinct_units, widths):
            bar.set_height(float(distinct))
            bar.set_color(SYMMETRIC_COLOR if distinct < units else DISTINCT_COLOR)
        for bar, cosine in zip(self.cosine_bars, report.mean_cosine):
            bar.set_height(0.0 if cosine != cosine else float(cosine))  # NaN (width 1): no bar
        return relayout

    @property
    def distinct_heights(self) -> list[float]:
        return [bar.get_height() for bar in self.unit_bars]

    @property
    def cosine_heights(self) -> list[float]:
        return [bar.get_height() for bar in self.cosine_bars]
