"""The Replay tab: scrub through the recorded epochs and every histogram and curve follows.

The Trainer keeps a snapshot (fixed-bin histograms of every layer) every few epochs in
``trainer.history.snapshots``. Moving the slider pauses training and draws the dashboard as it
was at that snapshot's epoch: the views cut the history at ``frame.epoch``, and the histograms
come from the snapshot. The prediction panel keeps the latest network (snapshots hold histograms,
not weights). "live" returns to the current state.
"""
from __future__ import annotations

import ipywidgets as W

from initviz.plots.views import Frame

LIVE_TEXT = ("<span class='initviz-replay-state'>live · {count} snapshots recorded, the last at "
             "epoch {last}</span>")
PAST_TEXT = ("<span class='initviz-replay-state' style='color:#2471a3'><b>replay: epoch {epoch}"
             "</b> (of {last} recorded) · the prediction panel shows the latest network</span>")


def past_frame(trainer, index: int) -> Frame:
    """The dashboard Frame of ``trainer.history.snapshots[index]`` (history cut at its epoch)."""
    snapshot = trainer.history.snapshots[index]
    return Frame(epoch=snapshot.epoch, history=trainer.history, snapshot=snapshot,
                 task=trainer.dataset.task, boundary=None, activation=trainer.config.activation)


class ReplayFeature:
    """An IntSlider (``.initviz-replay``) over the recorded snapshots and a "live" button."""

    title = "Replay"

    def __init__(self, explorer) -> None:
        self.explorer = explorer
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
        self._count = -1
        self._holding = False
        self.slider.observe(explorer._guard(self._on_slide), names="value")
        self.live_button.on_click(explorer._guard(lambda _: self.go_live()))
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
        self.explorer.dashboard.update(past_frame(self.explorer.trainer, index))
        self.label.value = PAST_TEXT.format(epoch=snapshots[index].epoch,
                                            last=snapshots[-1].epoch)

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

    # -- Feature protocol -------------------------------------------------------------------
    def on_reset(self) -> None:
        self._count = -1

    def on_frame(self) -> None:
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
