"""The Presets tab: the classic initialization lessons, one click each.

Picking a preset shows its two-line explanation and a question for the student, and applies its
setting through ``explorer.set_config`` (controls and run follow). The table itself lives in
``initviz.core.presets`` (no widgets), so notebooks and tests use the same data.
"""
from __future__ import annotations

import dataclasses
import html

import ipywidgets as W

from initviz.core import presets

CHOOSE = "choose a lesson…"


def preset_html(preset: presets.Preset | None, modified: bool = False) -> str:
    """The explanation (two lines) and the question, as HTML."""
    if preset is None:
        return ("<div class='initviz-preset-text' style='font-size:13px;line-height:1.4'>"
                "Each preset sets up one classic lesson about initialization: pick one, press "
                "▶, and answer its question by moving a control.</div>")
    lines = "<br>".join(html.escape(line) for line in preset.explanation.splitlines())
    note = ("<div style='color:#7f8c8d;font-size:12px'>(you changed the setting since: press "
            "<i>load again</i> to return to the preset)</div>") if modified else ""
    return ("<div class='initviz-preset-text' style='font-size:13px;line-height:1.4'>"
            f"<b>{html.escape(preset.title)}</b><br>{lines}"
            f"<div class='initviz-preset-question' style='margin-top:6px'>"
            f"<b>Question:</b> {html.escape(preset.question)}</div>"
            f"<div class='initviz-preset-conditions' style='color:#7f8c8d;font-size:12px'>"
            f"Measured with {html.escape(preset.conditions)}.</div>{note}</div>")


class PresetsFeature:
    """A Dropdown of presets (``.initviz-preset``), the lesson text, and a "load again" button."""

    title = "Presets"

    def __init__(self, explorer) -> None:
        self.explorer = explorer
        options = [(CHOOSE, None)] + [(presets.get(n).title, n) for n in presets.names()]
        self.dropdown = W.Dropdown(options=options, value=None, description="preset",
                                   style={"description_width": "60px"},
                                   layout=W.Layout(width="420px"))
        self.dropdown.add_class("initviz-preset")
        self.reload = W.Button(description="load again", icon="undo",
                               tooltip="return to the preset's setting",
                               layout=W.Layout(width="120px"))
        self.reload.add_class("initviz-preset-reload")
        self.text = W.HTML(preset_html(None))
        self.text.add_class("initviz-preset-info")
        self.widget = W.VBox([W.HBox([self.dropdown, self.reload]), self.text])
        self._holding = False
        # a link with ?preset=name started from that preset: show it as chosen (already applied)
        start = getattr(explorer.options, "preset", None)
        if start in presets.names():
            self._show(start)
        self.dropdown.observe(explorer._guard(self._on_pick), names="value")
        self.reload.on_click(explorer._guard(lambda _: self.load(self.dropdown.value)))

    @property
    def preset(self) -> presets.Preset | None:
        return None if self.dropdown.value is None else presets.get(self.dropdown.value)

    def load(self, name: str | None) -> None:
        """Apply preset ``name``: its Config on the explorer, its text in the tab."""
        if name is None:
            return
        preset = presets.get(name)
        if self.dropdown.value != preset.name:
            self.dropdown.value = preset.name  # the observer comes back here
            return
        self._set_option(preset.name)
        self.explorer.set_config(preset.config())
        self.text.value = preset_html(preset)

    def _on_pick(self, change) -> None:
        if self._holding:
            return
        self.load(change["new"])
        if change["new"] is None:
            self._set_option(None)
            self.text.value = preset_html(None)

    def _show(self, name: str | None) -> None:
        """Show ``name`` as chosen without applying it."""
        self._holding = True
        try:
            self.dropdown.value = name
        finally:
            self._holding = False
        self.text.value = preset_html(self.preset, self._modified())

    def _set_option(self, name: str | None) -> None:
        """Share links are then written as changes to this preset (``?preset=he_relu&depth=30``)."""
        options = self.explorer.options
        if hasattr(options, "preset") and options.preset != name:
            self.explorer.options = dataclasses.replace(options, preset=name)

    def _modified(self) -> bool:
        preset = self.preset
        return preset is not None and preset.config() != self.explorer.config

    # -- Feature protocol -------------------------------------------------------------------
    def on_reset(self) -> None:
        # a share link opened in the Share tab may have named another preset
        linked = getattr(self.explorer.options, "preset", None)
        if linked is not None and linked != self.dropdown.value:
            self._show(linked)
        elif self.preset is not None:
            self.text.value = preset_html(self.preset, self._modified())

    def on_frame(self) -> None:
        pass
