"""Compare A/B tab: the explorer's setting (A) against another one (B), trained side by side.

Both runs use the same data, seed and every other setting; B changes the initializer, its scale
and the activation. ``compare(config_a, config_b, epochs)`` is the synchronous path for scripts
and tests; the tab trains the same :class:`Comparison` in an asyncio task, a short chunk per
turn of the event loop, so the page stays live, and states the difference in words at the end.
"""
from __future__ import annotations

import asyncio
import html
import math
import time
import traceback
from dataclasses import dataclass

import ipywidgets as W
import numpy as np

from initviz.app.canvas import live_figure
from initviz.app.controls import initializer_options
from initviz.core import activations, presets
from initviz.core.training import Config, History, Trainer
from initviz.plots.compare import CompareView

DEFAULT_EPOCHS = 300
CHUNK_BUDGET = 0.03  # seconds of training per turn of the event loop
DRAW_INTERVAL = 0.25  # seconds between two pushes of the figure while training
VANISHING_DECADES = 3.0  # first layer's gradient 1000x smaller than the last one's: vanishing
EXPLODING_DECADES = 2.0  # ... 100x larger: exploding
FIGSIZE = (9.0, 2.8)
COMPARED = ("initializer", "scale", "activation")


def describe_config(config: Config) -> str:
    return f"{config.initializer} × {config.scale:g} · {config.activation}"


@dataclass
class CompareResult:
    """Two finished (or diverged) runs on the same data and seed."""

    config_a: Config
    config_b: Config
    epochs: int
    trainer_a: Trainer
    trainer_b: Trainer

    @property
    def history_a(self) -> History:
        return self.trainer_a.history

    @property
    def history_b(self) -> History:
        return self.trainer_b.history

    @property
    def final_loss_a(self) -> float:
        return _final_loss(self.trainer_a)

    @property
    def final_loss_b(self) -> float:
        return _final_loss(self.trainer_b)

    @property
    def gradient_ratio_a(self) -> float:
        return gradient_ratio(self.history_a)

    @property
    def gradient_ratio_b(self) -> float:
        return gradient_ratio(self.history_b)

    def summary(self) -> str:
        """The difference in words (plain text, a few sentences)."""
        return describe(self)


def _final_loss(trainer: Trainer) -> float:
    return float("nan") if trainer.diverged else float(trainer.history.last("loss"))


def gradient_ratio(history: History) -> float:
    """Median over the recorded epochs of ||dL/dW_first|| / ||dL/dW_last||.

    The median over the run, not one epoch, so a run that converged (all gradients small) or a
    single noisy epoch does not decide it. An epoch whose first-layer gradient is exactly 0 counts
    as ratio 0 (even if the last layer's is 0 too, as with zeros + tanh); a zero last-layer
    gradient under a non-zero first one as inf. NaN when nothing was recorded.
    """
    if not len(history):
        return float("nan")
    grad = history.grad_norm
    first, last = grad[:, 0], grad[:, -1]
    with np.errstate(all="ignore"):
        ratio = np.where(first == 0, 0.0, np.where(last > 0, first / last, np.inf))
    ratio = ratio[~np.isnan(ratio)]
    return float(np.median(ratio)) if ratio.size else float("nan")


def _stuck(history: History) -> bool:
    """True when the loss ended within 5% of where it started (the run did not learn)."""
    if len(history) < 2:
        return False
    start, end = float(history.loss[0]), float(history.loss[-1])
    return end >= 0.95 * start


def _power_of_ten(x: float) -> str:
    if x == 0:
        return "0"
    exponent = math.log10(x)
    if abs(exponent) < 2:
        return f"{x:.2g}"
    return f"1e{round(exponent):d}"


def _gradient_sentence(name: str, ratio: float) -> str:
    if ratio != ratio:
        return ""
    if ratio == 0:
        return f"{name}'s first-layer gradient is exactly 0: its first layer never learns"
    if math.isinf(ratio):
        return f"{name}'s last-layer gradient is exactly 0"
    decades = math.log10(ratio)
    if decades <= -VANISHING_DECADES:
        return f"{name}'s first-layer gradient is {_power_of_ten(ratio)} of its last layer's (vanishing)"
    if decades >= EXPLODING_DECADES:
        return f"{name}'s first-layer gradient is {_power_of_ten(ratio)} times its last layer's (exploding)"
    return ""


def describe(result: CompareResult) -> str:
    """E.g. 'B reached loss 0.12 vs A 0.69 after 300 epochs; A's first-layer gradient is 1e-5 of
    its last layer's (vanishing).'"""
    a, b = result.trainer_a, result.trainer_b
    loss = {"A": result.final_loss_a, "B": result.final_loss_b}
    epochs = {"A": a.epoch, "B": b.epoch}
    parts = []
    diverged = [k for k, t in (("A", a), ("B", b)) if t.diverged]
    if len(diverged) == 2:
        parts.append(f"both diverged (A at epoch {a.diverged_epoch}, B at epoch {b.diverged_epoch})")
    elif diverged:
        bad = diverged[0]
        good = "B" if bad == "A" else "A"
        bad_trainer = a if bad == "A" else b
        parts.append(f"{bad} diverged at epoch {bad_trainer.diverged_epoch} (its activations or "
                     f"gradients overflowed); {good} reached loss {loss[good]:.3g} after "
                     f"{epochs[good]} epochs")
    else:
        la, lb = loss["A"], loss["B"]
        n = max(epochs.values())
        stuck = {k: _stuck(h) for k, h in (("A", result.history_a), ("B", result.history_b))}
        if abs(la - lb) <= 0.1 * max(la, lb):
            text = f"A and B end at about the same loss ({la:.3g} vs {lb:.3g}) after {n} epochs"
            if stuck["A"] and stuck["B"]:
                text += ": neither learned (the loss hardly moved from its start)"
            parts.append(text)
        else:
            better, worse = ("A", "B") if la < lb else ("B", "A")
            text = f"{better} reached loss {loss[better]:.3g} vs {worse} {loss[worse]:.3g} after {n} epochs"
            history = result.history_a if better == "A" else result.history_b
            reached = np.flatnonzero(history.loss <= loss[worse])
            if stuck[worse]:
                text += f"; {worse} hardly learned (its loss stayed near its start)"
            elif reached.size and history.epochs[reached[0]] < 0.8 * n:
                text += f" ({better} was already at {worse}'s final loss by epoch {history.epochs[reached[0]]})"
            parts.append(text)
    for name, ratio in (("A", result.gradient_ratio_a), ("B", result.gradient_ratio_b)):
        sentence = _gradient_sentence(name, ratio)
        if sentence:
            parts.append(sentence)
    return "; ".join(parts) + "."


class Comparison:
    """Two Trainers stepped alternately until both ran ``epochs`` epochs (or diverged)."""

    def __init__(self, config_a: Config, config_b: Config, epochs: int = DEFAULT_EPOCHS) -> None:
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        self.config_a, self.config_b, self.epochs = config_a, config_b, int(epochs)
        self.trainer_a = Trainer(config_a)
        self.trainer_b = Trainer(config_b)

    def _left(self, trainer: Trainer) -> int:
        return 0 if trainer.diverged else self.epochs - trainer.epoch

    @property
    def done(self) -> bool:
        return self._left(self.trainer_a) == 0 and self._left(self.trainer_b) == 0

    @property
    def progress(self) -> float:
        done = sum(self.epochs - self._left(t) for t in (self.trainer_a, self.trainer_b))
        return done / (2 * self.epochs)

    def advance(self, budget: float = CHUNK_BUDGET) -> bool:
        """Train both runs (one epoch each in turn) for about ``budget`` seconds; True when done."""
        start = time.perf_counter()
        while not self.done:
            for trainer in (self.trainer_a, self.trainer_b):
                if self._left(trainer):
                    trainer.step(1)
            if time.perf_counter() - start >= budget:
                break
        return self.done

    def run(self) -> CompareResult:
        while not self.advance(float("inf")):
            pass
        return self.result

    @property
    def result(self) -> CompareResult:
        return CompareResult(self.config_a, self.config_b, self.epochs, self.trainer_a, self.trainer_b)


def compare(config_a: Config, config_b: Config, epochs: int = DEFAULT_EPOCHS) -> CompareResult:
    """Train A and B (same data and seed as their configs say) for ``epochs`` epochs, blocking."""
    return Comparison(config_a, config_b, epochs).run()


def current_loop(explorer) -> asyncio.AbstractEventLoop | None:
    """The running event loop, else the explorer's (a kernel's), else None (a plain script)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    loop = getattr(explorer, "_loop", None)
    return loop if loop is not None and not loop.is_closed() else None


class CompareFeature:
    """A = the explorer's setting, B = chosen here (``.initviz-compare-b`` widgets); "compare"."""

    title = "Compare A/B"

    def __init__(self, explorer) -> None:
        self.explorer = explorer
        style, layout = {"description_width": "80px"}, W.Layout(width="290px")
        b = presets.config("he_relu")  # B starts as the He + ReLU lesson
        self.b_initializer = W.Dropdown(options=initializer_options(), value=b.initializer,
                                        description="B initializer", style=style, layout=layout)
        self.b_scale = W.FloatLogSlider(value=1.0, base=10, min=-3, max=2, step=0.01,
                                        description="B scale", readout_format=".3g",
                                        continuous_update=False, style=style, layout=layout)
        self.b_activation = W.Dropdown(options=activations.names(), value=b.activation,
                                       description="B activation", style=style, layout=layout)
        for widget, name in ((self.b_initializer, "initializer"), (self.b_scale, "scale"),
                             (self.b_activation, "activation")):
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
        self.button.on_click(explorer._guard(self._on_click))
        self.copy_button.on_click(explorer._guard(self._copy_a))

        self.figure, self.canvas = live_figure(FIGSIZE, "initviz-compare-figure")
        self.view = CompareView(self.figure, explorer.config.depth + 1, DEFAULT_EPOCHS)
        # no draw now: the page draws the figure when it first shows it (a faster start)

        choose = W.VBox([self.a_label, self.b_initializer, self.b_scale, self.b_activation,
                         W.HBox([self.epochs, self.copy_button]),
                         W.HBox([self.button, self.progress])], layout=W.Layout(width="310px"))
        self.widget = W.VBox([W.HBox([choose, self.canvas]), self.summary])
        self.widget.add_class("initviz-compare")
        self.comparison: Comparison | None = None
        self.result: CompareResult | None = None
        self.task: asyncio.Task | None = None
        self._drawn = 0.0
        self.on_reset()

    # -- the Feature protocol --------------------------------------------------------------------
    def on_reset(self) -> None:
        self.a_label.value = (f"<div style='font-size:13px'><b style='color:#1f77b4'>A</b> = the "
                              f"current setting: {html.escape(describe_config(self.explorer.config))}"
                              "</div>")

    def on_frame(self) -> None:
        pass

    # -- actions ------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def config_b(self, config_a: Config | None = None) -> Config:
        """A with B's initializer, scale and activation."""
        config_a = config_a or self.explorer.config
        return config_a.replace(initializer=self.b_initializer.value, scale=float(self.b_scale.value),
                                activation=self.b_activation.value)

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
        loop = current_loop(self.explorer)
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
            self.explorer.errors.append_stderr(traceback.format_exc())
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
