"""An initializer's own parameters (``RandomNormal(stddev=0.02)``) through Config, links, the
command line, the network, theory, the exports and the app's controls."""
from __future__ import annotations

import numpy as np
import pytest

from initviz import cli
from initviz.app.share import read_link
from initviz.core import codegen, theory
from initviz.core.config import FIELDS, Config
from initviz.core.training import Trainer


def test_params_are_validated_by_the_initializers_spec_and_stored_canonically():
    config = Config(initializer="RandomNormal", initializer_params={"stddev": 0.02, "mean": 0})
    assert config.initializer_params == (("stddev", 0.02),)  # mean 0 is the default: left out
    assert config.kernel_params == {"stddev": 0.02}
    assert config == Config(initializer="normal", initializer_params=[("stddev", 0.02)])
    assert hash(config) == hash(Config(initializer="normal", initializer_params={"stddev": 0.02}))
    assert Config(initializer="normal", initializer_params={"stddev": 0.05}) == \
        Config(initializer="normal")
    vs = Config(initializer="variance_scaling",
                initializer_params={"mode": "FAN_OUT", "scale": 2, "distribution": "normal"})
    assert vs.initializer_params == (("mode", "fan_out"), ("scale", 2.0))
    with pytest.raises(ValueError, match="he_normal takes no parameters"):
        Config(initializer="he_normal", initializer_params={"stddev": 0.1})
    with pytest.raises(ValueError, match="stddev must be >= 0"):
        Config(initializer="normal", initializer_params={"stddev": -1})
    with pytest.raises(ValueError, match="parameter for random_normal"):
        Config(initializer="normal", initializer_params={"stdev": 0.1})
    with pytest.raises(ValueError, match="mapping"):
        Config(initializer="normal", initializer_params="stddev:0.1")


def test_a_new_initializer_drops_the_old_ones_parameters():
    config = Config(initializer="normal", initializer_params={"stddev": 0.02})
    assert config.replace(initializer="he_normal").initializer_params == ()
    assert config.replace(scale=2.0).initializer_params == (("stddev", 0.02),)
    assert config.replace(initializer="random_normal").initializer_params == (("stddev", 0.02),)


def test_params_round_trip_through_a_link():
    config = Config(initializer="trunc_normal",
                    initializer_params={"std": 0.02, "a": -0.04, "b": 0.04})
    query = config.to_query()
    assert "initializer_params=a%3A-0.04%2Cb%3A0.04%2Cstd%3A0.02" in query
    assert Config.from_query(query) == config
    kaiming = Config(initializer="kaiming_normal",
                     initializer_params={"mode": "fan_out", "nonlinearity": "relu"})
    assert Config.from_query(kaiming.to_query()) == kaiming


@pytest.mark.parametrize("text, reason", [
    ("stddev:-1", "stddev must be >= 0"),
    ("stddev=0.1", "expected name:value"),
    ("stddev:0x10", "a value is a decimal number or a name"),
    ("gain:2", "parameter for random_normal"),
    ("stddev:1,stddev:2", "given more than once"),
])
def test_the_lenient_link_reader_drops_a_bad_parameter_with_its_reason(text, reason):
    link = read_link(f"?initializer=normal&depth=3&initializer_params={text}")
    assert link.config == Config(initializer="normal", depth=3)
    (part, why), = link.ignored
    assert part.startswith("initializer_params") and reason in why


def test_the_parameter_parser_is_linear_and_bounded():
    spec = FIELDS["initializer_params"]
    with pytest.raises(ValueError, match="too long"):
        spec.parse("stddev:1," * 100)
    assert spec.parse("") == ()
    assert spec.parse("fan_in:13") == (("fan_in", 13),)


def test_the_command_line_takes_params():
    args = cli.build_parser().parse_args(
        ["figure", "--initializer", "normal", "--initializer-params", "stddev:0.02"])
    assert cli.figure_config(args) == Config(initializer="normal",
                                            initializer_params={"stddev": 0.02})
    bad = cli.build_parser().parse_args(
        ["figure", "--initializer", "he_normal", "--initializer-params", "stddev:0.02"])
    with pytest.raises(cli.UsageError, match="takes no parameters"):
        cli.figure_config(bad)


def test_the_network_theory_and_exports_use_the_params():
    config = Config(initializer="normal", initializer_params={"stddev": 0.02}, depth=3, width=256,
                    activation="linear")
    hidden = Trainer(config).network.weights[1]
    assert float(hidden.std()) == pytest.approx(0.02, rel=0.02)  # 65,536 draws: se 0.3%
    assert theory.kernel_variance(config.initializer, 256, 256, config.scale,
                                  config.kernel_params) == pytest.approx(0.02 ** 2)
    predicted = theory.predict(config)
    # Var(z) of hidden layer 2 = fan_in * Var(w) * E[a^2] with a linear, bias-free stack
    ratio = predicted.preactivation_std[1] / predicted.preactivation_std[0]
    assert ratio == pytest.approx(np.sqrt(256 * 0.02 ** 2))
    assert "RandomNormal(mean=0.0, stddev=0.02)" in codegen.to_keras(config)
    assert "nn.init.normal_(layer.weight, mean=0.0, std=0.02)" in codegen.to_pytorch(config)
    assert "stddev=0.02" in codegen.dense_line(config)
    vs = Config(initializer="variance_scaling",
                initializer_params={"scale": 2.0, "mode": "fan_out"}, scale=1.5)
    assert ("VarianceScaling(scale=4.5, mode='fan_out', distribution='truncated_normal')"
            in codegen.to_keras(vs))


def test_the_app_control_shows_and_sets_the_params():
    from initviz.app.controls import Controls, initializer_help

    controls = Controls(Config(initializer="normal", initializer_params={"stddev": 0.02}))
    assert controls.initializer_params.value == "stddev:0.02"
    seen = []
    controls.on_change(seen.append)
    controls.initializer_params.value = "stddev:0.1,mean:0.5"
    assert seen[-1].initializer_params == (("mean", 0.5), ("stddev", 0.1))
    errors = []
    controls.on_error(errors.append)
    controls.initializer_params.value = "gain:2"
    assert "not applied" in errors[-1] and controls.initializer_params.value == \
        "mean:0.5,stddev:0.1"
    controls.initializer.value = "he_normal"  # the parameters go with their initializer
    assert controls.initializer_params.value == "" and seen[-1].initializer == "he_normal"
    assert seen[-1].initializer_params == ()
    assert "takes no parameters" in initializer_help("he_normal")
    assert "stddev:0.05" in initializer_help("normal")
