"""Playing at a pace a person can watch, and at a bounded cost per kernel.

Each test drives the Explorer's training loop on a real asyncio event loop and measures epochs,
wall time and CPU time, as a student's kernel would spend them.
"""
from __future__ import annotations

import asyncio
import math
import time

import pytest

from initviz.app import Explorer
from initviz.app.explorer import STOP_TEXT
from initviz.app.pace import DEFAULT_PACE, PACES, snap_pace
from initviz.app.share import AppOptions, parse_query, to_query
from initviz.core.training import Config


async def play_for(explorer: Explorer, seconds: float) -> tuple[float, int, float]:
    """Play ``seconds`` from the first trained epoch; (wall s, epochs, process CPU s) over them."""
    explorer.play()
    while explorer.trainer.epoch == 0:
        await asyncio.sleep(0.005)
    wall, epoch, cpu = time.perf_counter(), explorer.trainer.epoch, time.process_time()
    await asyncio.sleep(seconds)
    result = (time.perf_counter() - wall, explorer.trainer.epoch - epoch, time.process_time() - cpu)
    explorer.pause()
    await asyncio.sleep(0.05)
    assert not explorer.errors.outputs, explorer.errors.outputs
    return result


def test_pace_stops_are_labelled_and_snapped():
    explorer = Explorer(features=[])
    assert explorer.pace == DEFAULT_PACE
    assert explorer.pace_slider.label == "50" and "initviz-pace" in explorer.pace_slider._dom_classes
    explorer.pace = 7
    assert explorer.pace == 5.0 and explorer.pace_slider.label == "5"  # nearest stop (log scale)
    explorer.pace = "max"
    assert math.isinf(explorer.pace) and explorer.pace_slider.label == "max"
    explorer.pace_slider.value = 20.0  # the slider moved in the page
    assert explorer.pace == 20.0
    assert Explorer(features=[], pace=2).pace_slider.label == "2"
    for bad in (0, -1, float("nan"), "fast"):
        with pytest.raises(ValueError, match="max"):
            snap_pace(bad)
    assert PACES[0] == 1.0 and math.isinf(PACES[-1])


def test_a_link_sets_the_pace():
    config, options = parse_query("depth=3&pace=10&play=1")
    assert options.pace == 10.0 and config.depth == 3
    assert parse_query(to_query(config, options))[1] == options
    assert "pace=max" in to_query(config, AppOptions(pace=math.inf))
    assert Explorer(query="pace=200", features=[]).pace_slider.label == "200"
    assert Explorer(query="pace=200", features=[], pace=1).pace == 1.0  # the keyword wins
    with pytest.raises(ValueError, match="pace"):
        parse_query("pace=-3")


@pytest.mark.parametrize("pace", [10.0, 100.0])
def test_pace_control_sets_epochs_per_second(pace):
    async def scenario():
        explorer = Explorer(features=[])
        explorer.pace_slider.value = pace
        return await play_for(explorer, 2.0)

    wall, epochs, _ = asyncio.run(scenario())
    rate = epochs / wall
    assert 0.75 * pace <= rate <= 1.15 * pace, f"{rate:.1f} epochs/s at the {pace:g} stop"


def test_fastest_pace_outruns_the_default_and_slow_paces_cost_less_cpu():
    async def scenario():
        explorer = Explorer(features=[])
        explorer.pace = "max"
        fast = await play_for(explorer, 1.5)
        explorer.set_config(seed=1)
        await asyncio.sleep(0.2)
        explorer.pace = 2
        slow = await play_for(explorer, 2.0)
        return fast, slow

    (fast_wall, fast_epochs, fast_cpu), (slow_wall, slow_epochs, slow_cpu) = asyncio.run(scenario())
    assert fast_epochs / fast_wall > 4 * DEFAULT_PACE
    assert 2 <= slow_epochs <= 6  # 2 epochs/s for 2 s, one frame per epoch
    # CPU share of the wall time: a slow pace sleeps instead of training and drawing
    assert slow_cpu / slow_wall < 0.25 * (fast_cpu / fast_wall), (slow_cpu, fast_cpu)


def test_default_run_is_still_going_after_5_seconds():
    async def scenario():
        explorer = Explorer(features=[])
        explorer.play()
        await asyncio.sleep(5.0)
        state = explorer.playing, explorer.trainer.epoch, explorer.trainer.history.last("loss")
        text = explorer.status_label.value
        explorer.pause()
        return state, text

    (playing, epoch, loss), text = asyncio.run(scenario())
    assert playing, text
    assert 100 <= epoch <= 1.2 * 5 * DEFAULT_PACE  # ~250 epochs: the loss is still falling
    assert loss > 0.03 and "training" in text


def test_settled_run_slows_down_and_says_so():
    async def scenario():
        # Adam on noiseless moons: the loss falls below 1e-3 within 50 epochs (converged)
        explorer = Explorer(Config(optimizer="adam", learning_rate=0.01, noise=0.0),
                            features=[], pace="max")
        explorer.play()
        for _ in range(400):
            await asyncio.sleep(0.02)
            if explorer.trainer.status in ("stuck", "converged"):
                break
        await asyncio.sleep(0.1)
        epoch = explorer.trainer.epoch
        await asyncio.sleep(1.0)
        result = explorer.playing, explorer.trainer.epoch - epoch, explorer.status_label.value
        explorer.pause()
        return result

    playing, epochs, text = asyncio.run(scenario())
    assert playing and epochs <= 8, (epochs, text)  # SETTLED_PACE: 5 epochs/s
    assert "playing on at 5 epochs/s" in text


def test_play_stops_at_its_cpu_budget_and_says_why():
    async def scenario():
        explorer = Explorer(features=[], pace="max")
        explorer.play_cpu_budget = 0.5
        explorer.play()
        began = time.process_time()
        for _ in range(500):
            await asyncio.sleep(0.02)
            if not explorer.playing:
                break
        return explorer, time.process_time() - began

    explorer, cpu = asyncio.run(scenario())
    assert not explorer.playing
    assert 0.5 <= cpu <= 1.5
    assert "0.5 s of kernel CPU" in explorer.status_label.value


def test_play_pauses_when_the_page_stops_ticking():
    """The page's hidden Play widget ticks; when the ticks stop (page closed) play pauses."""
    async def scenario():
        explorer = Explorer(features=[])
        explorer.page_timeout = 0.6
        explorer.play()
        await asyncio.sleep(0.05)
        assert explorer.heartbeat.playing  # the browser is asked to start ticking
        for _ in range(10):  # a live page: a tick every 0.2 s
            explorer.heartbeat.value += 1
            closed = time.perf_counter()  # the last tick
            await asyncio.sleep(0.2)
        assert explorer.playing
        while explorer.playing and time.perf_counter() - closed < 5:
            await asyncio.sleep(0.02)
        return explorer, time.perf_counter() - closed

    explorer, waited = asyncio.run(scenario())
    assert not explorer.playing
    assert 0.5 <= waited <= 1.5
    assert STOP_TEXT["no_page"].format(timeout=0.6) in explorer.status_label.value


def test_without_a_page_there_is_no_timeout():
    async def scenario():
        explorer = Explorer(features=[])
        explorer.page_timeout = 0.3
        explorer.play()
        await asyncio.sleep(1.0)
        playing = explorer.playing
        explorer.pause()
        return playing

    assert asyncio.run(scenario())  # scripts and tests: no ticks ever, never a timeout


def test_largest_network_never_blocks_the_event_loop():
    """The widest network the memory budget accepts at the deepest depth (depth 50, about width
    356: benchmarks/bench_budget.py): its epochs and frames run in the worker thread, so the
    loop answers pause and controls within 100 ms."""
    from initviz.core.config import largest

    async def scenario():
        explorer = Explorer(largest("width", depth=50), features=[], pace="max")
        lags = []

        async def probe(seconds, until=lambda: False):
            end = time.perf_counter() + seconds
            while time.perf_counter() < end and not until():
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - before - 0.01)

        explorer.play()
        await probe(60.0, until=lambda: explorer.frames >= 3)  # two frames while playing
        epoch = explorer.trainer.epoch
        explorer.controls.scale.value = 2.0  # a control moved during an epoch in flight
        await probe(1.0)
        explorer.pause()
        paused_at = time.perf_counter()
        await probe(0.5)
        applied = explorer.trainer.config.scale
        await explorer._idle()
        return lags, epoch, applied, explorer, time.perf_counter() - paused_at

    lags, epoch, applied, explorer, _ = asyncio.run(scenario())
    assert epoch >= 1
    assert max(lags) < 0.1, f"the loop was blocked {max(lags) * 1000:.0f} ms"
    assert applied == pytest.approx(2.0) and not explorer.playing
    assert not explorer.errors.outputs, explorer.errors.outputs


def test_close_stops_training_and_closes_widgets_and_figures():
    async def scenario():
        explorer = Explorer()  # with the feature tabs and their figures
        from initviz.app.features.sweep import SweepFeature

        explorer.play()
        await asyncio.sleep(0.3)
        sweep = next(f for f in explorer.features if isinstance(f, SweepFeature))
        sweep.start()  # the sweep pauses the explorer and works in its own task
        explorer.play()
        await asyncio.sleep(0.1)
        assert sweep.running
        from initviz.app.explorer import _widget_tree

        widgets = _widget_tree(explorer.widget)
        explorer.close()
        await asyncio.sleep(0.1)
        epoch = explorer.trainer.epoch
        await asyncio.sleep(0.3)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return explorer, widgets, epoch, tasks

    explorer, widgets, epoch, tasks = asyncio.run(scenario())
    assert not tasks and explorer.trainer.epoch == epoch
    canvases = [w for w in widgets if hasattr(w, "figure")]
    assert len(canvases) >= 2  # the dashboard's and the feature tabs'
    assert all(w.comm is None for w in widgets), [type(w).__name__ for w in widgets if w.comm]
    assert explorer.heartbeat.comm is None
    assert all(not c.figure.axes for c in canvases)


def test_hidden_tabs_figures_are_drawn_only_when_first_opened():
    """Each figure of a tab nobody opened costs nothing: no draw at load, at a control change
    or while playing; opening the tab draws it once, in full."""
    from initviz.app.canvas import LiveCanvas
    from initviz.app.explorer import _widget_tree

    explorer = Explorer()
    draws: dict[int, int] = {}
    tabs = {}
    for index, feature in enumerate(explorer.features):
        for canvas in (w for w in _widget_tree(feature.widget) if isinstance(w, LiveCanvas)):
            tabs[index] = canvas
            draws[index] = 0
            canvas.mpl_connect("draw_event", lambda _, i=index: draws.__setitem__(i, draws[i] + 1))
    hidden = [i for i in tabs if i != explorer.tabs.selected_index]
    assert len(hidden) >= 3  # compare, theory, symmetry, sweep
    for canvas in tabs.values():
        canvas.handle_draw({})  # what each figure's page view asks for when the page loads
    explorer.set_config(scale=2.0)
    explorer.run(5)
    assert all(draws[i] == 0 for i in hidden), draws
    opened = hidden[0]
    explorer.tabs.selected_index = opened
    assert draws[opened] == 1
    assert all(draws[i] == 0 for i in hidden[1:]), draws
    explorer.set_config(scale=3.0)  # once opened, the tab's figure follows the app as before
    assert not explorer.errors.outputs, explorer.errors.outputs


def test_presentation_mode_enlarges_plot_text_and_lines_and_back():
    from initviz.app.layout import PRESENTATION_SCALE, PRESENTING

    explorer = Explorer(features=[])
    explorer.run(20)
    loss = next(v for v in explorer.dashboard.views if type(v).__name__ == "LossView")
    title, width = loss.ax.title.get_fontsize(), loss.train.get_linewidth()
    tick = loss.ax.xaxis.get_major_ticks()[0].label1.get_fontsize()
    assert title >= 12 and tick >= 9  # readable from the back of a room even without it
    full_draws = explorer.dashboard.blitter.full_draws
    explorer.presentation_button.value = True  # the toggle pressed in the page
    assert PRESENTING in explorer.widget._dom_classes
    assert loss.ax.title.get_fontsize() == pytest.approx(title * PRESENTATION_SCALE)
    assert loss.train.get_linewidth() == pytest.approx(width * PRESENTATION_SCALE)
    assert explorer.dashboard.blitter.full_draws == full_draws + 1  # redrawn at the new sizes
    explorer.set_config(depth=3)  # a new network keeps presentation sizes
    loss = next(v for v in explorer.dashboard.views if type(v).__name__ == "LossView")
    assert loss.ax.title.get_fontsize() == pytest.approx(title * PRESENTATION_SCALE)
    assert loss.ax.xaxis.get_major_ticks()[0].label1.get_fontsize() == pytest.approx(
        tick * PRESENTATION_SCALE)
    explorer.presentation = False
    assert PRESENTING not in explorer.widget._dom_classes
    assert loss.ax.title.get_fontsize() == pytest.approx(title)
    assert loss.train.get_linewidth() == pytest.approx(width)
    assert not explorer.errors.outputs


def test_a_crowded_machine_gets_fewer_frames_and_the_lines_change_ten_times_a_second(monkeypatch):
    """Frames every FRAME_INTERVAL normally (the labels at most every STATUS_INTERVAL), every
    CROWDED_FRAME_INTERVAL when frames take CROWDED_RATIO times their CPU time (here: always)."""
    from initviz.app import explorer as explorer_module

    async def frames_and_label_changes(seconds: float) -> tuple[float, float]:
        explorer = Explorer(features=[])
        changes = []
        explorer.epoch_label.observe(lambda change: changes.append(1), "value")
        explorer.play()
        await asyncio.sleep(0.5)  # past the first frames (the estimates settle)
        frames, count = explorer.frames, len(changes)
        await asyncio.sleep(seconds)
        result = ((explorer.frames - frames) / seconds, (len(changes) - count) / seconds)
        explorer.pause()
        await asyncio.sleep(0.05)
        assert not explorer.errors.outputs, explorer.errors.outputs
        return result

    fps, label_rate = asyncio.run(frames_and_label_changes(2.0))
    assert fps > 12, fps  # ~38 at most; a loaded test machine gets fewer
    assert label_rate <= 1.2 / explorer_module.STATUS_INTERVAL, label_rate
    monkeypatch.setattr(explorer_module, "CROWDED_RATIO", 0.0)
    crowded_fps, _ = asyncio.run(frames_and_label_changes(2.0))
    assert crowded_fps <= 1.2 / explorer_module.CROWDED_FRAME_INTERVAL, crowded_fps
