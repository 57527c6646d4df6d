"""The "Your model" tab in code (no browser): paste, Load, and the explorer trains that network
on matching data; what cannot be loaded says why and changes nothing."""
from __future__ import annotations

from initviz.app.explorer import Explorer
from initviz.app.features import YourModelFeature
from initviz.app.features.yourmodel import EXAMPLE


def _tab(app: Explorer) -> YourModelFeature:
    return next(f for f in app.features if isinstance(f, YourModelFeature))


def test_the_seed_model_loads_on_13_feature_data():
    app = Explorer(query="")
    tab = _tab(app)
    tab.code.value = EXAMPLE
    tab.load_button.click()
    config = app.config
    assert (config.dataset, config.depth, config.width, config.initializer, config.optimizer) == \
        ("regression13", 1, 13, "random_normal", "adam")
    assert app.trainer.network.sizes == [13, 13, 1]
    assert app.controls.dataset.value == "regression13" and app.controls.width.value == 13
    assert "Loaded" in tab.message.value and "default for adam" in tab.message.value
    app.run(20)
    assert app.trainer.epoch == 20


def test_unequal_widths_and_params_are_loaded_and_the_tab_says_where_they_are():
    app = Explorer(query="")
    tab = _tab(app)
    source = ("model = nn.Sequential(nn.Linear(13, 64), nn.ReLU(), nn.Linear(64, 16), nn.ReLU(),\n"
              "                      nn.Linear(16, 3))\n"
              "for m in model.modules():\n"
              "    if isinstance(m, nn.Linear):\n"
              "        nn.init.normal_(m.weight, std=0.02)\n")
    assert tab.load(source)
    assert app.config.dataset == "wine" and app.config.hidden_widths == (64, 16)
    assert app.controls.widths.value == "64,16"
    assert app.controls.initializer_params.value == "std:0.02"
    assert "layer widths" in tab.message.value and "init params" in tab.message.value


def test_code_that_cannot_be_loaded_says_why_and_changes_nothing():
    app = Explorer(query="")
    tab = _tab(app)
    before = app.config
    assert not tab.load("model = Sequential()\nmodel.add(Conv2D(8, 3))\nmodel.add(Dense(1))")
    assert "Not loaded" in tab.message.value and "line 2: Conv2D" in tab.message.value
    assert not tab.load("model = Sequential()\nmodel.add(Dense(8, input_dim=7))\n"
                        "model.add(Dense(1))")
    assert "no initviz data set fits a model with 7 inputs" in tab.message.value
    assert app.config == before
