"""The Replay tab: scrubbing to a snapshot redraws the dashboard as it was, and back to live."""
from __future__ import annotations

from conftest import assert_no_errors

from initviz.app import Explorer


def _views(app):
    from initviz.plots.views import LossView, WeightHistogramView

    loss = next(v for v in app.dashboard.views if isinstance(v, LossView))
    weights = next(v for v in app.dashboard.views if isinstance(v, WeightHistogramView))
    return loss, weights


def _segments(collection):
    return [s.copy() for s in collection.get_segments()]


def test_replay_scrubs_to_an_early_snapshot_and_back_to_live():
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from initviz.app.features.replay import ReplayFeature, past_frame
    from initviz.plots.dashboard import Dashboard
    from initviz.plots.views import WeightHistogramView

    app = Explorer(query="", features=[ReplayFeature])
    replay = app.features[0]
    assert "initviz-replay" in replay.slider._dom_classes
    app.run(200)
    snapshots = app.trainer.history.snapshots
    assert replay.slider.max == len(snapshots) - 1 and replay.slider.value == replay.slider.max
    loss_view, weight_view = _views(app)
    assert loss_view.train.get_xdata()[-1] == app.trainer.history.epochs[-1]
    live_segments = _segments(weight_view.lines)

    app.play_button.value = True  # moving the slider pauses a playing explorer
    replay.slider.value = 2
    early = snapshots[2]
    assert not app.playing
    assert early.epoch < 50 and not replay.live
    assert loss_view.train.get_xdata()[-1] == early.epoch
    assert f"epoch {early.epoch}" in replay.label.value
    # the weight histograms are the early snapshot's, not the current ones
    reference = Figure()
    FigureCanvasAgg(reference)
    board = Dashboard(reference, app.trainer)
    board.update(past_frame(app.trainer, 2))
    expected = next(v for v in board.views if isinstance(v, WeightHistogramView)).lines.get_segments()
    got = weight_view.lines.get_segments()
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(got, live_segments))
    assert not np.array_equal(early.counts["weights"], snapshots[-1].counts["weights"])

    replay.live_button.click()
    assert replay.live
    assert loss_view.train.get_xdata()[-1] == app.trainer.history.epochs[-1]
    for a, b in zip(weight_view.lines.get_segments(), live_segments):
        np.testing.assert_array_equal(a, b)
    assert replay.slider.value == replay.slider.max
    assert_no_errors(app)


def test_replay_follows_training_and_resets():
    from initviz.app.features.replay import ReplayFeature

    app = Explorer(query="", features=[ReplayFeature])
    replay = app.features[0]
    assert replay.slider.disabled
    app.run(30)
    assert replay.slider.max == len(app.trainer.history.snapshots) - 1 == 2
    app.run(30)
    assert replay.slider.max == 5 and replay.slider.value == 5
    replay.slider.value = 1
    assert not replay.live and replay.index == 1
    app.run(1)  # training again (play or step) draws the live state
    assert replay.live and replay.slider.value == replay.slider.max
    app.controls.depth.value = 3
    assert replay.slider.max == 0 and replay.slider.disabled


def test_replay_shows_the_prediction_of_the_last_frame_at_or_before_the_snapshot():
    import numpy as np

    from initviz.app.features.replay import ReplayFeature
    from initviz.plots.views import DecisionBoundaryView

    app = Explorer(query="", features=[ReplayFeature])
    replay = app.features[0]
    image = next(v for v in app.dashboard.views if isinstance(v, DecisionBoundaryView)).image
    frames = {}
    for _ in range(3):  # live frames at epochs 20, 40, 60 (and 0 at the start)
        app.run(20)
        frames[app.trainer.epoch] = np.array(image.get_array())
    latest = frames[60]
    epochs = [s.epoch for s in app.trainer.history.snapshots]
    replay.show(epochs.index(30))  # between the frames of epochs 20 and 40: shows epoch 20's
    np.testing.assert_array_equal(image.get_array(), frames[20])
    assert not np.array_equal(frames[20], latest)
    assert "replay: epoch 30" in replay.label.value and "shows epoch 20" in replay.label.value
    replay.show(epochs.index(40))
    np.testing.assert_array_equal(image.get_array(), frames[40])
    replay.go_live()
    np.testing.assert_array_equal(image.get_array(), latest)
    app.controls.depth.value = 3  # a new run forgets the old predictions
    app.run(10)
    replay.show(0)
    assert "shows epoch 0" in replay.label.value


def test_replay_on_frame_is_cheap_when_nothing_changed():
    import timeit

    from initviz.app.features.replay import ReplayFeature

    app = Explorer(query="", features=[ReplayFeature])
    app.run(20)
    replay = app.features[0]
    per_call = min(timeit.repeat(replay.on_frame, number=1000, repeat=3)) / 1000
    assert per_call < 20e-6
