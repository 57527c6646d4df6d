"""Headless tests of the Presets, Code, Share, Replay and Export tabs: set widget values in code,
assert on the trainer, the dashboard's artists and the widgets' outputs."""
from __future__ import annotations

import pytest

pytest.importorskip("ipympl")

from initviz.app import Explorer  # noqa: E402
from initviz.app.features import FEATURES  # noqa: E402
from initviz.app.features.code import CodeFeature  # noqa: E402
from initviz.app.features.export import ExportFeature  # noqa: E402
from initviz.app.features.presets import PresetsFeature  # noqa: E402
from initviz.app.features.replay import ReplayFeature  # noqa: E402
from initviz.app.features.share_panel import SharePanel  # noqa: E402
from initviz.app.share import AppOptions, parse_query, to_query  # noqa: E402
from initviz.core import presets  # noqa: E402
from initviz.core.training import Config  # noqa: E402

MINE = [PresetsFeature, CodeFeature, SharePanel, ReplayFeature, ExportFeature]


@pytest.fixture
def explorer():
    return Explorer(query="", features=MINE)


def feature(explorer, cls):
    return next(f for f in explorer.features if isinstance(f, cls))


def test_my_features_are_registered_tabs():
    for cls in MINE:
        assert cls in FEATURES
    app = Explorer(query="", features=MINE)
    assert [f.title for f in app.features] == [cls.title for cls in MINE]
    assert list(app.tabs.children) == [f.widget for f in app.features]


# -- presets ------------------------------------------------------------------------------------

def test_picking_a_preset_applies_it_and_shows_the_lesson(explorer):
    tab = feature(explorer, PresetsFeature)
    assert "initviz-preset" in tab.dropdown._dom_classes
    assert tab.dropdown.value is None
    tab.dropdown.value = "glorot_relu_deep"
    assert explorer.config == presets.config("glorot_relu_deep")
    assert explorer.controls.config == explorer.config  # the controls show it
    assert explorer.trainer.network.depth == 30
    assert "Question:" in tab.text.value
    assert "He et al. (2015)" not in tab.text.value  # predict first: the explanation is hidden
    tab.reveal_button.click()
    assert "He et al. (2015)" in tab.text.value
    assert explorer.options.preset == "glorot_relu_deep"
    assert not explorer.errors.outputs


def test_every_preset_loads_from_the_dropdown(explorer):
    tab = feature(explorer, PresetsFeature)
    for name in presets.names():
        tab.dropdown.value = name
        assert explorer.config == presets.config(name), name
        assert explorer.controls.config == explorer.config, name
    assert not explorer.errors.outputs


def test_moving_a_control_marks_the_preset_modified_and_load_again_restores(explorer):
    tab = feature(explorer, PresetsFeature)
    tab.dropdown.value = "zeros"
    explorer.controls.depth.value = 3
    assert explorer.config.depth == 3
    assert "changed the setting" in tab.text.value
    tab.reload.click()
    assert explorer.config == presets.config("zeros")
    assert "changed the setting" not in tab.text.value


def test_a_preset_link_starts_there_and_selects_the_dropdown():
    app = Explorer(query="?preset=too_large&depth=3", features=MINE)
    assert app.config == presets.config("too_large").replace(depth=3)
    tab = feature(app, PresetsFeature)
    assert tab.dropdown.value == "too_large"
    assert "changed the setting" in tab.text.value


def test_preset_training_in_the_app(explorer):
    feature(explorer, PresetsFeature).dropdown.value = "identity_exploding"
    explorer.run(5)
    assert explorer.trainer.diverged
    assert "diverged" in explorer.status_label.value


def test_a_preset_hides_its_explanation_until_reveal_and_offers_its_predictions(explorer):
    tab = feature(explorer, PresetsFeature)
    assert tab.prediction.layout.display == "none" and tab.reveal_button.layout.display == "none"
    tab.dropdown.value = "zeros"
    preset = presets.get("zeros")
    assert preset.explanation.splitlines()[0] not in tab.text.value
    assert "Predict first" in tab.text.value and "Question:" in tab.text.value
    assert [value for _, value in tab.prediction.options] == list(preset.choices)
    assert tab.prediction.value is None
    assert tab.prediction.layout.display is None and tab.reveal_button.layout.display is None
    tab.reveal_button.click()
    assert preset.explanation.splitlines()[0] in tab.text.value
    assert tab.reveal_button.layout.display == "none"
    tab.dropdown.value = "he_relu"  # another lesson: hidden again, predictions afresh
    assert presets.get("he_relu").explanation.splitlines()[0] not in tab.text.value
    assert tab.prediction.value is None and tab.reveal_button.layout.display is None
    assert not explorer.errors.outputs


def test_the_app_says_after_the_run_whether_the_prediction_held(explorer):
    tab = feature(explorer, PresetsFeature)
    tab.dropdown.value = "too_large"
    tab.prediction.value = "trains"
    assert tab.verdict.value == ""  # not run yet
    explorer.run(10)  # too_large diverges at epoch 2, before its 50 epochs
    assert "did not hold" in tab.verdict.value and "the run diverges" in tab.verdict.value
    tab.prediction.value = "diverges"  # a second guess is judged on the same run
    assert "Your prediction held" in tab.verdict.value
    tab.dropdown.value = "he_relu"
    tab.prediction.value = "trains"
    explorer.run(100)
    assert tab.verdict.value == ""  # 100 of its 300 epochs: too early to tell
    explorer.run(200)
    assert "Your prediction held" in tab.verdict.value and "After 300 epochs" in tab.verdict.value
    explorer.controls.depth.value = 30  # another setting: a new run, judged only on the preset's
    assert "load again" in tab.verdict.value
    assert not explorer.errors.outputs


def test_a_teachers_link_keeps_the_explanation_hidden():
    app = Explorer(query="?preset=zeros&reveal=0", features=MINE)
    assert app.options.reveal is False
    tab = feature(app, PresetsFeature)
    assert tab.dropdown.value == "zeros"
    assert tab.reveal_button.layout.display == "none"
    tab.reveal()
    assert presets.get("zeros").explanation.splitlines()[0] not in tab.text.value
    assert "your teacher explains" in tab.text.value
    assert tab.prediction.layout.display is None  # predicting still works
    config, options = parse_query("?preset=zeros&reveal=0")
    assert options == AppOptions(preset="zeros", reveal=False)
    assert to_query(config, options) == "preset=zeros&reveal=0"
    assert parse_query("?preset=zeros")[1].reveal is True


# -- share links ----------------------------------------------------------------------------------

def test_query_round_trips_with_a_preset():
    config, options = parse_query("?preset=he_relu&depth=30&hide=depth&play=1")
    assert config == presets.config("he_relu").replace(depth=30)
    assert options == AppOptions(hide=("depth",), play=True, preset="he_relu")
    query = to_query(config, options)
    assert query == "preset=he_relu&depth=30&hide=depth&play=1"
    assert parse_query(query) == (config, options)
    # a field moved back to the default is still written when the preset differs from it
    config = presets.config("glorot_relu_deep").replace(depth=6)
    assert parse_query(to_query(config, AppOptions(preset="glorot_relu_deep")))[0] == config
    with pytest.raises(ValueError, match="did you mean 'zeros'"):
        parse_query("preset=zeroes")


def test_share_text_follows_the_controls_and_reopens_the_same_setting(explorer):
    panel = feature(explorer, SharePanel)
    assert "initviz-share" in panel.text._dom_classes
    assert panel.text.value == "?"
    explorer.controls.initializer.value = "he_normal"
    explorer.controls.activation.value = "relu"
    explorer.controls.depth.value = 12
    text = panel.text.value
    assert text.startswith("?") and "initializer=he_normal" in text and "depth=12" in text
    reopened = Explorer(query=text, features=MINE)
    assert reopened.config == explorer.config
    assert feature(reopened, SharePanel).text.value == text


def test_share_teacher_mode_hides_controls(explorer):
    panel = feature(explorer, SharePanel)
    explorer.controls.initializer.value = "zeros"
    panel.hide.value = ("depth", "width")
    panel.play.value = True
    text = panel.text.value
    assert "hide=depth%2Cwidth" in text and "play=1" in text
    student = Explorer(query=text, features=MINE)
    student.pause()
    assert student.options.hide == ("depth", "width") and student.options.play
    assert student.controls.depth.layout.display == "none"
    assert student.controls.width.layout.display == "none"
    assert student.config == explorer.config
    assert feature(student, SharePanel).text.value == text  # the student's link keeps the mode


def test_teacher_mode_hides_only_the_chosen_controls():
    student = Explorer(query="?hide=depth", features=MINE)
    assert student.controls.depth.layout.display == "none"
    assert student.controls.scale.layout.display != "none"


def test_share_after_a_preset_writes_changes_to_it(explorer):
    feature(explorer, PresetsFeature).dropdown.value = "he_relu"
    panel = feature(explorer, SharePanel)
    assert panel.text.value == "?preset=he_relu"
    explorer.controls.depth.value = 20
    assert panel.text.value == "?preset=he_relu&depth=20"
    assert Explorer(query=panel.text.value, features=MINE).config == explorer.config


def test_share_open_applies_a_pasted_query_and_reports_bad_ones(explorer):
    panel = feature(explorer, SharePanel)
    panel.text.value = "?initializer=ones&depth=4"
    panel.open_button.click()
    assert explorer.config == Config(initializer="ones", depth=4)
    assert panel.text.value == "?depth=4&initializer=ones"
    panel.text.value = "?initialiser=ones"
    panel.open_button.click()
    assert "initviz-share-error" in panel.link.value and "initialiser" in panel.link.value
    assert explorer.config == Config(initializer="ones", depth=4)


def test_share_link_uses_the_voila_page_path(explorer, monkeypatch):
    panel = feature(explorer, SharePanel)
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/app.ipynb")
    explorer.controls.depth.value = 2
    assert "href='/voila/render/app.ipynb?depth=2'" in panel.link.value


# -- replay -------------------------------------------------------------------------------------

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
    assert not app.errors.outputs


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


# -- export -------------------------------------------------------------------------------------

def test_history_csv_parses_and_equals_the_history():
    import csv
    import io

    import numpy as np

    from initviz.app.features.export import history_csv
    from initviz.core.training import Trainer

    trainer = Trainer(Config(activation="relu", depth=4)).run(40)
    history = trainer.history
    rows = list(csv.reader(io.StringIO(history_csv(history))))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["epoch", "loss", "test_loss", "accuracy"]
    assert "grad_norm_L1" in header and "grad_norm_L5" in header and "grad_norm_L6" not in header
    assert "activation_std_L4" in header and "activation_std_L5" not in header
    n_layers = 5
    per_layer = 3 * n_layers + 4 * (n_layers - 1)
    assert len(header) == 4 + per_layer
    assert len(body) == len(history) == 40
    assert all(len(row) == len(header) for row in body)
    table = {name: np.array([float(row[i]) if row[i] else np.nan for row in body])
             for i, name in enumerate(header)}
    np.testing.assert_array_equal(table["epoch"], history.epochs)
    np.testing.assert_array_equal(table["loss"], history.loss)
    np.testing.assert_array_equal(table["accuracy"], history.accuracy)
    for layer in range(n_layers):
        np.testing.assert_array_equal(table[f"grad_norm_L{layer + 1}"], history.grad_norm[:, layer])
    for layer in range(n_layers - 1):
        np.testing.assert_array_equal(table[f"dead_fraction_L{layer + 1}"], history.dead_fraction[:, layer])
        assert np.isnan(table[f"saturation_L{layer + 1}"]).all()  # ReLU: no saturation, empty cells


def test_history_csv_of_an_empty_history_is_just_the_header():
    from initviz.app.features.export import history_csv
    from initviz.core.training import Trainer

    text = history_csv(Trainer(Config(depth=2)).history)
    assert text.count("\n") == 1 and text.startswith("epoch,loss,test_loss,accuracy,grad_norm_L1,")


def _png_size(data: bytes) -> tuple[int, int]:
    import io

    from PIL import Image

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def test_dashboard_png_is_the_figure():
    import numpy as np

    from initviz.app.features.export import dashboard_png

    app = Explorer(query="", features=[])
    app.run(20)
    width, height = app.figure.bbox.size
    assert _png_size(dashboard_png(app)) == (round(width), round(height))
    assert _png_size(dashboard_png(app, dpi=2 * app.figure.dpi)) == (round(2 * width), round(2 * height))
    # saving does not disturb the live, blitted dashboard
    app.run(10)
    blitted = np.asarray(app.figure.canvas.buffer_rgba()).copy()
    app.figure.canvas.draw()
    assert np.array_equal(blitted, np.asarray(app.figure.canvas.buffer_rgba()))


def test_export_buttons_fill_download_links():
    import base64
    import csv
    import io
    import re

    from initviz.app.features.export import ExportFeature

    app = Explorer(query="", features=[ExportFeature], initializer="he_normal", activation="relu")
    export = app.features[0]
    app.run(30)
    export.png_button.click()
    links = export.links.value
    assert "initviz-export-links" in export.links._dom_classes
    match = re.search(r"<a download='([^']+\.png)' href='data:image/png;base64,([^']+)'", links)
    assert match and match.group(1).startswith("initviz-he_normal-relu-d6")
    width, height = app.figure.bbox.size
    scale = export.png_dpi / app.figure.dpi
    assert _png_size(base64.b64decode(match.group(2))) == (round(width * scale), round(height * scale))
    export.csv_button.click()
    links = export.links.value
    assert "data:image/png" in links  # both links stay
    match = re.search(r"<a download='([^']+\.csv)' href='data:text/csv;base64,([^']+)'", links)
    assert match
    rows = list(csv.reader(io.StringIO(base64.b64decode(match.group(2)).decode())))
    assert len(rows) == 31 and rows[0][0] == "epoch"
    app.controls.depth.value = 2  # a new run: the old links go
    assert export.links.value == ""
    assert not app.errors.outputs


# -- code panel ---------------------------------------------------------------------------------

def test_code_panel_follows_the_initializer_control():
    import html

    from initviz.app.features.code import CodeFeature

    app = Explorer(query="", features=[CodeFeature, PresetsFeature])
    code = app.features[0]
    assert "glorot" in code.dense.lower()
    app.controls.activation.value = "relu"
    app.controls.initializer.value = "he_normal"
    assert "kernel_initializer=keras.initializers.HeNormal()" in code.dense
    assert "HeNormal()" in code.keras and "activation=\"relu\"" in code.keras
    assert "trunc_normal_" in code.pytorch and "nn.ReLU()" in code.pytorch
    assert "<pre" in code.keras_html.value
    assert html.escape(code.keras) in code.keras_html.value  # escaped, not raw
    assert '"relu"' not in code.keras_html.value
    app.controls.initializer.value = "kaiming_normal"
    assert "nn.init.kaiming_normal_" in code.pytorch
    app.features[1].dropdown.value = "too_small"  # N(0, 0.01^2): the scaled Keras stddev
    assert "RandomNormal(mean=0.0, stddev=0.01)" in code.dense
    assert not app.errors.outputs


def test_code_panel_reports_codegen_errors_without_crashing(monkeypatch):
    from initviz.app.features.code import CodeFeature
    from initviz.core import codegen

    app = Explorer(query="", features=[CodeFeature])

    def broken(config):
        raise RuntimeError("codegen exploded")

    monkeypatch.setattr(codegen, "to_keras", broken)
    app.controls.depth.value = 3
    assert "Could not write the code" in app.features[0].line.value
    assert "codegen exploded" in "".join(str(o) for o in app.errors.outputs)
    assert app.config.depth == 3  # the app carried on


def test_exported_pictures_carry_the_setting_and_the_epoch_shown_also_after_replay():
    import base64
    import io
    import re

    import numpy as np
    from PIL import Image

    from initviz.app.features.export import ExportFeature, export_title

    app = Explorer(query="", features=[ReplayFeature, ExportFeature], initializer="he_normal",
                   activation="relu")
    replay, export = app.features
    app.run(120)
    title = "he_normal × 1 · relu · depth 6 × width 32 · moons · sgd lr 0.1 · epoch 120"
    assert export_title(app) == title
    svg = export.make_svg().decode("utf-8")
    assert title in svg  # text stays text in the SVG
    assert "initviz-he_normal-relu-d6-w32-moons-epoch120.svg" in export.links.value
    # the PNG: the title is drawn in the top strip, and it is gone from the live figure again
    png = export.make_png()
    with Image.open(io.BytesIO(png)) as image:
        top = np.asarray(image.convert("L"))[: int(0.02 * image.size[1])]
    assert (top < 128).any()
    assert not app.figure.texts
    # scrub back in Replay: the picture and its name follow the epoch shown
    replay.show(3)
    epoch = app.trainer.history.snapshots[3].epoch
    assert epoch < 120 and app.dashboard.shown_epoch == epoch
    assert export_title(app).endswith(f"epoch {epoch} of 120 (replay)")
    svg = export.make_svg().decode("utf-8")
    assert f"epoch {epoch} of 120 (replay)" in svg
    export.make_png()
    names = re.findall(r"<a download='([^']+)'", export.links.value)
    assert f"initviz-he_normal-relu-d6-w32-moons-epoch{epoch}.png" in names
    assert f"initviz-he_normal-relu-d6-w32-moons-epoch{epoch}.svg" in names
    match = re.search(r"href='data:image/svg\+xml;base64,([^']+)'", export.links.value)
    assert f"epoch {epoch} of 120" in base64.b64decode(match.group(1)).decode("utf-8")
    replay.go_live()
    assert export_title(app).endswith("epoch 120")
    assert not app.errors.outputs


def test_share_tab_offers_the_full_url(explorer, monkeypatch):
    panel = feature(explorer, SharePanel)
    assert panel.url.layout.display == "none"  # outside Voila: no address known
    monkeypatch.setenv("VOILA_REQUEST_URL", "https://example.org/user/ann/voila/render/explorer.ipynb?depth=3")
    explorer.controls.depth.value = 2
    assert panel.url.value == "https://example.org/user/ann/voila/render/explorer.ipynb?depth=2"
    assert panel.url.layout.display is None
    assert f"href='{panel.url.value}'" in panel.link.value
    monkeypatch.delenv("VOILA_REQUEST_URL")  # a preheated kernel: the request's parts only
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/explorer.ipynb")
    monkeypatch.setenv("SERVER_NAME", "localhost")
    monkeypatch.setenv("SERVER_PORT", "8866")
    explorer.controls.depth.value = 3
    assert panel.url.value == "http://localhost:8866/voila/render/explorer.ipynb?depth=3"
    monkeypatch.setenv("SERVER_NAME", "mybinder.example")
    monkeypatch.setenv("SERVER_PORT", "443")
    explorer.controls.depth.value = 4
    assert panel.url.value == "https://mybinder.example/voila/render/explorer.ipynb?depth=4"
