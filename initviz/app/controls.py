"""The Explorer's controls: one widget per Config field, generated from the field table.

Each field's :class:`~initviz.core.config.FieldSpec` says how it is shown (``control``: a
dropdown, a slider, a log slider, a slider over stops, a number box, a checkbox), its range and its label;
``CONTROL_FACTORIES`` turns that into a widget. A control's range is the field's own range, so
every value a share link may set is a value the control can hold: what the link says is what
runs, and moving one control never rewrites another.

The Controls know nothing about training: ``config`` reads the widgets into a validated
``Config``, ``show(config)`` writes one back (e.g. from a preset or a share link).
"""
from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as W

from initviz.core import initializers
from initviz.core.config import FIELDS, Config, FieldSpec, format_value

FULL_BATCH = 0  # the batch-size dropdown's value for Config.batch_size=None: a Dropdown whose
# value is None shows no selection (a blank box), so None cannot be an option's value

GROUPS = ("Initializer", "Network", "Data", "Training")  # the panel's headings, in order
_STYLE = {"description_width": "92px"}
CONTROL_WIDTH = "300px"


def _layout() -> W.Layout:
    """A Layout of its own for each control (a shared one would hide them all at once)."""
    return W.Layout(width=CONTROL_WIDTH)


def _stop_label(value: Any) -> str:
    return "full batch" if value is None else str(value)


def _dropdown(spec: FieldSpec, **kw: Any) -> W.Widget:
    if spec.kind == "batch":
        options = [(_stop_label(v), FULL_BATCH if v is None else v) for v in spec.stops]
    else:
        options = list(spec.choices())
    return W.Dropdown(options=options, **kw)


def _slider(spec: FieldSpec, **kw: Any) -> W.Widget:
    cls = W.IntSlider if spec.kind == "int" else W.FloatSlider
    extra = {"readout_format": spec.readout} if spec.readout else {}
    return cls(min=spec.low, max=spec.high, step=spec.step or 1, continuous_update=False,
               **extra, **kw)


def _log_slider(spec: FieldSpec, **kw: Any) -> W.Widget:
    extra = {"readout_format": spec.readout} if spec.readout else {}
    return W.FloatLogSlider(base=10, min=math.log10(spec.low), max=math.log10(spec.high),
                            step=spec.step or 0.1, continuous_update=False, **extra, **kw)


def _stops(spec: FieldSpec, **kw: Any) -> W.Widget:
    return W.SelectionSlider(options=spec.stops, continuous_update=False, **kw)


def _number(spec: FieldSpec, **kw: Any) -> W.Widget:
    return W.BoundedIntText(min=int(spec.low), max=int(spec.high), **kw)


def _checkbox(spec: FieldSpec, **kw: Any) -> W.Widget:
    return W.Checkbox(indent=False, **kw)
def _text(spec: FieldSpec, **kw: Any) -> W.Widget:
    """A text box holding the value as a link writes it (``stddev:0.02,mean:0.5``)."""
    return W.Text(placeholder="defaults", continuous_update=False, **kw)


CONTROL_FACTORIES: dict[str, Callable[..., W.Widget]] = {
    "dropdown": _dropdown, "slider": _slider, "log_slider": _log_slider, "stops": _stops,
    "number": _number, "checkbox": _checkbox, "text": _text,
}
"""FieldSpec.control -> a function building that kind of widget for the field."""


def make_control(name: str, description: str | None = None, **kw: Any) -> W.Widget:
    """The control of Config field ``name`` (e.g. the Compare tab's "B scale" is
    ``make_control("scale", description="B scale")``), with the field's range and label."""
    spec = FIELDS[name]
    kw.setdefault("style", _STYLE)
    kw.setdefault("layout", _layout())
    widget = CONTROL_FACTORIES[spec.control](spec, description=description or spec.label, **kw)
    widget.value = to_widget(spec, spec.default, widget)
    return widget


def to_widget(spec: FieldSpec, value: Any, widget: W.Widget) -> Any:
    """``value`` as the widget holds it; a value the widget does not offer yet (a link's width
    of 48, a bias initializer outside the short list) is added to its options first."""
    if spec.kind == "batch":
        value = FULL_BATCH if value is None else value
    if spec.kind in ("params", "widths"):
        return format_value(value)
    if isinstance(widget, W.SelectionSlider):
        if value not in widget.options:
            widget.options = tuple(sorted({*widget.options, value}))
    elif isinstance(widget, W.Dropdown):
        pairs = [o if isinstance(o, tuple) else (o, o) for o in widget.options]
        if value not in [v for _, v in pairs]:
            widget.options = (*pairs, (_stop_label(value) if spec.kind == "batch" else value, value))
    return value


def from_widget(spec: FieldSpec, value: Any) -> Any:
    if spec.kind in ("params", "widths"):
        return spec.parse(value.strip())
    return None if spec.kind == "batch" and value == FULL_BATCH else value


def initializer_options() -> list[tuple[str, str]]:
    """Dropdown options grouped by library: ('Keras · he_normal', 'he_normal'), ..."""
    return list(FIELDS["initializer"].choices())


def initializer_help(name: str) -> str:
    """HTML shown under the initializer dropdown: the formula and the one-line teaching point."""
    info = initializers.info(name)
    params = initializers.params_of(name)
    takes = ("init params: " + ", ".join(f"{k}:{format_value(v)}" for k, v in params.items())
             if params else "init params: none (this initializer takes no parameters)")
    return (f"<div class='initviz-formula' style='font-size:12px;line-height:1.3'>"
            f"<code>{html.escape(info.formula)}</code><br>{html.escape(info.description)}"
            f"<br><i>{html.escape(takes)}</i></div>")


class Controls:
    """Widgets for every Config field; ``on_change(callback)`` fires with the new Config.

    ``controls.depth`` (any field name) is that field's widget. A change that Config refuses
    (e.g. a setting over the memory budget) is reported to ``on_error`` callbacks with the
    message, and the controls go back to the last accepted setting.
    """

    def __init__(self, config: Config) -> None:
        self._widgets: dict[str, W.Widget] = {name: make_control(name) for name in FIELDS}
        self.formula = W.HTML(layout=W.Layout(width=CONTROL_WIDTH))
        for name, widget in self._widgets.items():
            widget.add_class(f"initviz-{name.replace('_', '-')}")
        self._callbacks: list[Callable[[Config], None]] = []
        self._error_callbacks: list[Callable[[str], None]] = []
        self._holding = False
        self._shown = config
        self.show(config)
        for widget in self._widgets.values():
            widget.observe(self._changed, names="value")

    def __getattr__(self, name: str) -> W.Widget:
        widgets = self.__dict__.get("_widgets", {})
        if name in widgets:
            return widgets[name]
        raise AttributeError(f"Controls has no control {name!r}; fields: {', '.join(FIELDS)}")

    def fields(self) -> dict[str, W.Widget]:
        """Config field name -> its widget."""
        return dict(self._widgets)

    @property
    def config(self) -> Config:
        """The setting the widgets show (ValueError if Config refuses it)."""
        return Config(**{name: from_widget(FIELDS[name], widget.value)
                         for name, widget in self._widgets.items()})

    def show(self, config: Config) -> None:
        """Put ``config`` into the widgets without firing the change callbacks."""
        self._holding = True
        try:
            for name, widget in self._widgets.items():
                widget.value = to_widget(FIELDS[name], getattr(config, name), widget)
            self._shown = config
            self.formula.value = initializer_help(config.initializer)
        finally:
            self._holding = False

    def hide(self, names: Sequence[str]) -> None:
        """Hide these controls (teacher mode: fix what the lesson is not about)."""
        for name in names:
            self._widgets[name].layout.display = "none"
        if "initializer" in names:
            self.formula.layout.display = "none"

    def on_change(self, callback: Callable[[Config], None]) -> None:
        self._callbacks.append(callback)

    def on_error(self, callback: Callable[[str], None]) -> None:
        """``callback(message)`` when a control change makes a setting Config refuses."""
        self._error_callbacks.append(callback)

    def _changed(self, change) -> None:
        if change["owner"] is self._widgets["initializer"]:
            self.formula.value = initializer_help(self._widgets["initializer"].value)
            if not self._holding:  # parameters belong to their initializer (Config.replace)
                self._holding = True
                self._widgets["initializer_params"].value = ""
                self._holding = False
        if change["owner"] in (self._widgets["depth"], self._widgets["width"]) \
                and not self._holding:  # the sliders set equal widths (Config.replace)
            self._holding = True
            self._widgets["widths"].value = ""
            self._holding = False
        if self._holding:
            return
        try:
            config = self.config
        except ValueError as error:
            self.show(self._shown)  # back to the last setting that was accepted
            for report in self._error_callbacks:
                report(f"That setting was not applied: {error}")
            return
        self._shown = config
        for callback in self._callbacks:
            callback(config)

    def panel(self) -> W.Widget:
        """The controls laid out in labelled groups, in the field table's order."""
        groups: dict[str, list[W.Widget]] = {title: [] for title in GROUPS}
        for name, spec in FIELDS.items():
            groups.setdefault(spec.group, []).append(self._widgets[name])
            if name == "initializer":
                groups[spec.group].append(self.formula)
        return W.VBox([W.VBox([W.HTML(f"<b>{html.escape(title)}</b>"), *children])
                       for title, children in groups.items()], layout=W.Layout(width="310px"))
