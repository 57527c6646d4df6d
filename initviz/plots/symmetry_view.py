"""Symmetry meter panels: distinct hidden units and mean pairwise cosine, one bar per layer.

Also home of :class:`Blitter`, the small push helper the feature figures share: a feature figure
updates a few artists now and then, so it blits them over a cached background (like the
Dashboard) and redraws fully only when its axes change.
"""
from __future__ import annotations

from matplotlib.figure import Figure

from initviz.core.symmetry import SymmetryReport


class Blitter:
    """Pushes ``artists`` of ``figure`` by blitting; ``push(full=True)`` redraws everything.

    The artists are marked animated, so a full draw renders the rest, caches it as the background
    and then draws them on top. Works with any canvas that has ``copy_from_bbox`` (Agg, ipympl);
    on one without (a bare Figure) pushing does nothing.
    """

    def __init__(self, figure: Figure) -> None:
        self.figure = figure
        self.artists: list = []
        self._background = None
        self._cid = figure.canvas.mpl_connect("draw_event", self._on_draw)
        self.full_draws = 0
        self.blits = 0

    def animate(self, *artists):
        for artist in artists:
            artist.set_animated(True)
            self.artists.append(artist)
        return artists[0] if len(artists) == 1 else artists

    def clear(self) -> None:
        self.artists = []
        self._background = None

    def push(self, full: bool = False) -> None:
        canvas = self.figure.canvas
        if not hasattr(canvas, "copy_from_bbox"):
            return
        if full or self._background is None:
            self.full_draws += 1
            canvas.draw()  # _on_draw caches the background and draws the animated artists
            return
        self.blits += 1
        canvas.restore_region(self._background)
        self._draw_animated()
        canvas.blit(self.figure.bbox)

    def _on_draw(self, event) -> None:
        canvas = self.figure.canvas
        if hasattr(canvas, "copy_from_bbox"):
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._draw_animated()

    def _draw_animated(self) -> None:
        for artist in self.artists:
            if artist.figure is self.figure:
                self.figure.draw_artist(artist)

    def savefig(self, path, **kwargs) -> None:
        """Save a static picture with the animated artists included."""
        for artist in self.artists:
            artist.set_animated(False)
        try:
            self.figure.savefig(path, **kwargs)
        finally:
            for artist in self.artists:
                artist.set_animated(True)


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
