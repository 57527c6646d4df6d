"""Teaching features, each a tab under the Explorer's dashboard.

Each is a subclass of :class:`initviz.app.features.base.Feature` (``title``, ``widget``, and
the no-op hooks ``on_reset()``, ``on_frame()``, ``on_link(options)`` it overrides as needed),
built as ``SomeFeature(explorer)``. FEATURES lists them in tab order.
"""
from __future__ import annotations

from initviz.app.features.base import Feature
from initviz.app.features.code import CodeFeature
from initviz.app.features.compare import CompareFeature
from initviz.app.features.export import ExportFeature
from initviz.app.features.normalization import NormalizationFeature
from initviz.app.features.presets import PresetsFeature
from initviz.app.features.replay import ReplayFeature
from initviz.app.features.share_panel import SharePanel
from initviz.app.features.signal import JacobianSpectrumFeature, OrderChaosFeature, SignalDepthFeature
from initviz.app.features.sweep import SweepFeature
from initviz.app.features.symmetry import SymmetryFeature
from initviz.app.features.theory import TheoryFeature
from initviz.app.features.yourmodel import YourModelFeature

__all__ = ["FEATURES", "CodeFeature", "CompareFeature", "ExportFeature", "Feature",
           "NormalizationFeature", "PresetsFeature",
           "JacobianSpectrumFeature", "OrderChaosFeature", "ReplayFeature", "SharePanel",
           "SignalDepthFeature", "SweepFeature", "SymmetryFeature", "TheoryFeature",
           "YourModelFeature"]

FEATURES: list[type[Feature]] = [
    PresetsFeature, CompareFeature, TheoryFeature, NormalizationFeature, SymmetryFeature,
    SweepFeature,
    SignalDepthFeature, JacobianSpectrumFeature, OrderChaosFeature, CodeFeature, YourModelFeature,
    SharePanel, ReplayFeature, ExportFeature,
]
