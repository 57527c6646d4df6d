"""The Dashboard: every View on one matplotlib figure, redrawn by blitting.

A full redraw of the six panels costs ~100+ ms on a 2-core machine; a blitted frame (restore the
cached background, draw only the animated artists, push the pixels) costs a fraction of that.
The full redraw happens only when a View's axes limits change or the network is rebuilt.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from initviz.core.training import Trainer
from initviz.plots.views import (
    ActivationHistogramView,
    DecisionBoundaryView,
    Frame,
    GradientHistoryView,
    GradientNormView,
    LossView,
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


def frame_from_trainer(trainer: Trainer, grid: np.ndarray | None = None) -> Frame:
    """The current state of a trainer as a Frame (histograms now, prediction over ``grid``)."""
    return Frame(
        epoch=trainer.epoch,
        history=trainer.history,
        snapshot=trainer.snapshot(),
        task=trainer.dataset.task,
        boundary=None if grid is None else trainer.predict(grid),
        activation=trainer.config.activation,
    )


class Dashboard:
    """Six panels for one Trainer: weights, activations, prediction / loss, gradient views."""

    def __init__(self, figure: Figure, trainer: Trainer) -> None:
        self.figure = figure
        self.views: list[View] = []
        self._background = None
        self._cid = figure.canvas.mpl_connect("draw_event", self._on_draw)
        self.rebuild(trainer)

    def rebuild(self, trainer: Trainer) -> None:
        """Lay the panels out again for a (new) network and dataset; a full redraw follows."""
        fig = self.figure
        fig.clear()
        grid_spec = fig.add_gridspec(2, 3, left=0.05, right=0.99, top=0.94, bottom=0.09,
                                     wspace=0.25, hspace=0.42)
        axes = [fig.add_subplot(grid_spec[i // 3, i % 3]) for i in range(6)]
        depth = trainer.config.depth
        data = trainer.train
        self.grid, extent = input_grid(trainer.dataset.X)
        self.views = [
            WeightHistogramView(axes[0], depth + 1, trainer.bins["weights"]),
            ActivationHistogramView(axes[1], depth, trainer.bins["activations"]),
            DecisionBoundaryView(axes[2], data.X, data.y, trainer.dataset.task, self.grid, extent,
                                 n_classes=trainer.dataset.n_classes),
            LossView(axes[3]),
            GradientNormView(axes[4], depth + 1),
            GradientHistoryView(axes[5], depth + 1),
        ]
        self._background = None

    @property
    def artists(self) -> list:
        return [artist for view in self.views for artist in view.artists]

    def frame(self, trainer: Trainer) -> Frame:
        return frame_from_trainer(trainer, self.grid)

    def update(self, frame: Frame) -> bool:
        """Update every View from ``frame`` and push it; returns True if it was a full redraw."""
        relayout = False
        for view in self.views:
            relayout |= view.update(frame)
        canvas = self.figure.canvas
        if relayout or self._background is None:
            canvas.draw()  # _on_draw re-caches the background and draws the animated artists
            return True
        canvas.restore_region(self._background)
        self._draw_animated()
        canvas.blit(self.figure.bbox)
        return False

    def _on_draw(self, event) -> None:
        self._background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        self._draw_animated()

    def _draw_animated(self) -> None:
        for artist in self.artists:
            self.figure.draw_artist(artist)

    def savefig(self, path, **kwargs) -> None:
        """Save a static picture (animated artists included)."""
        artists = self.artists
        for artist in artists:
            artist.set_animated(False)
        try:
            self.figure.savefig(path, **kwargs)
        finally:
            for artist in artists:
                artist.set_animated(True)
