"""The Code tab: the Keras and PyTorch code for the current setting (``initviz.core.codegen``).

It answers the Q&A's question from the other side: the setting on screen, written as the
``Dense(..., kernel_initializer=...)`` line a student would type, and as a whole model in both
libraries. Updated whenever the setting changes (``on_reset``), never per frame.
"""
from __future__ import annotations

import html

import ipywidgets as W

from initviz.app.features.base import Feature

PRE_STYLE = ("background:#f7f7f7;border:1px solid #ddd;border-radius:4px;padding:8px;"
             "font-size:12px;line-height:1.35;white-space:pre;overflow:auto;max-height:320px;"
             "margin:4px 0")


def code_html(title: str, code: str, css_class: str) -> str:
    """``code`` escaped in a readable <pre> under a heading."""
    return (f"<div class='{css_class}'><b>{html.escape(title)}</b>"
            f"<pre style='{PRE_STYLE}'>{html.escape(code)}</pre></div>")


class CodeFeature(Feature):
    """The Dense line, and Keras and PyTorch models for ``explorer.config``, as text and HTML."""

    title = "Code"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.line = W.HTML()
        self.line.add_class("initviz-code-line")
        self.keras_html = W.HTML(layout=W.Layout(width="50%"))
        self.keras_html.add_class("initviz-code-keras")
        self.pytorch_html = W.HTML(layout=W.Layout(width="50%"))
        self.pytorch_html.add_class("initviz-code-pytorch")
        self.widget = W.VBox([self.line, W.HBox([self.keras_html, self.pytorch_html])])
        self.widget.add_class("initviz-code")
        self.keras = self.pytorch = self.dense = ""
        self._config = None
        self.on_reset()

    def refresh(self) -> None:
        """Generate the code for the explorer's current setting (skipped if it did not change)."""
        config = self.explorer.config
        if config == self._config:
            return
        from initviz.core import codegen

        self.dense = codegen.dense_line(config)
        self.keras = codegen.to_keras(config)
        self.pytorch = codegen.to_pytorch(config)
        self._config = config
        self.line.value = ("<div style='font-size:13px'>Each hidden layer, written as in the "
                           "Q&amp;A (Keras):</div>"
                           + f"<pre style='{PRE_STYLE}'>{html.escape(self.dense)}</pre>")
        self.keras_html.value = code_html("Keras", self.keras, "initviz-code-keras-text")
        self.pytorch_html.value = code_html("PyTorch", self.pytorch, "initviz-code-pytorch-text")

    # -- Feature hooks ----------------------------------------------------------------------
    def on_reset(self) -> None:
        try:
            self.refresh()
        except Exception:
            self._config = None
            self.line.value = ("<span style='color:#c0392b'>Could not write the code for this "
                               "setting (details below the app).</span>")
            self.explorer.report_error()
