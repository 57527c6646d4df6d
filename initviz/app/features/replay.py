"""The Replay tab: scrub through the recorded epochs and every histogram and curve follows.

The Trainer keeps a snapshot (fixed-bin histograms of every layer) every few epochs in
``trainer.history.snapshots``. Moving the slider pauses training and draws the dashboard as it
was at that snapshot's epoch: the views cut the history at ``frame.epoch``, and the histograms
come from the snapshot. Snapshots hold histograms, not weights, so the prediction panel shows
the prediction of the last live frame drawn at or before that epoch (the tab keeps those, thinned
to at most ``MAX_PREDICTIONS``), and says which epoch it is. "live" returns to the current state.
"""
from __future__ import annotations

import bisect

import ipywidgets as W
import numpy as np

from initviz.app.features.base import Feature
from initviz.plots.views import Frame

MAX_PREDICTIONS = 256  # recorded prediction grids (40 x 40 floats each: ~6 KB)
LIVE_TEXT = ("<span class='initviz-replay-state'>live · {count} snapshots recorded, the last at "
             "epoch {last}</span>")
PAST_TEXT = ("<span class='initviz-replay-state' style='color:#2471a3'><b>replay: epoch {epoch}"
             "</b> (of {last} recorded) · {prediction}</span>")


def past_frame(trainer, index: int, boundary: np.ndarray | None = None) -> Frame:
    """The dashboard Frame of ``trainer.history.snapshots[index]`` (history cut at its epoch),
    with ``boundary`` as its prediction (None: the prediction panel is left as it is)."""
    snapshot = trainer.history.snapshots[index]
    return Frame(epoch=snapshot.epoch, history=trainer.history, snapshot=snapshot,
                 task=trainer.dataset.task, boundary=boundary,
                 activation=trainer.config.activation)


class ReplayFeature(Feature):
    """An IntSlider (``.initviz-replay``) over the recorded snapshots and a "live" button."""

    title = "Replay"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.slider = W.IntSlider(min=0, max=0, value=0, description="snapshot", readout=False,
                                  continuous_update=True, disabled=True,
                                  layout=W.Layout(width="520px"))
        self.slider.add_class("initviz-replay")
        self.live_button = W.Button(description="live", icon="forward",
                                    tooltip="back to the current state",
                                    layout=W.Layout(width="80px"))
        self.live_button.add_class("initviz-replay-live")
        self.label = W.HTML()
        self.widget = W.VBox([
            W.HBox([self.slider, self.live_button]), self.label,
            W.HTML("<div style='font-size:12px;color:#555'>Drag to replay the run: training "
                   "pauses and the histograms, loss and gradient curves show that epoch. "
                   "Press ▶ or <i>live</i> to come back.</div>"),
        ])
        self.live = True
        self.index: int | None = None  # the snapshot shown while replaying
        self._epochs: list[int] = []  # epochs of the recorded live predictions, increasing
        self._predictions: list[np.ndarray] = []
        self._count = -1
        self._holding = False
        self.slider.observe(explorer.guard(self._on_slide), names="value")
        self.live_button.on_click(explorer.guard(lambda _: self.go_live()))
        self.on_frame()

    # -- actions ----------------------------------------------------------------------------
    def show(self, index: int) -> None:
        """Pause and draw snapshot ``index`` (negative counts from the end)."""
        snapshots = self.explorer.trainer.history.snapshots
        if not snapshots:
            return
        index = range(len(snapshots))[index]
        if self.explorer.playing:
            self.explorer.pause()
            self._sync()  # the last frame may have added snapshots
        self.live = False
        self.index = index
        self._set_slider(index)
        epoch = snapshots[index].epoch
        at = bisect.bisect_right(self._epochs, epoch) - 1  # the last prediction at or before it
        boundary = self._predictions[at] if at >= 0 else None
        self.explorer.dashboard.update(past_frame(self.explorer.trainer, index, boundary))
        prediction = ("the prediction panel shows the latest network" if boundary is None else
                      f"the prediction panel shows epoch {self._epochs[at]}")
        self.label.value = PAST_TEXT.format(epoch=epoch, last=snapshots[-1].epoch,
                                            prediction=prediction)

    def go_live(self) -> None:
        """Back to the current state (the explorer redraws, which calls on_frame)."""
        self.explorer.render()

    def _on_slide(self, change) -> None:
        if not self._holding:
            self.show(change["new"])

    def _set_slider(self, value: int | None = None) -> None:
        """Change the slider without treating it as the student's move."""
        self._holding = True
        try:
            self.slider.max = max(self._count - 1, 0)
            if value is not None:
                self.slider.value = value
            self.slider.disabled = self._count < 2
        finally:
            self._holding = False

    def _sync(self) -> bool:
        count = len(self.explorer.trainer.history.snapshots)
        if count == self._count:
            return False
        self._count = count
        self._set_slider()
        return True

    # -- Feature hooks ----------------------------------------------------------------------
    def on_reset(self) -> None:
        self._count = -1
        self._epochs, self._predictions = [], []

    def on_frame(self) -> None:
        self._record(self.explorer.frame)
        # a frame was drawn from the live trainer, so the dashboard is live again; only touch
        # the widgets when the snapshot count changed (a few microseconds otherwise)
        if self._sync() or not self.live:
            self.live = True
            self.index = None
            self._set_slider(max(self._count - 1, 0))
            snapshots = self.explorer.trainer.history.snapshots
            self.label.value = (LIVE_TEXT.format(count=len(snapshots), last=snapshots[-1].epoch)
                                if snapshots else "<span class='initviz-replay-state'>live · "
                                "nothing recorded yet: train a few epochs</span>")

    def _record(self, frame: Frame | None) -> None:
        """Keep a live frame's prediction for replay (one per epoch; every other one dropped
        when ``MAX_PREDICTIONS`` are held, as the History thins its rows)."""
        if frame is None or frame.boundary is None:
            return
        if self._epochs and frame.epoch <= self._epochs[-1]:
            if frame.epoch < self._epochs[-1]:  # a new run without on_reset: start over
                self._epochs, self._predictions = [], []
            else:
                return
        if len(self._epochs) >= MAX_PREDICTIONS:
            self._epochs, self._predictions = self._epochs[::2], self._predictions[::2]
        self._epochs.append(frame.epoch)
        self._predictions.append(frame.boundary)
