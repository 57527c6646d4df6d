"""from_code: pasted Keras and PyTorch models read into a Config with ast, never run; what the
exports write reads back; what initviz cannot represent is a ValueError naming its line."""
from __future__ import annotations

import io
import re
import tokenize

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import initviz
from initviz.core import codegen, initializers
from initviz.core.code_reader import MAX_SOURCE_BYTES, read_code
from initviz.core.config import FIELDS, Config
from initviz.core.training import build

SEED = """
from keras.models import Sequential
from keras.layers import Dense

def baseline_model():
    model = Sequential()
    model.add(Dense(13, input_dim=13, kernel_initializer='normal', activation='relu'))
    model.add(Dense(1, kernel_initializer='normal'))
    model.compile(loss='mean_squared_error', optimizer='adam')
    return model
"""


def test_the_seed_model_reads_as_the_tutorial_wrote_it():
    config, notes = read_code(SEED)
    assert (config.dataset, config.depth, config.width, config.activation) == \
        ("regression13", 1, 13, "relu")
    assert (config.initializer, config.initializer_params, config.bias_initializer) == \
        ("random_normal", (), "zeros")
    assert (config.optimizer, config.learning_rate) == ("adam", 0.001)
    assert any("Keras' default for adam" in note for note in notes)
    assert initviz.from_code(SEED) == codegen.from_code(SEED) == config


KERAS = [
    # (source, expected fields)
    ("""
import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.Dense(64, activation='tanh', input_shape=(2,),
                          kernel_initializer=tf.keras.initializers.GlorotNormal(seed=1)),
    tf.keras.layers.Dense(64, activation='tanh', kernel_initializer='glorot_normal'),
    tf.keras.layers.Dense(1, activation='sigmoid', kernel_initializer='GlorotNormal'),
])
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
              loss='binary_crossentropy', metrics=['accuracy'])
""", dict(dataset="moons", depth=2, width=64, activation="tanh", initializer="glorot_normal",
          optimizer="momentum", learning_rate=0.05)),
    ("""
import keras
from keras import layers
model = keras.Sequential()
model.add(keras.Input(shape=(13,)))
for _ in range(4):
    model.add(layers.Dense(32))
    model.add(layers.Activation("relu"))
model.add(layers.Dense(3, activation="softmax"))
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
model.fit(X, y, epochs=100, batch_size=16)
""", dict(dataset="wine", depth=4, width=32, activation="relu", initializer="glorot_uniform",
          optimizer="sgd", learning_rate=0.01, batch_size=16)),
    ("""
from tensorflow import keras
model = keras.models.Sequential()
model.add(keras.layers.Dense(16, input_dim=1, activation=keras.activations.relu,
    kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.02),
    bias_initializer=keras.initializers.Constant(0.0)))
model.add(keras.layers.Dense(16, activation='relu',
    kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02), bias_initializer='zeros'))
model.add(keras.layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(stddev=0.02)))
model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-4), loss='mse')
""", dict(dataset="sine", depth=2, width=16, activation="relu",
          initializer="random_normal", initializer_params=(("stddev", 0.02),),
          optimizer="adam", learning_rate=3e-4)),
    ("""
model = Sequential([Dense(8, activation='selu', input_shape=(2,),
                          kernel_initializer=VarianceScaling(scale=2.0, mode='fan_out',
                                                             distribution='uniform')),
                    Dense(1, kernel_initializer=VarianceScaling(2.0, 'fan_out', 'uniform'))])
""", dict(dataset="moons", depth=1, width=8, activation="selu",
          initializer="variance_scaling",
          initializer_params=(("distribution", "uniform"), ("mode", "fan_out"), ("scale", 2.0)))),
]

TORCH = [
    ("""
import torch
import torch.nn as nn
model = nn.Sequential(
    nn.Linear(13, 13),
    nn.ReLU(),
    nn.Linear(13, 1),
)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
""", dict(dataset="regression13", depth=1, width=13, activation="relu",
          initializer="torch_default", bias_initializer="torch_default", optimizer="adam",
          learning_rate=1e-3)),
    ("""
from torch import nn
model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
for m in model.modules():
    if isinstance(m, nn.Linear):
        nn.init.xavier_normal_(m.weight, gain=nn.init.calculate_gain('tanh'))
        nn.init.zeros_(m.bias)
loss_fn = nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""", dict(dataset="moons", depth=2, width=32, activation="tanh", initializer="xavier_normal",
          initializer_params=(("gain", 5 / 3),), bias_initializer="zeros", learning_rate=0.1)),
    ("""
import torch.nn as nn
def init_weights(m):
    if type(m) == nn.Linear:
        torch.nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        m.bias.data.fill_(0.0)
model = nn.Sequential(nn.Linear(13, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                      nn.Linear(64, 3))
model.apply(init_weights)
loss_fn = nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
""", dict(dataset="wine", depth=2, width=64, activation="relu", initializer="kaiming_normal",
          initializer_params=(("mode", "fan_out"), ("nonlinearity", "relu")),
          bias_initializer="zeros", optimizer="momentum", learning_rate=0.01)),
    ("""
model = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(), nn.Linear(16, 1))
with torch.no_grad():
    nn.init.orthogonal_(model[0].weight, gain=1.5)
    nn.init.orthogonal_(model[2].weight, gain=1.5)
    nn.init.constant_(model[0].bias, 0.0)
    nn.init.constant_(model[2].bias, val=0.0)
""", dict(dataset="moons", depth=1, width=16, activation="leaky_relu", initializer="orthogonal",
          initializer_params=(("gain", 1.5),), bias_initializer="zeros")),
]


@pytest.mark.parametrize("source, expected", KERAS + TORCH)
def test_tutorial_styles_read_right(source, expected):
    config = initviz.from_code(source)
    for name, value in expected.items():
        got = getattr(config, name)
        if name == "initializer_params":
            assert dict(got).keys() == dict(value).keys()
            assert all(dict(got)[k] == pytest.approx(v) if isinstance(v, float) else
                       dict(got)[k] == v for k, v in value)
        else:
            assert got == (pytest.approx(value) if isinstance(value, float) else value), name


CANONICAL = [n for group in initializers.groups().values() for n in group]
KERAS_NAMES = {  # the Keras class or string spelling of each Keras initializer
    "zeros": "Zeros()", "ones": "Ones()", "constant": "Constant()",
    "random_normal": "RandomNormal()", "random_uniform": "RandomUniform()",
    "truncated_normal": "TruncatedNormal()", "glorot_uniform": "GlorotUniform()",
    "glorot_normal": "GlorotNormal()", "he_uniform": "HeUniform()", "he_normal": "HeNormal()",
    "lecun_uniform": "LecunUniform()", "lecun_normal": "LecunNormal()",
    "variance_scaling": "VarianceScaling()", "orthogonal": "Orthogonal()",
    "identity": "Identity()",
}


@pytest.mark.parametrize("name", [n for n in CANONICAL if initializers.info(n).library == "Keras"])
@pytest.mark.parametrize("spelling", ["string", "class"])
def test_both_keras_spellings_of_every_keras_initializer(name, spelling):
    written = f"'{name}'" if spelling == "string" else "keras.initializers." + KERAS_NAMES[name]
    source = (f"model = keras.Sequential([keras.Input(shape=(2,)),\n"
              f"    layers.Dense(8, activation='tanh', kernel_initializer={written}),\n"
              f"    layers.Dense(1, kernel_initializer={written})])\n")
    config = initviz.from_code(source)
    assert (config.initializer, config.initializer_params) == (name, ())


TORCH_FUNCTIONS = {  # each PyTorch nn.init function, written both ways (torch.nn.init / nn.init)
    "xavier_uniform": "xavier_uniform_(m.weight, gain=1.0)",
    "xavier_normal": "xavier_normal_(m.weight)",
    "kaiming_uniform": "kaiming_uniform_(m.weight, a=0.0, mode='fan_in', nonlinearity='leaky_relu')",
    "kaiming_normal": "kaiming_normal_(m.weight)",
    "trunc_normal": "trunc_normal_(m.weight, mean=0.0, std=1.0, a=-2.0, b=2.0)",
    "torch_normal": "normal_(m.weight, mean=0.0, std=1.0)",
    "torch_uniform": "uniform_(m.weight, a=0.0, b=1.0)",
    "sparse": "sparse_(m.weight, sparsity=0.1, std=0.01)",
    "eye": "eye_(m.weight)",
    "orthogonal": "orthogonal_(m.weight, gain=1.0)",
    "zeros": "zeros_(m.weight)",
    "ones": "ones_(m.weight)",
}


@pytest.mark.parametrize("name", sorted(TORCH_FUNCTIONS))
@pytest.mark.parametrize("prefix", ["nn.init.", "torch.nn.init."])
def test_every_pytorch_init_function(name, prefix):
    source = ("model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))\n"
              "for m in model.modules():\n"
              "    if isinstance(m, nn.Linear):\n"
              f"        {prefix}{TORCH_FUNCTIONS[name]}\n")
    config, _ = read_code(source)
    drawn = initializers.get(config.initializer, **config.kernel_params)
    wanted = initializers.get(name)
    # the same distribution: the initializer itself or the Keras name of the same draw
    for fans in ((2, 8), (8, 1)):
        assert initializers.moments(drawn, *fans) == pytest.approx(
            initializers.moments(wanted, *fans), rel=1e-9, abs=1e-15)
    if name in ("xavier_normal", "kaiming_normal", "trunc_normal", "torch_normal", "sparse",
                "torch_uniform", "orthogonal", "xavier_uniform", "kaiming_uniform"):
        assert config.initializer == name


# ---------------------------------------------------------------------------------------------
# what cannot be represented, and code that must never run

@pytest.mark.parametrize("source, message", [
    ("model = keras.Sequential([layers.Conv2D(8, 3), layers.Dense(1)])", "line 1: Conv2D layer"),
    ("model = Sequential()\nmodel.add(Dense(8, input_dim=2))\nmodel.add(Dropout(0.5))\n"
     "model.add(Dense(1))", "line 3: Dropout layer"),
    ("model = Sequential()\nmodel.add(MyLayer(8))\nmodel.add(Dense(1))", "line 2: MyLayer layer"),
    ("model = Sequential()\nmodel.add(Dense(8, input_dim=2, activation='relu'))\n"
     "model.add(Dense(8, activation='tanh'))\nmodel.add(Dense(1))", "mixed activations"),
    ("model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 1))",
     "line 1: nn.Dropout"),
    ("class Net(nn.Module):\n    def __init__(self):\n        self.fc = nn.Linear(2, 1)\n",
     "line 1: class Net"),
    ("model = Sequential()\nmodel.add(Dense(8, input_dim=2, kernel_initializer='he_normal'))\n"
     "model.add(Dense(1, kernel_initializer='zeros'))", "line 3: this layer's kernel initializer"),
    ("model = Sequential()\nmodel.add(Dense(8, input_dim=7))\nmodel.add(Dense(1))",
     "no initviz data set fits a model with 7 inputs"),
    ("model = Sequential()\nmodel.add(Dense(8, input_dim=2, kernel_initializer='bogus'))\n"
     "model.add(Dense(1))", "line 2: unknown initializer 'bogus'"),
    ("model = Sequential()\nmodel.add(Dense(1, input_dim=2))", "no hidden layer"),
    ("model.add(Dense(8)", "not valid Python"),
    ("print('hello')", "no Keras"),
])
def test_what_initviz_cannot_represent_is_a_value_error_naming_its_line(source, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        initviz.from_code(source)


MALICIOUS = [
    "import os\nos.system('touch {marker}')\nmodel = Sequential([Dense(8, input_dim=2), Dense(1)])",
    "model = Sequential([Dense(8, input_dim=2), Dense(1)])\nopen('{marker}', 'w').write('x')",
    "model = Sequential([Dense(__import__('os').system('touch {marker}'), input_dim=2), Dense(1)])",
    "model = Sequential([Dense(8, input_dim=2, kernel_initializer=open('{marker}', 'w')), "
    "Dense(1)])",
    "model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))\n"
    "for m in model.modules():\n    if isinstance(m, nn.Linear):\n"
    "        nn.init.normal_(m.weight, std=eval(\"__import__('os').system('touch {marker}')\"))",
    "model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))\n"
    "model.apply(lambda m: open('{marker}', 'w'))",
    "model = Sequential([Dense(8, input_dim=2), Dense(1)])\nfor _ in range(10**12):\n"
    "    model.add(Dense(8))",
    "model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))\n"
    "for m in model.modules():\n    if isinstance(m, nn.Linear):\n"
    "        nn.init.normal_(m.weight, std=9 ** 9 ** 9)",
]


@pytest.mark.parametrize("template", MALICIOUS)
def test_malicious_code_is_refused_and_never_runs(template, tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ValueError):
        initviz.from_code(template.format(marker=marker))
    assert not marker.exists()


def test_input_over_20_kb_is_refused():
    source = SEED + "#" * MAX_SOURCE_BYTES
    with pytest.raises(ValueError, match="at most 20,000"):
        initviz.from_code(source)


# ---------------------------------------------------------------------------------------------
# round trips: what the exports write reads back

def _strip_comments(source: str) -> str:
    """The code without its comments (no shortcut through the export's header)."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type != tokenize.COMMENT]
    return tokenize.untokenize(tokens)


MODEL_FIELDS = ("depth", "width", "widths", "activation", "bias_initializer", "optimizer",
                "learning_rate", "dataset")
RUN_FIELDS = ("n_samples", "noise", "seed", "batch_size")  # not in model code


def _assert_same_network(original: Config, source: str) -> Config:
    stripped = _strip_comments(source)
    assert "Exported by initviz" not in stripped
    config = initviz.from_code(stripped, base=Config().replace(dataset=original.dataset))
    for name in MODEL_FIELDS:
        assert getattr(config, name) == getattr(original, name), name
    run = {name: getattr(original, name) for name in RUN_FIELDS}
    a, b = build(original.replace(**run))[3], build(config.replace(**run))[3]
    assert a.sizes == b.sizes
    for fan_in, fan_out in zip(a.sizes[:-1], a.sizes[1:]):  # the kernels' distribution
        want = initializers.moments(a.kernel_initializer, fan_in, fan_out)
        got = initializers.moments(b.kernel_initializer, fan_in, fan_out)
        assert got[0] * config.scale == pytest.approx(want[0] * original.scale, rel=1e-6,
                                                      abs=1e-12)
        assert got[1] * config.scale ** 2 == pytest.approx(want[1] * original.scale ** 2,
                                                           rel=1e-6, abs=1e-15)
    if a.kernel_initializer.name == b.kernel_initializer.name:  # the same draws
        for w, v in zip(a.weights + a.biases, b.weights + b.biases):
            np.testing.assert_allclose(v * np.float32(1), w, rtol=2e-5, atol=1e-7)
    return config


@st.composite
def model_configs(draw):
    initializer = draw(st.sampled_from(CANONICAL))
    params = {}
    for key, default in initializers.params_of(initializer).items():
        if isinstance(default, float) and default != 0 and draw(st.booleans()):
            params[key] = round(default * draw(st.sampled_from([0.5, 1.5, 2.0, 3.0])), 6)
    return Config(
        dataset=draw(st.sampled_from(["moons", "blobs", "sine", "wine", "regression13"])),
        depth=draw(st.integers(1, 5)), width=draw(st.sampled_from([1, 3, 8, 13, 32])),
        widths=draw(st.sampled_from([(), (), (16, 8), (4, 13, 13, 2)])),
        activation=draw(st.sampled_from(sorted(FIELDS["activation"].names()))),
        initializer=initializer, initializer_params=params,
        scale=draw(st.sampled_from([1.0, 1.0, 0.5, 1.5, 2.0])),
        bias_initializer=draw(st.sampled_from(["zeros", "ones", "random_normal",
                                               "random_uniform", "torch_default"])),
        optimizer=draw(st.sampled_from(["sgd", "momentum", "adam"])),
        learning_rate=draw(st.sampled_from([0.1, 0.01, 0.003, 1e-4])),
        seed=draw(st.integers(0, 5)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_configs())
def test_keras_export_reads_back_to_the_same_network(config):
    _assert_same_network(config, codegen.to_keras(config))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_configs())
def test_pytorch_export_reads_back_to_the_same_network(config):
    _assert_same_network(config, codegen.to_pytorch(config))


@pytest.mark.parametrize("name", [n for n in CANONICAL if initializers.info(n).library == "Keras"])
def test_keras_names_read_back_exactly_from_the_keras_export(name):
    config = Config(initializer=name, activation="relu", dataset="wine", depth=3, width=13)
    assert initviz.from_code(_strip_comments(codegen.to_keras(config)),
                             base=Config(dataset="wine")) == config.replace(n_samples=300)


@pytest.mark.parametrize("name", [n for n in CANONICAL if initializers.info(n).library != "Keras"
                                  or n in ("glorot_uniform", "he_normal", "he_uniform",
                                           "lecun_normal", "lecun_uniform", "glorot_normal",
                                           "zeros", "ones", "orthogonal", "truncated_normal")])
@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_the_pytorch_export_reads_back_exactly(name, scale):
    config = Config(initializer=name, scale=scale, bias_initializer="torch_default")
    assert initviz.from_code(_strip_comments(codegen.to_pytorch(config))) == config


def test_unequal_widths_read_back_from_both_exports():
    config = Config(widths=(64, 32, 32, 32, 16), activation="relu", initializer="he_normal")
    keras = codegen.to_keras(config)
    assert "for _ in range(2):" in keras  # the two 32 -> 32 layers
    for source in (keras, codegen.to_pytorch(config)):
        assert initviz.from_code(_strip_comments(source)).hidden_widths == (64, 32, 32, 32, 16)
