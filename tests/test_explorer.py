"""The Explorer moved in code: controls change the run, plots follow, errors land in the Output."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest

from initviz.app import Explorer
from initviz.core.training import Config


@pytest.fixture
def explorer() -> Explorer:
    return Explorer(features=[])


def view(explorer: Explorer, name: str):
    return next(v for v in explorer.dashboard.views if type(v).__name__ == name)


def test_starts_from_a_setting():
    explorer = Explorer(initializer="he_normal", depth=12, features=[])
    assert explorer.config.initializer == "he_normal" and explorer.config.depth == 12
    assert explorer.controls.initializer.value == "he_normal"
    assert explorer.controls.depth.value == 12
    assert len(view(explorer, "WeightHistogramView").rows) == 10  # 13 layers, 10 rows shown


def test_run_trains_and_draws(explorer: Explorer):
    explorer.run(30)
    assert explorer.trainer.epoch == 30
    assert "epoch 30" in explorer.epoch_label.value
    loss_line = view(explorer, "LossView").train
    np.testing.assert_array_equal(loss_line.get_xdata(), explorer.trainer.history.epochs)
    np.testing.assert_allclose(loss_line.get_ydata(), explorer.trainer.history.loss)
    bars = view(explorer, "GradientNormView").bars.get_segments()
    tops = [segment[1, 1] for segment in bars]
    np.testing.assert_allclose(tops, explorer.trainer.history.grad_norm[-1], rtol=1e-6)


def test_scale_slider_redraws_weights(explorer: Explorer):
    before = [s.copy() for s in view(explorer, "WeightHistogramView").lines.get_segments()]
    explorer.controls.scale.value = 10.0
    assert explorer.trainer.config.scale == pytest.approx(10.0)
    assert explorer.trainer.epoch == 0
    w_std = np.std(explorer.trainer.network.weights[1])
    assert w_std == pytest.approx(10 * np.sqrt(2 / 64), rel=0.15)  # glorot_uniform x 10
    after = view(explorer, "WeightHistogramView").lines.get_segments()
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))


def test_initializer_dropdown_changes_network_and_formula(explorer: Explorer):
    explorer.controls.initializer.value = "zeros"
    assert explorer.config.initializer == "zeros"
    assert all(not w.any() for w in explorer.trainer.network.weights)
    assert "0" in explorer.controls.formula.value


def test_exploding_setting_shows_diverged():
    explorer = Explorer(initializer="identity", scale=100.0, activation="relu", depth=20,
                        features=[])
    explorer.run(20)
    assert explorer.trainer.diverged
    assert "diverged" in explorer.status_label.value


def test_vanishing_setting_is_named():
    explorer = Explorer(initializer="identity", scale=0.5, activation="linear", depth=30,
                        features=[])
    explorer.run(5)
    assert explorer.trainer.status == "vanishing"
    assert "vanishing" in explorer.status_label.value


def test_step_and_reset_buttons(explorer: Explorer):
    drawn = explorer.trainer.network.weights[0].copy()
    explorer.step_button.click()
    explorer.step_button.click()
    assert explorer.trainer.epoch == 2
    assert not np.array_equal(explorer.trainer.network.weights[0], drawn)
    explorer.reset_button.click()
    assert explorer.trainer.epoch == 0
    np.testing.assert_array_equal(explorer.trainer.network.weights[0], drawn)  # same seed


def test_callback_error_lands_in_output(explorer: Explorer, monkeypatch):
    def broken(config):
        raise RuntimeError("boom from a callback")

    monkeypatch.setattr(explorer.trainer, "reset", broken)
    explorer.controls.depth.value = 3  # must not raise
    text = "".join(o.get("text", "") for o in explorer.errors.outputs)
    assert "boom from a callback" in text


def test_rapid_changes_while_playing_leave_one_run():
    async def scenario():
        explorer = Explorer(features=[])
        explorer.play()
        await asyncio.sleep(0.2)
        rng = np.random.default_rng(0)
        inits = ["he_normal", "zeros", "glorot_uniform", "random_normal", "orthogonal"]
        for i in range(50):
            explorer.controls.scale.value = float(10 ** rng.uniform(-1, 1))
            explorer.controls.initializer.value = inits[i % len(inits)]
            if i % 10 == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(0.3)
        running = [t for t in asyncio.all_tasks() if "_train_loop" in repr(t)]
        assert len(running) == 1
        assert explorer.trainer.config == explorer.controls.config
        assert explorer.trainer.epoch > 0  # training goes on with the last setting
        explorer.pause()
        await asyncio.sleep(0.1)
        assert not [t for t in asyncio.all_tasks() if "_train_loop" in repr(t) and not t.done()]

    asyncio.run(scenario())


def test_playing_stops_at_divergence():
    async def scenario():
        explorer = Explorer(Config(initializer="identity", scale=100.0, activation="relu", depth=20),
                            features=[])
        explorer.play()
        for _ in range(100):
            await asyncio.sleep(0.02)
            if not explorer.playing:
                break
        assert not explorer.playing
        assert explorer.trainer.diverged

    asyncio.run(scenario())


def test_batch_size_control_shows_full_batch_and_any_size():
    explorer = Explorer(features=[], batch_size=50)
    assert explorer.controls.batch_size.label == "50"  # a size from a link gets its own option
    explorer.set_config(batch_size=None)
    assert explorer.controls.batch_size.label == "full batch"  # not a blank box
    explorer.controls.batch_size.value = 32
    assert explorer.config.batch_size == 32
    explorer.controls.batch_size.value = explorer.controls.batch_size.options[0][1]
    assert explorer.config.batch_size is None


def test_saturation_bars_have_a_100_percent_track_and_their_numbers():
    """Positive-only tanh layers saturate: each bar's length and label is the layer's fraction,
    on a grey track whose length is 100%."""
    explorer = Explorer(initializer="positive_uniform", scale=30.0, features=[])
    explorer.run(1)
    activations = view(explorer, "ActivationHistogramView")
    saturation = explorer.trainer.history.saturation[-1][activations.rows]
    tracks = activations.tracks.get_segments()
    bars = activations.bars.get_segments()
    assert len(tracks) == len(bars) == len(activations.rows)
    for track, bar, fraction, label in zip(tracks, bars, saturation, activations.bar_labels):
        full = track[0, 0] - track[1, 0]
        assert full > 0 and track[0, 0] == pytest.approx(activations.bins.hi)
        assert (bar[0, 0] - bar[1, 0]) / full == pytest.approx(fraction, abs=1e-6)
        assert label.get_text() == f"{fraction:.0%}"
        assert label.get_position()[0] < track[1, 0]  # written left of the track
    assert saturation[-1] > 0.9 and activations.bar_labels[-1].get_text() in ("99%", "100%")
    assert "grey track = 100%" in activations.ax.get_xlabel()
    relu = Explorer(initializer="he_normal", activation="relu", features=[])
    relu.run(1)
    dead = view(relu, "ActivationHistogramView")
    fractions = relu.trainer.history.dead_fraction[-1][dead.rows]
    assert [t.get_text() for t in dead.bar_labels] == [f"{f:.0%}" for f in fractions]


def test_exact_zero_gradients_get_a_floor_marker_and_a_word_why():
    explorer = Explorer(initializer="ones", features=[])
    explorer.run(3)
    norms = view(explorer, "GradientNormView")
    zero_layers = np.flatnonzero(explorer.trainer.history.grad_norm[-1] == 0) + 1
    np.testing.assert_array_equal(zero_layers, np.arange(1, 7))  # hidden layers: exactly 0
    x, y = norms.zeros.get_data()
    np.testing.assert_array_equal(x, zero_layers)
    assert np.all(np.asarray(y) == norms.ax.get_ylim()[0])  # on the floor of the log axis
    assert norms.note.get_text() == "exactly 0 in layers 1–6 (▼ at the floor): a log axis has no 0"
    history = view(explorer, "GradientHistoryView")
    assert history.note.get_text().startswith("exactly 0 in layers 1–6 (drawn at 1e-12)")
    he = Explorer(initializer="he_normal", activation="relu", features=[])
    he.run(3)
    assert view(he, "GradientNormView").note.get_text() == ""
    assert len(view(he, "GradientNormView").zeros.get_data()[0]) == 0
    assert view(he, "GradientHistoryView").note.get_text() == ""


def test_layer_ranges_are_compact():
    from initviz.plots.views import layer_ranges

    assert layer_ranges([1, 2, 3, 5, 7, 8]) == "1–3, 5, 7–8"
    assert layer_ranges([4]) == "4"
