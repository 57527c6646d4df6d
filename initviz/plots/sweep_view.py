"""Depth x scale map: one coloured cell per (depth, scale) run of a sweep.

Colour by final loss (log scale, green = low) or by log10(first-layer / last-layer gradient norm)
at initialisation (blue = vanishing towards the input, red = exploding, white = balanced).
Diverged runs are marked with a cross, cells not run yet are grey, and the cell showing the
explorer's current setting is outlined.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from initviz.core.sweep import SweepResult
from initviz.plots.blit import Blitter

MODES = ("loss", "gradient")
LOSS_RANGE = (1e-2, 1.0)
RATIO_LIMIT = 6.0  # decades; beyond (or exactly-zero gradients, -inf) cells get the end colour
MODE_LABEL = {"loss": "final training loss", "gradient": "log10 ‖∇W first‖ / ‖∇W last‖ at init"}


def cell_label(result: SweepResult, i: int, j: int, mode: str) -> str:
    """The text written in a cell: the value shown, '×' for diverged, '' when not run yet."""
    if not result.done[i, j]:
        return ""
    if result.diverged[i, j]:
        return "×"
    if mode == "loss":
        value = result.final_loss[i, j]
        return "" if value != value else f"{value:.2f}" if value >= 0.01 else f"{value:.0e}"
    value = result.log_grad_ratio[i, j]
    if value != value:
        return "?"
    if math.isinf(value):
        return "0 grad" if value < 0 else "∞"
    return f"{value:+.1f}"


class SweepView:
    """The map on ``figure``; ``update(result, mode)`` recolours, ``select(i, j)`` outlines a cell."""

    def __init__(self, figure: Figure, depths, scales, mode: str = "loss") -> None:
        self.figure = figure
        self.blitter = Blitter(figure)
        self.mode = mode
        self.rebuild(tuple(depths), tuple(scales), mode)

    def rebuild(self, depths, scales, mode: str | None = None) -> None:
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
            self.mode = mode
        fig = self.figure
        fig.clear()
        self.blitter.clear()
        self.depths, self.scales = tuple(depths), tuple(scales)
        nd, ns = len(self.depths), len(self.scales)
        self.ax = ax = fig.add_axes([0.13, 0.17, 0.62, 0.72])
        cax = fig.add_axes([0.78, 0.17, 0.03, 0.72])
        cmap, norm = self._colouring(self.mode)
        self.image = ax.imshow(np.full((nd, ns), np.nan), origin="lower", cmap=cmap, norm=norm,
                               aspect="auto", interpolation="nearest",
                               extent=(-0.5, ns - 0.5, -0.5, nd - 0.5))
        self.colorbar = fig.colorbar(self.image, cax=cax)
        self.colorbar.ax.tick_params(labelsize=7)
        self.colorbar.set_label(MODE_LABEL[self.mode], fontsize=7)
        ax.set_xticks(range(ns))
        ax.set_xticklabels([f"{s:g}" for s in self.scales], fontsize=8)
        ax.set_yticks(range(nd))
        ax.set_yticklabels([str(d) for d in self.depths], fontsize=8)
        ax.set_xlabel("kernel scale", fontsize=8)
        ax.set_ylabel("depth (hidden layers)", fontsize=8)
        ax.set_title(f"Depth × scale: {MODE_LABEL[self.mode]}", fontsize=10, loc="left")
        self.texts = [[ax.text(j, i, "", ha="center", va="center", fontsize=8)
                       for j in range(ns)] for i in range(nd)]
        self.outline = Rectangle((-0.5, -0.5), 1, 1, fill=False, lw=2.2, ec="black", visible=False)
        ax.add_patch(self.outline)
        self.selected: tuple[int, int] | None = None
        self.blitter.animate(self.image, *(t for row in self.texts for t in row), self.outline)

    @staticmethod
    def _colouring(mode: str):
        if mode == "loss":
            cmap = colormaps["RdYlGn_r"].with_extremes(bad="0.88")
            return cmap, LogNorm(*LOSS_RANGE, clip=True)
        cmap = colormaps["RdBu_r"].with_extremes(bad="0.88")
        return cmap, Normalize(-RATIO_LIMIT, RATIO_LIMIT, clip=True)

    def values(self, result: SweepResult, mode: str | None = None) -> np.ndarray:
        """The array the image shows for ``mode`` (NaN = grey: not run yet or diverged)."""
        mode = mode or self.mode
        if mode == "loss":
            values = result.final_loss.copy()
        else:
            values = np.clip(result.log_grad_ratio, -RATIO_LIMIT, RATIO_LIMIT)
        values[~result.done | result.diverged] = np.nan
        return values

    def update(self, result: SweepResult, mode: str | None = None) -> bool:
        """Show ``result`` coloured by ``mode``; True when the layout changed (redraw fully)."""
        mode = mode or self.mode
        relayout = (result.depths != self.depths or result.scales != self.scales or mode != self.mode)
        if relayout:
            selected = self.selected
            self.rebuild(result.depths, result.scales, mode)
            if selected is not None:
                self.select(*selected)
        values = self.values(result)
        self.image.set_data(values)
        cmap, norm = self.image.get_cmap(), self.image.norm
        for i, row in enumerate(self.texts):
            for j, text in enumerate(row):
                text.set_text(cell_label(result, i, j, self.mode))
                dark = False
                if values[i, j] == values[i, j]:
                    r, g, b, _ = cmap(norm(values[i, j]))
                    dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.45
                text.set_color("white" if dark else "black")
                text.set_fontweight("bold" if result.diverged[i, j] else "normal")
        return relayout

    def select(self, i: int | None, j: int | None = None) -> None:
        """Outline cell (i, j), or nothing for ``select(None)``."""
        if i is None or j is None:
            self.selected = None
            self.outline.set_visible(False)
            return
        self.selected = (i, j)
        self.outline.set_xy((j - 0.5, i - 0.5))
        self.outline.set_visible(True)

    def cell_at(self, xdata: float | None, ydata: float | None) -> tuple[int, int] | None:
        """The (depth index, scale index) under data coordinates, or None outside the grid."""
        if xdata is None or ydata is None:
            return None
        i, j = int(round(ydata)), int(round(xdata))
        if 0 <= i < len(self.depths) and 0 <= j < len(self.scales):
            return i, j
        return None

    def pixel_of(self, i: int, j: int) -> tuple[float, float]:
        """Display coordinates of the centre of cell (i, j) (for synthetic clicks in tests)."""
        x, y = self.ax.transData.transform((j, i))
        return float(x), float(y)
