"""The Explorer: controls, a live dashboard and a training loop that never blocks the page.

Training runs as an asyncio task on the kernel's event loop. Each frame period
(``FRAME_INTERVAL``) holds one chunk of training, one blitted frame and a sleep of at least
``MIN_SLEEP`` so that widget events (a slider moved, pause pressed) are handled between chunks.
The chunk trains what the pace asks for (``Explorer.pace`` epochs per second, the speed slider),
and at the fastest pace what the rest of the last periods left (at least ``TRAIN_BUDGET``, and
never less than the rest took, so a student's page trains at least half the time). Below one
epoch per frame the loop sleeps until the next epoch is due and draws one frame per epoch, so a
slower pace costs proportionally less kernel CPU.

The chunk and the next frame's numbers (prediction grid, histograms) are computed in one worker
thread (NumPy releases the GIL in its products), so even a 0.3 s epoch of the largest network
never blocks the event loop: pause and the controls are handled while it runs. The trainer is
never used by two threads at once: the loop awaits each job before it draws, and a control
change, step or reset that arrives while a job is in flight waits for that job to end.

A control change cancels the running task and starts a new one on the new setting: there is
never more than one run. A run plays until it is paused or diverges; a settled run (converged,
stuck or symmetric) slows to ``SETTLED_PACE`` and says so. Shared-server protection: a play stops after
``PLAY_CPU_BUDGET`` seconds of kernel CPU or ``PLAY_TIME_BUDGET`` seconds, and when no page has
shown the app for ``PAGE_TIMEOUT`` seconds (a hidden ``Play`` widget in the page ticks every
``HEARTBEAT_INTERVAL`` seconds; Voila 0.5 keeps a closed page's kernel alive, voila#1458).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import html
import math
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as W

from initviz.app.canvas import LiveCanvas, live_figure
from initviz.app.controls import Controls
from initviz.app.errors import ErrorLog
from initviz.app.layout import (
    CONTROLS_MIN_WIDTH,
    FIGURE_MIN_WIDTH,
    PRESENTATION_SCALE,
    PRESENTING,
    style_sheet,
)
from initviz.app.pace import DEFAULT_PACE, PACES, pace_label, snap_pace
from initviz.app.share import AppOptions, Link, page_query, preheated, read_link, when_requested
from initviz.core.threads import limit_blas_threads
from initviz.core.training import Config, Trainer
from initviz.plots.dashboard import Dashboard
from initviz.plots.views import Frame

if TYPE_CHECKING:
    from initviz.app.features.base import Feature

FRAME_INTERVAL = 0.026  # seconds per frame: at most ~38 frames per second
STATUS_INTERVAL = 0.1  # seconds: while playing, the epoch and status lines change 10 times a second
CROWDED_FRAME_INTERVAL = 0.3  # seconds per frame on a crowded machine (see _train_loop)
CROWDED_RATIO = 3.0  # a frame's wall time over its CPU time above which the machine is crowded
TRAIN_BUDGET = 0.010  # seconds of training per frame at least, however long frames take
MIN_SLEEP = 0.001  # seconds: the event loop handles widget messages between frames
TRAIN_SHARE = 1.4  # a chunk of training lasts at least this times the rest of a period
SNAPSHOT_AGE = 50  # epochs: while playing, a histogram snapshot this recent is shown as is
DEBOUNCE = 0.03  # seconds: control changes closer than this are applied together
SETTLED_PACE = 5.0  # epochs per second once the run has converged, is stuck or symmetric
SETTLED = ("converged", "stuck", "symmetric")  # statuses that training no longer changes
# (a 'plateau' plays on at full pace: positive-only weights fall again in steps)
CATCH_UP = 0.25  # seconds of epochs the pace may owe after a slow frame (no bursts after a stall)
PLAY_CPU_BUDGET = 300.0  # seconds of kernel CPU per play, then it pauses (a shared server)
PLAY_TIME_BUDGET = 3600.0  # seconds of wall time per play, then it pauses
HEARTBEAT_INTERVAL = 2.0  # seconds between the page's heartbeat ticks
PAGE_TIMEOUT = 10.0  # seconds without a tick after which a playing explorer pauses
HEARTBEAT_RETRY = 5.0  # seconds between attempts to (re)start the page's heartbeat
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

STOP_TEXT = {  # why a play ended other than by pause or divergence (shown in the status line)
    "epoch_limit": "stopped at the {max_epochs}-epoch limit: press ▶ to start again",
    "cpu_budget": ("paused after {cpu:g} s of kernel CPU, this play's share of the server: "
                   "press ▶ to go on"),
    "time_budget": "paused after {minutes:g} minutes of play: press ▶ to go on",
    "no_page": "paused: no page has shown this app for {timeout:g} s (closed or hidden)",
}
SETTLED_NOTE = " · playing on at {pace:g} epochs/s"


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
    ``pace`` is the playing speed in epochs per second (a ``PACES`` stop or 'max'; a link's
    ``pace=`` otherwise, else ``DEFAULT_PACE``); ``max_epochs`` (default: none) ends a play at
    that epoch. ``close()`` stops the training and closes the widgets and figures.
    """

    def __init__(self, config: Config | None = None, *, query: str | None = None,
                 max_epochs: int | None = None, pace: float | str | None = None,
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
        self.play_cpu_budget = PLAY_CPU_BUDGET
        self.play_time_budget = PLAY_TIME_BUDGET
        self.page_timeout = PAGE_TIMEOUT
        self._stop_reason: str | None = None
        pace = pace if pace is not None else (getattr(self.options, "pace", None) or DEFAULT_PACE)
        self._pace = snap_pace(pace)
        self.pace_slider = W.SelectionSlider(
            options=[(pace_label(p), p) for p in PACES], value=self._pace,
            description="epochs/s", tooltip="playing speed: epochs per second",
            continuous_update=True, style={"description_width": "58px"},
            layout=W.Layout(width="230px", min_width="200px"))
        self.pace_slider.add_class("initviz-pace")
        self.pace_slider.observe(self.guard(self._on_pace), names="value")
        # the page's heartbeat: a hidden Play widget ticks in the browser while the page lives
        self.heartbeat = W.Play(value=0, min=0, max=10**9, step=1, repeat=True,
                                interval=int(HEARTBEAT_INTERVAL * 1000), show_repeat=False,
                                layout=W.Layout(display="none"))
        self.heartbeat.add_class("initviz-heartbeat")
        self.heartbeat.observe(self._on_beat, names="value")
        self._beats = 0
        self._beat_at = -math.inf
        self._kicked_at = -math.inf
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._job: concurrent.futures.Future | None = None  # the worker's current job
        self._applying: asyncio.Task | None = None  # a control change being applied
        self._applying_config: Config | None = None  # ... and its setting
        self._closed = False
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
        self.presentation_button = W.ToggleButton(
            value=False, description="presentation", icon="desktop",
            tooltip="for a projector: larger text and lines", layout=W.Layout(width="130px"))
        self.presentation_button.add_class("initviz-presentation")
        self.presentation_button.observe(self.guard(self._on_presentation), names="value")

        self.figure, self.canvas = live_figure(FIGSIZE)
        self.dashboard = Dashboard(self.figure, self.trainer)
        self._task: asyncio.Task | None = None
        self._pending: Config | None = None
        self._pending_handle: asyncio.Handle | None = None
        self._loop = _running_loop()
        self._loop_thread = threading.current_thread()
        self.frames = 0
        self._status_at = 0.0  # when the epoch and status lines were last updated
        self.frame: Frame | None = None  # the last frame drawn from the live trainer
        self.features: list[Feature] = []
        self.tabs: W.Tab | None = None  # built once the features are
        self.render()

        factories = default_features() if features is None else features
        self.features = build_features(self, factories)
        self.tabs = W.Tab(children=[f.widget for f in self.features],
                          titles=[f.title for f in self.features])
        self.tabs.add_class("initviz-tabs")
        # figures of tabs nobody opened yet are neither drawn nor sent (a faster first play)
        self._deferred: dict[int, list[LiveCanvas]] = {}
        for index, feature in enumerate(self.features):
            if index != self.tabs.selected_index:
                canvases = [w for w in _widget_tree(feature.widget) if isinstance(w, LiveCanvas)]
                for canvas in canvases:
                    canvas.defer_drawing()
                self._deferred[index] = canvases
        self.tabs.observe(self.guard(self._on_tab), names="selected_index")

        header = W.HBox([self.play_button, self.step_button, self.reset_button,
                         self.pace_slider, self.presentation_button, self.epoch_label,
                         self.status_label, self.heartbeat],
                        layout=W.Layout(align_items="center", flex_flow="row wrap"))
        header.add_class("initviz-header")
        # the controls keep their column; the dashboard takes the rest (scaled down, never
        # cut) and wraps below the controls on narrow screens (initviz.app.layout)
        panel = self.controls.panel()
        panel.layout.min_width = CONTROLS_MIN_WIDTH
        panel.add_class("initviz-controls")
        figure_box = W.Box([self.canvas], layout=W.Layout(flex=f"1 1 {FIGURE_MIN_WIDTH}",
                                                          min_width="0"))
        figure_box.add_class("initviz-figure-box")
        body = W.HBox([panel, figure_box],
                      layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
        body.add_class("initviz-body")
        children = [style_sheet(), header, self.link_notice, body,
                    *([self.tabs] if self.features else []), self.errors]
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

    @property
    def pace(self) -> float:
        """Playing speed in epochs per second (``math.inf``: as fast as the machine goes)."""
        return self._pace

    @pace.setter
    def pace(self, value: float | str) -> None:
        self._pace = snap_pace(value)
        self.pace_slider.value = self._pace

    @property
    def presentation(self) -> bool:
        """Presentation mode: larger fonts in the plots and controls, thicker lines, the play
        bar kept in view."""
        return self.presentation_button.value

    @presentation.setter
    def presentation(self, on: bool) -> None:
        self.presentation_button.value = bool(on)

    def run(self, epochs: int) -> Explorer:
        """Train ``epochs`` epochs now (blocking) and redraw once. While the worker thread has
        an epoch in flight this waits for it."""
        applying = self._cancel_applying()
        if applying is not None:  # a control change still being drawn: finish it first
            self._apply(applying)
        self._wait_for_worker()
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
        self._draw(self.dashboard.frame(self.trainer, SNAPSHOT_AGE if live else 0))

    def close(self) -> None:
        """Stop training, close every widget of the app (figure canvases included) and clear
        the figures: nothing of this Explorer keeps running or holds a comm."""
        self._closed = True
        self._cancel()
        if self._applying is not None:
            self._applying.cancel()
            self._applying = None
        if self._pending_handle is not None:
            self._pending_handle.cancel()
            self._pending_handle = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        for feature in self.features:  # a tab's own work (a sweep, a comparison) stops too
            feature.on_close()
        for widget in _widget_tree(self.widget, self.heartbeat, self.errors):
            figure = getattr(widget, "figure", None)
            if figure is not None and hasattr(figure, "clear"):
                figure.clear()
            widget.close()

    def _draw(self, frame: Frame) -> None:
        self.frame = frame
        self.dashboard.update(frame)
        self.frames += 1
        now = time.monotonic()
        if not self.playing or now - self._status_at >= STATUS_INTERVAL:
            self._status_at = now
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
        if options.pace is not None:
            self.pace = options.pace
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
        """The debounced control change, applied in the worker: even the largest network (0.4 s
        to draw, 2 s for its first statistics) never blocks the page while it is re-drawn."""
        config, self._pending, self._pending_handle = self._pending, None, None
        if config is None:
            return
        self._cancel()
        self._cancel_applying()
        self._applying_config = config
        self._applying = self._loop.create_task(self._apply_in_worker(config))

    def _cancel_applying(self) -> Config | None:
        """Cancel the control change being applied; returns its setting (None if there was
        none). Whoever cancels it re-applies a setting in full (reset and rebuild)."""
        config, self._applying_config = self._applying_config, None
        if self._applying is not None:
            self._applying.cancel()
            self._applying = None
            return config
        return None

    def _wait_for_worker(self) -> None:
        """Block until the worker's job (at most one chunk of epochs and a frame) has ended:
        the synchronous API (set_config, run, reset) then owns the trainer."""
        if self._job is not None:
            concurrent.futures.wait([self._job])

    def _apply(self, config: Config) -> None:
        """Re-initialise on ``config`` now; keep playing on the new setting if we were playing."""
        self._cancel()
        self._cancel_applying()
        self._wait_for_worker()
        self._stop_reason = None
        self.trainer.reset(config)
        self.dashboard.rebuild(self.trainer)
        for feature in self.features:
            feature.on_reset()
        self.render()
        if self.playing:
            self._start()

    async def _apply_in_worker(self, config: Config) -> None:
        try:
            await self._idle()
            self._stop_reason = None
            await self._in_worker(self.trainer.reset, config)
            self.dashboard.rebuild(self.trainer)
            for feature in self.features:
                feature.on_reset()
            _, frame = await self._in_worker(self._train_chunk, self.trainer, 0, 0.0, False)
            self._draw(frame)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.report_error()
        finally:
            if self._applying is asyncio.current_task():
                self._applying, self._applying_config = None, None
        if self.playing:
            self._start()

    def _on_play(self, change) -> None:
        if change["new"]:
            self.play_button.icon, self.play_button.description = "pause", "pause"
            limit = self.max_epochs
            if self.trainer.diverged or (limit is not None and self.trainer.epoch >= limit):
                self._apply(self.config)  # starts the new run
                return
            self._stop_reason = None
            self._start()
        else:
            self.play_button.icon, self.play_button.description = "play", "play"
            self._cancel()
            self._when_idle(self._show_status)

    def _on_presentation(self, change) -> None:
        on = change["new"]
        if on:
            self.widget.add_class(PRESENTING)
        else:
            self.widget.remove_class(PRESENTING)
        self.dashboard.set_style_scale(PRESENTATION_SCALE if on else 1.0)
        if self.frame is not None and not self._busy():
            self.dashboard.update(self.frame)  # a full redraw at the new sizes
        # while playing, the next frame redraws in full

    def _on_tab(self, change) -> None:
        for canvas in self._deferred.pop(change["new"], []):
            canvas.show()

    def _on_pace(self, change) -> None:
        self._pace = change["new"]
        self._show_status()

    def _on_beat(self, change) -> None:
        self._beats += 1
        self._beat_at = time.monotonic()

    def _kick_heartbeat(self) -> None:
        """(Re)start the page's heartbeat: a browser starts a Play widget's timer when it sees
        ``playing`` change to True, so it is switched off and on."""
        self._kicked_at = time.monotonic()
        if self.heartbeat.playing:
            self.heartbeat.playing = False
        self.heartbeat.playing = True

    def _page_gone(self) -> bool:
        """True once a page has ticked (there is a front-end) and none has for page_timeout s.
        Without a front-end (scripts, tests) there is never a tick and never a timeout."""
        now = time.monotonic()
        if now - self._beat_at > 2.5 * HEARTBEAT_INTERVAL and now - self._kicked_at > HEARTBEAT_RETRY:
            self._kick_heartbeat()
        return self._beats > 0 and now - self._beat_at > self.page_timeout

    def _effective_pace(self) -> float:
        if self.trainer.status in SETTLED:
            return min(self._pace, SETTLED_PACE)
        return self._pace

    # -- the worker thread ---------------------------------------------------------------------
    def _busy(self) -> bool:
        """True while the worker has a job or a new setting is being applied."""
        return (self._job is not None and not self._job.done()) or self._applying is not None

    def _when_idle(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on the event loop now if the worker is idle, else when it is."""
        loop = self._loop
        if not self._busy() or loop is None:
            callback()
            return
        guarded = self.guard(callback)
        if self._applying is not None:
            self._applying.add_done_callback(lambda _: self._when_idle(guarded))
        else:
            self._job.add_done_callback(lambda _: loop.call_soon_threadsafe(
                lambda: self._when_idle(guarded)))

    async def _idle(self) -> None:
        """Wait until the worker has no job (a cancelled run's epoch may still be finishing)."""
        while self._job is not None and not self._job.done():
            try:
                await asyncio.wrap_future(self._job)
            except Exception:
                pass  # that run is over; its error was its own

    async def _in_worker(self, function: Callable, *args: Any) -> Any:
        """Run ``function(*args)`` in the worker thread and await it (one job at a time)."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="initviz-trainer")
        await self._idle()
        self._job = self._executor.submit(function, *args)
        return await asyncio.wrap_future(self._job)

    def _train_chunk(self, trainer: Trainer, epochs: int | None, budget: float,
                     live: bool) -> tuple[int, Frame]:
        """In the worker: train up to ``epochs`` (None: no count) within ``budget`` seconds (at
        least one epoch), stopping at max_epochs; then the next frame's numbers."""
        start, done, limit = time.perf_counter(), 0, self.max_epochs
        while ((epochs is None or done < epochs) and (done == 0 or time.perf_counter() - start < budget)
               and (limit is None or trainer.epoch < limit)):
            if not trainer.step(1):
                break
            done += 1
        return done, self.dashboard.frame(trainer, SNAPSHOT_AGE if live else 0)

    def _start(self) -> None:
        self._cancel()
        if self._applying is not None:
            return  # the setting being applied starts the run when it is drawn
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
        began, cpu_began = time.monotonic(), time.process_time()
        owed, last = 0.0, time.perf_counter()  # epochs the pace asked for and not yet trained
        try:
            await self._idle()
            while True:
                start = time.perf_counter()
                if trained is not None:
                    other = 0.7 * other + 0.3 * (start - trained - courtesy)
                # training gets what the rest leaves of the period, and at least TRAIN_SHARE
                # times what the rest takes (on a busy machine frames stretch; training must
                # not starve)
                budget = max(TRAIN_BUDGET, FRAME_INTERVAL - other, TRAIN_SHARE * other)
                pace = self._effective_pace()
                epochs = None
                if not math.isinf(pace):
                    owed = min(owed + pace * (start - last), max(1.0, pace * CATCH_UP))
                    epochs = int(owed)
                last = start
                reason = self._stop_check(began, cpu_began)
                if epochs == 0 and reason is None:  # the next epoch is not due yet: sleep
                    await asyncio.sleep(max(MIN_SLEEP, min(FRAME_INTERVAL, (1.0 - owed) / pace)))
                    continue
                if reason is None:
                    done, frame = await self._in_worker(self._train_chunk, trainer, epochs,
                                                        budget, True)
                    if epochs is not None:
                        owed = max(0.0, owed - done)
                    reason = self._stop_check(began, cpu_began)
                    if trainer.diverged or reason:  # the last frame of a run shows its exact state
                        _, frame = await self._in_worker(self._train_chunk, trainer, 0, 0.0, False)
                else:
                    _, frame = await self._in_worker(self._train_chunk, trainer, 0, 0.0, False)
                trained, drawn_cpu = time.perf_counter(), time.thread_time()
                self._stop_reason = reason
                self._draw(frame)
                now = time.perf_counter()
                render_time = 0.7 * render_time + 0.3 * (now - trained)
                render_cpu = 0.7 * render_cpu + 0.3 * (time.thread_time() - drawn_cpu)
                if trainer.diverged or reason:
                    self.play_button.value = False
                    return
                # on a shared machine (a frame took CROWDED_RATIO times its CPU time or more)
                # leave the cores to the others for a while, and send fewer frames: ten kernels
                # on two cores all keep moving, and their pages' browsers, as busy, load the
                # frames they get (at the full rate they lost most: 1.2 updates/s a page, 2.4
                # at 0.3 s; at 2x, one page beside its browser was often "crowded" too)
                crowded = render_time > CROWDED_RATIO * render_cpu
                interval = CROWDED_FRAME_INTERVAL if crowded else FRAME_INTERVAL
                wait = max(MIN_SLEEP, interval - (now - start))
                courtesy = max(0.0, render_time - wait) if crowded else 0.0
                await asyncio.sleep(wait + courtesy)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.report_error()
            self.play_button.value = False

    def _stop_check(self, began: float, cpu_began: float) -> str | None:
        """Why this play must end now (a STOP_TEXT key), or None."""
        limit = self.max_epochs
        if limit is not None and self.trainer.epoch >= limit:
            return "epoch_limit"
        if time.process_time() - cpu_began > self.play_cpu_budget:
            return "cpu_budget"
        if time.monotonic() - began > self.play_time_budget:
            return "time_budget"
        if self._page_gone():
            return "no_page"
        return None

    def _show_status(self) -> None:
        trainer = self.trainer
        status = trainer.status
        text = STATUS_TEXT[status].format(diverged_epoch=trainer.diverged_epoch)
        reason = self._stop_reason if status != "diverged" else None
        if reason is not None and not self.playing:
            text = STOP_TEXT[reason].format(
                max_epochs=self.max_epochs, cpu=self.play_cpu_budget,
                minutes=self.play_time_budget / 60, timeout=self.page_timeout)
        elif status == "training" and not self.playing:
            text = "paused"
        elif status in SETTLED and self.playing and self._pace > SETTLED_PACE:
            text += SETTLED_NOTE.format(pace=SETTLED_PACE)
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


def _widget_tree(*roots: W.Widget) -> list[W.Widget]:
    """Every widget reachable from ``roots`` through widget-valued traits (children, layout,
    style, ...), each once, roots first."""
    seen: dict[int, W.Widget] = {}
    stack = list(roots)
    while stack:
        widget = stack.pop()
        if id(widget) in seen:
            continue
        seen[id(widget)] = widget
        for name in widget.keys:
            try:
                value = getattr(widget, name)
            except Exception:
                continue
            values = value if isinstance(value, (list, tuple)) else (value,)
            stack.extend(v for v in values if isinstance(v, W.Widget))
    return list(seen.values())


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
