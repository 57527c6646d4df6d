"""Theory overlay tab: the Glorot/He variance derivation as a line students can check.

On every new setting the tab predicts each hidden layer's activation std (and the backpropagated
gradient's) from the initializer's formula with ``initviz.core.theory.predict`` and measures the
same on the network just drawn with ``theory.measure``. The line is the theory, the markers are
this network: with He + ReLU both stay flat; with a scale of 0.5 both fall by the same factor per
layer; with tanh and a large scale the theory bends where the units saturate. The summary's verdict
words (``theory.spread_verdict``: preserved within 2% per layer, slowly within 10%) and the list
of assumptions this setting departs from (``theory.departures``) come from the core.
"""
from __future__ import annotations

import html

import ipywidgets as W

from initviz.app.canvas import live_figure
from initviz.app.features.base import Feature
from initviz.core import theory
from initviz.plots.theory_view import TheoryView

FIGSIZE = (9.0, 2.8)


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
        config = trainer.config
        predicted = theory.per_layer_factor(self.predicted.activation_std)
        measured = theory.per_layer_factor(self.measured.activation_std)
        if self.predicted.depth < 2:
            text = "one hidden layer: nothing to propagate yet (add depth)"
        else:
            line = theory.spread_verdict(predicted, config.activation)
            if not theory.applies(config):
                line = f"does not apply here (non-zero mean weights); its formula gives {line}"
            text = (f"activation std, theory: {html.escape(line)}; this network: "
                    f"{html.escape(theory.spread_verdict(measured, config.activation))}")
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in theory.departures(config))
        assumed = html.escape(", ".join(theory.ASSUMPTIONS))
        limits = "".join(f"<div class='initviz-theory-limit' style='font-size:12px;"
                         f"color:#a04000;max-width:760px'>Where the theory stops: "
                         f"{html.escape(note)}</div>" for note in theory.limits(trainer.config))
        self.summary.value = (
            f"<div style='font-size:13px'>{text}</div>{limits}"
            f"<div class='initviz-theory-assumptions' style='font-size:12px;color:#555'>"
            f"The theory assumes {assumed}. Where this setting departs:"
            f"<ul style='margin:2px 0'>{notes or '<li>nowhere</li>'}</ul></div>")
