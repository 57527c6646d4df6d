"""The Dashboard: every View on one matplotlib figure, redrawn by blitting.

A full redraw of the six panels costs ~100+ ms on a 2-core machine; a blitted frame (restore the
cached background, draw only the animated artists, push the pixels) costs a fraction of that.
The full redraw happens only when a View's axes limits change or the network is rebuilt.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from initviz.core.training import Trainer
from initviz.plots.blit import Blitter
from initviz.plots.views import (
    ActivationHistogramView,
    DecisionBoundaryView,
    Frame,
    GradientHistoryView,
    GradientNormView,
    LossView,
    ProjectionView,
    View,
    WeightHistogramView,
)

GRID_SIDE = 40  # decision-boundary resolution: 40 x 40 predictions per frame


def input_grid(X: np.ndarray, side: int = GRID_SIDE) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """A side x side grid covering the data (with a margin), and its imshow extent."""
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    if X.shape[1] == 1:
        return np.linspace(lo[0], hi[0], side * 4, dtype=np.float32)[:, None], (lo[0], hi[0], 0, 1)
    xs = np.linspace(lo[0], hi[0], side, dtype=np.float32)
    ys = np.linspace(lo[1], hi[1], side, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()]), (lo[0], hi[0], lo[1], hi[1])


def frame_from_trainer(trainer: Trainer, grid: np.ndarray | None = None,
                       max_age: int = 0) -> Frame:
    """The current state of a trainer as a Frame (histograms now, prediction over ``grid``).

    With ``max_age`` > 0 the latest histogram snapshot the trainer recorded while training (every
    few epochs, ``History.snapshots``) stands for the current one if it is at most that many
    epochs old: a live frame then skips ``Trainer.snapshot``'s forward and backward pass over the
    training set (1.3 ms per frame at depth 6, ~6 ms at depth 30 here)."""
    snapshot = None
    if max_age > 0 and trainer.history.snapshots:
        latest = trainer.history.snapshots[-1]
        if 0 <= trainer.epoch - latest.epoch <= max_age:
            snapshot = latest
    return Frame(
        epoch=trainer.epoch,
        history=trainer.history,
        snapshot=trainer.snapshot() if snapshot is None else snapshot,
        task=trainer.dataset.task,
        boundary=None if grid is None else trainer.predict(grid),
        activation=trainer.config.activation,
    )


class Dashboard:
    """Six panels for one Trainer: weights, activations, prediction / loss, gradient views.

    Frames are blitted. When a View's axes change (new limits or bins) only that panel is
    redrawn over the cached background, not the whole figure: ~20 ms instead of ~150 ms.
    """

    def __init__(self, figure: Figure, trainer: Trainer) -> None:
        self.figure = figure
        self.views: list[View] = []
        self.blitter = Blitter(figure)
        self._stale: set[int] = set()  # indices of views whose panel must be redrawn
        self._key: tuple | None = None
        self.shown_epoch: int | None = None  # the epoch of the last frame drawn (Replay's too)
        self.style_scale = 1.0  # fonts and lines x this (presentation mode: ``set_style_scale``)
        self.rebuild(trainer)

    def rebuild(self, trainer: Trainer) -> None:
        """Show a re-drawn network: reuse the panels if its shape and data are unchanged."""
        c = trainer.config
        key = (c.depth, c.dataset, c.n_samples, c.noise, c.seed)
        if key == self._key:
            self._stale |= {i for i, view in enumerate(self.views) if view.reset(trainer)}
            return
        self._key = key
        fig = self.figure
        fig.clear()
        grid_spec = fig.add_gridspec(2, 3, left=0.055, right=0.975, top=0.93, bottom=0.1,
                                     wspace=0.3, hspace=0.42)
        axes = [fig.add_subplot(grid_spec[i // 3, i % 3]) for i in range(6)]
        data = trainer.train
        if data.X.shape[1] > 2:  # no input plane: predict on the training rows themselves
            self.grid = np.ascontiguousarray(data.X)
            prediction = ProjectionView(axes[2], data.X, data.y, trainer.dataset.task,
                                        n_classes=trainer.dataset.n_classes)
        else:
            self.grid, extent = input_grid(trainer.dataset.X)
            prediction = DecisionBoundaryView(axes[2], data.X, data.y, trainer.dataset.task,
                                              self.grid, extent,
                                              n_classes=trainer.dataset.n_classes)
        self.views = [
            WeightHistogramView(axes[0], c.depth + 1, trainer.bins["weights"]),
            ActivationHistogramView(axes[1], c.depth, trainer.bins["activations"]),
            prediction,
            LossView(axes[3]),
            GradientNormView(axes[4], c.depth + 1),
            GradientHistoryView(axes[5], c.depth + 1),
        ]
        # each panel's patch of figure, to wipe before redrawing it alone: from just right of
        # the panel on its left (leaving room for that one's last tick label) to just right of
        # its own axes; rows split halfway between them
        self._wipers = []
        for i, ax in enumerate(axes):
            row, col = divmod(i, 3)
            box = ax.get_position()
            x0 = 0.0 if col == 0 else axes[i - 1].get_position().x1 + 0.02
            x1 = 1.0 if col == 2 else box.x1 + 0.02
            middle = (axes[0].get_position().y0 + axes[3].get_position().y1) / 2
            y0, y1 = (middle, 1.0) if row == 0 else (0.0, middle)
            wiper = Rectangle((x0, y0), x1 - x0, y1 - y0, transform=fig.transFigure,
                              facecolor=fig.get_facecolor(), edgecolor="none", animated=True)
            fig.add_artist(wiper)
            self._wipers.append(wiper)
        self.blitter.clear()
        self.blitter.artists = [artist for view in self.views for artist in view.artists]
        self._stale = set()
        self._scale_style(self.style_scale)

    def set_style_scale(self, scale: float) -> None:
        """Fonts and line widths ``scale`` times their defaults (e.g. 1.4 on a projector); the
        next push is a full redraw."""
        if scale <= 0:
            raise ValueError(f"style scale must be positive, got {scale}")
        self._scale_style(scale / self.style_scale)
        self.style_scale = scale
        self.blitter._background = None  # the next push redraws everything

    def _scale_style(self, factor: float) -> None:
        if factor == 1.0:
            return
        from matplotlib.collections import LineCollection
        from matplotlib.lines import Line2D
        from matplotlib.text import Text

        for text in self.figure.findobj(Text):
            text.set_fontsize(text.get_fontsize() * factor)
        for ax in self.figure.axes:  # ticks made later (new limits) get the scaled size too
            ticks = ax.xaxis.get_major_ticks() + ax.yaxis.get_major_ticks()
            if ticks:
                ax.tick_params(labelsize=ticks[0].label1.get_fontsize())
        for artist in self.figure.findobj(lambda a: isinstance(a, (Line2D, LineCollection))):
            widths = artist.get_linewidth()
            if isinstance(artist, LineCollection):
                artist.set_linewidths([w * factor for w in np.atleast_1d(widths)])
            else:
                artist.set_linewidth(widths * factor)

    @property
    def artists(self) -> list:
        return self.blitter.artists

    def frame(self, trainer: Trainer, max_age: int = 0) -> Frame:
        return frame_from_trainer(trainer, self.grid, max_age)

    def update(self, frame: Frame) -> str:
        """Update every View from ``frame`` and push it: 'blit', 'panels' or 'full' redraw."""
        self.shown_epoch = frame.epoch
        for i, view in enumerate(self.views):
            if view.update(frame):
                self._stale.add(i)
        stale, self._stale = self._stale, set()
        return self.blitter.push(redraw=[(self._wipers[i], self.views[i].ax) for i in sorted(stale)])

    def savefig(self, path, **kwargs) -> None:
        """Save a static picture (animated artists included); the next frame is a full redraw."""
        self.blitter.savefig(path, **kwargs)
