"""The Explorer's controls: one widget per Config field, and the conversion between them.

The Controls know nothing about training: ``config`` reads the widgets into a validated
``Config``, ``show(config)`` writes one back (e.g. from a preset or a share link).
"""
from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import ipywidgets as W

from initviz.core import activations, datasets, initializers, optimizers
from initviz.core.training import Config

WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256)
FULL_BATCH = 0  # the batch-size dropdown's value for Config.batch_size=None: a Dropdown whose
# value is None shows no selection (a blank box), so None cannot be an option's value
BATCH_SIZES = (("full batch", FULL_BATCH), ("16", 16), ("32", 32), ("64", 64), ("128", 128))
BIAS_INITIALIZERS = tuple(initializers.bias_names())
MAX_DEPTH_SLIDER = 30

_STYLE = {"description_width": "92px"}
CONTROL_WIDTH = "300px"


def _layout() -> W.Layout:
    """A Layout of its own for each control (a shared one would hide them all at once)."""
    return W.Layout(width=CONTROL_WIDTH)


def initializer_options() -> list[tuple[str, str]]:
    """Dropdown options grouped by library: ('Keras · he_normal', 'he_normal'), ..."""
    return [(f"{group} · {name}", name)
            for group, group_names in initializers.groups().items() for name in group_names]


def initializer_help(name: str) -> str:
    """HTML shown under the initializer dropdown: the formula and the one-line teaching point."""
    info = initializers.info(name)
    return (f"<div class='initviz-formula' style='font-size:12px;line-height:1.3'>"
            f"<code>{html.escape(info.formula)}</code><br>{html.escape(info.description)}</div>")


class Controls:
    """Widgets for every Config field; ``on_change(callback)`` fires with the new Config."""

    def __init__(self, config: Config) -> None:
        kw = {"style": _STYLE, "continuous_update": False}
        self.initializer = W.Dropdown(options=initializer_options(), description="initializer",
                                      style=_STYLE, layout=_layout())
        self.formula = W.HTML(layout=W.Layout(width="300px"))
        self.scale = W.FloatLogSlider(base=10, min=-3, max=2, step=0.01, description="scale",
                                      readout_format=".3g", layout=_layout(), **kw)
        self.activation = W.Dropdown(options=activations.names(), description="activation",
                                     style=_STYLE, layout=_layout())
        self.depth = W.IntSlider(min=1, max=MAX_DEPTH_SLIDER, description="depth", layout=_layout(), **kw)
        self.width = W.SelectionSlider(options=WIDTHS, description="width", layout=_layout(), **kw)
        self.bias_initializer = W.Dropdown(options=BIAS_INITIALIZERS, description="bias init",
                                           style=_STYLE, layout=_layout())
        self.dataset = W.Dropdown(options=datasets.names(), description="dataset",
                                  style=_STYLE, layout=_layout())
        self.noise = W.FloatSlider(min=0.0, max=0.5, step=0.05, description="noise", layout=_layout(), **kw)
        self.optimizer = W.Dropdown(options=optimizers.names(), description="optimizer",
                                    style=_STYLE, layout=_layout())
        self.learning_rate = W.FloatLogSlider(base=10, min=-4, max=0, step=0.1,
                                              description="learning rate", readout_format=".2g",
                                              layout=_layout(), **kw)
        self.batch_size = W.Dropdown(options=BATCH_SIZES, description="batch size",
                                     style=_STYLE, layout=_layout())
        self.seed = W.BoundedIntText(min=0, max=2**31 - 1, description="seed", style=_STYLE,
                                     layout=_layout())
        for name, widget in self.fields().items():
            widget.add_class(f"initviz-{name.replace('_', '-')}")
        self._callbacks: list[Callable[[Config], None]] = []
        self._holding = False
        self._n_samples = config.n_samples
        self.show(config)
        for widget in self.fields().values():
            widget.observe(self._changed, names="value")

    def fields(self) -> dict[str, W.Widget]:
        """Config field name -> its widget."""
        return {name: getattr(self, name) for name in (
            "initializer", "scale", "activation", "depth", "width", "bias_initializer", "dataset",
            "noise", "optimizer", "learning_rate", "batch_size", "seed")}

    @property
    def config(self) -> Config:
        values = {name: widget.value for name, widget in self.fields().items()}
        values["batch_size"] = values["batch_size"] or None
        return Config(n_samples=self._n_samples, **values)

    def show(self, config: Config) -> None:
        """Put ``config`` into the widgets without firing the change callbacks."""
        self._holding = True
        try:
            for name, widget in self.fields().items():
                value = getattr(config, name)
                if name == "width" and value not in WIDTHS:
                    widget.options = tuple(sorted({*WIDTHS, value}))
                if name == "depth":
                    widget.max = max(MAX_DEPTH_SLIDER, value)
                if name == "bias_initializer" and value not in widget.options:
                    widget.options = (*widget.options, value)
                if name == "batch_size":
                    value = value or FULL_BATCH
                    if value not in dict(widget.options).values():
                        widget.options = (*widget.options, (str(value), value))
                widget.value = value
            self._n_samples = config.n_samples
            self.formula.value = initializer_help(config.initializer)
        finally:
            self._holding = False

    def hide(self, names: Sequence[str]) -> None:
        """Hide these controls (teacher mode: fix what the lesson is not about)."""
        fields = self.fields()
        for name in names:
            fields[name].layout.display = "none"
        if "initializer" in names:
            self.formula.layout.display = "none"

    def on_change(self, callback: Callable[[Config], None]) -> None:
        self._callbacks.append(callback)

    def _changed(self, change) -> None:
        if change["owner"] is self.initializer:
            self.formula.value = initializer_help(self.initializer.value)
        if self._holding:
            return
        config = self.config
        for callback in self._callbacks:
            callback(config)

    def panel(self) -> W.Widget:
        """The controls laid out in labelled groups."""
        def group(title: str, *children: W.Widget) -> W.VBox:
            return W.VBox([W.HTML(f"<b>{title}</b>"), *children])

        return W.VBox([
            group("Initializer", self.initializer, self.formula, self.scale, self.bias_initializer),
            group("Network", self.activation, self.depth, self.width),
            group("Data", self.dataset, self.noise),
            group("Training", self.optimizer, self.learning_rate, self.batch_size, self.seed),
        ], layout=W.Layout(width="310px"))
