"""Signal propagation tabs: the theory behind every initializer (mean field: Poole et al. 2016,
Schoenholz et al. 2017), live for the current setting.

* :class:`SignalDepthFeature` ("Signal through depth"): each hidden layer's activation std at
  init, this network (dots) beside the mean-field prediction (line), log axis.
* :class:`JacobianSpectrumFeature` ("Jacobian spectrum"): the singular values of
  d h_last / d h_first for the current setting, with its own depth slider.
* :class:`OrderChaosFeature` ("Order and chaos"): the (weight variance, bias variance) plane of
  the current activation with the edge of chaos and the current setting, and beside it depth x
  weight variance with 6 xi and a background sweep of measured runs.

All three are lazy: they compute only while their tab is shown (a hidden tab marks itself
stale and catches up when selected), and never draw in ``__init__``. The 6 xi contours and
curve (seconds for tanh) are computed off the event loop and cached; until they arrive the
tab says so.
"""
from __future__ import annotations

import asyncio
import html

import ipywidgets as W
import numpy as np

from initviz.app.canvas import live_figure
from initviz.app.features.base import Feature, run_in_slices
from initviz.core import signal, theory
from initviz.core.signal_sweep import TRAINED_LOSS, TrainabilitySweep, six_xi
from initviz.core.training import FIELDS, build
from initviz.plots.blit import Blitter
from initviz.plots.signal_views import JacobianSpectrumView, OrderChaosView, SignalDepthView
from initviz.plots.trainability_view import TrainabilityView

SLICE_BUDGET = 0.04  # seconds of training per turn of the event loop (the sweep)
MEAN_FIELD = ("Mean-field theory: wide layers, independent zero-mean weights, Gaussian "
              "pre-activations.")


def _note(text: str) -> str:
    return f"<div style='font-size:12px;max-width:820px'>{text}</div>"


class _LazyTab(Feature):
    """A tab that computes only while shown: ``refresh()`` when selected, reset or asked."""

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.stale = True
        self.refreshes = 0
        self._watching = False
        loop = explorer.event_loop
        if loop is not None:  # the tabs exist once the app is built: watch them then
            loop.call_soon(self._watch)

    def _watch(self) -> None:
        tabs = self.explorer.tabs
        if self._watching or tabs is None or self.widget not in tabs.children:
            return
        tabs.observe(self.explorer.guard(self._on_tab), names="selected_index")
        self._watching = True

    @property
    def shown(self) -> bool:
        """True when the explorer's tabs show this tab (False while they are being built)."""
        self._watch()
        tabs = self.explorer.tabs
        if tabs is None or self.widget not in tabs.children:
            return False
        index = tabs.selected_index
        return index is not None and tabs.children[index] is self.widget

    def _on_tab(self, change) -> None:
        if self.stale and self.shown:
            self.refresh()

    def on_reset(self) -> None:
        self.stale = True
        if self.shown:
            self.refresh()

    def on_frame(self) -> None:
        self._watch()

    def refresh(self) -> None:
        """Compute for the current setting and push the figure."""
        self.stale = False
        self.refreshes += 1
        self._refresh()

    def _refresh(self) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------


class SignalDepthFeature(_LazyTab):
    """Activation std per hidden layer at init: this network (dots) and the theory (line)."""

    title = "Signal through depth"
    FIGSIZE = (9.0, 3.0)

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.figure, self.canvas = live_figure(self.FIGSIZE, "initviz-signal-depth-figure")
        self.view = SignalDepthView(self.figure.add_subplot(), explorer.config.depth)
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.88)
        self.blitter = Blitter(self.figure)
        self.blitter.animate(*self.view.artists)
        self.summary = W.HTML()
        self.summary.add_class("initviz-signal-depth-summary")
        intro = W.HTML(_note(
            "<b>What you see:</b> how the spread of each layer's activations changes with "
            "depth when the network is drawn. A constant factor per layer is a straight line on "
            "this log axis: identity × 1.5 (linear) climbs 1.5<sup>30</sup>, × 0.5 falls "
            "0.5<sup>30</sup>, He + ReLU stays flat. Dots: this network; line: "
            f"{MEAN_FIELD}"))
        self.widget = W.VBox([intro, self.canvas, self.summary])
        self.widget.add_class("initviz-signal-depth")
        self.measured: np.ndarray | None = None
        self.predicted: np.ndarray | None = None

    def _refresh(self) -> None:
        trainer = self.explorer.trainer
        self.predicted = theory.predict(trainer.config).activation_std
        if trainer.epoch == 0:
            self.measured = theory.measure(trainer).activation_std
        else:  # the live network has trained: show the one the setting draws
            from types import SimpleNamespace

            _, train, _, network = build(trainer.config)
            self.measured = theory.measure(SimpleNamespace(network=network, train=train)).activation_std
        relayout = self.view.update(self.measured, self.predicted)
        self.blitter.push(full=relayout)
        self.summary.value = _note(html.escape(self.describe()))

    def describe(self) -> str:
        """The per-layer factor of the theory and of this network, in words."""
        from initviz.plots.theory_view import per_layer_factor

        if self.predicted is None or self.predicted.size < 2:
            return "one hidden layer: nothing to propagate yet (add depth)"
        theory_factor = per_layer_factor(self.predicted)
        measured = per_layer_factor(self.measured)
        depth = self.predicted.size
        return (f"activation std per layer at init: theory ×{theory_factor:.3g} "
                f"(×{theory_factor ** (depth - 1):.3g} over {depth} layers), this network "
                f"×{measured:.3g}")


# ---------------------------------------------------------------------------------------------


def spectrum_rows(width: int) -> int:
    """Inputs whose Jacobians are pooled: about 256 singular values, at most 8 inputs (one
    at width 256: the 30-layer spectrum then costs 29 products of 256 x 256 matrices)."""
    return int(min(8, max(1, 256 // int(width))))


class JacobianSpectrumFeature(_LazyTab):
    """The singular values of d h_last / d h_first for the current setting, at a chosen depth."""

    title = "Jacobian spectrum"
    FIGSIZE = (9.0, 3.0)

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        spec = FIELDS["depth"]
        self.depth = W.IntSlider(value=max(2, explorer.config.depth), min=2, max=int(spec.high),
                                 step=1, description="depth", continuous_update=False,
                                 style={"description_width": "50px"},
                                 layout=W.Layout(width="360px"))
        self.depth.add_class("initviz-spectrum-depth")
        self.depth.observe(explorer.guard(self._on_depth), names="value")
        self.figure, self.canvas = live_figure(self.FIGSIZE, "initviz-spectrum-figure")
        self.view = JacobianSpectrumView(self.figure.add_subplot())
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.88)
        self.blitter = Blitter(self.figure)
        self.blitter.animate(*self.view.artists)
        self.summary = W.HTML()
        self.summary.add_class("initviz-spectrum-summary")
        intro = W.HTML(_note(
            "<b>What you see:</b> how much the network stretches or squashes a small change of "
            "its first hidden layer on the way to its last: the singular values of the "
            "Jacobian d h<sub>last</sub>/d h<sub>first</sub> at init. All at 1 (0 on this axis) "
            "is dynamical isometry: orthogonal kernels with linear or tanh near the edge of "
            "chaos. Gaussian kernels spread with depth; ReLU zeroes half the slopes, so it is "
            "never an isometry. The network drawn by the current setting (random weights, no "
            "assumption), at the depth chosen here."))
        self.widget = W.VBox([intro, self.depth, self.canvas, self.summary])
        self.widget.add_class("initviz-spectrum")
        self._config_depth = explorer.config.depth
        self._following = False
        self.singular_values: np.ndarray | None = None

    def on_reset(self) -> None:
        depth = self.explorer.config.depth
        if depth != self._config_depth:  # the network's depth moved: follow it
            self._config_depth = depth
            self._following = True
            try:
                self.depth.value = max(2, depth)
            finally:
                self._following = False
        super().on_reset()

    def _on_depth(self, change) -> None:
        if self._following:
            return
        self.stale = True
        if self.shown:
            self.refresh()

    def network(self):
        """``(dataset, train, test, network)``: the current setting's network at the slider's
        depth, as the Trainer draws it (the live one itself while it is untrained)."""
        trainer = self.explorer.trainer
        if int(self.depth.value) == trainer.config.depth and trainer.epoch == 0:
            return trainer.dataset, trainer.train, trainer.test, trainer.network
        return build(trainer.config.replace(depth=int(self.depth.value)))

    def _refresh(self) -> None:
        _, train, _, network = self.network()
        rows = spectrum_rows(network.sizes[1])
        self.singular_values = signal.jacobian_singular_values(network, train.X[:rows])
        relayout = self.view.update(self.singular_values)
        self.blitter.push(full=relayout)
        config = self.explorer.config
        self.summary.value = _note(html.escape(
            f"{config.initializer} × {config.scale:.3g}, {config.activation}, "
            f"{int(self.depth.value)} layers of {network.sizes[1]}, {rows} input(s): "
            + self.view.caption.get_text()))


# ---------------------------------------------------------------------------------------------


class OrderChaosFeature(_LazyTab):
    """The phase plane and the trainability plane of the current activation and setting."""

    title = "Order and chaos"
    FIGSIZE = (11.0, 3.6)
    XI_POINTS = 33  # weight variances of the 6 xi curve

    def __init__(self, explorer, weight_variances=None, depths=None, epochs: int | None = None) -> None:
        super().__init__(explorer)
        from initviz.core import signal_sweep

        self.weight_variances = tuple(weight_variances or signal_sweep.DEFAULT_WEIGHT_VARIANCES)
        self.depths = tuple(depths or signal_sweep.DEFAULT_DEPTHS)
        self.epochs = int(epochs or signal_sweep.DEFAULT_EPOCHS)
        self.figure, self.canvas = live_figure(self.FIGSIZE, "initviz-order-chaos-figure")
        phase_ax, depth_ax = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.06, right=0.98, bottom=0.15, top=0.88, wspace=0.25)
        self.phase = OrderChaosView(phase_ax, explorer.config.activation, contours=False)
        self.trainability = TrainabilityView(depth_ax, max_depth=int(FIELDS["depth"].high))
        self.blitter = Blitter(self.figure)
        self.blitter.animate(*self.phase.artists, *self.trainability.artists)
        self.button = W.Button(description="measure", icon="th", button_style="primary",
                               tooltip="train depth x weight variance for this setting "
                                       "(press again to cancel)", layout=W.Layout(width="110px"))
        self.button.add_class("initviz-order-chaos-run")
        self.button.on_click(explorer.guard(self._on_click))
        self.progress = W.IntProgress(value=0, min=0, max=len(self.depths) * len(self.weight_variances),
                                      layout=W.Layout(width="220px"))
        self.status = W.HTML()
        self.status.add_class("initviz-order-chaos-status")
        self.summary = W.HTML()
        self.summary.add_class("initviz-order-chaos-summary")
        intro = W.HTML(_note(
            "<b>What you see:</b> left, where the current setting sits between order (signals "
            "and gradients die out, inputs merge) and chaos (nearby inputs are torn apart), for "
            "this activation; the red line is the edge of chaos χ1 = 1 and the dashed line where "
            "the depth scale 6ξ equals this network's depth. Right, the depth beyond which the "
            "theory says the network will not train (6ξ) and, after <b>measure</b>, runs of this "
            f"setting at each depth and weight variance (green: loss &lt; {TRAINED_LOSS:g}). "
            f"{MEAN_FIELD} Your setting's σw² = width · E[w²] (× scale²)."))
        self.widget = W.VBox([intro, self.canvas, W.HBox([self.button, self.progress]),
                              self.summary, self.status])
        self.widget.add_class("initviz-order-chaos")
        self.sweep: TrainabilitySweep | None = None
        self.task: asyncio.Task | None = None
        self.theory_task: asyncio.Task | None = None
        self._contours: dict[tuple, bool] = {}   # grid keys whose 6 xi is computed
        self._curves: dict[tuple, tuple[np.ndarray, np.ndarray, float]] = {}
        self.setting: tuple[float, float] | None = None
        self.status.value = self._hint()

    def _hint(self) -> str:
        if self.sweep is not None:
            return _note(html.escape(self.sweep.summary()))
        return _note("press <b>measure</b> to train this setting at "
                     f"{len(self.depths)} depths × {len(self.weight_variances)} "
                     f"weight variances ({self.epochs} epochs each)")

    # -- the theory (cheap parts now, 6 xi in the background) ---------------------------------
    def _contour_key(self) -> tuple:
        sws, sbs = self.phase.contour_grid()
        return (self.phase.activation, tuple(sws), tuple(sbs))

    def _curve_key(self) -> tuple:
        sw_max = self.trainability.ax.get_xlim()[1]
        return (self.explorer.config.activation, round(self.setting[1], 12), float(sw_max))

    def _refresh(self) -> None:
        config = self.explorer.config
        self.setting = theory.mean_field_variances(config)
        sw, sb = self.setting
        ready = self._contour_key_after(config.activation) in self._contours
        self.phase.contours = ready
        if ready and self.phase.contour_set is None:
            self.phase.depth = None  # the 6 xi grid just arrived: draw its contour
        relayout = self.phase.update(config.activation, sw, sb, depth=config.depth)
        relayout |= self.trainability.update(sw, config.depth, self._caption(sw, sb))
        curve = self._curves.get(self._curve_key())
        if curve is None:
            self.trainability.clear_theory()
        else:
            self.trainability.set_theory(*curve)
        self._show_runs()
        self.blitter.push(full=relayout)
        self.summary.value = _note(html.escape(self.phase.describe(sw, sb, config.depth)))
        missing = not ready or curve is None
        if missing:
            self._start_theory()

    def _contour_key_after(self, activation: str) -> tuple:
        """The contour key once the phase plane shows ``activation`` (set without drawing)."""
        from initviz.core import activations

        if activations.get(activation).name != self.phase.activation:
            self.phase.set_activation(activation)
            self.phase.depth = None
        return self._contour_key()

    def _caption(self, sw: float, sb: float) -> str:
        kernel_mean = theory.kernel_moments(self.explorer.config.initializer,
                                            self.explorer.config.width,
                                            self.explorer.config.width)[0]
        text = f"this setting: σw² = {sw:.3g}, σb² = {sb:.3g}"
        if kernel_mean != 0:
            text += " (non-zero-mean kernels: the theory does not apply)"
        return text

    def compute_theory(self) -> None:
        """The 6 xi grid of the phase plane and the 6 xi curve for the current setting (slow
        for smooth activations: seconds); cached per activation and bias variance."""
        key = self._contour_key()
        if key not in self._contours:
            self.phase.six_xi()            # fills the view's cache
            self._contours[key] = True
        curve_key = self._curve_key()
        if curve_key not in self._curves:
            activation, sb, sw_max = curve_key
            sws = np.linspace(sw_max / self.XI_POINTS, sw_max, self.XI_POINTS)
            self._curves[curve_key] = (sws, six_xi(activation, sws, sb),
                                       signal.critical_weight_variance(activation, sb))

    def _start_theory(self) -> None:
        loop = self.explorer.event_loop
        if loop is None:  # a plain script: compute now
            self.compute_theory()
            self.refresh()
            return
        if self.theory_task is not None and not self.theory_task.done():
            self.theory_task.cancel()
        if not self.running:
            self.status.value = _note("computing 6ξ for this activation…")
        self.theory_task = loop.create_task(self._theory())

    async def _theory(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.compute_theory)
            if not self.running:
                self.status.value = self._hint()
            if self.shown:
                self.refresh()
            else:
                self.stale = True
        except asyncio.CancelledError:
            raise
        except Exception:
            self.explorer.report_error()

    # -- the measured sweep ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> asyncio.Task | None:
        """Train the grid for the current setting: an asyncio task if a loop runs, else now."""
        self.cancel()
        self.explorer.pause()  # the sweep gets the CPU
        try:
            self.sweep = TrainabilitySweep(self.explorer.config, self.weight_variances,
                                           self.depths, self.epochs)
        except ValueError as error:
            self.sweep = None
            self.status.value = _note(html.escape(str(error)))
            return None
        self.progress.max, self.progress.value = self.sweep.total, 0
        self.status.value = _note("measuring…")
        loop = self.explorer.event_loop
        if loop is None:
            self.sweep.run()
            self._finish()
            return None
        self.button.description, self.button.icon = "cancel", "stop"
        self.task = loop.create_task(self._run(self.sweep))
        return self.task

    def cancel(self, reason: str = "cancelled") -> None:
        if self.running:
            self.task.cancel()
            self.status.value = _note(f"{reason} ({self.sweep.progress} of {self.sweep.total} runs)")
        self.task = None
        self.button.description, self.button.icon = "measure", "th"

    async def _run(self, sweep: TrainabilitySweep) -> None:
        def on_slice() -> None:
            self.progress.value = sweep.progress
            self._show_runs()
            self.blitter.push()

        def on_end() -> None:
            self.button.description, self.button.icon = "measure", "th"

        await run_in_slices(self.explorer, sweep, SLICE_BUDGET, on_slice, self._finish, on_end)

    def _finish(self) -> None:
        self.progress.value = self.sweep.progress
        self._show_runs()
        self.blitter.push()
        self.status.value = _note(html.escape(self.sweep.summary()))

    def _show_runs(self) -> None:
        sweep = self.sweep
        if sweep is None or sweep.config.replace(depth=1, scale=1.0) != \
                self.explorer.config.replace(depth=1, scale=1.0):
            empty = np.zeros((1, 1), bool)
            self.trainability.show_runs([0.0], [0], empty, empty, empty)
            return
        self.trainability.show_runs(sweep.weight_variances, sweep.depths, sweep.finished,
                                    sweep.trained, sweep.diverged)

    def _on_click(self, _button=None) -> None:
        if self.running:
            self.cancel()
        else:
            self.start()

    def on_reset(self) -> None:
        if self.running and self.sweep is not None and (
                self.sweep.config.replace(depth=1, scale=1.0)
                != self.explorer.config.replace(depth=1, scale=1.0)):
            self.cancel("cancelled: the setting changed")
        super().on_reset()


