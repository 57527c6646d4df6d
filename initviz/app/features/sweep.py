"""Depth x scale tab: one click sweeps a small grid in the background; click a cell to load it.

A miniature of He et al. (2015): with ReLU, Glorot stalls at depth 30 where He trains; too small a
scale vanishes and too large a one diverges, more so the deeper the network. The sweep runs as an
asyncio task in slices of ``SLICE_BUDGET`` seconds (the page stays live), fills the map cell by
cell, and is cancelled when the explorer's setting changes or when the button is pressed again.
"""
from __future__ import annotations

import asyncio
import html

import ipywidgets as W

from initviz.app.canvas import live_figure
from initviz.app.features.base import Feature, run_in_slices
from initviz.core.sweep import DEFAULT_DEPTHS, DEFAULT_EPOCHS, DEFAULT_SCALES, Sweep, SweepResult, base_config
from initviz.core.training import Config
from initviz.plots.sweep_view import SweepView

SLICE_BUDGET = 0.04  # seconds of training per turn of the event loop
FIGSIZE = (6.0, 3.6)


class SweepFeature(Feature):
    """The map (``.initviz-sweep-figure``), a sweep button, a progress bar and a colour toggle."""

    title = "Depth × scale"

    def __init__(self, explorer, depths=DEFAULT_DEPTHS, scales=DEFAULT_SCALES,
                 epochs: int = DEFAULT_EPOCHS) -> None:
        super().__init__(explorer)
        self.depths, self.scales = tuple(depths), tuple(scales)
        self.button = W.Button(description="sweep", icon="th", button_style="primary",
                               tooltip="train every depth x scale cell (press again to cancel)",
                               layout=W.Layout(width="110px"))
        self.button.add_class("initviz-sweep-run")
        self.progress = W.IntProgress(value=0, min=0, max=len(self.depths) * len(self.scales),
                                      layout=W.Layout(width="220px"))
        self.progress.add_class("initviz-sweep-progress")
        self.color = W.ToggleButtons(options=[("final loss", "loss"), ("gradient ratio", "gradient")],
                                     value="loss", style={"button_width": "110px"})
        self.color.add_class("initviz-sweep-color")
        self.epochs = W.BoundedIntText(value=epochs, min=10, max=2000, step=50,
                                       description="epochs/cell", style={"description_width": "80px"},
                                       layout=W.Layout(width="180px"))
        self.epochs.add_class("initviz-sweep-epochs")
        self.status = W.HTML()
        self.status.add_class("initviz-sweep-status")
        self.button.on_click(explorer.guard(self._on_click))
        self.color.observe(explorer.guard(self._on_color), names="value")

        self.figure, self.canvas = live_figure(FIGSIZE, "initviz-sweep-figure")
        self.view = SweepView(self.figure, self.depths, self.scales, self.color.value)
        self._cid = self.canvas.mpl_connect("button_press_event", explorer.guard(self._on_press))

        intro = W.HTML(
            "<div style='font-size:12px;max-width:380px'>Each cell trains the current setting "
            "with one depth and one kernel scale (same data, seed and everything else). Red "
            "cells learned little, × diverged. <b>Click a cell</b> to load it in the explorer."
            "</div>")
        side = W.VBox([intro, W.HBox([self.button, self.epochs]), self.progress, self.color,
                       self.status], layout=W.Layout(width="400px"))
        self.widget = W.HBox([self.canvas, side])
        self.widget.add_class("initviz-sweep")
        self.sweep: Sweep | None = None
        self.task: asyncio.Task | None = None
        self._selecting = False
        self._config = explorer.config
        self.status.value = self._note("press <b>sweep</b> to fill the map")
        # no draw now: the page draws the figure when it first shows it (a faster start)

    # -- Feature hooks -----------------------------------------------------------------------------
    def on_close(self) -> None:
        self.cancel("closed")

    def on_reset(self) -> None:
        config = self.explorer.config
        changed = config != self._config
        self._config = config
        cancelled = changed and self.running and not self._selecting
        if cancelled:
            self.cancel("cancelled: the setting changed")
        self._show_selection(note_stale=not cancelled)

    # -- state -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    @property
    def result(self) -> SweepResult | None:
        return None if self.sweep is None else self.sweep.result

    # -- actions ---------------------------------------------------------------------------------
    def start(self) -> asyncio.Task | None:
        """Sweep the grid for the current setting: an asyncio task if a loop runs, else now."""
        self.cancel()
        self.explorer.pause()  # the sweep gets the CPU
        self.sweep = Sweep(self.explorer.config, self.depths, self.scales, int(self.epochs.value))
        self.progress.max = self.sweep.total
        self.progress.value = 0
        self._redraw(full=True)
        self.status.value = self._note("sweeping…")
        loop = self.explorer.event_loop
        if loop is None:  # a plain script: run now
            for _ in self.sweep:
                pass
            self._finish()
            return None
        self.button.description, self.button.icon = "cancel", "stop"
        self.task = loop.create_task(self._run(self.sweep))
        return self.task

    def cancel(self, reason: str = "cancelled") -> None:
        if self.running:
            self.task.cancel()
            self.status.value = self._note(f"{reason} ({self.sweep.progress} of {self.sweep.total} cells)")
        self.task = None
        self.button.description, self.button.icon = "sweep", "th"

    def select(self, depth_index: int, scale_index: int) -> Config:
        """Load cell (depth_index, scale_index) into the explorer; returns its setting."""
        if self.sweep is None:
            config = self.explorer.config.replace(depth=self.depths[depth_index],
                                                  scale=self.scales[scale_index])
        else:
            config = self.sweep.result.config_at(depth_index, scale_index)
        self._selecting = True
        try:
            self.explorer.set_config(config)
        finally:
            self._selecting = False
        return config

    async def _run(self, sweep: Sweep) -> None:
        def on_slice() -> None:
            self.progress.value = sweep.progress
            self._redraw()

        def on_end() -> None:
            self.button.description, self.button.icon = "sweep", "th"

        await run_in_slices(self.explorer, sweep, SLICE_BUDGET, on_slice, self._finish, on_end)

    def _finish(self) -> None:
        self.progress.value = self.sweep.progress
        self._redraw(full=True)
        result = self.sweep.result
        self.status.value = self._note(
            f"{html.escape(result.summary())} ({result.seconds:.1f} s). Click a cell to load it.")

    def _redraw(self, full: bool = False) -> None:
        if self.sweep is None:
            return
        relayout = self.view.update(self.sweep.result, self.color.value)
        self._select_current()
        self.view.blitter.push(full=full or relayout)

    def _select_current(self) -> None:
        result = self.result
        index = result.index_of(self.explorer.config) if result is not None else None
        self.view.select(*(index or (None, None)))

    def _show_selection(self, note_stale: bool = True) -> None:
        self._select_current()
        result = self.result
        stale = result is not None and base_config(result.config) != base_config(self.explorer.config)
        if note_stale and stale and not self.running:
            self.status.value = self._note("the map shows another setting (the controls changed "
                                           "since): press <b>sweep</b> to redo it")
        self.view.blitter.push()

    def _on_click(self, _button=None) -> None:
        if self.running:
            self.cancel()
        else:
            self.start()

    def _on_color(self, change) -> None:
        if self.sweep is None:
            self.view.rebuild(self.depths, self.scales, change["new"])
            self.view.blitter.push(full=True)
        else:
            self._redraw(full=True)

    def _on_press(self, event) -> None:
        if event.inaxes is not self.view.ax:
            return
        cell = self.view.cell_at(event.xdata, event.ydata)
        if cell is not None:
            self.select(*cell)

    @staticmethod
    def _note(text: str) -> str:
        return f"<div style='font-size:12px'>{text}</div>"
