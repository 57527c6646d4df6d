"""The Presets tab: picking a lesson applies its setting, shows its text, and a link can start there."""
from __future__ import annotations

import pytest

from conftest import assert_no_errors, feature_of
from initviz.app import Explorer
from initviz.app.features.presets import PresetsFeature
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
    assert "He et al. (2015)" in tab.text.value and "Question:" in tab.text.value
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
