"""Keras and PyTorch export: the source parses, spells each initializer as the library does, and
(where torch / keras are installed) runs and draws weights with the initializer's std."""
import ast
import importlib.util
import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from initviz.core import activations, codegen, initializers, theory
from initviz.core.training import Config

CANONICAL = [n for group in initializers.groups().values() for n in group]
BIASES = ["zeros", "ones", "random_normal", "torch_default", "he_normal", "glorot_uniform",
          "trunc_normal"]


@pytest.mark.parametrize("initializer", CANONICAL)
@pytest.mark.parametrize("scale", [1.0, 0.5, 0.001])
def test_every_initializer_exports_parsable_code(initializer, scale):
    config = Config(initializer=initializer, scale=scale)
    for source in (codegen.to_keras(config), codegen.to_pytorch(config)):
        ast.parse(source)
        assert "model =" in source
    ast.parse(codegen.dense_line(config))


@pytest.mark.parametrize("activation", activations.names())
@pytest.mark.parametrize("bias", BIASES)
def test_every_activation_and_bias_exports_parsable_code(activation, bias):
    config = Config(activation=activation, bias_initializer=bias)
    ast.parse(codegen.to_keras(config))
    ast.parse(codegen.to_pytorch(config))
    ast.parse(codegen.dense_line(config))


KERAS = "keras.initializers."
SPELLINGS = [
    # (initializer, scale, in the Keras source, in the PyTorch source)
    ("he_normal", 1.0, KERAS + "HeNormal()",
     "nn.init.trunc_normal_(layer.weight, std=std, a=-2 * std, b=2 * std)"),
    ("he_normal", 1.5,
     KERAS + "VarianceScaling(scale=4.5, mode='fan_in', distribution='truncated_normal')",
     "layer.weight.mul_(1.5)"),
    ("he_uniform", 1.0, KERAS + "HeUniform()",
     'nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")'),
    ("glorot_uniform", 1.0, KERAS + "GlorotUniform()", "nn.init.xavier_uniform_(layer.weight)"),
    ("glorot_uniform", 2.0,
     KERAS + "VarianceScaling(scale=4.0, mode='fan_avg', distribution='uniform')",
     "layer.weight.mul_(2.0)"),
    ("glorot_normal", 1.0, KERAS + "GlorotNormal()", "math.sqrt(1.0 / ((fan_in + fan_out) / 2))"),
    ("lecun_normal", 1.0, KERAS + "LecunNormal()", "math.sqrt(1.0 / fan_in) / 0.8796"),
    ("lecun_uniform", 1.0, KERAS + "LecunUniform()",
     'nn.init.kaiming_uniform_(layer.weight, nonlinearity="linear")'),
    ("normal", 1.0, KERAS + "RandomNormal(stddev=0.05)",
     "nn.init.normal_(layer.weight, mean=0.0, std=0.05)"),
    ("normal", 2.0, KERAS + "RandomNormal(mean=0.0, stddev=0.1)", "layer.weight.mul_(2.0)"),
    ("uniform", 1.0, KERAS + "RandomUniform(minval=-0.05, maxval=0.05)",
     "nn.init.uniform_(layer.weight, a=-0.05, b=0.05)"),
    ("truncated_normal", 1.0, KERAS + "TruncatedNormal(mean=0.0, stddev=0.05)",
     "nn.init.trunc_normal_(layer.weight, mean=0.0, std=0.05, a=0.0 - 2 * 0.05, b=0.0 + 2 * 0.05)"),
    ("kaiming_normal", 1.0,
     KERAS + "VarianceScaling(scale=2.0, mode='fan_in', distribution='untruncated_normal')",
     "nn.init.kaiming_normal_(layer.weight, a=0.0, mode='fan_in', nonlinearity='leaky_relu')"),
    ("kaiming_uniform", 3.0,
     KERAS + "VarianceScaling(scale=18.0, mode='fan_in', distribution='uniform')",
     "nn.init.kaiming_uniform_(layer.weight, a=0.0, mode='fan_in', nonlinearity='leaky_relu')"),
    ("xavier_normal", 1.0,
     KERAS + "VarianceScaling(scale=1.0, mode='fan_avg', distribution='untruncated_normal')",
     "nn.init.xavier_normal_(layer.weight, gain=1.0)"),
    ("xavier_uniform", 1.0,
     KERAS + "VarianceScaling(scale=1.0, mode='fan_avg', distribution='uniform')",
     "nn.init.xavier_uniform_(layer.weight, gain=1.0)"),
    ("torch_default", 1.0,
     KERAS + "VarianceScaling(scale=0.333333333333, mode='fan_in', distribution='uniform')",
     "bound = 1 / math.sqrt(fan_in)"),
    ("variance_scaling", 1.0,
     KERAS + "VarianceScaling(scale=1.0, mode='fan_in', distribution='truncated_normal')",
     "nn.init.trunc_normal_(layer.weight, std=std"),
    ("orthogonal", 1.2, KERAS + "Orthogonal(gain=1.2)",
     "nn.init.orthogonal_(layer.weight, gain=1.0)"),
    ("identity", 0.5, KERAS + "Identity(gain=0.5)", "nn.init.eye_(layer.weight)"),
    ("identity", 1.0, KERAS + "Identity()", "nn.init.eye_(layer.weight)"),
    ("eye", 1.5, KERAS + "Identity(gain=1.5)", "nn.init.eye_(layer.weight)"),
    ("ones", 1.0, KERAS + "Ones()", "nn.init.ones_(layer.weight)"),
    ("ones", 3.0, KERAS + "Constant(value=3.0)", "layer.weight.mul_(3.0)"),
    ("zeros", 2.0, KERAS + "Zeros()", "nn.init.zeros_(layer.weight)"),
    ("trunc_normal", 1.0, KERAS + "TruncatedNormal(mean=0.0, stddev=1.0)",
     "nn.init.trunc_normal_(layer.weight, mean=0.0, std=1.0, a=-2.0, b=2.0)"),
    ("torch_normal", 1.0, KERAS + "RandomNormal(mean=0.0, stddev=1.0)",
     "nn.init.normal_(layer.weight, mean=0.0, std=1.0)"),
    ("torch_uniform", 1.0, KERAS + "RandomUniform(minval=0.0, maxval=1.0)",
     "nn.init.uniform_(layer.weight, a=0.0, b=1.0)"),
    ("positive_uniform", 1.0, KERAS + "RandomUniform(minval=0.0, maxval=0.01)",
     "nn.init.uniform_(layer.weight, a=0.0, b=0.01)"),
    ("jax_normal", 1.0, KERAS + "RandomNormal(mean=0.0, stddev=0.01)",
     "nn.init.normal_(layer.weight, mean=0.0, std=0.01)"),
    ("sparse", 1.0, "torch_sparse(sparsity=0.1, std=0.01, scale=1.0)",
     "nn.init.sparse_(layer.weight, sparsity=0.1, std=0.01)"),
]


@pytest.mark.parametrize("initializer, scale, keras, torch", SPELLINGS)
def test_initializer_spellings(initializer, scale, keras, torch):
    config = Config(initializer=initializer, scale=scale)
    assert keras in codegen.to_keras(config)
    assert torch in codegen.to_pytorch(config)
    if scale not in (0.0, 1.0) and initializer not in ("zeros",):
        assert f"layer.weight.mul_({scale})" in codegen.to_pytorch(config)
    if scale == 1.0:
        assert "mul_(" not in codegen.to_pytorch(config).replace("layer.weight.mul_(1.0)", "")


def test_a_keras_helper_is_defined_when_keras_lacks_the_initializer():
    source = codegen.to_keras(Config(initializer="sparse"))
    assert "def torch_sparse(" in source
    assert "def torch_trunc_normal(" not in codegen.to_keras(Config(initializer="he_normal"))
    odd = codegen.keras_initializer("trunc_normal", 2.0, {"std": 0.1, "a": -0.1, "b": 0.3})
    assert odd.startswith("torch_trunc_normal(") and "scale=2.0" in odd


def test_scale_comment_explains_the_square():
    source = codegen.to_keras(Config(initializer="he_normal", scale=1.5))
    assert "1.5**2" in source


@pytest.mark.parametrize("dataset, layers, keras_loss, torch_loss", [
    ("moons", (2, 32, 1), "BinaryCrossentropy(from_logits=True)", "nn.BCEWithLogitsLoss()"),
    ("blobs", (2, 32, 3), "SparseCategoricalCrossentropy(from_logits=True)",
     "nn.CrossEntropyLoss()"),
    ("sine", (1, 32, 1), "MeanSquaredError()", "nn.MSELoss()"),
])
def test_architecture_and_loss_follow_the_dataset(dataset, layers, keras_loss, torch_loss):
    n_in, width, n_out = layers
    config = Config(dataset=dataset)
    keras = codegen.to_keras(config)
    assert f"keras.Input(shape=({n_in},))" in keras and "for _ in range(5):" in keras
    assert keras.count(f"layers.Dense({width}, ") == 2 and f"layers.Dense({n_out},\n" in keras
    assert keras_loss in keras
    torch = codegen.to_pytorch(config)
    assert torch.count(f"nn.Linear({width}, {width})") == 5
    assert f"nn.Linear({n_in}, {width})" in torch and f"nn.Linear({width}, {n_out})" in torch
    assert torch_loss in torch


def test_optimizers_are_exported():
    assert "keras.optimizers.SGD(learning_rate=0.1)" in codegen.to_keras(Config())
    assert "torch.optim.SGD(model.parameters(), lr=0.1)" in codegen.to_pytorch(Config())
    adam = Config(optimizer="adam", learning_rate=0.001)
    assert "keras.optimizers.Adam(learning_rate=0.001)" in codegen.to_keras(adam)
    assert "eps=1e-7" in codegen.to_pytorch(adam)
    assert "momentum=0.9" in codegen.to_pytorch(Config(optimizer="momentum"))


def test_dense_line_is_the_line_students_saw():
    assert (codegen.dense_line(Config(width=32, activation="relu", initializer="he_normal"))
            == "Dense(32, activation='relu', kernel_initializer=keras.initializers.HeNormal())")
    assert (codegen.dense_line(Config(width=13, activation="relu", initializer="normal"),
                               input_dim=13)
            == "Dense(13, input_dim=13, activation='relu', "
               "kernel_initializer=keras.initializers.RandomNormal(stddev=0.05))")
    line = codegen.dense_line(Config(initializer="glorot_uniform", scale=2.0,
                                     bias_initializer="ones"))
    assert "VarianceScaling(scale=4.0" in line and "bias_initializer=keras.initializers.Ones()" in line
    assert "negative_slope=0.01" in codegen.dense_line(Config(activation="leaky_relu"))
    assert "approximate=True" in codegen.dense_line(Config(activation="gelu"))


# ---------------------------------------------------------------------------------------------
# running the exported code

EXEC_CASES = [  # initializer, scale, activation
    ("he_normal", 1.0, "relu"), ("he_normal", 1.5, "relu"), ("glorot_uniform", 1.0, "tanh"),
    ("glorot_normal", 0.5, "tanh"), ("kaiming_normal", 1.0, "relu"), ("xavier_normal", 2.0, "tanh"),
    ("normal", 1.0, "relu"), ("lecun_uniform", 1.0, "selu"), ("torch_default", 1.0, "relu"),
    ("orthogonal", 1.0, "linear"), ("identity", 0.5, "linear"), ("sparse", 1.0, "relu"),
    ("truncated_normal", 2.0, "sigmoid"), ("ones", 3.0, "linear"),
]


def _check_hidden_kernel(w, initializer, scale):
    """``w`` in initviz's (in, out) layout, 256 x 256: second moment against the formula."""
    w = np.asarray(w, dtype=np.float64)
    expected = theory.kernel_variance(initializer, 256, 256, scale)
    got = float(np.mean(w * w))
    se = float(np.std(w * w)) / math.sqrt(w.size)
    assert abs(got - expected) <= 6 * se + 1e-9 * expected, (initializer, scale, got, expected)


@pytest.mark.parametrize("initializer, scale, activation", EXEC_CASES)
def test_pytorch_code_runs_and_draws_the_right_weights(initializer, scale, activation):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    config = Config(initializer=initializer, scale=scale, activation=activation, depth=2,
                    width=256, bias_initializer="torch_default")
    namespace: dict = {}
    exec(codegen.to_pytorch(config), namespace)
    model = namespace["model"]
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(256, 2), (256, 256), (1, 256)]
    expected = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "linear": torch.nn.Identity,
                "selu": torch.nn.SELU, "sigmoid": torch.nn.Sigmoid}[activation]
    assert sum(isinstance(m, expected) for m in model) == 2
    _check_hidden_kernel(linears[1].weight.detach().numpy().T, initializer, scale)
    bound = 1 / math.sqrt(256)
    assert float(linears[1].bias.detach().abs().max()) <= bound
    out = model(torch.zeros(4, 2))
    assert tuple(out.shape) == (4, 1)
    assert isinstance(namespace["loss_fn"], torch.nn.BCEWithLogitsLoss)


def test_pytorch_truncation_matches_keras_semantics():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    namespace: dict = {}
    exec(codegen.to_pytorch(Config(initializer="he_normal", depth=1, width=256)), namespace)
    w = namespace["model"][2].weight.detach().numpy()  # (1, 256): fan_in 256
    sigma = math.sqrt(2 / 256) / initializers.TRUNCATION_CORRECTION
    assert np.abs(w).max() <= 2 * sigma + 1e-7


_KERAS_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    cases = json.loads(sys.argv[1])
    out = []
    for source in cases:
        namespace = {}
        exec(source, namespace)
        model = namespace["model"]
        kernels = [np.asarray(layer.kernel) for layer in model.layers]
        out.append({"shapes": [list(k.shape) for k in kernels],
                    "hidden": kernels[1].ravel().tolist()})
    print(json.dumps(out))
""")


def test_keras_code_runs_and_draws_the_right_weights():
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed")
    backend = next((b for b in ("torch", "jax", "tensorflow") if importlib.util.find_spec(b)), None)
    if backend is None:
        pytest.skip("no Keras backend is installed")
    cases = [("he_normal", 1.5, "relu"), ("glorot_normal", 0.5, "tanh"),
             ("kaiming_normal", 1.0, "relu"), ("torch_default", 1.0, "relu"),
             ("sparse", 1.0, "relu"), ("identity", 0.5, "linear")]
    sources = [codegen.to_keras(Config(initializer=i, scale=s, activation=a, depth=2, width=256))
               for i, s, a in cases]
    env = {**os.environ, "KERAS_BACKEND": backend}
    run = subprocess.run([sys.executable, "-c", _KERAS_SCRIPT, json.dumps(sources)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout.strip().splitlines()[-1])
    for (initializer, scale, _), result in zip(cases, results):
        assert result["shapes"] == [[2, 256], [256, 256], [256, 1]]
        _check_hidden_kernel(np.array(result["hidden"]).reshape(256, 256), initializer, scale)
