"""The Share tab: the setting as a link query, teacher mode (hide, play), presets in links, pasting a query."""
from __future__ import annotations

import pytest
from conftest import feature_of

from initviz.app import Explorer
from initviz.app.features.presets import PresetsFeature
from initviz.app.features.share_panel import SharePanel
from initviz.app.share import AppOptions, parse_query, to_query
from initviz.core import presets
from initviz.core.training import Config

FEATURES = [PresetsFeature, SharePanel]


@pytest.fixture
def explorer():
    return Explorer(query="", features=FEATURES)


def test_query_round_trips_with_a_preset():
    config, options = parse_query("?preset=he_relu&depth=30&hide=depth&play=1")
    assert config == presets.config("he_relu").replace(depth=30)
    assert options == AppOptions(hide=("depth",), play=True, preset="he_relu")
    query = to_query(config, options)
    assert query == "preset=he_relu&depth=30&hide=depth&play=1"
    assert parse_query(query) == (config, options)
    # a field moved back to the default is still written when the preset differs from it
    config = presets.config("glorot_relu_deep").replace(depth=6)
    assert parse_query(to_query(config, AppOptions(preset="glorot_relu_deep")))[0] == config
    with pytest.raises(ValueError, match="did you mean 'zeros'"):
        parse_query("preset=zeroes")


def test_share_text_follows_the_controls_and_reopens_the_same_setting(explorer):
    panel = feature_of(explorer, SharePanel)
    assert "initviz-share" in panel.text._dom_classes
    assert panel.text.value == "?"
    explorer.controls.initializer.value = "he_normal"
    explorer.controls.activation.value = "relu"
    explorer.controls.depth.value = 12
    text = panel.text.value
    assert text.startswith("?") and "initializer=he_normal" in text and "depth=12" in text
    reopened = Explorer(query=text, features=FEATURES)
    assert reopened.config == explorer.config
    assert feature_of(reopened, SharePanel).text.value == text


def test_share_teacher_mode_hides_controls(explorer):
    panel = feature_of(explorer, SharePanel)
    explorer.controls.initializer.value = "zeros"
    panel.hide.value = ("depth", "width")
    panel.play.value = True
    text = panel.text.value
    assert "hide=depth%2Cwidth" in text and "play=1" in text
    student = Explorer(query=text, features=FEATURES)
    student.pause()
    assert student.options.hide == ("depth", "width") and student.options.play
    assert student.controls.depth.layout.display == "none"
    assert student.controls.width.layout.display == "none"
    assert student.config == explorer.config
    assert feature_of(student, SharePanel).text.value == text  # the student's link keeps the mode


def test_teacher_mode_hides_only_the_chosen_controls():
    student = Explorer(query="?hide=depth", features=FEATURES)
    assert student.controls.depth.layout.display == "none"
    assert student.controls.scale.layout.display != "none"


def test_share_after_a_preset_writes_changes_to_it(explorer):
    feature_of(explorer, PresetsFeature).dropdown.value = "he_relu"
    panel = feature_of(explorer, SharePanel)
    assert panel.text.value == "?preset=he_relu"
    explorer.controls.depth.value = 20
    assert panel.text.value == "?preset=he_relu&depth=20"
    assert Explorer(query=panel.text.value, features=FEATURES).config == explorer.config


def test_share_open_applies_a_pasted_query_and_reports_bad_ones(explorer):
    panel = feature_of(explorer, SharePanel)
    panel.text.value = "?initializer=ones&depth=4"
    panel.open_button.click()
    assert explorer.config == Config(initializer="ones", depth=4)
    assert panel.text.value == "?depth=4&initializer=ones"
    panel.text.value = "?initialiser=ones"
    panel.open_button.click()
    assert "initviz-share-error" in panel.link.value and "initialiser" in panel.link.value
    assert explorer.config == Config(initializer="ones", depth=4)


def test_share_link_uses_the_voila_page_path(explorer, monkeypatch):
    panel = feature_of(explorer, SharePanel)
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/app.ipynb")
    explorer.controls.depth.value = 2
    assert "href='/voila/render/app.ipynb?depth=2'" in panel.link.value


def test_share_tab_offers_the_full_url(explorer, monkeypatch):
    panel = feature_of(explorer, SharePanel)
    assert panel.url.layout.display == "none"  # outside Voila: no address known
    monkeypatch.setenv("VOILA_REQUEST_URL", "https://example.org/user/ann/voila/render/explorer.ipynb?depth=3")
    explorer.controls.depth.value = 2
    assert panel.url.value == "https://example.org/user/ann/voila/render/explorer.ipynb?depth=2"
    assert panel.url.layout.display is None
    assert f"href='{panel.url.value}'" in panel.link.value
    monkeypatch.delenv("VOILA_REQUEST_URL")  # a preheated kernel: the request's parts only
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/explorer.ipynb")
    monkeypatch.setenv("SERVER_NAME", "localhost")
    monkeypatch.setenv("SERVER_PORT", "8866")
    explorer.controls.depth.value = 3
    assert panel.url.value == "http://localhost:8866/voila/render/explorer.ipynb?depth=3"
    monkeypatch.setenv("SERVER_NAME", "mybinder.example")
    monkeypatch.setenv("SERVER_PORT", "443")
    explorer.controls.depth.value = 4
    assert panel.url.value == "https://mybinder.example/voila/render/explorer.ipynb?depth=4"
