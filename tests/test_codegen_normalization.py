"""Exported Keras and PyTorch code with normalization and residual connections (issue 16): it
parses, names the layers with initviz's epsilon and momentum, and, executed with initviz's
weights copied in, has initviz's trainable parameter count and gives initviz's logits in
training mode (batch statistics) and in inference mode (running statistics)."""
import ast
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from initviz.core import activations, codegen
from initviz.core.training import Config, build

COMBINATIONS = [("batch", False), ("layer", False), ("none", True), ("batch", True),
                ("layer", True)]
IDS = [f"{n}-{'residual' if r else 'plain'}" for n, r in COMBINATIONS]


def _config(normalization, residual, activation="tanh", **changes):
    return Config(normalization=normalization, residual=residual, residual_scale=0.6, depth=3,
                  width=8, activation=activation, initializer="he_normal", **changes)


def _network_after_a_step(config):
    """initviz's network with non-trivial gamma, beta and running statistics, and inputs."""
    _, train, _, net = build(config)
    rng = np.random.default_rng(0)
    for g in net.gammas:
        g[...] = rng.normal(1, 0.2, g.shape)
    for b in [*net.betas, *net.biases]:
        b[...] = rng.normal(0, 0.2, b.shape)
    X = train.X[:32].astype(np.float32)
    net.forward(X)
    net.update_running_statistics()
    return net, X


@pytest.mark.parametrize("normalization, residual", COMBINATIONS, ids=IDS)
@pytest.mark.parametrize("activation", activations.names())
def test_exports_parse_and_spell_the_layers(normalization, residual, activation):
    config = _config(normalization, residual, activation)
    keras_source, torch_source = codegen.to_keras(config), codegen.to_pytorch(config)
    ast.parse(keras_source)
    ast.parse(torch_source)
    keras_layer = {"batch": "layers.BatchNormalization(epsilon=1e-3, momentum=0.99)",
                   "layer": "layers.LayerNormalization(epsilon=1e-3)"}.get(normalization)
    torch_layer = {"batch": "nn.BatchNorm1d(n_out, eps=1e-3, momentum=0.01)",
                   "layer": "nn.LayerNorm(n_out, eps=1e-3)", "none": "nn.Identity()"}
    if keras_layer:
        assert keras_layer in keras_source
    assert torch_layer[normalization] in torch_source
    assert ("layers.Add()([x, a])" in keras_source) == residual
    assert "keras.Model(inputs, outputs)" in keras_source and "class Block" in torch_source
    assert ("0.6 * y" in torch_source) and ("Rescaling(0.6)" in keras_source) == residual


def test_the_plain_export_is_unchanged():
    source = codegen.to_keras(Config())
    assert "keras.Sequential" in source and "Normalization" not in source
    assert "class Block" not in codegen.to_pytorch(Config())


@pytest.mark.parametrize("normalization, residual", COMBINATIONS, ids=IDS)
@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu"])
def test_pytorch_export_is_initviz_network(normalization, residual, activation):
    torch = pytest.importorskip("torch")
    config = _config(normalization, residual, activation)
    net, X = _network_after_a_step(config)
    namespace: dict = {}
    exec(codegen.to_pytorch(config), namespace)
    model = namespace["model"]
    assert sum(p.numel() for p in model.parameters()) == net.flat_parameters().size
    blocks, output = list(model)[:-1], list(model)[-1]
    with torch.no_grad():
        for layer, block in enumerate(blocks):
            block.linear.weight.copy_(torch.from_numpy(net.weights[layer].T.copy()))
            block.linear.bias.copy_(torch.from_numpy(net.biases[layer]))
            if normalization != "none":
                block.norm.weight.copy_(torch.from_numpy(net.gammas[layer]))
                block.norm.bias.copy_(torch.from_numpy(net.betas[layer]))
            if normalization == "batch":
                block.norm.running_mean.copy_(torch.from_numpy(net.running_means[layer]))
                block.norm.running_var.copy_(torch.from_numpy(net.running_variances[layer]))
        output.weight.copy_(torch.from_numpy(net.weights[-1].T.copy()))
        output.bias.copy_(torch.from_numpy(net.biases[-1]))
        model.eval()  # first: a training-mode call updates PyTorch's running statistics
        inference = model(torch.from_numpy(X)).numpy()
        model.train()
        training = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(training, net.forward(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(inference, net.logits(X), rtol=1e-4, atol=1e-5)
    if normalization == "batch":
        assert not np.allclose(training, inference, atol=1e-3)  # the two modes really differ


_KERAS_SCRIPT = textwrap.dedent("""
    import json, sys
    import keras
    import numpy as np
    cases = json.loads(sys.stdin.read())
    out = []
    for case in cases:
        namespace = {}
        exec(case["source"], namespace)
        model = namespace["model"]
        dense = [l for l in model.layers if type(l).__name__ == "Dense"]
        norms = [l for l in model.layers if type(l).__name__.endswith("Normalization")]
        for layer, (W, b) in zip(dense, case["dense"]):
            layer.set_weights([np.array(W, np.float32), np.array(b, np.float32)])
        for layer, weights in zip(norms, case["norms"]):
            layer.set_weights([np.array(w, np.float32) for w in weights])
        X = np.array(case["X"], np.float32)
        numpy = keras.ops.convert_to_numpy
        inference = numpy(model(X, training=False)).tolist()  # before a training call moves them
        out.append({
            "trainable": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "training": numpy(model(X, training=True)).tolist(),
            "inference": inference,
        })
    print(json.dumps(out))
""")


def test_keras_export_is_initviz_network():
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras is not installed")
    backend = next((b for b in ("torch", "jax", "tensorflow") if importlib.util.find_spec(b)), None)
    if backend is None:
        pytest.skip("no Keras backend is installed")
    cases, nets = [], []
    for (normalization, residual), activation in zip(COMBINATIONS * 2,
                                                     ["tanh"] * 5 + ["relu"] * 5):
        config = _config(normalization, residual, activation)
        net, X = _network_after_a_step(config)
        norms = []
        for layer in range(net.depth):
            if normalization == "batch":
                norms.append([net.gammas[layer].tolist(), net.betas[layer].tolist(),
                              net.running_means[layer].tolist(),
                              net.running_variances[layer].tolist()])
            elif normalization == "layer":
                norms.append([net.gammas[layer].tolist(), net.betas[layer].tolist()])
        cases.append({"source": codegen.to_keras(config), "X": X.tolist(), "norms": norms,
                      "dense": [(W.tolist(), b.tolist()) for W, b in zip(net.weights, net.biases)]})
        nets.append((net, X, normalization))
    env = {**os.environ, "KERAS_BACKEND": backend}
    run = subprocess.run([sys.executable, "-c", _KERAS_SCRIPT], input=json.dumps(cases),
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout.strip().splitlines()[-1])
    for (net, X, _normalization), result in zip(nets, results):
        assert result["trainable"] == net.flat_parameters().size
        np.testing.assert_allclose(result["training"], net.forward(X), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(result["inference"], net.logits(X), rtol=1e-4, atol=1e-5)
