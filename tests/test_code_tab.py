"""The Code tab: the Keras and PyTorch code follows the controls; a codegen error is shown, not raised."""
from __future__ import annotations

from conftest import assert_no_errors

from initviz.app import Explorer
from initviz.app.features.presets import PresetsFeature


def test_code_panel_follows_the_initializer_control():
    import html

    from initviz.app.features.code import CodeFeature

    app = Explorer(query="", features=[CodeFeature, PresetsFeature])
    code = app.features[0]
    assert "glorot" in code.dense.lower()
    app.controls.activation.value = "relu"
    app.controls.initializer.value = "he_normal"
    assert "kernel_initializer=keras.initializers.HeNormal()" in code.dense
    assert "HeNormal()" in code.keras and "activation=\"relu\"" in code.keras
    assert "trunc_normal_" in code.pytorch and "nn.ReLU()" in code.pytorch
    assert "<pre" in code.keras_html.value
    assert html.escape(code.keras) in code.keras_html.value  # escaped, not raw
    assert '"relu"' not in code.keras_html.value
    app.controls.initializer.value = "kaiming_normal"
    assert "nn.init.kaiming_normal_" in code.pytorch
    app.features[1].dropdown.value = "too_small"  # N(0, 0.01^2): the scaled Keras stddev
    assert "RandomNormal(mean=0.0, stddev=0.01)" in code.dense
    assert_no_errors(app)


def test_code_panel_reports_codegen_errors_without_crashing(monkeypatch):
    from initviz.app.features.code import CodeFeature
    from initviz.core import codegen

    app = Explorer(query="", features=[CodeFeature])

    def broken(config):
        raise RuntimeError("codegen exploded")

    monkeypatch.setattr(codegen, "to_keras", broken)
    app.controls.depth.value = 3
    assert "Could not write the code" in app.features[0].line.value
    assert "codegen exploded" in "".join(str(o) for o in app.errors.outputs)
    assert app.config.depth == 3  # the app carried on
