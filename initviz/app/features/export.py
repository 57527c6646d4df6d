"""The Export tab: the dashboard as a PNG or SVG and the run's history as a CSV, in the page.

ipywidgets has no download widget, so a click fills an HTML widget with ``<a download=...
href="data:...;base64,...">`` links. The pictures carry a title naming the setting and the epoch
shown (after scrubbing in Replay: that epoch, and the file is named after it). Scripts use the
plain functions ``history_csv(history)``, ``dashboard_png(explorer)`` and
``dashboard_svg(explorer)``.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import math
import re

import ipywidgets as W
import matplotlib
import numpy as np

from initviz.app.features.base import Feature
from initviz.core.training import NORMALIZED_ONLY, PER_EPOCH, PER_HIDDEN, PER_LAYER, History


def history_columns(history: History) -> list[tuple[str, np.ndarray]]:
    """(column name, values) for every recorded statistic: epoch, per-epoch, then per-layer.

    Per-layer statistics get one column per layer, ``grad_norm_L1`` (first layer) ...
    ``grad_norm_L7`` (output layer of a depth-6 network); hidden-layer ones stop at the last
    hidden layer. The normalised-layer statistics (``NORMALIZED_ONLY``) appear only for a
    network that has a normalization (without one they are NaN throughout).
    """
    columns: list[tuple[str, np.ndarray]] = [("epoch", history.epochs)]
    for name in PER_EPOCH:
        columns.append((name, getattr(history, name)))
    for name in (*PER_LAYER, *PER_HIDDEN):
        values = getattr(history, name)
        if name in NORMALIZED_ONLY and np.isnan(values).all():
            continue
        for layer in range(values.shape[1]):
            columns.append((f"{name}_L{layer + 1}", values[:, layer]))
    return columns


def _cell(value) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    return "" if math.isnan(value) else repr(value)


def history_csv(history: History) -> str:
    """The history as CSV text: a header row, then one row per recorded epoch.

    Floats are written with ``repr`` (they read back exactly); missing values (NaN, e.g. the
    saturation of a ReLU layer) are empty cells.
    """
    columns = history_columns(history)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in columns])
    for row in range(len(history)):
        writer.writerow([_cell(values[row]) for _, values in columns])
    return out.getvalue()


def shown_epoch(explorer) -> int:
    """The epoch the dashboard shows: the trainer's, or the one Replay scrubbed to."""
    shown = explorer.dashboard.shown_epoch
    return explorer.trainer.epoch if shown is None else int(shown)


def export_title(explorer) -> str:
    """'he_normal × 1 · relu · depth 6 × width 32 · moons · sgd lr 0.1 · epoch 120 of 300
    (replay)': the setting and the epoch the picture shows."""
    c, epoch, trained = explorer.config, shown_epoch(explorer), explorer.trainer.epoch
    when = f"epoch {epoch}" if epoch == trained else f"epoch {epoch} of {trained} (replay)"
    return (f"{c.initializer} × {c.scale:g} · {c.activation} · depth {c.depth} × width {c.width}"
            f" · {c.dataset} · {c.optimizer} lr {c.learning_rate:g} · {when}")


def dashboard_image(explorer, fmt: str = "png", dpi: float | None = None) -> bytes:
    """The explorer's dashboard as PNG or SVG bytes, titled with ``export_title`` (at the
    figure's own size unless ``dpi`` is given). SVG text stays text (searchable, editable)."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt must be 'png' or 'svg', got {fmt!r}")
    buffer = io.BytesIO()
    kwargs = {"format": fmt}
    if dpi is not None:
        kwargs["dpi"] = dpi
    figure = explorer.dashboard.figure
    title = figure.text(0.5, 0.997, export_title(explorer), ha="center", va="top", fontsize=9,
                        color="#333")
    try:
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            explorer.dashboard.savefig(buffer, **kwargs)
    finally:
        title.remove()
    return buffer.getvalue()


def dashboard_png(explorer, dpi: float | None = None) -> bytes:
    """The explorer's dashboard as PNG bytes (at the figure's own size unless ``dpi`` is given)."""
    return dashboard_image(explorer, "png", dpi)


def dashboard_svg(explorer) -> bytes:
    """The explorer's dashboard as SVG bytes, titled like the PNG."""
    return dashboard_image(explorer, "svg")


def file_stem(config) -> str:
    """A file name that says what was run: ``initviz-he_normal-relu-d6-w32-moons``."""
    stem = (f"initviz-{config.initializer}-{config.activation}-d{config.depth}-w{config.width}"
            f"-{config.dataset}")
    if config.scale != 1.0:
        stem += f"-x{config.scale:g}"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem)


def download_link(data: bytes, filename: str, mime: str, text: str) -> str:
    """An HTML ``<a download>`` link carrying ``data`` inline."""
    payload = base64.b64encode(data).decode("ascii")
    return (f"<a download='{html.escape(filename, quote=True)}' href='data:{mime};base64,{payload}' "
            f"class='initviz-download' style='margin-right:16px'>⬇ {html.escape(text)}</a>")


class ExportFeature(Feature):
    """PNG and CSV buttons; each click fills ``links`` (``.initviz-export-links``) with a link."""

    title = "Export"
    png_dpi = 144  # twice the screen figure's 72 dpi: sharp enough for slides

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.png_button = W.Button(description="dashboard PNG", icon="image",
                                   tooltip="a picture of the dashboard, for slides",
                                   layout=W.Layout(width="160px"))
        self.csv_button = W.Button(description="history CSV", icon="table",
                                   tooltip="every recorded statistic, one row per epoch",
                                   layout=W.Layout(width="160px"))
        self.svg_button = W.Button(description="dashboard SVG", icon="image",
                                   tooltip="the dashboard as a vector picture, for print",
                                   layout=W.Layout(width="160px"))
        self.png_button.add_class("initviz-export-png")
        self.svg_button.add_class("initviz-export-svg")
        self.csv_button.add_class("initviz-export-csv")
        self.links = W.HTML()
        self.links.add_class("initviz-export-links")
        self._png = ""
        self._svg = ""
        self._csv = ""
        self.widget = W.VBox([
            W.HBox([self.png_button, self.svg_button, self.csv_button]),
            self.links,
            W.HTML("<div style='font-size:12px;color:#555'>Each button makes a download link "
                   "for the run as it is now (the pictures: the epoch shown, also after "
                   "scrubbing in Replay, named in their title and file name). The CSV has one "
                   "row per recorded epoch: loss, "
                   "test loss, accuracy, and per layer (L1 = first) the gradient norm, weight "
                   "std, update ratio (log10), activation mean/std, % saturated and % dead."
                   "</div>"),
        ])
        self.png_button.on_click(explorer.guard(lambda _: self.make_png()))
        self.svg_button.on_click(explorer.guard(lambda _: self.make_svg()))
        self.csv_button.on_click(explorer.guard(lambda _: self.make_csv()))

    def make_png(self) -> bytes:
        data = dashboard_png(self.explorer, dpi=self.png_dpi)
        name = f"{file_stem(self.explorer.config)}-epoch{shown_epoch(self.explorer)}.png"
        self._png = download_link(data, name, "image/png", f"{name} ({len(data) // 1024} kB)")
        self._show()
        return data

    def make_svg(self) -> bytes:
        data = dashboard_svg(self.explorer)
        name = f"{file_stem(self.explorer.config)}-epoch{shown_epoch(self.explorer)}.svg"
        self._svg = download_link(data, name, "image/svg+xml", f"{name} ({len(data) // 1024} kB)")
        self._show()
        return data

    def make_csv(self) -> str:
        text = history_csv(self.explorer.trainer.history)
        name = f"{file_stem(self.explorer.config)}-history.csv"
        rows = len(self.explorer.trainer.history)
        self._csv = download_link(text.encode("utf-8"), name, "text/csv",
                                  f"{name} ({rows} rows)")
        self._show()
        return text

    def _show(self) -> None:
        self.links.value = self._png + self._svg + self._csv

    # -- Feature hooks ----------------------------------------------------------------------
    def on_reset(self) -> None:
        # links describe the previous run: drop them
        self._png = self._svg = self._csv = ""
        self.links.value = ""
