"""The Presets tab: the classic initialization lessons, one click each; predict, then reveal.

Picking a preset applies its setting through ``explorer.set_config`` (controls and run follow)
and its pace (``Preset.pace``: slow motion for the runs that are over in a few epochs, snapped
to the speed slider's stops; a preset without one keeps the current pace), and shows its
question, the conditions its claim was measured under, and a few predictions
(``Preset.choices``, from ``initviz.core.presets.OUTCOMES``). The explanation stays hidden until
the student presses **reveal** (a link with ``?reveal=0`` hides the button: the teacher explains).
Once the run has trained the preset's epochs (or diverged), the tab says whether the recorded
prediction held, measured on the run (``Preset.outcomes``), not looked up. The table itself
lives in ``initviz.core.presets`` (no widgets), so notebooks and tests use the same data.
"""
from __future__ import annotations

import dataclasses
import html

import ipywidgets as W

from initviz.app.features.base import Feature
from initviz.core import presets

CHOOSE = "choose a lesson…"
HIDDEN = ("<div class='initviz-preset-hidden' style='color:#7f8c8d'><i>Predict first (below), "
          "press ▶, then <b>reveal</b> the explanation.</i></div>")
HIDDEN_BY_LINK = ("<div class='initviz-preset-hidden' style='color:#7f8c8d'><i>Predict first "
                  "(below) and press ▶: your teacher explains afterwards.</i></div>")


def preset_html(preset: presets.Preset | None, modified: bool = False, revealed: bool = True,
                revealable: bool = True) -> str:
    """The title, the explanation (two lines, or a 'predict first' line until revealed), the
    question and the conditions, as HTML."""
    if preset is None:
        return ("<div class='initviz-preset-text' style='font-size:13px;line-height:1.4'>"
                "Each preset sets up one classic lesson about initialization: pick one, predict "
                "what its run will do, press ▶, and answer its question by moving a control.</div>")
    if revealed:
        lines = "<br>".join(html.escape(line) for line in preset.explanation.splitlines())
        explanation = f"<div class='initviz-preset-explanation'>{lines}</div>"
    else:
        explanation = HIDDEN if revealable else HIDDEN_BY_LINK
    note = ("<div style='color:#7f8c8d;font-size:12px'>(you changed the setting since: press "
            "<i>load again</i> to return to the preset)</div>") if modified else ""
    return ("<div class='initviz-preset-text' style='font-size:13px;line-height:1.4'>"
            f"<b>{html.escape(preset.title)}</b><br>{explanation}"
            f"<div class='initviz-preset-question' style='margin-top:6px'>"
            f"<b>Question:</b> {html.escape(preset.question)}</div>"
            f"<div class='initviz-preset-conditions' style='color:#7f8c8d;font-size:12px'>"
            f"Measured with {html.escape(preset.conditions)}.</div>{note}</div>")


def verdict_html(preset: presets.Preset, prediction: str, outcomes: dict[str, bool]) -> str:
    """Whether ``prediction`` held on the run, and what did happen."""
    said = presets.OUTCOMES[prediction].text
    happened = [presets.OUTCOMES[name].text for name, held in outcomes.items() if held]
    what = "; ".join(happened) if happened else "none of the choices"
    if outcomes[prediction]:
        head = f"<b style='color:#1e8449'>Your prediction held</b>: {html.escape(said)}."
    else:
        head = (f"<b style='color:#c0392b'>Your prediction did not hold</b>: you said "
                f"“{html.escape(said)}”.")
    return (f"<div class='initviz-preset-verdict' style='font-size:13px'>{head} After "
            f"{preset.epochs} epochs: {html.escape(what)}.</div>")


class PresetsFeature(Feature):
    """A Dropdown of presets (``.initviz-preset``), the lesson text, predictions, reveal, and a
    "load again" button."""

    title = "Presets"

    def __init__(self, explorer) -> None:
        super().__init__(explorer)
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
        self.prediction = W.RadioButtons(options=[], value=None, description="I predict:",
                                         style={"description_width": "70px"},
                                         layout=W.Layout(width="auto"))
        self.prediction.add_class("initviz-preset-prediction")
        self.reveal_button = W.Button(description="reveal", icon="eye",
                                      tooltip="show the explanation",
                                      layout=W.Layout(width="100px"))
        self.reveal_button.add_class("initviz-preset-reveal")
        self.verdict = W.HTML("")
        self.verdict.add_class("initviz-preset-verdict-box")
        self.revealed = False
        self._judged = False
        self.widget = W.VBox([W.HBox([self.dropdown, self.reload]), self.text,
                              W.HBox([self.prediction, self.reveal_button]), self.verdict])
        self._holding = False
        self._show_prediction_row()
        # a link with ?preset=name started from that preset: show it as chosen (already applied)
        start = explorer.options.preset
        if start in presets.names():
            self._show(start)
        self.dropdown.observe(explorer.guard(self._on_pick), names="value")
        self.reload.on_click(explorer.guard(lambda _: self.load(self.dropdown.value)))
        self.reveal_button.on_click(explorer.guard(lambda _: self.reveal()))
        self.prediction.observe(explorer.guard(lambda _: self._on_prediction()), names="value")

    @property
    def preset(self) -> presets.Preset | None:
        return None if self.dropdown.value is None else presets.get(self.dropdown.value)

    @property
    def revealable(self) -> bool:
        """False when the link said ``reveal=0``: the explanation stays hidden."""
        return self.explorer.options.reveal

    def load(self, name: str | None) -> None:
        """Apply preset ``name``: its Config on the explorer, its question in the tab."""
        if name is None:
            return
        preset = presets.get(name)
        if self.dropdown.value != preset.name:
            self.dropdown.value = preset.name  # the observer comes back here
            return
        self._set_option(preset.name)
        if preset.pace is not None:
            self.explorer.pace = preset.pace  # the setter snaps it to a speed stop
        self.explorer.set_config(preset.config())
        self._refresh()

    def reveal(self) -> None:
        """Show the explanation (unless the link keeps it hidden)."""
        if self.preset is None or not self.revealable:
            return
        self.revealed = True
        self._refresh()

    def _on_pick(self, change) -> None:
        if self._holding:
            return
        self._new_lesson()
        self.load(change["new"])
        if change["new"] is None:
            self._set_option(None)
            self._refresh()

    def _new_lesson(self) -> None:
        """A different preset: hide its explanation, offer its predictions afresh."""
        self.revealed = False
        self._judged = False
        self.verdict.value = ""
        preset = self.preset
        self.prediction.options = [] if preset is None else [
            (presets.OUTCOMES[name].text, name) for name in preset.choices]
        self.prediction.value = None
        self._show_prediction_row()

    def _show_prediction_row(self) -> None:
        has_preset = self.preset is not None
        self.prediction.layout.display = None if has_preset else "none"
        self.reveal_button.layout.display = (None if has_preset and self.revealable
                                             and not self.revealed else "none")

    def _refresh(self) -> None:
        self.text.value = preset_html(self.preset, self._modified(), self.revealed,
                                      self.revealable)
        self._show_prediction_row()

    def _show(self, name: str | None) -> None:
        """Show ``name`` as chosen without applying its setting (a link named it and set it
        already); its pace applies unless the link gave one (``?pace=``)."""
        preset = None if name is None else presets.get(name)
        if preset is not None and preset.pace is not None and self.explorer.options.pace is None:
            self.explorer.pace = preset.pace
        self._holding = True
        try:
            self.dropdown.value = name
        finally:
            self._holding = False
        self._new_lesson()
        self._refresh()

    def _set_option(self, name: str | None) -> None:
        """Share links are then written as changes to this preset (``?preset=he_relu&depth=30``)."""
        options = self.explorer.options
        if options.preset != name:
            self.explorer.options = dataclasses.replace(options, preset=name)

    def _modified(self) -> bool:
        preset = self.preset
        return preset is not None and preset.config() != self.explorer.config

    def _on_prediction(self) -> None:
        self._judged = False
        self.verdict.value = ""
        self._judge()

    def _judge(self) -> None:
        """Once the preset's own run has trained its epochs, say whether the prediction held."""
        preset, prediction = self.preset, self.prediction.value
        if self._judged or preset is None or prediction is None:
            return
        trainer = self.explorer.trainer
        if self._modified():
            self.verdict.value = ("<div class='initviz-preset-verdict' style='color:#7f8c8d'>"
                                  "(predictions are judged on the preset's own setting: press "
                                  "<i>load again</i>)</div>")
            return
        if not preset.judged(trainer):
            return
        self._judged = True
        self.verdict.value = verdict_html(preset, prediction, preset.outcomes(trainer))

    # -- Feature hooks ----------------------------------------------------------------------
    def on_reset(self) -> None:
        # a share link opened in the Share tab may have named another preset
        linked = self.explorer.options.preset
        if linked is not None and linked != self.dropdown.value:
            self._show(linked)
        elif self.preset is not None:
            self._refresh()
        self._judged = False  # a new run: judge it afresh
        self.verdict.value = ""
        self._judge()

    def on_link(self, options) -> None:
        self._refresh()

    def on_frame(self) -> None:
        if not self._judged and self.prediction.value is not None:
            self._judge()
