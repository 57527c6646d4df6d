"""Teaching features, each a tab under the Explorer's dashboard.

A feature is a class built as ``Feature(explorer)`` with ``title``, ``widget``, ``on_reset()``
and ``on_frame()`` (see ``initviz.app.explorer.Feature``). FEATURES lists them in tab order.
"""
from __future__ import annotations

from initviz.app.features.code import CodeFeature
from initviz.app.features.compare import CompareFeature
from initviz.app.features.export import ExportFeature
from initviz.app.features.presets import PresetsFeature
from initviz.app.features.replay import ReplayFeature
from initviz.app.features.share_panel import SharePanel
from initviz.app.features.sweep import SweepFeature
from initviz.app.features.symmetry import SymmetryFeature
from initviz.app.features.theory import TheoryFeature

FEATURES: list = [PresetsFeature, CompareFeature, TheoryFeature, SymmetryFeature, SweepFeature, CodeFeature, SharePanel, ReplayFeature, ExportFeature]
