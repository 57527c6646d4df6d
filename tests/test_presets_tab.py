"""The Presets tab: picking a lesson applies its setting, shows its text, and a link can start there."""
from __future__ import annotations

import pytest
from conftest import assert_no_errors, feature_of

from initviz.app import Explorer
from initviz.app.features.presets import PresetsFeature
from initviz.app.pace import DEFAULT_PACE, snap_pace
from initviz.app.share import AppOptions, parse_query, to_query
from initviz.core import presets


@pytest.fixture
def explorer():
    return Explorer(query="", features=[PresetsFeature])


def test_picking_a_preset_applies_it_and_shows_the_lesson(explorer):
    tab = feature_of(explorer, PresetsFeature)
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
    assert_no_errors(explorer)


def test_every_preset_loads_from_the_dropdown(explorer):
    tab = feature_of(explorer, PresetsFeature)
    for name in presets.names():
        tab.dropdown.value = name
        assert explorer.config == presets.config(name), name
        assert explorer.controls.config == explorer.config, name
    assert_no_errors(explorer)


def test_moving_a_control_marks_the_preset_modified_and_load_again_restores(explorer):
    tab = feature_of(explorer, PresetsFeature)
    tab.dropdown.value = "zeros"
    explorer.controls.depth.value = 3
    assert explorer.config.depth == 3
    assert "changed the setting" in tab.text.value
    tab.reload.click()
    assert explorer.config == presets.config("zeros")
    assert "changed the setting" not in tab.text.value


def test_a_preset_link_starts_there_and_selects_the_dropdown():
    app = Explorer(query="?preset=too_large&depth=3", features=[PresetsFeature])
    assert app.config == presets.config("too_large").replace(depth=3)
    tab = feature_of(app, PresetsFeature)
    assert tab.dropdown.value == "too_large"
    assert "changed the setting" in tab.text.value


def test_preset_training_in_the_app(explorer):
    feature_of(explorer, PresetsFeature).dropdown.value = "identity_exploding"
    explorer.run(5)
    assert explorer.trainer.diverged
    assert "diverged" in explorer.status_label.value


def test_a_preset_hides_its_explanation_until_reveal_and_offers_its_predictions(explorer):
    tab = feature_of(explorer, PresetsFeature)
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
    assert_no_errors(explorer)


def test_the_app_says_after_the_run_whether_the_prediction_held(explorer):
    tab = feature_of(explorer, PresetsFeature)
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
    assert_no_errors(explorer)


def test_a_teachers_link_keeps_the_explanation_hidden():
    app = Explorer(query="?preset=zeros&reveal=0", features=[PresetsFeature])
    assert app.options.reveal is False
    tab = feature_of(app, PresetsFeature)
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


def test_a_preset_that_is_over_in_a_few_epochs_plays_in_slow_motion(explorer):
    tab = feature_of(explorer, PresetsFeature)
    assert explorer.pace == DEFAULT_PACE
    tab.dropdown.value = "identity_exploding"
    assert explorer.pace == snap_pace(presets.get("identity_exploding").pace) == 1.0
    assert explorer.pace_slider.value == 1.0  # the speed slider shows it
    explorer.pace = 20
    tab.dropdown.value = "he_relu"  # no pace of its own: the current pace stays
    assert presets.get("he_relu").pace is None
    assert explorer.pace == 20.0
    assert_no_errors(explorer)


def test_a_preset_link_plays_at_the_presets_pace_unless_the_link_names_one():
    slow = Explorer(query="?preset=identity_exploding", features=[PresetsFeature])
    assert slow.pace == 1.0
    fast = Explorer(query="?preset=identity_exploding&pace=100", features=[PresetsFeature])
    assert fast.pace == 100.0
    plain = Explorer(query="?preset=he_relu", features=[PresetsFeature])
    assert plain.pace == DEFAULT_PACE
    late = Explorer(query="", features=[PresetsFeature])
    late._open_link("?preset=residual_deep")  # a preheated kernel's late request
    assert late.pace == 1.0
    assert feature_of(late, PresetsFeature).dropdown.value == "residual_deep"
