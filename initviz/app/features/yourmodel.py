"""The "Your model" tab: paste a Keras or PyTorch model, press Load, and the explorer rebuilds
that network on matching data (``initviz.core.code_reader``, which reads the code with ``ast``
and never runs it).

A model with 13 inputs runs on the 13-feature sets (UCI Wine for 3 classes, regression13 for
one output with mean squared error); other widths on the toy set of that shape; a model no
data set fits, or code initviz cannot represent, is answered with the reason and its line. The
reader's approximations (a Keras default learning rate, an ignored seed) are listed under the
box, and so is what the controls cannot show (per-layer widths, an initializer's parameters:
they live in the "layer widths" and "init params" boxes).
"""
from __future__ import annotations

import html

import ipywidgets as W

from initviz.app.features.base import Feature

EXAMPLE = """from keras.models import Sequential
from keras.layers import Dense

model = Sequential()
model.add(Dense(13, input_dim=13, kernel_initializer='normal', activation='relu'))
model.add(Dense(1, kernel_initializer='normal'))
model.compile(loss='mean_squared_error', optimizer='adam')
"""


class YourModelFeature(Feature):
    """A code box and a Load button; ``load(source)`` is what the button does."""

    title = "Your model"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
        self.code = W.Textarea(value=EXAMPLE, rows=12, layout=W.Layout(width="98%"),
                               placeholder="paste a Keras Sequential or a PyTorch nn.Sequential")
        self.code.add_class("initviz-yourmodel-code")
        self.load_button = W.Button(description="Load", button_style="primary",
                                    tooltip="read the code (never run) and rebuild the network")
        self.load_button.add_class("initviz-yourmodel-load")
        self.message = W.HTML()
        self.message.add_class("initviz-yourmodel-message")
        self.load_button.on_click(explorer.guard(lambda _: self.load(self.code.value)))
        intro = W.HTML("<div style='font-size:13px'>Paste a Keras or PyTorch model and press "
                       "Load: initviz reads it (it never runs your code) and trains the same "
                       "network here, on data with as many inputs.</div>")
        self.widget = W.VBox([intro, self.code, self.load_button, self.message])
        self.widget.add_class("initviz-yourmodel")
        self.notes: tuple[str, ...] = ()

    def load(self, source: str) -> bool:
        """Read ``source`` and apply its setting; show the notes or why not. True if loaded."""
        from initviz.core.code_reader import read_code

        try:
            config, notes = read_code(source, base=self.explorer.config)
        except ValueError as error:
            self.notes = ()
            self.message.value = ("<div style='color:#c0392b'>Not loaded: "
                                  f"{html.escape(str(error))}</div>")
            return False
        self.explorer.pause()
        self.explorer.set_config(config)
        self.notes = tuple(notes) + tuple(self._not_on_controls(config))
        shape = ", ".join(map(str, config.hidden_widths))
        summary = (f"Loaded: {config.depth} hidden layer{'s' if config.depth > 1 else ''} "
                   f"({shape} units), {config.activation}, {config.initializer}"
                   f"{' x ' + format(config.scale, 'g') if config.scale != 1 else ''}, "
                   f"{config.optimizer} at {config.learning_rate:g}, on {config.dataset}.")
        items = "".join(f"<li>{html.escape(note)}</li>" for note in self.notes)
        self.message.value = (f"<div style='color:#1e7e34'>{html.escape(summary)}</div>"
                              + (f"<ul style='font-size:12px'>{items}</ul>" if items else ""))
        return True

    @staticmethod
    def _not_on_controls(config) -> list[str]:
        out = []
        if config.widths:
            out.append(f"the hidden layers differ in width ({', '.join(map(str, config.widths))}"
                       "): the width slider shows the widest; the 'layer widths' box holds them")
        if config.initializer_params:
            params = ", ".join(f"{k}={v!r}" for k, v in config.initializer_params)
            out.append(f"the initializer's parameters ({params}) are in the 'init params' box; "
                       "the dropdown shows only its name")
        return out
