"""Theory overlay: the variance-propagation prediction (line) over the measured values (markers).

Left: the std of each hidden layer's activations at initialisation, predicted from the
initializer's formula (``initviz.core.theory.predict``) and measured on the network actually
drawn (``theory.measure``). Right: the same for the backpropagated gradient dL/dz (relative to the
output's). Log y: a constant ratio per layer is a straight line, the Glorot/He derivation made
visible (He + ReLU: flat; scale 0.5: a line falling by 2x per layer; ...). Values that are
exactly 0 (zero kernels) cannot sit on a log axis: they are left out and the caption says so.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from initviz.core.theory import per_layer_factor  # noqa: F401  (its home is the core)
from initviz.plots.blit import Blitter

PREDICTED_COLOR = "#7d3c98"
MEASURED_COLOR = "#117a65"


def positive_or_nan(values) -> np.ndarray:
    """``values`` as floats with everything not finite and > 0 replaced by NaN (log axes)."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def decade_limits(*arrays) -> tuple[float, float]:
    """Whole-decade y limits around the finite positive values (at least one decade tall)."""
    values = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.array([])
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return 1e-2, 1e1
    lo = 10.0 ** math.floor(math.log10(values.min()) - 0.05)
    hi = 10.0 ** math.ceil(math.log10(values.max()) + 0.05)
    return lo, max(hi, lo * 10)


class TheoryView:
    """Two panels on ``figure``; ``update(predicted, measured)`` takes two TheoryPredictions."""

    def __init__(self, figure: Figure, depth: int) -> None:
        self.figure = figure
        self.blitter = Blitter(figure)
        self.rebuild(depth)

    def rebuild(self, depth: int) -> None:
        fig = self.figure
        fig.clear()
        self.blitter.clear()
        self.depth = depth
        self.ax_act, self.ax_grad = fig.subplots(1, 2, gridspec_kw=dict(
            left=0.08, right=0.99, top=0.86, bottom=0.19, wspace=0.22))
        layers = np.arange(1, depth + 1)
        self.layers = layers
        titles = ("Activation std per layer at init", "Gradient dL/dz per layer (÷ output's)")
        self.predicted, self.measured = {}, {}
        for key, ax, title in (("activation", self.ax_act, titles[0]),
                               ("gradient", self.ax_grad, titles[1])):
            ax.set_title(title, fontsize=10, loc="left")
            ax.set_yscale("log")
            ax.set_xlim(0.5, depth + 0.5)
            ax.set_ylim(1e-2, 1e1)
            ax.set_xlabel("hidden layer", fontsize=8)
            ax.tick_params(labelsize=7)
            if depth > 12:
                ax.set_xticks([1, *range(5, depth + 1, 5)])
            self.predicted[key] = ax.plot(layers, np.full(depth, np.nan), "-", lw=2.0,
                                          color=PREDICTED_COLOR, label="theory")[0]
            self.measured[key] = ax.plot(layers, np.full(depth, np.nan), "o", ms=4.5,
                                         color=MEASURED_COLOR, label="measured")[0]
        self.ax_act.legend(fontsize=7, loc="best")
        self.caption = self.ax_act.text(0.01, 0.02, "", transform=self.ax_act.transAxes,
                                        fontsize=7, color="#c0392b")
        self.blitter.animate(*self.predicted.values(), *self.measured.values(), self.caption)

    def update(self, predicted, measured) -> bool:
        """Show a prediction and a measurement; True if the layout changed (redraw fully)."""
        relayout = False
        if predicted.depth != self.depth:
            self.rebuild(predicted.depth)
            relayout = True
        pairs = {"activation": (predicted.activation_std, measured.activation_std),
                 "gradient": (predicted.gradient_std, measured.gradient_std)}
        for key, ax in (("activation", self.ax_act), ("gradient", self.ax_grad)):
            theory, data = (positive_or_nan(v) for v in pairs[key])
            self.predicted[key].set_ydata(theory)
            self.measured[key].set_ydata(data)
            limits = decade_limits(theory, data)
            if tuple(ax.get_ylim()) != limits:
                ax.set_ylim(*limits)
                relayout = True
        self.caption.set_text(caption(measured.activation_std))
        return relayout


def caption(activation_std) -> str:
    """What the log axis cannot show: layers whose activations are exactly 0 or overflowed."""
    stds = np.asarray(activation_std, dtype=float)
    zero = np.flatnonzero(stds == 0)
    overflow = np.flatnonzero(~np.isfinite(stds))
    if zero.size == stds.size and stds.size:
        return "activations are exactly 0 in every layer (zero kernels)"
    parts = []
    if zero.size:
        layers = "layer" if zero.size == 1 else "layers"
        parts.append(f"activations exactly 0 in {zero.size} {layers} (not drawn)")
    if overflow.size:
        parts.append(f"activations overflow from layer {overflow[0] + 1} (not drawn)")
    return "; ".join(parts)
