"""Theory overlay tab: the Glorot/He variance derivation as a line students can check.

On every new setting the tab predicts each hidden layer's activation std (and the backpropagated
gradient's) from the initializer's formula with ``initviz.core.theory.predict`` and measures the
same on the network just drawn with ``theory.measure``. The line is the theory, the markers are
this network: with He + ReLU both stay flat; with a scale of 0.5 both fall by the same factor per
layer; with tanh and a large scale the theory bends where the units saturate.
"""
from __future__ import annotations

import html
import math

import ipywidgets as W

from initviz.app.canvas import live_figure
from initviz.app.features.base import Feature
from initviz.core import theory
from initviz.plots.theory_view import TheoryView, per_layer_factor

FIGSIZE = (9.0, 2.8)


def _factor_words(factor: float) -> str:
    if factor != factor:
        return "—"
    if abs(math.log(factor)) < 0.02:
        return f"×{factor:.3g} per layer (preserved)"
    trend = "shrinking: vanishing with depth" if factor < 1 else "growing: exploding with depth"
    return f"×{factor:.3g} per layer ({trend})"


class TheoryFeature(Feature):
    """Predicted (line) vs measured (markers) per-layer std at initialisation, redone on reset."""

    title = "Theory"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.figure, self.canvas = live_figure(FIGSIZE, "initviz-theory-figure")
        self.summary = W.HTML()
        self.summary.add_class("initviz-theory-summary")
        intro = W.HTML(
            "<div style='font-size:12px;max-width:760px'>Variance propagation (Glorot &amp; "
            "Bengio 2010, He et al. 2015): Var(z<sub>l+1</sub>) = fan_in · Var(w) · "
            "E[f(z<sub>l</sub>)²]. The <b style='color:#7d3c98'>line</b> is what the "
            "initializer's formula predicts for each layer, the <b style='color:#117a65'>dots"
            "</b> what this network measures at initialisation.</div>")
        self.widget = W.VBox([intro, self.canvas, self.summary])
        self.widget.add_class("initviz-theory")
        self.predicted = None
        self.measured = None
        self.view = TheoryView(self.figure, explorer.config.depth)
        self.on_reset(push=False)  # the page draws the figure when it first shows it

    def on_reset(self, push: bool = True) -> None:
        """Predict and measure for the network just drawn (before any training)."""
        trainer = self.explorer.trainer
        self.predicted = theory.predict(trainer.config)
        self.measured = theory.measure(trainer)
        relayout = self.view.update(self.predicted, self.measured)
        if push:
            self.view.blitter.push(full=relayout)
        predicted = per_layer_factor(self.predicted.activation_std)
        measured = per_layer_factor(self.measured.activation_std)
        if self.predicted.depth < 2:
            text = "one hidden layer: nothing to propagate yet (add depth)"
        else:
            text = (f"activation std, theory: {html.escape(_factor_words(predicted))}; "
                    f"this network: {html.escape(_factor_words(measured))}")
        notes = "".join(f"<div class='initviz-theory-limit' style='font-size:12px;"
                        f"color:#a04000;max-width:760px'>Where the theory stops: "
                        f"{html.escape(note)}</div>" for note in theory.limits(trainer.config))
        self.summary.value = f"<div style='font-size:13px'>{text}</div>{notes}"
