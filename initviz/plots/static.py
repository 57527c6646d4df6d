"""Static dashboards for slides and handouts: train a setting, save the six panels as an image."""
from __future__ import annotations

from pathlib import Path

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
