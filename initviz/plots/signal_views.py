"""Signal propagation views: the signal through depth, the Jacobian's spectrum, order and chaos.

Each view draws on one Axes, builds its artists once and marks the changing ones animated (for a
``Blitter``); ``update(...)`` only changes their data and returns True when the axes limits (or
the layout) had to change, so that the caller redraws fully instead of blitting.

* :class:`SignalDepthView`: each hidden layer's activation std at init (markers) beside the
  mean-field prediction (line), log y: a constant factor per layer is a straight line (identity
  kernels x 1.5 or x 0.5, 30 layers: 1.5^30 up, 0.5^30 down), He + ReLU stays flat.
* :class:`JacobianSpectrumView`: the distribution of the singular values of the Jacobian between
  the first and the last hidden layer (``initviz.core.signal.jacobian_singular_values``) on a
  log10 axis: orthogonal + linear is a spike at 1 (dynamical isometry), Gaussian kernels spread
  with depth, ReLU always has a pile of (near) zeros.
* :class:`OrderChaosView`: the (weight variance, bias variance) plane of one activation, the
  edge of chaos chi1 = 1, the current setting as a point, optionally the contour where 6 xi
  equals the network's depth (deeper than 6 xi: not trainable) and measured runs.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from matplotlib.axes import Axes

from initviz.core import signal
from initviz.plots.theory_view import (
    MEASURED_COLOR,
    PREDICTED_COLOR,
    decade_limits,
    per_layer_factor,
    positive_or_nan,
)

CRITICAL_COLOR = "#c0392b"
POINT_COLOR = "black"


class _Animated:
    """The animated artists of a view (what a Blitter draws every frame)."""

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self.artists: list = []

    def animate(self, *artists):
        for artist in artists:
            artist.set_animated(True)
            self.artists.append(artist)
        return artists[0] if len(artists) == 1 else artists


# ---------------------------------------------------------------------------------------------


class SignalDepthView(_Animated):
    """Activation std per hidden layer: measured (markers) and predicted (line), log y.

    ``update(measured, predicted)`` takes two arrays of per-layer stds (either may hold NaN or
    0: not drawable on a log axis, left out and counted in the caption)."""

    title = "Signal through depth: activation std per layer"

    def __init__(self, ax: Axes, depth: int) -> None:
        super().__init__(ax)
        ax.set_title(self.title, fontsize=10, loc="left")
        ax.set_yscale("log")
        ax.set_xlabel("hidden layer", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_ylim(1e-2, 1e1)
        self.predicted = self.animate(ax.plot([], [], "-", lw=2.0, color=PREDICTED_COLOR,
                                              label="mean-field theory")[0])
        self.measured = self.animate(ax.plot([], [], "o", ms=4.0, color=MEASURED_COLOR,
                                             label="this network")[0])
        ax.legend(fontsize=7, loc="upper left")
        self.caption = self.animate(ax.text(0.99, 0.03, "", transform=ax.transAxes, ha="right",
                                            fontsize=7, color="0.25"))
        self.depth = 0
        self._set_depth(depth)

    def _set_depth(self, depth: int) -> None:
        self.depth = int(depth)
        self.layers = np.arange(1, self.depth + 1)
        self.ax.set_xlim(0.5, self.depth + 0.5)

    def update(self, measured, predicted) -> bool:
        measured, predicted = positive_or_nan(measured), positive_or_nan(predicted)
        if measured.shape != predicted.shape or measured.ndim != 1:
            raise ValueError(f"measured and predicted must be two per-layer arrays of one length, "
                             f"got shapes {measured.shape} and {predicted.shape}")
        changed = measured.size != self.depth
        if changed:
            self._set_depth(measured.size)
        self.measured.set_data(self.layers, measured)
        self.predicted.set_data(self.layers, predicted)
        limits = decade_limits(measured, predicted)
        if tuple(self.ax.get_ylim()) != limits:
            self.ax.set_ylim(*limits)
            changed = True
        self.caption.set_text(self.describe(measured, predicted))
        return changed

    @staticmethod
    def describe(measured, predicted) -> str:
        """The per-layer factor the theory predicts, and what the log axis cannot show."""
        parts = []
        factor = per_layer_factor(predicted)
        if factor == factor:
            parts.append(f"theory: x{factor:.3g} per layer")
        hidden = int(np.sum(~np.isfinite(measured)))
        if hidden:
            parts.append(f"{hidden} layer{'s' if hidden > 1 else ''} 0 or overflowed (not drawn)")
        return "; ".join(parts)


# ---------------------------------------------------------------------------------------------


SPECTRUM_BINS = np.linspace(-8.0, 4.0, 121)   # log10 singular value, 0.1 decade per bin
"""Fixed bins: spectra of different settings are comparable, and a frame is one histogram."""


def spectrum_histogram(singular_values) -> tuple[np.ndarray, int]:
    """Fraction of singular values per ``SPECTRUM_BINS`` bin (log10; values below the first
    edge, including exact zeros, count in the first bin) and how many were below it."""
    s = np.asarray(singular_values, dtype=np.float64).ravel()
    s = s[np.isfinite(s)]
    if not s.size:
        return np.zeros(SPECTRUM_BINS.size - 1), 0
    with np.errstate(divide="ignore"):
        logs = np.log10(s)
    below = int(np.sum(logs < SPECTRUM_BINS[0]))
    logs = np.clip(logs, SPECTRUM_BINS[0], SPECTRUM_BINS[-1] - 1e-9)
    counts, _ = np.histogram(logs, bins=SPECTRUM_BINS)
    return counts / s.size, below


def spectrum_summary(singular_values) -> str:
    """One line a student can check: how close to an isometry the Jacobian is."""
    s = np.asarray(singular_values, dtype=np.float64).ravel()
    s = s[np.isfinite(s)]
    if not s.size:
        return "no finite singular values"
    near = float(np.mean(np.abs(s - 1) <= 0.1))
    spread = float(np.max(s) / np.min(s)) if np.min(s) > 0 else math.inf
    spread_text = "inf" if math.isinf(spread) else f"{spread:.3g}"
    return f"{100 * near:.0f}% within 10% of 1; max/min = {spread_text}"


class JacobianSpectrumView(_Animated):
    """Histogram of log10 singular values on fixed bins, with the isometry at 1 marked.

    ``update(singular_values)`` takes any array of singular values (e.g. (rows, width)).
    The x limits follow the data in whole decades, the y limit the tallest bin (rescaled only
    when it leaves the view or shrinks to a third): True when either changed."""

    title = "Jacobian spectrum: singular values of d h_last / d h_first"

    def __init__(self, ax: Axes) -> None:
        super().__init__(ax)
        ax.set_title(self.title, fontsize=10, loc="left")
        ax.set_xlabel("log10 singular value (0 = length kept)", fontsize=8)
        ax.set_ylabel("fraction", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.axvline(0.0, color=CRITICAL_COLOR, lw=1.0, ls="--", zorder=0)
        centres = 0.5 * (SPECTRUM_BINS[1:] + SPECTRUM_BINS[:-1])
        self.edges = np.repeat(SPECTRUM_BINS, 2)[1:-1]   # step outline: two points per bin
        self.centres = centres
        self.outline = self.animate(ax.plot(self.edges, np.zeros_like(self.edges), "-", lw=1.5,
                                            color=MEASURED_COLOR)[0])
        self.caption = self.animate(ax.text(0.01, 0.97, "", transform=ax.transAxes, va="top",
                                            fontsize=7, color="0.25"))
        ax.set_xlim(-2.0, 1.0)
        ax.set_ylim(0.0, 1.05)
        self.fractions = np.zeros(centres.size)

    def update(self, singular_values) -> bool:
        fractions, below = spectrum_histogram(singular_values)
        self.fractions = fractions
        self.outline.set_ydata(np.repeat(fractions, 2))
        text = spectrum_summary(singular_values)
        if below:
            text += f"; {below} below 1e{SPECTRUM_BINS[0]:.0f} (left bin)"
        self.caption.set_text(text)
        changed = False
        filled = np.flatnonzero(fractions)
        if filled.size:
            lo = math.floor(SPECTRUM_BINS[filled[0]] + 1e-9)
            hi = math.ceil(SPECTRUM_BINS[filled[-1] + 1] - 1e-9)
            xlim = (float(min(lo, -1)), float(max(hi, 1)))
            if tuple(self.ax.get_xlim()) != xlim:
                self.ax.set_xlim(*xlim)
                changed = True
            top = float(fractions.max())
            ymax = self.ax.get_ylim()[1]
            if top > ymax or top < ymax / 3:
                self.ax.set_ylim(0.0, min(1.05, 1.3 * top))
                changed = True
        return changed


# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _critical_line(activation: str, bias_variances: tuple[float, ...]) -> np.ndarray:
    return signal.critical_line(activation, np.array(bias_variances))


@functools.lru_cache(maxsize=16)
def _depth_scales(activation: str, weight_variances: tuple[float, ...],
                  bias_variances: tuple[float, ...]) -> np.ndarray:
    return signal.depth_scale_grid(activation, weight_variances, bias_variances)


class OrderChaosView(_Animated):
    """The phase diagram of one activation: the edge of chaos chi1 = 1 in the (weight
    variance, bias variance) plane, ordered to its left, chaotic to its right (ReLU-like
    activations: a vertical line at 2/(p^2 + n^2) with exploding signals to the right).

    ``update(activation, weight_variance, bias_variance, depth=None)``: moving the point only
    changes one artist (False); a new activation recomputes the line (cached per activation)
    and the axes (True). With ``contours=True`` the line where 6 xi equals ``depth`` is drawn
    too (xi on a ``grid`` x ``grid // 2`` grid, cached; seconds for a new activation)."""

    title = "Order and chaos"
    CURVE_POINTS = 25

    def __init__(self, ax: Axes, activation: str = "tanh", bias_max: float = 1.0,
                 contours: bool = False, grid: int = 24) -> None:
        super().__init__(ax)
        self.bias_max = float(bias_max)
        self.contours = contours
        self.grid = int(grid)
        self.activation: str | None = None
        self.depth: int | None = None
        self.contour_set = None
        ax.set_xlabel("weight variance  σw² = fan_in · Var(w)", fontsize=8)
        ax.set_ylabel("bias variance  σb²", fontsize=8)
        ax.tick_params(labelsize=7)
        self.bias_grid = np.linspace(0.0, self.bias_max, self.CURVE_POINTS)
        self.critical = ax.plot([], [], "-", lw=2.0, color=CRITICAL_COLOR,
                                label="edge of chaos χ1 = 1")[0]
        self.labels = (ax.text(0.03, 0.5, "ordered", transform=ax.transAxes, fontsize=8,
                               color="0.35"),
                       ax.text(0.97, 0.5, "chaotic", transform=ax.transAxes, fontsize=8,
                               color="0.35", ha="right"))
        self.point = self.animate(ax.plot([], [], "o", ms=8, mfc="white", mec=POINT_COLOR,
                                          mew=2.0, label="current setting")[0])
        self.runs = ax.scatter([], [], s=18, marker="s", zorder=3)
        self.caption = self.animate(ax.text(0.01, 0.97, "", transform=ax.transAxes, va="top",
                                            fontsize=7, color="0.2"))
        ax.legend(fontsize=7, loc="lower right")
        ax.set_ylim(0.0, self.bias_max)
        self.set_activation(activation)

    def set_activation(self, activation: str) -> None:
        """Recompute the critical line and the axes for ``activation``."""
        from initviz.core import activations

        name = activations.get(activation).name
        self.activation = name
        critical = _critical_line(name, tuple(self.bias_grid))
        self.critical.set_data(critical, self.bias_grid)
        finite = critical[np.isfinite(critical)]
        right = max(4.0, 1.6 * float(finite.max())) if finite.size else 4.0
        self.ax.set_xlim(0.0, float(np.ceil(right)))
        self.ax.set_title(f"{self.title}: {name}", fontsize=10, loc="left")
        self.labels[1].set_text("chaotic" if name not in signal._HOMOGENEOUS
                                else "signal explodes")
        self._drop_contours()

    def _drop_contours(self) -> None:
        if self.contour_set is not None:
            self.contour_set.remove()
            self.contour_set = None

    def contour_grid(self) -> tuple[np.ndarray, np.ndarray]:
        """The (weight variances, bias variances) on which 6 xi is computed."""
        left, right = self.ax.get_xlim()
        sws = np.linspace(max(left, 1e-3), right, self.grid)
        sbs = np.linspace(0.0, self.bias_max, max(self.grid // 2, 2))
        return sws, sbs

    def six_xi(self) -> np.ndarray:
        """6 xi on :meth:`contour_grid` (rows: bias variance)."""
        sws, sbs = self.contour_grid()
        return 6 * _depth_scales(self.activation, tuple(sws), tuple(sbs))

    def _draw_contours(self, depth: int) -> None:
        """The line 6 xi = depth, drawn as 1/(6 xi) = 1/depth: 1/xi is smooth through the edge
        of chaos (0 there) where xi itself diverges, so a coarse grid interpolates it well."""
        self._drop_contours()
        sws, sbs = self.contour_grid()
        with np.errstate(divide="ignore"):
            inverse = 1.0 / self.six_xi()
        level = 1.0 / depth
        if np.nanmin(inverse) < level < np.nanmax(inverse):
            self.contour_set = self.ax.contour(sws, sbs, inverse, levels=[level],
                                               colors="#2e86c1", linewidths=1.2, linestyles="--")

    def update(self, activation: str, weight_variance: float, bias_variance: float,
               depth: int | None = None) -> bool:
        changed = False
        from initviz.core import activations

        if activations.get(activation).name != self.activation:
            self.set_activation(activation)
            self.depth = None
            changed = True
        if self.contours and depth is not None and depth != self.depth:
            self._draw_contours(int(depth))
            changed = True
        self.depth = depth
        sw, sb = float(weight_variance), float(bias_variance)
        self.point.set_data([sw], [sb])
        right = self.ax.get_xlim()[1]
        if sw > right:
            self.ax.set_xlim(0.0, float(np.ceil(1.2 * sw)))
            changed = True
        if sb > self.ax.get_ylim()[1]:
            self.ax.set_ylim(0.0, 1.2 * sb)
            changed = True
        self.caption.set_text(self.describe(sw, sb, depth))
        return changed

    def describe(self, weight_variance: float, bias_variance: float, depth: int | None) -> str:
        """chi1, the phase and 6 xi at the current setting (from initviz.core.signal)."""
        chi = signal.chi1(self.activation, weight_variance, bias_variance)
        xi = signal.depth_scale(self.activation, weight_variance, bias_variance)
        phase = "ordered" if chi < 1 else "chaotic" if chi > 1 else "critical"
        if math.isinf(signal.fixed_point(self.activation, weight_variance, bias_variance)):
            phase = "no fixed point: the signal grows without bound"
        six = "∞" if math.isinf(xi) else f"{6 * xi:.3g}"
        text = f"χ1 = {chi:.3g} ({phase}); 6ξ = {six}"
        if depth is not None and not math.isinf(xi):
            text += f"; depth {depth} {'>' if depth > 6 * xi else '<='} 6ξ"
        return text

    def show_runs(self, weight_variances, bias_variances, trained) -> None:
        """Measured runs as squares: green trained, red not (e.g. from a background sweep)."""
        sw = np.asarray(weight_variances, float)
        sb = np.asarray(bias_variances, float)
        ok = np.asarray(trained, bool)
        self.runs.set_offsets(np.column_stack([sw, sb]) if sw.size else np.empty((0, 2)))
        self.runs.set_color(np.where(ok, "#1e8449", "#c0392b") if sw.size else [])
