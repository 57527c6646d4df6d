"""The Normalization tab's panels: each hidden layer's pre-activations before and after
normalization, as ridgelines on shared bins (one row per layer).

With batch or layer norm on, the left panel shows z = x W + b, whose spread follows the kernels'
scale, and the right one what the normalization hands the activation (a unit spread whatever
the scale): the picture behind "with BatchNorm the scale does not matter".
"""
from __future__ import annotations

from matplotlib.figure import Figure

from initviz.core.training import Trainer
from initviz.plots.blit import Blitter
from initviz.plots.views import Frame, NormalizedHistogramView, PreactivationHistogramView


class NormalizationView:
    """Two ridgelines on ``figure``; the right one only when the network normalises."""

    def __init__(self, figure: Figure, trainer: Trainer) -> None:
        self.figure = figure
        self.blitter = Blitter(figure)
        self.key: tuple | None = None
        self.rebuild(trainer)

    def rebuild(self, trainer: Trainer) -> None:
        """New axes for ``trainer``'s depth, bins and normalization."""
        fig = self.figure
        fig.clear()
        self.blitter.clear()
        depth, normalized = trainer.config.depth, "normalized" in trainer.bins
        self.key = (depth, normalized)
        grid = fig.add_gridspec(1, 2, left=0.06, right=0.99, top=0.88, bottom=0.18, wspace=0.2)
        self.pre = PreactivationHistogramView(fig.add_subplot(grid[0, 0]), depth,
                                              trainer.bins["preactivations"])
        self.post = None
        if normalized:
            self.post = NormalizedHistogramView(fig.add_subplot(grid[0, 1]), depth,
                                                trainer.bins["normalized"])
        else:
            ax = fig.add_subplot(grid[0, 1])
            ax.axis("off")
            ax.text(0.02, 0.5, "normalization is off: set normalize to batch or layer\n"
                    "to see what it hands each activation", fontsize=11, va="center")
        self.blitter.artists = [a for view in (self.pre, self.post) if view for a in view.artists]

    def update(self, trainer: Trainer, frame: Frame) -> bool:
        """Show ``frame``'s histograms; True when the axes had to be rebuilt."""
        relayout = (trainer.config.depth, "normalized" in trainer.bins) != self.key
        if relayout:
            self.rebuild(trainer)
        else:
            relayout = self.pre.reset(trainer) | bool(self.post and self.post.reset(trainer))
        self.pre.update(frame)
        if self.post is not None and "normalized" in frame.snapshot.counts:
            self.post.update(frame)
        return relayout
