"""One View per dashboard panel. Each builds its artists once; ``update`` only changes their data.

``update(frame)`` returns True when the panel's axes limits had to change (a full redraw is then
needed); otherwise the Dashboard blits just the animated artists over a cached background.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator

from initviz.core.stats import Bins
from initviz.core.training import History, Snapshot, Trainer

LAYER_CMAP = "viridis"
ZERO_GRADIENT = 1e-12  # a gradient norm of exactly 0 (constant init) is drawn at this floor
ZERO_COLOR = "#c0392b"
MAX_ROWS = 10  # ridgeline rows; deeper networks show evenly spaced layers
MAX_POINTS = 400  # per curve over epochs: about one point per pixel column of a panel
TITLE_SIZE = 12  # points (= pixels at the app's 72 DPI): readable from the back of a room
LABEL_SIZE = 10
TICK_SIZE = 9


@dataclass
class Frame:
    """What the dashboard shows at one moment: the run's history up to ``epoch`` and histograms."""

    epoch: int
    history: History
    snapshot: Snapshot
    task: str = "binary"
    boundary: np.ndarray | None = None  # prediction grid (classification) or curve (regression)
    activation: str = "tanh"


def thinned(n: int, max_points: int = MAX_POINTS) -> slice | np.ndarray:
    """Indices of at most ``max_points`` of ``n`` records, evenly spread, first and last kept.

    A history holds up to 2,048 rows; drawing them all cost 2.3 ms per frame for the gradient
    history at depth 6 here, 400 of them 0.6 ms, and a panel is ~270 pixels wide anyway."""
    if n <= max_points:
        return slice(None)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.intp))


def shown_layers(n_layers: int, max_rows: int = MAX_ROWS) -> np.ndarray:
    """Indices of the layers drawn as ridgeline rows: all of them, or an even spread incl. ends."""
    if n_layers <= max_rows:
        return np.arange(n_layers)
    return np.unique(np.round(np.linspace(0, n_layers - 1, max_rows)).astype(int))


def layer_colors(n: int) -> np.ndarray:
    from matplotlib import colormaps

    return colormaps[LAYER_CMAP](np.linspace(0.0, 0.9, max(n, 1)))


class View:
    """Base class: ``artists`` are the animated artists the Dashboard blits each frame."""

    title = ""

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self.artists: list = []
        ax.set_title(self.title, fontsize=TITLE_SIZE, loc="left")

    def animate(self, *artists):
        for artist in artists:
            artist.set_animated(True)
            self.artists.append(artist)
        return artists[0] if len(artists) == 1 else artists

    def update(self, frame: Frame) -> bool:
        raise NotImplementedError

    def reset(self, trainer: Trainer) -> bool:
        """Start over for a re-drawn network of the same shape; True if the axes changed."""
        return False


BAR_COLOR = "#c0392b"
BAR_LENGTH = 0.3  # a 100% bar spans this fraction of the panel's width


class LayerHistogramView(View):
    """Per-layer histograms as a ridgeline: one row per layer, all rows on the same bins.

    Shared bins make spreads comparable across layers: with a bad scale the rows widen (explode)
    or collapse onto zero (vanish) as depth grows, the picture of Glorot & Bengio (2010), fig. 6.
    """

    kind = "weights"
    xlabel = "weight value"
    annotate: bool = False
    annotate_label = ""

    def __init__(self, ax: Axes, n_layers: int, bins: Bins, layer_offset: int = 1) -> None:
        self.title = {"weights": "Weights per layer", "activations": "Activations per layer",
                      "preactivations": "Pre-activations per layer",
                      "normalized": "Normalised pre-activations per layer",
                      "gradients": "Weight gradients per layer"}[self.kind]
        super().__init__(ax)
        self.n_layers = n_layers
        self.rows = shown_layers(n_layers)
        self.set_bins(bins)
        colors = layer_colors(len(self.rows))
        self.lines = self.animate(LineCollection([], colors=colors, linewidths=1.4))
        ax.add_collection(self.lines)
        ax.set_ylim(-0.2, len(self.rows) + 0.2)
        ax.set_yticks(np.arange(len(self.rows)) + 0.35)
        ax.set_yticklabels([f"L{i + layer_offset}" for i in self.rows], fontsize=TICK_SIZE)
        ax.set_xlabel(("log10 |value|" if bins.log else self.xlabel), fontsize=LABEL_SIZE)
        ax.xaxis.set_major_locator(MaxNLocator(5, symmetric=not bins.log))  # readable at any scale
        ax.tick_params(labelsize=TICK_SIZE)
        for row in range(len(self.rows)):
            ax.axhline(row, color="0.85", lw=0.6, zorder=0)
        self.bars = self.tracks = None
        self.bar_labels: list = []
        if self.annotate:
            # one artist for every layer's annotation: a red bar from the right edge, its length
            # the layer's fraction of saturated (or dead) units, over a grey track that is 100%
            # (the scale), with the percentage written at its left end
            self.tracks = LineCollection([], colors="0.88", linewidths=3, zorder=1)
            ax.add_collection(self.tracks)
            self.bars = self.animate(LineCollection([], colors=BAR_COLOR, linewidths=3, zorder=2))
            ax.add_collection(self.bars)
            self.bar_labels = [self.animate(ax.text(0, row + 0.75, "", fontsize=TICK_SIZE - 1, ha="right",
                                                    va="center", color=BAR_COLOR))
                               for row in range(len(self.rows))]
            self._place_tracks()
            ax.set_xlabel(f"{self.xlabel}   ({self.annotate_label})", fontsize=LABEL_SIZE)

    def set_bins(self, bins: Bins) -> None:
        self.bins = bins
        self._x = np.repeat(bins.edges, 2)[1:-1]  # step outline x
        self.ax.set_xlim(bins.lo, bins.hi)
        self._place_tracks()

    def _bar_span(self) -> tuple[float, float]:
        """(right edge, length of a 100% bar) in data units."""
        return self.bins.hi, (self.bins.hi - self.bins.lo) * BAR_LENGTH

    def _place_tracks(self) -> None:
        if getattr(self, "tracks", None) is None:
            return
        right, full = self._bar_span()
        self.tracks.set_segments([[(right, row + 0.75), (right - full, row + 0.75)]
                                  for row in range(len(self.rows))])
        for label in self.bar_labels:
            label.set_x(right - full * 1.03)

    def reset(self, trainer: Trainer) -> bool:
        bins = trainer.bins[self.kind]
        if bins == self.bins:
            return False
        self.set_bins(bins)
        return True

    def update(self, frame: Frame) -> bool:
        counts = frame.snapshot.counts[self.kind][self.rows]
        # square-root heights: a spike (ReLU's exact zeros, a constant init) does not flatten the rest
        counts = np.sqrt(counts)
        peak = counts.max(axis=1, keepdims=True)
        heights = np.divide(counts, peak, out=np.zeros_like(counts), where=peak > 0) * 0.9
        segments = []
        for row, h in enumerate(heights):
            y = np.repeat(h, 2) + row
            segments.append(np.column_stack([self._x, y]))
        self.lines.set_segments(segments)
        if self.bars is not None:
            fractions = self.annotation(frame)[self.rows]
            right, full = self._bar_span()
            self.bars.set_segments([
                [(right, row + 0.75), (right - full * f, row + 0.75)]
                for row, f in enumerate(np.nan_to_num(fractions))
            ])
            for label, f in zip(self.bar_labels, fractions):
                label.set_text("" if f != f else f"{f:.0%}")
        return False

    def annotation(self, frame: Frame) -> np.ndarray:
        """Per-layer fractions in [0, 1] drawn as bars (subclasses with ``annotate``)."""
        raise NotImplementedError


class WeightHistogramView(LayerHistogramView):
    """The drawn kernels, layer by layer: what an initializer *is*."""

    kind = "weights"


class ActivationHistogramView(LayerHistogramView):
    """Hidden activations, layer by layer, with % saturated (tanh/sigmoid) or % dead (ReLU)."""

    kind = "activations"
    xlabel = "activation value"
    annotate = True
    annotate_label = "red: % saturated / dead; grey track = 100%"

    def annotation(self, frame: Frame) -> np.ndarray:
        history = frame.history
        keep = np.flatnonzero(history.epochs <= frame.epoch)
        if not len(keep):
            return np.zeros(self.n_layers)
        saturation = history.saturation[keep[-1]]
        dead = history.dead_fraction[keep[-1]]
        return np.where(np.isfinite(saturation), saturation, dead)


class PreactivationHistogramView(LayerHistogramView):
    """z = x W + b per hidden layer, before any normalization: the signal the initializer sets."""

    kind = "preactivations"
    xlabel = "pre-activation z"


class NormalizedHistogramView(LayerHistogramView):
    """gamma * (z - mean) / sqrt(var + eps) + beta per hidden layer: what batch or layer norm
    hands the activation, whatever the kernels' scale."""

    kind = "normalized"
    xlabel = "normalised pre-activation"


class GradientHistogramView(LayerHistogramView):
    """log10 |dL/dW| per layer: vanishing layers sit decades to the left."""

    kind = "gradients"


def _log_axis(ax: Axes) -> None:
    """A log y axis with major ticks only: minor ticks cost a third of a panel's redraw."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=6))
    ax.yaxis.set_minor_locator(NullLocator())


def log_limits(values: np.ndarray, current: tuple[float, float],
               shrink_below: float = 1e-6) -> tuple[float, float] | None:
    """Whole-decade limits covering the finite positive ``values`` if they left ``current`` (or
    if their maximum fell below ``shrink_below`` x the top, so a collapsing curve stays visible);
    None when the current limits still fit: rescaling costs a redraw, so it is rare."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return None
    lo, hi = float(values.min()), float(values.max())
    if current[0] <= lo and hi <= current[1] and hi >= current[1] * shrink_below:
        return None
    return 10.0 ** math.floor(math.log10(lo)), 10.0 ** math.ceil(math.log10(hi) + 1e-9)


class LossView(View):
    """Train and test loss per epoch on a log scale."""

    title = "Loss"

    def __init__(self, ax: Axes) -> None:
        super().__init__(ax)
        self.train, self.test = self.animate(ax.plot([], [], lw=1.5, label="train")[0],
                                             ax.plot([], [], lw=1.2, ls="--", label="test")[0])
        _log_axis(ax)
        ax.set_xlim(0, 100)
        ax.set_ylim(1e-2, 1e1)
        ax.set_xlabel("epoch", fontsize=LABEL_SIZE)
        ax.tick_params(labelsize=TICK_SIZE)
        ax.legend(fontsize=TICK_SIZE, loc="lower left")

    def update(self, frame: Frame) -> bool:
        h = frame.history
        keep = h.epochs <= frame.epoch
        epochs = h.epochs[keep]
        shown = thinned(len(epochs))
        self.train.set_data(epochs[shown], h.loss[keep][shown])
        self.test.set_data(epochs[shown], h.test_loss[keep][shown])
        relayout = False
        if len(epochs) and epochs[-1] > self.ax.get_xlim()[1]:
            self.ax.set_xlim(0, 2 ** math.ceil(math.log2(epochs[-1] + 1)))
            relayout = True
        limits = log_limits(np.concatenate([h.loss[keep], h.test_loss[keep]]), self.ax.get_ylim())
        if limits:
            self.ax.set_ylim(*limits)
            relayout = True
        return relayout

    def reset(self, trainer: Trainer) -> bool:
        return _reset_epoch_axis(self.ax)


def _reset_epoch_axis(ax: Axes) -> bool:
    if tuple(ax.get_xlim()) == (0.0, 100.0):
        return False
    ax.set_xlim(0, 100)
    return True


def layer_ranges(layers) -> str:
    """'1-3, 5, 7' for layer numbers [1, 2, 3, 5, 7]."""
    layers = [int(x) for x in layers]
    parts, start = [], None
    for i, layer in enumerate(layers):
        if start is None:
            start = layer
        if i + 1 == len(layers) or layers[i + 1] != layer + 1:
            parts.append(str(start) if start == layer else f"{start}–{layer}")
            start = None
    return ", ".join(parts)


def zero_note(layers, marker: str = "▼") -> str:
    """Why some gradients are not drawn: a log axis has no 0 (constant or zero kernels)."""
    if not len(layers):
        return ""
    which = "layer" if len(layers) == 1 else "layers"
    return f"exactly 0 in {which} {layer_ranges(layers)} ({marker} at the floor): a log axis has no 0"


class GradientNormView(View):
    """||dL/dW|| per layer now, as bars: level bars are healthy; bars shrinking towards the input
    mean vanishing gradients, growing ones exploding gradients."""

    title = "Gradient norm by layer"

    def __init__(self, ax: Axes, n_layers: int) -> None:
        super().__init__(ax)
        self.layers = np.arange(1, n_layers + 1)
        # the bars are one artist (thick vertical segments in the layer colours): cheap to blit
        width = max(1.0, min(14.0, 160.0 / n_layers))
        self.bars = self.animate(LineCollection([], colors=layer_colors(n_layers),
                                                linewidths=width, capstyle="butt"))
        ax.add_collection(self.bars)
        # exact zeros (a constant start): a marker on the floor and a word why, not an empty panel
        self.zeros = self.animate(ax.plot([], [], ls="none", marker="v", ms=6, color=ZERO_COLOR,
                                          clip_on=False)[0])
        self.note = self.animate(ax.text(0.02, 0.97, "", transform=ax.transAxes, fontsize=7,
                                         va="top", color=ZERO_COLOR))
        _log_axis(ax)
        ax.set_xlim(0.3, n_layers + 0.7)
        ax.set_ylim(1e-4, 1e1)
        ax.set_xlabel("layer (input → output)", fontsize=LABEL_SIZE)
        ax.tick_params(labelsize=TICK_SIZE)

    def update(self, frame: Frame) -> bool:
        h = frame.history
        keep = np.flatnonzero(h.epochs <= frame.epoch)
        if not len(keep):
            self.bars.set_segments([])
            self.zeros.set_data([], [])
            self.note.set_text("")
            return False
        raw = h.grad_norm[keep[-1]]
        norms = np.maximum(np.nan_to_num(raw, nan=ZERO_GRADIENT), ZERO_GRADIENT)
        limits = log_limits(norms, self.ax.get_ylim())
        if limits:
            self.ax.set_ylim(*limits)
        bottom = self.ax.get_ylim()[0]
        self.bars.set_segments([[(x, bottom), (x, y)] for x, y in zip(self.layers, norms)])
        zero = self.layers[raw == 0]
        self.zeros.set_data(zero, np.full(len(zero), bottom))
        self.note.set_text(zero_note(zero))
        return limits is not None


class GradientHistoryView(View):
    """Each layer's gradient norm over the epochs (first layer dark, last layer light)."""

    title = "Gradient norm over training"

    def __init__(self, ax: Axes, n_layers: int) -> None:
        super().__init__(ax)
        self.rows = shown_layers(n_layers)
        self.lines = self.animate(LineCollection([], colors=layer_colors(len(self.rows)), linewidths=1))
        ax.add_collection(self.lines)
        self.note = self.animate(ax.text(0.02, 0.97, "", transform=ax.transAxes, fontsize=7,
                                         va="top", color=ZERO_COLOR))
        _log_axis(ax)
        ax.set_xlim(0, 100)
        ax.set_ylim(1e-4, 1e1)
        ax.set_xlabel("epoch", fontsize=LABEL_SIZE)
        ax.tick_params(labelsize=TICK_SIZE)

    def reset(self, trainer: Trainer) -> bool:
        return _reset_epoch_axis(self.ax)

    def update(self, frame: Frame) -> bool:
        h = frame.history
        keep = h.epochs <= frame.epoch
        epochs = h.epochs[keep]
        if not len(epochs):
            self.lines.set_segments([])
            self.note.set_text("")
            return False
        latest = h.grad_norm[keep][-1]
        self.note.set_text(zero_note(np.flatnonzero(latest == 0) + 1, marker="line")
                           .replace("(line at the floor)", f"(drawn at {ZERO_GRADIENT:g})"))
        norms = np.maximum(h.grad_norm[keep][:, self.rows], ZERO_GRADIENT)
        shown = thinned(len(epochs))
        x, y = epochs[shown], norms[shown]
        self.lines.set_segments([np.column_stack([x, y[:, i]]) for i in range(len(self.rows))])
        relayout = False
        if epochs[-1] > self.ax.get_xlim()[1]:
            self.ax.set_xlim(0, 2 ** math.ceil(math.log2(epochs[-1] + 1)))
            relayout = True
        limits = log_limits(norms.ravel(), self.ax.get_ylim())
        if limits:
            self.ax.set_ylim(*limits)
            relayout = True
        return relayout


class DecisionBoundaryView(View):
    """The network's prediction over the input plane (classification) or its fitted curve."""

    title = "What the network predicts"

    def __init__(self, ax: Axes, X: np.ndarray, y: np.ndarray, task: str, grid: np.ndarray,
                 extent: tuple[float, float, float, float] | None = None,
                 n_classes: int = 2) -> None:
        super().__init__(ax)
        self.task = task
        ax.tick_params(labelsize=TICK_SIZE)
        if task == "regression":
            ax.scatter(X[:, 0], y.reshape(-1), s=6, color="0.5")
            self.curve = self.animate(ax.plot([], [], color="C1", lw=2)[0])
            self.grid_x = grid[:, 0]
            ax.set_xlim(self.grid_x.min(), self.grid_x.max())
            span = float(np.ptp(y)) or 1.0
            ax.set_ylim(float(y.min()) - 0.3 * span, float(y.max()) + 0.3 * span)
        else:
            side = int(round(math.sqrt(len(grid))))
            cmap = "RdBu" if n_classes == 2 else "tab10"
            vmax = 1.0 if n_classes == 2 else 9
            self.image = self.animate(ax.imshow(np.full((side, side), 0.5), origin="lower",
                                                extent=extent, cmap=cmap, vmin=0, vmax=vmax,
                                                alpha=0.55, aspect="auto", interpolation="bilinear"))
            ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=0, vmax=vmax, s=7, edgecolors="k",
                       linewidths=0.3)
            ax.set_xticks([])
            ax.set_yticks([])
            self.side = side

    def update(self, frame: Frame) -> bool:
        if frame.boundary is None:
            return False
        if self.task == "regression":
            self.curve.set_data(self.grid_x, frame.boundary.reshape(-1))
        elif frame.boundary.ndim == 2 and frame.boundary.shape[1] > 1:
            self.image.set_data(frame.boundary.argmax(axis=1).reshape(self.side, self.side))
        else:
            self.image.set_data(frame.boundary.reshape(self.side, self.side))
        return False


def principal_plane(X: np.ndarray) -> np.ndarray:
    """``X`` (n, d) projected on its first two principal components (centred, via the SVD):
    the 2-D view of inputs with more than two features, computed once per data set."""
    centred = np.asarray(X, dtype=np.float64) - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


class ProjectionView(View):
    """The prediction for inputs with more than two features, on the data itself.

    Classification: the training inputs on their first two principal components, each point
    filled with the class the network predicts and outlined with its true class. Regression:
    predicted against true values, with the diagonal a perfect fit would lie on."""

    title = "What the network predicts"

    def __init__(self, ax: Axes, X: np.ndarray, y: np.ndarray, task: str,
                 n_classes: int = 2) -> None:
        super().__init__(ax)
        self.task = task
        ax.tick_params(labelsize=7)
        if task == "regression":
            truth = y.reshape(-1).astype(np.float64)
            self.truth = truth
            span = float(np.ptp(truth)) or 1.0
            lo, hi = float(truth.min()) - 0.3 * span, float(truth.max()) + 0.3 * span
            ax.plot([lo, hi], [lo, hi], color="0.6", lw=1)
            self.points = self.animate(ax.scatter(truth, np.zeros_like(truth), s=7, color="C1"))
            ax.set_xlim(lo, hi)
            ax.set_ylim(lo, hi)
            ax.set_xlabel("true value", fontsize=7)
            ax.set_ylabel("predicted", fontsize=7)
        else:
            plane = principal_plane(X)
            cmap = "RdBu" if n_classes == 2 else "tab10"
            self.vmax = 1.0 if n_classes == 2 else 9
            self.points = self.animate(ax.scatter(
                plane[:, 0], plane[:, 1], c=np.zeros(len(plane)), cmap=cmap, vmin=0,
                vmax=self.vmax, s=14, edgecolors=matplotlib.colormaps[cmap](
                    np.asarray(y).reshape(-1) / self.vmax), linewidths=1.0))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel("inputs' first two principal components (fill: predicted, "
                          "ring: true class)", fontsize=6)

    def update(self, frame: Frame) -> bool:
        if frame.boundary is None:
            return False
        if self.task == "regression":
            self.points.set_offsets(np.column_stack([self.truth, frame.boundary.reshape(-1)]))
        elif frame.boundary.ndim == 2 and frame.boundary.shape[1] > 1:
            self.points.set_array(frame.boundary.argmax(axis=1).astype(np.float64))
        else:
            self.points.set_array(frame.boundary.reshape(-1).astype(np.float64))
        return False
