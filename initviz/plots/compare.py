"""Compare A/B panel: two runs' loss curves and per-layer gradient norms overlaid on one figure.

A is drawn blue, B orange. The gradient panel shows each run's ||dL/dW|| per layer at the latest
recorded epoch (solid) and at initialisation (dotted): a line falling towards the input is a
vanishing run, rising an exploding one.
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from initviz.core.training import History
from initviz.plots.blit import Blitter
from initviz.plots.views import ZERO_GRADIENT, log_limits

COLORS = {"A": "#1f77b4", "B": "#ff7f0e"}



class CompareView:
    """Loss (left) and gradient norm per layer (right) for runs A and B on ``figure``.

    ``update(history_a, history_b)`` changes the lines' data and returns True when an axis had to
    change (the caller then redraws fully instead of blitting).
    """

    def __init__(self, figure: Figure, n_layers: int, epochs: int = 300,
                 labels: tuple[str, str] = ("A", "B")) -> None:
        self.figure = figure
        self.blitter = Blitter(figure)
        self.rebuild(n_layers, epochs, labels)

    def rebuild(self, n_layers: int, epochs: int, labels: tuple[str, str] = ("A", "B")) -> None:
        fig = self.figure
        fig.clear()
        self.blitter.clear()
        self.n_layers, self.epochs = n_layers, epochs
        self.ax_loss, self.ax_grad = fig.subplots(1, 2, gridspec_kw=dict(
            left=0.07, right=0.99, top=0.88, bottom=0.17, wspace=0.2))
        ax = self.ax_loss
        ax.set_title("Training loss", fontsize=10, loc="left")
        ax.set_yscale("log")
        ax.set_xlim(0, max(epochs, 1))
        ax.set_ylim(1e-2, 1e1)
        ax.set_xlabel("epoch", fontsize=8)
        ax.tick_params(labelsize=7)
        self.loss = {}
        for key, label in zip(("A", "B"), labels):
            self.loss[key] = ax.plot([], [], lw=1.6, color=COLORS[key], label=label)[0]
        ax.legend(fontsize=7, loc="lower left")
        ax = self.ax_grad
        ax.set_title("Gradient norm by layer (dotted: at init)", fontsize=10, loc="left")
        ax.set_yscale("log")
        ax.set_xlim(0.5, n_layers + 0.5)
        ax.set_ylim(1e-4, 1e1)
        ax.set_xlabel("layer (input → output)", fontsize=8)
        ax.tick_params(labelsize=7)
        self.layers = np.arange(1, n_layers + 1)
        self.grad, self.grad_init = {}, {}
        for key in ("A", "B"):
            self.grad[key] = ax.plot([], [], "o-", ms=3, lw=1.4, color=COLORS[key])[0]
            self.grad_init[key] = ax.plot([], [], ":", lw=1.0, color=COLORS[key])[0]
        self.blitter.animate(*self.loss.values(), *self.grad.values(), *self.grad_init.values())

    def update(self, history_a: History, history_b: History) -> bool:
        relayout = False
        losses, norms = [], []
        for key, history in (("A", history_a), ("B", history_b)):
            self.loss[key].set_data(history.epochs, history.loss)
            losses.append(history.loss)
            if len(history):
                now = np.maximum(history.grad_norm[-1], ZERO_GRADIENT)
                first = np.maximum(history.grad_norm[0], ZERO_GRADIENT)
                self.grad[key].set_data(self.layers, now)
                self.grad_init[key].set_data(self.layers, first)
                norms += [now, first]
            else:
                self.grad[key].set_data([], [])
                self.grad_init[key].set_data([], [])
        last_epoch = max((int(h.epochs[-1]) for h in (history_a, history_b) if len(h)), default=0)
        if last_epoch > self.ax_loss.get_xlim()[1]:
            self.ax_loss.set_xlim(0, last_epoch)
            relayout = True
        limits = log_limits(np.concatenate(losses) if losses else np.array([]), self.ax_loss.get_ylim(), 1e-4)
        if limits:
            self.ax_loss.set_ylim(*limits)
            relayout = True
        limits = log_limits(np.concatenate(norms) if norms else np.array([]), self.ax_grad.get_ylim(), 1e-4)
        if limits:
            self.ax_grad.set_ylim(*limits)
            relayout = True
        return relayout
