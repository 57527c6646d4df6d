"""Compare A/B tab: the explorer's setting (A) against another one (B), trained side by side.

Both runs use the same data, seed and every other setting; B changes the initializer, its scale,
the activation and the normalization (with vs without batch norm, say). The training and the
words live in ``initviz.core.compare`` (``compare()`` for scripts, the lesson and tests); this
tab trains the same :class:`Comparison` in an asyncio task, a short chunk per turn of the event
loop, so the page stays live, draws both runs and states the difference in words at the end.
"""
from __future__ import annotations

import asyncio
import html
import time

import ipywidgets as W

from initviz.app.canvas import live_figure
from initviz.app.controls import initializer_options, make_control
from initviz.app.features.base import Feature
from initviz.core import activations, presets
from initviz.core.compare import CHUNK_BUDGET, DEFAULT_EPOCHS, CompareResult, Comparison, describe_config
from initviz.core.training import Config
from initviz.plots.compare import CompareView

DRAW_INTERVAL = 0.25  # seconds between two pushes of the figure while training
FIGSIZE = (9.0, 2.8)


class CompareFeature(Feature):
    """A = the explorer's setting, B = chosen here (``.initviz-compare-b`` widgets); "compare"."""

    title = "Compare A/B"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        style, layout = {"description_width": "80px"}, W.Layout(width="290px")
        b_default = presets.config("he_relu")  # B starts as the He + ReLU lesson
        self.b_initializer = W.Dropdown(options=initializer_options(), value=b_default.initializer,
                                        description="B initializer", style=style, layout=layout)
        self.b_scale = W.FloatLogSlider(value=1.0, base=10, min=-3, max=2, step=0.01,
                                        description="B scale", readout_format=".3g",
                                        continuous_update=False, style=style, layout=layout)
        self.b_activation = W.Dropdown(options=activations.names(), value=b_default.activation,
                                       description="B activation", style=style, layout=layout)
        self.b_normalization = make_control("normalization", description="B normalize",
                                            style=style, layout=layout)
        self.b_normalization.value = b_default.normalization
        for widget, name in ((self.b_initializer, "initializer"), (self.b_scale, "scale"),
                             (self.b_activation, "activation"),
                             (self.b_normalization, "normalization")):
            widget.add_class("initviz-compare-b")
            widget.add_class(f"initviz-compare-b-{name}")
        self.epochs = W.BoundedIntText(value=DEFAULT_EPOCHS, min=10, max=5000, step=50,
                                       description="epochs", style=style,
                                       layout=W.Layout(width="180px"))
        self.epochs.add_class("initviz-compare-epochs")
        self.button = W.Button(description="compare", icon="balance-scale", button_style="primary",
                               tooltip="train A and B side by side", layout=W.Layout(width="120px"))
        self.button.add_class("initviz-compare-run")
        self.copy_button = W.Button(description="B = A", tooltip="start B from the current setting",
                                    layout=W.Layout(width="80px"))
        self.copy_button.add_class("initviz-compare-copy")
        self.a_label = W.HTML()
        self.a_label.add_class("initviz-compare-a")
        self.summary = W.HTML()
        self.summary.add_class("initviz-compare-summary")
        self.progress = W.FloatProgress(value=0.0, min=0.0, max=1.0, layout=W.Layout(width="200px"))
        self.progress.add_class("initviz-compare-progress")
        self.button.on_click(explorer.guard(self._on_click))
        self.copy_button.on_click(explorer.guard(self._copy_a))

        self.figure, self.canvas = live_figure(FIGSIZE, "initviz-compare-figure")
        self.view = CompareView(self.figure, explorer.config.depth + 1, DEFAULT_EPOCHS)
        # no draw now: the page draws the figure when it first shows it (a faster start)

        choose = W.VBox([self.a_label, self.b_initializer, self.b_scale, self.b_activation,
                         self.b_normalization,
                         W.HBox([self.epochs, self.copy_button]),
                         W.HBox([self.button, self.progress])], layout=W.Layout(width="310px"))
        self.widget = W.VBox([W.HBox([choose, self.canvas]), self.summary])
        self.widget.add_class("initviz-compare")
        self.comparison: Comparison | None = None
        self.result: CompareResult | None = None
        self.task: asyncio.Task | None = None
        self._drawn = 0.0
        self.on_reset()

    # -- Feature hooks -----------------------------------------------------------------------------
    def on_close(self) -> None:
        self.cancel()

    def on_reset(self) -> None:
        self.a_label.value = (f"<div style='font-size:13px'><b style='color:#1f77b4'>A</b> = the "
                              f"current setting: {html.escape(describe_config(self.explorer.config))}"
                              "</div>")

    # -- actions ------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def config_b(self, config_a: Config | None = None) -> Config:
        """A with B's initializer, scale, activation and normalization."""
        config_a = config_a or self.explorer.config
        return config_a.replace(initializer=self.b_initializer.value, scale=float(self.b_scale.value),
                                activation=self.b_activation.value,
                                normalization=self.b_normalization.value)

    def start(self) -> asyncio.Task | None:
        """Start comparing the current setting with B: as a task if an event loop runs, else now."""
        self.cancel()
        config_a = self.explorer.config
        config_b = self.config_b(config_a)
        self.explorer.pause()  # one thing trains at a time on a shared machine
        self.comparison = Comparison(config_a, config_b, int(self.epochs.value))
        self.result = None
        self.view.rebuild(config_a.depth + 1, self.comparison.epochs,
                          (f"A: {describe_config(config_a)}", f"B: {describe_config(config_b)}"))
        self.view.blitter.push(full=True)
        self.summary.value = "<i>training A and B…</i>"
        self.progress.value = 0.0
        loop = self.explorer.event_loop
        if loop is None:  # plain script: train now
            self.comparison.run()
            self._finish()
            return None
        self.button.description, self.button.icon = "stop", "stop"
        self.task = loop.create_task(self._run(self.comparison))
        return self.task

    def cancel(self) -> None:
        if self.running:
            self.task.cancel()
        self.task = None
        self.button.description, self.button.icon = "compare", "balance-scale"

    async def _run(self, comparison: Comparison) -> None:
        try:
            while not comparison.advance(CHUNK_BUDGET):
                self.progress.value = comparison.progress
                if time.perf_counter() - self._drawn > DRAW_INTERVAL:
                    self._draw()
                await asyncio.sleep(0)
            self._finish()
        except asyncio.CancelledError:
            self.summary.value = "<i>comparison stopped</i>"
            raise
        except Exception:
            self.explorer.report_error()
        finally:
            self.button.description, self.button.icon = "compare", "balance-scale"

    def _draw(self, full: bool = False) -> None:
        comparison = self.comparison
        relayout = self.view.update(comparison.trainer_a.history, comparison.trainer_b.history)
        self.view.blitter.push(full=full or relayout)
        self._drawn = time.perf_counter()

    def _finish(self) -> None:
        self.progress.value = 1.0
        self._draw(full=True)
        self.result = self.comparison.result
        self.summary.value = (f"<div style='font-size:13px;max-width:900px'>"
                              f"{html.escape(self.result.summary())}</div>")

    def _on_click(self, _button=None) -> None:
        if self.running:
            self.cancel()
        else:
            self.start()

    def _copy_a(self, _button=None) -> None:
        config = self.explorer.config
        self.b_initializer.value = config.initializer
        self.b_scale.value = config.scale
        self.b_activation.value = config.activation
        self.b_normalization.value = config.normalization
