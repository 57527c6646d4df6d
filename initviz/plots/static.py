"""Static pictures for slides and handouts: a whole dashboard saved as an image
(``render_dashboard``), or one figure of the signal and the gradients layer by layer
(``layer_figure``) that an executed notebook or an HTML/PDF export keeps as a picture."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from initviz.core.training import Config, Trainer
from initviz.plots.dashboard import Dashboard

FIGSIZE = (12.5, 6.6)


def render_dashboard(config: Config, epochs: int, path: str | Path, dpi: int = 110) -> Trainer:
    """Train ``config`` for ``epochs`` epochs and save its dashboard (PNG, SVG or PDF by suffix).

    Returns the trainer, so a caller can report the final loss or status.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    trainer = Trainer(config)
    trainer.step(epochs)
    figure = Figure(figsize=FIGSIZE, dpi=dpi)
    FigureCanvasAgg(figure)
    dashboard = Dashboard(figure, trainer)
    dashboard.update(dashboard.frame(trainer))
    status = trainer.status
    figure.suptitle(
        f"{config.initializer} x {config.scale:g}, {config.activation}, depth {config.depth}, "
        f"width {config.width} · epoch {trainer.epoch} · {status}", fontsize=11, x=0.5, y=0.995)
    dashboard.savefig(path, dpi=dpi)
    return trainer


LAYER_FIGSIZE = (10.0, 3.6)


def _positive(values: np.ndarray) -> np.ndarray:
    """NaN where a value cannot sit on a log axis (0, negative, inf or NaN after a divergence)."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def layer_figure(runs: Trainer | Mapping[str, Trainer], row: int = 0,
                 title: str | None = None) -> Figure:
    """The activation std of every hidden layer and the gradient norm of every kernel, by layer
    on log axes, from each trainer's ``history`` row ``row`` (default 0: the freshly drawn
    network, before its first update). A straight falling (rising) line is a signal that
    vanishes (explodes) by the same factor at every layer; a flat one is a good initializer.

    ``runs`` is one Trainer or {label: Trainer}, drawn as one line each in both panels.
    """
    if isinstance(runs, Trainer):
        runs = {runs.config.initializer: runs}
    if not runs:
        raise ValueError("layer_figure needs at least one Trainer")
    figure = Figure(figsize=LAYER_FIGSIZE, dpi=100)
    FigureCanvasAgg(figure)
    signal, gradient = figure.subplots(1, 2)
    for label, trainer in runs.items():
        history = trainer.history
        if not -len(history) <= row < len(history):
            raise ValueError(f"{label!r} has {len(history)} history rows; row must be in "
                             f"[{-len(history)}, {len(history)}) (train it first)")
        std = history.activation_std[row]
        grad = history.grad_norm[row]
        signal.plot(np.arange(1, len(std) + 1), _positive(std), marker="o", ms=3, label=label)
        gradient.plot(np.arange(1, len(grad) + 1), _positive(grad), marker="o", ms=3, label=label)
    signal.set(yscale="log", xlabel="hidden layer", ylabel="activation std",
               title="forward: the signal, layer by layer")
    gradient.set(yscale="log", xlabel="kernel (last: the output layer)",
                 ylabel="gradient norm ||dL/dW||", title="backward: the gradients, layer by layer")
    for axes in (signal, gradient):
        axes.grid(True, which="major", alpha=0.3)
        axes.legend(fontsize=8)
    if title:
        figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    return figure
