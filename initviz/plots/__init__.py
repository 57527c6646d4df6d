"""matplotlib views of a training run: one View per panel, a blitting Dashboard. No widgets here."""
from initviz.plots.dashboard import Dashboard, frame_from_trainer, input_grid
from initviz.plots.views import (
    ActivationHistogramView,
    DecisionBoundaryView,
    Frame,
    GradientHistogramView,
    GradientHistoryView,
    GradientNormView,
    LossView,
    WeightHistogramView,
)

__all__ = [
    "ActivationHistogramView", "Dashboard", "DecisionBoundaryView", "Frame", "GradientHistogramView",
    "GradientHistoryView", "GradientNormView", "LossView", "WeightHistogramView",
    "frame_from_trainer", "input_grid",
]
