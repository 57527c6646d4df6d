"""The Explorer: controls, a live dashboard and a training loop that never blocks the page.

Training runs as an asyncio task on the kernel's event loop. Each frame period
(``FRAME_INTERVAL``) holds one chunk of training, one blitted frame and a sleep of at least
``MIN_SLEEP`` so that widget events (a slider moved, pause pressed) are handled between chunks:
the chunk gets what the rest of the last periods left (at least ``TRAIN_BUDGET``, and never less
than the rest took, so a student's page trains at least half the time). A control
change cancels the running task and starts a new one on the new setting: there is never more
than one run. A run stops by itself when it converges, diverges or reaches ``MAX_EPOCHS``.
"""
from __future__ import annotations

import asyncio
import html
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as W

from initviz.app.canvas import live_figure
from initviz.app.controls import Controls
from initviz.app.errors import ErrorLog
from initviz.app.share import AppOptions, Link, page_query, preheated, read_link, when_requested
from initviz.core.threads import limit_blas_threads
from initviz.core.training import Config, Trainer
from initviz.plots.dashboard import Dashboard
from initviz.plots.views import Frame

if TYPE_CHECKING:
    from initviz.app.features.base import Feature

FRAME_INTERVAL = 0.042  # seconds per frame: at most ~24 frames per second
TRAIN_BUDGET = 0.010  # seconds of training per frame at least, however long frames take
MIN_SLEEP = 0.001  # seconds: the event loop handles widget messages between frames
TRAIN_SHARE = 1.25  # a chunk of training lasts at least this times the rest of a period
SNAPSHOT_AGE = 50  # epochs: while playing, a histogram snapshot this recent is shown as is
DEBOUNCE = 0.03  # seconds: control changes closer than this are applied together
MAX_EPOCHS = 5000  # a playing explorer stops here, so idle pages do not hold a core for ever
FIGSIZE = (12.5, 6.6)

STATUS_TEXT = {
    "ready": "ready: press ▶ to train",
    "training": "training",
    "converged": "converged: the loss has settled, well below chance",
    "stuck": "stuck: the loss stayed within 10% of its start and has not moved for 100 epochs "
             "(vanished signal or tiny learning rate?)",
    "diverged": "diverged at epoch {diverged_epoch}: activations or gradients overflowed",
    "vanishing": "vanishing gradients: the first layers barely learn",
    "symmetric": "symmetric: every unit of a hidden layer is a copy of the others, for ever",
    "plateau": "plateau: the loss is flat but near chance (a coin flip); it may still drop",
}


def default_features() -> list[Callable[[Explorer], Feature]]:
    from initviz.app.features import FEATURES

    return list(FEATURES)


def build_features(explorer: Explorer,
                   factories: Sequence[Callable[[Explorer], Feature]]) -> list[Feature]:
    """``factory(explorer)`` for each factory; each must build an
    ``initviz.app.features.base.Feature`` (the Explorer calls its hooks without looking first)."""
    from initviz.app.features.base import Feature

    features = [factory(explorer) for factory in factories]
    for factory, feature in zip(factories, features):
        if not isinstance(feature, Feature):
            raise TypeError(f"{factory!r} built {type(feature).__name__}, not a subclass of "
                            "initviz.app.features.base.Feature")
    return features


class Explorer:
    """Pick an initializer, its scale, the activation, depth, width, data and optimizer; watch.

    ``Explorer()`` as the last line of a notebook cell shows the app. ``explorer.config``,
    ``explorer.trainer`` and ``explorer.run(epochs)`` (synchronous) are for scripts and tests.
    """

    def __init__(self, config: Config | None = None, *, query: str | None = None,
                 max_epochs: int = MAX_EPOCHS,
                 features: Sequence[Callable[[Explorer], Feature]] | None = None,
                 **overrides: Any) -> None:
        limit_blas_threads(1)
        self.errors = ErrorLog()
        # one line saying which parts of a share link were ignored and why (escaped)
        self.link_notice = W.HTML()
        self.link_notice.add_class("initviz-link-notice")
        # a share link (the Voila page's query string) sets the start unless a config is given
        self.options = AppOptions()
        # a preheated Voila kernel builds the app before the page is requested: the link's
        # settings are applied when the request arrives (_open_link)
        wait_for_link = query is None and config is None and preheated()
        query = page_query() if query is None else query
        if config is None and query:
            link = _read_link_safely(query)  # never raises: bad parts are dropped and named
            config, self.options = link.config, link.options
            self._show_link_notice(link)
        config = config or Config()
        if overrides:
            config = config.replace(**overrides)
        self.trainer = Trainer(config)
        self.max_epochs = max_epochs
        self.controls = Controls(config)
        self.controls.hide(self.options.hide)
        self.controls.on_change(self.guard(self._on_controls))
        self.controls.on_error(self.errors.report)

        self.play_button = W.ToggleButton(value=False, description="play", icon="play",
                                          tooltip="train / pause", layout=W.Layout(width="90px"))
        self.step_button = W.Button(description="step", icon="step-forward",
                                    tooltip="one epoch", layout=W.Layout(width="80px"))
        self.reset_button = W.Button(description="reset", icon="undo",
                                     tooltip="draw the weights again", layout=W.Layout(width="80px"))
        self.epoch_label = W.HTML()
        self.status_label = W.HTML()
        for widget, name in ((self.play_button, "play"), (self.step_button, "step"),
                             (self.reset_button, "reset"), (self.epoch_label, "epoch"),
                             (self.status_label, "status")):
            widget.add_class(f"initviz-{name}")
        self.play_button.observe(self.guard(self._on_play), names="value")
        self.step_button.on_click(self.guard(lambda _: self.run(1)))
        self.reset_button.on_click(self.guard(lambda _: self._apply(self.config)))

        self.figure, self.canvas = live_figure(FIGSIZE)
        self.dashboard = Dashboard(self.figure, self.trainer)
        self._task: asyncio.Task | None = None
        self._pending: Config | None = None
        self._pending_handle: asyncio.Handle | None = None
        self._loop = _running_loop()
        self._loop_thread = threading.current_thread()
        self.frames = 0
        self.frame: Frame | None = None  # the last frame drawn from the live trainer
        self.features: list[Feature] = []
        self.tabs: W.Tab | None = None  # built once the features are
        self.render()

        factories = default_features() if features is None else features
        self.features = build_features(self, factories)
        self.tabs = W.Tab(children=[f.widget for f in self.features],
                          titles=[f.title for f in self.features])
        self.tabs.add_class("initviz-tabs")

        header = W.HBox([self.play_button, self.step_button, self.reset_button,
                         self.epoch_label, self.status_label],
                        layout=W.Layout(align_items="center"))
        body = W.HBox([self.controls.panel(), self.canvas])
        children = [header, self.link_notice, body, self.tabs, self.errors] if self.features else [
            header, self.link_notice, body, self.errors]
        self.widget = W.VBox(children)
        self.widget.add_class("initviz-app")
        if self.options.play:
            self.play()
        if wait_for_link:
            when_requested(self.guard(self._open_link))

    # -- public API ---------------------------------------------------------------------------
    @property
    def config(self) -> Config:
        return self.trainer.config

    @property
    def playing(self) -> bool:
        return self.play_button.value

    def run(self, epochs: int) -> Explorer:
        """Train ``epochs`` epochs now (blocking) and redraw once."""
        self.trainer.step(epochs)
        self.render()
        return self

    def set_config(self, config: Config | None = None, **changes: Any) -> None:
        """Show and apply a new setting (as if the controls had been moved)."""
        config = (config or self.config).replace(**changes) if changes else (config or self.config)
        self.controls.show(config)
        self._apply(config)

    def play(self) -> None:
        self.play_button.value = True

    def pause(self) -> None:
        self.play_button.value = False

    def render(self, live: bool = False) -> None:
        """Push one frame: blitted unless an axis had to change. ``live`` (the training loop's
        frames) may show histograms up to SNAPSHOT_AGE epochs old (the trainer's own)."""
        self.frame = self.dashboard.frame(self.trainer, SNAPSHOT_AGE if live else 0)
        self.dashboard.update(self.frame)
        self.frames += 1
        self._show_status()
        for feature in self.features:
            feature.on_frame()

    # -- internals ----------------------------------------------------------------------------
    def _open_link(self, query: str) -> None:
        """Apply a share link's settings to a running app (a preheated kernel's late request).

        Without settings the app is re-drawn anyway: the Share tab learns the page's address.
        (While in the pool the kernel signals activity, ``share._keep_alive``, so the idle culler
        cannot take it between the hand-out and the page's connection.)"""
        if not query:
            self._apply(self.config)
            return
        link = _read_link_safely(query)
        self._show_link_notice(link)
        config, options = link.config, link.options
        self.options = options
        self.controls.hide(options.hide)
        for feature in self.features:  # e.g. the Share tab's link builder starts from the link
            feature.on_link(options)
        self.set_config(config)
        if options.play:
            self.play()

    def _on_controls(self, config: Config) -> None:
        """A control moved. With a live event loop, changes within DEBOUNCE seconds are applied
        once (a dragged slider or 30 quick key presses re-draw the network once, not 30 times)."""
        loop = self._loop
        if loop is None or not loop.is_running():
            self._apply(config)
            return
        self._cancel()
        self._pending = config
        if self._pending_handle is None:
            self._pending_handle = loop.call_later(DEBOUNCE, self.guard(self._apply_pending))

    def _apply_pending(self) -> None:
        config, self._pending, self._pending_handle = self._pending, None, None
        if config is not None:
            self._apply(config)

    def _apply(self, config: Config) -> None:
        """Re-initialise on ``config``; keep playing on the new setting if we were playing."""
        self._cancel()
        self.trainer.reset(config)
        self.dashboard.rebuild(self.trainer)
        for feature in self.features:
            feature.on_reset()
        self.render()
        if self.playing:
            self._start()

    def _on_play(self, change) -> None:
        if change["new"]:
            if self.trainer.diverged or self.trainer.epoch >= self.max_epochs:
                self._apply(self.config)
            self.play_button.icon, self.play_button.description = "pause", "pause"
            self._start()
        else:
            self.play_button.icon, self.play_button.description = "play", "play"
            self._cancel()
            self._show_status()

    def _start(self) -> None:
        self._cancel()
        loop = self._loop or _running_loop()
        if loop is None:
            return  # no event loop (plain script): use run()
        self._task = loop.create_task(self._train_loop())

    def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None

    async def _train_loop(self) -> None:
        trainer = self.trainer
        other = 0.020  # a running estimate of the rest of a period: frame, sleep, event loop
        render_time = 0.015  # ... of what a frame costs (wall time)
        render_cpu = 0.015  # ... and of its CPU time: wall >> CPU means a shared, busy machine
        trained = None  # when the last chunk of training ended
        courtesy = 0.0  # the part of the last sleep that left the cores to other kernels
        try:
            while True:
                start = time.perf_counter()
                if trained is not None:
                    other = 0.7 * other + 0.3 * (start - trained - courtesy)
                # training gets what the rest leaves of the period, and at least TRAIN_SHARE
                # times what the rest takes (on a busy machine frames stretch; training must
                # not starve)
                budget = max(TRAIN_BUDGET, FRAME_INTERVAL - other, TRAIN_SHARE * other)
                while time.perf_counter() - start < budget and trainer.epoch < self.max_epochs:
                    if not trainer.step(1):
                        break
                trained, drawn_cpu = time.perf_counter(), time.thread_time()
                done = (trainer.diverged or trainer.epoch >= self.max_epochs
                        or trainer.status in ("converged", "stuck"))
                self.render(live=not done)  # the last frame of a run shows its exact state
                now = time.perf_counter()
                render_time = 0.7 * render_time + 0.3 * (now - trained)
                render_cpu = 0.7 * render_cpu + 0.3 * (time.thread_time() - drawn_cpu)
                if done:
                    self.play_button.value = False
                    return
                # on a shared machine (a frame took twice its CPU time or more) leave the cores
                # to the others for a while: ten kernels on two cores all keep moving
                crowded = render_time > 2 * render_cpu
                wait = max(MIN_SLEEP, FRAME_INTERVAL - (now - start))
                courtesy = max(0.0, render_time - wait) if crowded else 0.0
                await asyncio.sleep(wait + courtesy)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.report_error()
            self.play_button.value = False

    def _show_status(self) -> None:
        trainer = self.trainer
        status = trainer.status
        text = STATUS_TEXT[status].format(diverged_epoch=trainer.diverged_epoch)
        if status in ("training", "vanishing") and not self.playing and trainer.epoch >= self.max_epochs:
            text = f"stopped at the {self.max_epochs}-epoch limit: press ▶ to start again"
        elif status == "training" and not self.playing:
            text = "paused"
        color = {"diverged": "#c0392b", "vanishing": "#d35400", "converged": "#1e8449"}.get(status, "#333")
        loss = trainer.history.last("loss")
        loss_text = f" · loss {loss:.4g}" if loss == loss else ""
        self.epoch_label.value = f"<b>epoch {trainer.epoch}</b>{loss_text}"
        self.status_label.value = f"<span style='color:{color}'>{text}</span>"

    # -- the interface features use (initviz.app.features.base) ---------------------------------
    def guard(self, callback: Callable) -> Callable:
        """``callback`` wrapped for a widget event: it runs on the kernel's loop (a call from
        another thread is handed to it), and an exception shows under the app instead of being
        lost in the kernel's log. Wrap every widget callback with it."""
        def guarded(*args: Any) -> None:
            def call() -> None:
                try:
                    callback(*args)
                except Exception:
                    self.report_error()

            loop = self._loop
            if loop is not None and loop.is_running() and threading.current_thread() is not self._loop_thread:
                loop.call_soon_threadsafe(call)
            else:
                call()
        return guarded

    def report_error(self) -> None:
        """Show the exception being handled (its traceback) in the errors box under the app
        (the last few are kept)."""
        self.errors.report(traceback.format_exc())

    def _show_link_notice(self, link: Link) -> None:
        """The link's ignored parts in one visible line (escaped: a link is anyone's text)."""
        notice = link.notice
        self.link_notice.value = ("" if not notice else
                                  "<div style='color:#a04000;font-size:12px'>"
                                  f"{html.escape(notice)}</div>")

    @property
    def event_loop(self) -> asyncio.AbstractEventLoop | None:
        """Where background work runs as a task: the running loop, else the kernel's loop the
        app was built on; None in a plain script (then run the work at once)."""
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            pass
        loop = self._loop
        return loop if loop is not None and not loop.is_closed() else None

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _read_link_safely(query: str) -> Link:
    """``read_link(query)``; even an unforeseen failure starts the app at the defaults with a
    message, never a traceback in place of the app."""
    try:
        return read_link(query)
    except Exception as error:  # noqa: BLE001 - a link must never break the page
        return Link(Config(), AppOptions(), (("the link", f"could not be read: {error}"),))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    try:
        import IPython

        if IPython.get_ipython() is not None:
            return asyncio.get_event_loop()
    except Exception:
        pass
    return None
