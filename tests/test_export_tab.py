"""The Export tab: the history as CSV (parsed back, equal to the history) and the dashboard as PNG."""
from __future__ import annotations

from conftest import assert_no_errors

from initviz.app import Explorer
from initviz.app.features.export import ExportFeature
from initviz.app.features.replay import ReplayFeature
from initviz.core.training import Config


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
    assert_no_errors(app)


def test_exported_pictures_carry_the_setting_and_the_epoch_shown_also_after_replay():
    import base64
    import io
    import re

    import numpy as np
    from PIL import Image

    from initviz.app.features.export import export_title

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


def test_history_csv_has_the_normalised_statistics_of_a_normalised_network():
    import csv
    import io

    from initviz.app.features.export import history_csv
    from initviz.core.training import Trainer

    trainer = Trainer(Config(depth=3, normalization="layer")).run(5)
    rows = list(csv.reader(io.StringIO(history_csv(trainer.history))))
    header = rows[0]
    assert "normalized_std_L3" in header and "preactivation_std_L1" in header
    column = header.index("normalized_std_L2")
    assert [float(r[column]) for r in rows[1:]] == list(trainer.history.normalized_std[:, 1])
