"""Depth x scale map: one coloured cell per (depth, scale) run of a sweep.

Colour by final loss (log scale, viridis: bright yellow = low, dark purple = high; no colour of
the map is close to white or grey) or by log10(first-layer / last-layer gradient norm) at
initialisation (blue = vanishing towards the input, red = exploding, white = balanced). Every
finished cell has a colour: values beyond the colour bar take its end colour (the cell's text
gives the value). Diverged runs get a colour of their own (``DIVERGED_COLOR``, outside the map)
and a cross, cells not run yet are transparent over a hatched background, a legend names both,
and the cell showing the explorer's current setting is outlined.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from initviz.core.sweep import SweepResult
from initviz.plots.blit import Blitter

MODES = ("loss", "gradient")
LOSS_RANGE = (1e-2, 1.0)
RATIO_LIMIT = 6.0  # decades; beyond (or exactly-zero gradients, -inf) cells get the end colour
DIVERGED_COLOR = {"loss": "#d62728", "gradient": "#111111"}  # not in the mode's colour map
NOT_RUN_HATCH = "///"
CMAPS = {"loss": "viridis_r", "gradient": "RdBu_r"}
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


def diverged_value(mode: str) -> float:
    """The value a diverged cell holds in the image: above the colour bar (its 'over' colour)."""
    return LOSS_RANGE[1] * 10 if mode == "loss" else RATIO_LIMIT * 2


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
        ax.set_facecolor("white")  # not-run cells are transparent: the hatching shows through
        ax.patch.set_hatch(NOT_RUN_HATCH)
        ax.patch.set_edgecolor("0.78")
        self.legend = fig.legend(
            handles=[Patch(facecolor=DIVERGED_COLOR[self.mode], edgecolor="none",
                           label="× diverged"),
                     Patch(facecolor="white", edgecolor="0.6", hatch=NOT_RUN_HATCH,
                           label="not run yet")],
            loc="lower right", bbox_to_anchor=(0.995, 0.005), ncol=1, fontsize=7,
            frameon=False, handlelength=1.4, columnspacing=1.0)
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
        # not run (NaN): transparent; diverged: a value above the range, the 'over' colour
        cmap = colormaps[CMAPS[mode]].with_extremes(bad=(0, 0, 0, 0), over=DIVERGED_COLOR[mode])
        if mode == "loss":
            return cmap, LogNorm(*LOSS_RANGE, clip=False)
        return cmap, Normalize(-RATIO_LIMIT, RATIO_LIMIT, clip=False)

    def values(self, result: SweepResult, mode: str | None = None) -> np.ndarray:
        """The array the image shows for ``mode``: finished cells clipped into the colour bar's
        range (so each has a colour), diverged cells ``diverged_value(mode)`` (above the range:
        the diverged colour), cells not run NaN (transparent over the hatching)."""
        mode = mode or self.mode
        if mode == "loss":
            values = np.clip(result.final_loss, *LOSS_RANGE)
        else:
            values = np.clip(result.log_grad_ratio, -RATIO_LIMIT, RATIO_LIMIT)
        values[result.done & ~result.diverged & np.isnan(values)] = (
            LOSS_RANGE[1] if mode == "loss" else 0.0)  # a finished cell without a value: its text says '?'
        values[result.diverged] = diverged_value(mode)
        values[~result.done] = np.nan
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
