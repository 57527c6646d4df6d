"""What the initializer facets produced before they moved into the spec (issue 11): moments,
Keras and PyTorch spellings, exports and drawn biases for every canonical initializer.

``PYTHONPATH=. python tests/initializer_golden.py`` rewrites tests/data/initializer_golden.json from the
code in the working tree; tests/test_initializer_specs.py compares the current code to it.
"""
from __future__ import annotations

import json
import pathlib

import numpy as np

from initviz.core import codegen, initializers, theory
from initviz.core.network import Network
from initviz.core.training import Config

GOLDEN = pathlib.Path(__file__).parent / "data" / "initializer_golden.json"

FANS = [(1, 1), (3, 7), (7, 3), (10, 10), (784, 128)]
SCALES = [0.0, 0.5, 1.0, 1.5]

#: non-default parameter sets per canonical name (defaults are always recorded too)
OTHER_PARAMS: dict[str, list[dict]] = {
    "constant": [{"value": 0.3}, {"value": -2.0}],
    "random_normal": [{"mean": 0.1, "stddev": 0.2}, {"stddev": 1.0}],
    "random_uniform": [{"minval": -1.0, "maxval": 2.0}, {"minval": 0.0, "maxval": 0.5}],
    "truncated_normal": [{"mean": 0.5, "stddev": 0.2}, {"stddev": 1.0}],
    "variance_scaling": [{"scale": 2.0, "mode": "fan_out", "distribution": "uniform"},
                         {"scale": 0.5, "mode": "fan_avg", "distribution": "untruncated_normal"},
                         {"scale": 3.0, "mode": "fan_in", "distribution": "normal"}],
    "orthogonal": [{"gain": 2.0}],
    "identity": [{"gain": 0.5}],
    "torch_default": [{"fan_in": 9}],
    "xavier_uniform": [{"gain": 5 / 3}],
    "xavier_normal": [{"gain": 2.0}],
    "kaiming_uniform": [{"a": 0.2, "mode": "fan_out", "nonlinearity": "leaky_relu"},
                        {"nonlinearity": "tanh"}],
    "kaiming_normal": [{"a": 0.0, "mode": "fan_out", "nonlinearity": "relu"},
                       {"nonlinearity": "selu"}],
    "trunc_normal": [{"mean": 0.0, "std": 0.02}, {"mean": 1.0, "std": 0.5, "a": 0.5, "b": 1.5},
                     {"mean": 0.0, "std": 0.5, "a": -1.0, "b": 1.0}],
    "torch_normal": [{"mean": -0.5, "std": 0.1}],
    "torch_uniform": [{"a": -0.3, "b": 0.3}],
    "sparse": [{"sparsity": 0.5, "std": 0.1}, {"sparsity": 0.0}],
    "positive_uniform": [{"scale": 0.2}],
    "jax_normal": [{"stddev": 0.3}],
}

CONFIGS = [
    {},
    {"initializer": "he_normal", "activation": "relu", "scale": 1.5},
    {"initializer": "kaiming_normal", "scale": 0.5, "bias_initializer": "torch_default"},
    {"initializer": "torch_default", "bias_initializer": "torch_default", "scale": 2.0},
    {"initializer": "sparse", "bias_initializer": "random_normal", "optimizer": "adam"},
    {"initializer": "trunc_normal", "bias_initializer": "ones", "dataset": "sine"},
    {"initializer": "identity", "scale": 1.5, "activation": "linear"},
    {"initializer": "lecun_normal", "activation": "selu", "bias_initializer": "constant"},
    {"initializer": "glorot_uniform", "scale": 0.001, "bias_initializer": "random_uniform"},
    {"initializer": "positive_uniform", "bias_initializer": "he_normal", "dataset": "blobs"},
]


def canonical() -> list[str]:
    return [n for group in initializers.groups().values() for n in group]


def param_sets(name: str) -> list[dict]:
    return [{}] + OTHER_PARAMS.get(name, [])


def _key(name: str, params: dict, *rest: object) -> str:
    return json.dumps([name, params, *rest])


def _can_draw_bias(name: str) -> bool:
    try:
        initializers.get(name)((2,), np.random.default_rng(0))
    except ValueError:
        return False
    return True


def record() -> dict:
    """Every recorded output, keyed by its inputs (a JSON list as text)."""
    moments, keras, torch, bias_moments, biases = {}, {}, {}, {}, {}
    for name in canonical():
        for params in param_sets(name):
            for fi, fo in FANS:
                for s in SCALES:
                    moments[_key(name, params, fi, fo, s)] = list(
                        theory.kernel_moments(name, fi, fo, s, params))
            for s in SCALES:
                keras[_key(name, params, s)] = codegen.keras_initializer(name, s, params)
            for fan_in, fan_out in [("fan_in", "fan_out"), ("n", "n"), ("fan_in", "fan_in")]:
                torch[_key(name, params, fan_in, fan_out)] = codegen.torch_init_lines(
                    name, "w", fan_in, fan_out, params)
        if _can_draw_bias(name):
            for fi, fo in FANS:
                bias_moments[_key(name, {}, fi, fo)] = list(theory._bias_moments(name, fi, fo))
            net = Network([5, 3, 2], bias_initializer=name, seed=1)
            biases[name] = [b.astype(float).tolist() for b in net.biases]
    exports = {}
    for fields in CONFIGS:
        config = Config(**fields)
        exports[json.dumps(fields)] = {"keras": codegen.to_keras(config),
                                       "pytorch": codegen.to_pytorch(config),
                                       "dense": codegen.dense_line(config),
                                       "dense_input": codegen.dense_line(config, input_dim=13)}
    return {"kernel_moments": moments, "keras_initializer": keras, "torch_init_lines": torch,
            "bias_moments": bias_moments, "network_biases": biases, "exports": exports}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(record(), indent=0, sort_keys=True) + "\n")
    print(GOLDEN, GOLDEN.stat().st_size, "bytes")
