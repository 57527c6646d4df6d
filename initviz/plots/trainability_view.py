"""Depth x weight variance: measured trainability beside the theory's 6 xi (one Axes).

Schoenholz et al. (2017), figure 5, in miniature: x is the weight variance sw, y the depth. The
line is ``6 xi(sw)`` for the current activation and bias variance (it diverges at the edge of
chaos, the dotted vertical line); squares are measured runs (green: trained, red: did not,
grey cross: diverged); the ring is the current setting. ``update(...)`` returns True when the
axes limits changed (then redraw fully instead of blitting).
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes

from initviz.plots.signal_views import CRITICAL_COLOR, POINT_COLOR, _Animated

TRAINED_COLOR, FAILED_COLOR, DIVERGED_COLOR = "#1e8449", "#c0392b", "0.55"
XI_COLOR = "#2e86c1"


class TrainabilityView(_Animated):
    """Measured runs (squares) and 6 xi (line) on the (weight variance, depth) plane."""

    title = "Trainability: depth × weight variance"

    def __init__(self, ax: Axes, max_depth: int = 50, max_weight_variance: float = 4.5) -> None:
        super().__init__(ax)
        ax.set_title(self.title, fontsize=10, loc="left")
        ax.set_xlabel("weight variance  σw²", fontsize=8)
        ax.set_ylabel("depth (hidden layers)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlim(0.0, max_weight_variance)
        ax.set_ylim(0.0, max_depth)
        self.xi_line = self.animate(ax.plot([], [], "--", lw=1.5, color=XI_COLOR,
                                            label="6ξ (theory)")[0])
        self.critical = self.animate(ax.axvline(math.nan, color=CRITICAL_COLOR, lw=1.0, ls=":",
                                                label="edge of chaos"))
        self.runs = self.animate(ax.scatter([], [], s=30, marker="s", zorder=3))
        self.crosses = self.animate(ax.scatter([], [], s=30, marker="x", color=DIVERGED_COLOR,
                                               zorder=3))
        self.point = self.animate(ax.plot([], [], "o", ms=9, mfc="none", mec=POINT_COLOR,
                                          mew=2.0, label="current setting", zorder=4)[0])
        self.caption = self.animate(ax.text(0.01, 0.97, "", transform=ax.transAxes, va="top",
                                            fontsize=7, color="0.2"))
        ax.legend(fontsize=7, loc="upper right")

    def set_theory(self, weight_variances, six_xi, critical: float) -> None:
        """The 6 xi curve (inf is drawn clipped to the top of the axes) and the critical line."""
        sw = np.asarray(weight_variances, float)
        depth = np.asarray(six_xi, float)
        top = self.ax.get_ylim()[1]
        self.xi_line.set_data(sw, np.where(np.isfinite(depth), np.minimum(depth, 2 * top), 2 * top))
        self.critical.set_xdata([critical, critical])

    def clear_theory(self) -> None:
        self.xi_line.set_data([], [])
        self.critical.set_xdata([math.nan, math.nan])

    def show_runs(self, weight_variances, depths, finished, trained, diverged) -> None:
        """Squares at every finished (depth, weight variance) cell of a grid (rows: depths)."""
        SW, D = np.meshgrid(np.asarray(weight_variances, float), np.asarray(depths, float))
        finished, trained, diverged = (np.asarray(a, bool) for a in (finished, trained, diverged))
        ok = finished & ~diverged
        self.runs.set_offsets(np.column_stack([SW[ok], D[ok]]) if ok.any() else np.empty((0, 2)))
        self.runs.set_color(np.where(trained[ok], TRAINED_COLOR, FAILED_COLOR) if ok.any() else [])
        bad = finished & diverged
        self.crosses.set_offsets(np.column_stack([SW[bad], D[bad]]) if bad.any()
                                 else np.empty((0, 2)))

    def update(self, weight_variance: float, depth: int, caption: str = "") -> bool:
        """Move the current setting's ring; widen the axes if it leaves them (True then)."""
        self.point.set_data([weight_variance], [depth])
        self.caption.set_text(caption)
        changed = False
        if weight_variance > self.ax.get_xlim()[1]:
            self.ax.set_xlim(0.0, float(np.ceil(1.2 * weight_variance)))
            changed = True
        return changed
