"""Export a Config as Keras or PyTorch source: the bridge from the widget back to the line
students saw, ``Dense(13, input_dim=13, kernel_initializer='normal', activation='relu')``.

``to_keras(config)`` and ``to_pytorch(config)`` return runnable Python source that defines
``model`` (and ``loss_fn`` / ``optimizer``) with the same architecture, activation, initializer
and scale: input features from the dataset (2, or 1 for ``sine``), ``depth`` hidden layers of
``width`` units, and a linear output layer of 1 unit (binary, regression) or one per class
(the loss works on logits). ``dense_line(config)`` is the one hidden Dense layer.

How names cross over
--------------------
* A Keras name means what Keras means, a PyTorch name what PyTorch means, in both exports.
  ``he_normal`` is Keras' *truncated* normal (sigma = sqrt(2/fan_in)/0.8796, cut at 2 sigma), so
  PyTorch gets ``nn.init.trunc_normal_`` with that std and a/b = -/+2 std; ``kaiming_normal`` is
  PyTorch's *untruncated* normal, so Keras gets
  ``VarianceScaling(scale=gain**2, mode='fan_in', distribution='untruncated_normal')``.
* ``scale`` multiplies the drawn weights, so it multiplies the std by s and the variance by s^2:
  Keras' ``VarianceScaling(scale=...)`` gets ``base_scale * s**2`` (He normal x 1.5 is
  ``VarianceScaling(scale=4.5, mode='fan_in', distribution='truncated_normal')``), the fixed
  spreads get scaled arguments (``RandomNormal(stddev=0.05 * s)``, ``Orthogonal(gain=s)``,
  ``Identity(gain=s)``, ``Constant(value=s)`` for ones), and PyTorch multiplies in place
  (``layer.weight.mul_(s)`` under ``torch.no_grad()``). Biases are never scaled.
* Initializers with no Keras class (PyTorch ``sparse_``, ``trunc_normal_`` with bounds that are
  not mean +/- 2 std) are exported to Keras as a small NumPy function, which Keras accepts as
  an initializer.
* PyTorch stores a Linear weight as ``(out, in)``: ``nn.init`` computes fans from that layout
  itself, and the explicit formulas below use ``layer.in_features`` / ``layer.out_features``.

Normalization and residual connections (issue 16)
-------------------------------------------------
With ``normalization`` or ``residual`` set, each hidden layer is Dense (no activation) ->
normalization -> activation, and with ``residual`` every hidden layer after the first adds its
input: x + residual_scale * f(norm(x W + b)). Keras gets the functional API
(``BatchNormalization(epsilon=1e-3, momentum=0.99)``, ``LayerNormalization(epsilon=1e-3)``,
``layers.Add``), PyTorch a small ``Block`` module (``nn.BatchNorm1d(eps=1e-3, momentum=0.01)``:
PyTorch's momentum is the weight of the new batch, Keras' that of the old average;
``nn.LayerNorm(eps=1e-3)``). The trainable parameters are initviz's: kernels, biases, gamma and
beta. (PyTorch's running variance is the unbiased batch variance, Keras' and initviz's the
biased one: predictions differ slightly after training, not the training itself.)
"""
from __future__ import annotations

from initviz.core import activations, initializers
from initviz.core._source import num as _num

__all__ = ["to_keras", "to_pytorch", "dense_line", "keras_initializer", "keras_activation",
           "torch_init_lines", "from_code", "read_code"]

_KERAS_ACTIVATIONS = {
    "linear": '"linear"', "relu": '"relu"', "elu": '"elu"', "selu": '"selu"', "tanh": '"tanh"',
    "sigmoid": '"sigmoid"', "softplus": '"softplus"', "swish": '"silu"',
    # initviz uses PyTorch's leaky slope 0.01 (Keras defaults to 0.2) and the tanh GELU
    "leaky_relu": "lambda x: keras.activations.leaky_relu(x, negative_slope=0.01)",
    "gelu": "lambda x: keras.activations.gelu(x, approximate=True)",
}

_TORCH_ACTIVATIONS = {
    "linear": "nn.Identity()", "relu": "nn.ReLU()", "leaky_relu": "nn.LeakyReLU(0.01)",
    "elu": "nn.ELU()", "selu": "nn.SELU()", "gelu": 'nn.GELU(approximate="tanh")',
    "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()", "softplus": "nn.Softplus()",
    "swish": "nn.SiLU()",
}


def keras_initializer(name: str, scale: float = 1.0, params: dict | None = None) -> str:
    """The Keras expression for initializer ``name`` (any accepted spelling, with its own
    ``params``) whose draws are multiplied by ``scale``.

    >>> keras_initializer("he_normal")
    'keras.initializers.HeNormal()'
    >>> keras_initializer("he_normal", 1.5)
    "keras.initializers.VarianceScaling(scale=4.5, mode='fan_in', distribution='truncated_normal')"
    >>> keras_initializer("normal", 2.0)
    'keras.initializers.RandomNormal(mean=0.0, stddev=0.1)'
    """
    return initializers.keras_expression(name, scale, params)


def from_code(source: str, base=None):
    """The Config of the Keras or PyTorch model pasted as ``source``, read with ``ast`` and never
    run (:mod:`initviz.core.code_reader`); ValueError for what initviz cannot represent."""
    from initviz.core.code_reader import from_code as read
    return read(source, base)


def read_code(source: str, base=None):
    """``(config, notes)``: :func:`from_code` with the approximations it made."""
    from initviz.core.code_reader import read_code as read
    return read(source, base)


def keras_activation(name: str) -> str:
    """The Keras ``activation=`` argument for an initviz activation name."""
    return _KERAS_ACTIVATIONS[activations.get(name).name]


def _shape(config) -> tuple[int, int]:
    from initviz.core.theory import network_shape
    return network_shape(config)


def dense_line(config, input_dim: int | None = None) -> str:
    """One hidden layer as Keras code, the line students saw, e.g.
    ``Dense(32, activation='relu', kernel_initializer=keras.initializers.HeNormal())``.
    ``input_dim`` adds the old Keras 2 ``input_dim=`` argument."""
    parts = [str(config.width)]
    if input_dim is not None:
        parts.append(f"input_dim={int(input_dim)}")
    activation = keras_activation(config.activation).replace('"', "'")
    parts.append(f"activation={activation}")
    parts.append("kernel_initializer="
                 + keras_initializer(config.initializer, config.scale, config.kernel_params))
    if config.bias_initializer != initializers.DEFAULT_BIAS:  # Keras' default too
        fan_in = str(input_dim if input_dim is not None else config.width)
        bias = initializers.keras_bias_expression(config.bias_initializer, fan_in)
        parts.append(f"bias_initializer={bias}")
    return f"Dense({', '.join(parts)})"


def _header(config) -> list[str]:
    query = config.to_query()
    widths = config.hidden_widths
    shape = (f"{config.depth} hidden layers of {config.width} units" if len(set(widths)) == 1
             else f"hidden layers of {', '.join(map(str, widths))} units")
    lines = [f"# Exported by initviz: {query or 'the default configuration'}",
             f"# {shape}, {config.activation}, "
             f"{config.initializer} x {_num(config.scale)}, bias {config.bias_initializer}"
             + (f" + N(0, {_num(config.bias_std)}^2)" if config.bias_std > 0 else "")]
    if not _plain(config):
        lines.append(f"# normalization {config.normalization}, residual {config.residual} "
                     f"(branch scale {_num(config.residual_scale)})")
    return lines


_KERAS_NORMS = {"batch": "layers.BatchNormalization(epsilon=1e-3, momentum=0.99)",
                "layer": "layers.LayerNormalization(epsilon=1e-3)"}
_TORCH_NORMS = {"none": "nn.Identity()",
                "batch": "nn.BatchNorm1d(n_out, eps=1e-3, momentum=0.01)",
                "layer": "nn.LayerNorm(n_out, eps=1e-3)"}
"""Normalization name -> the library's layer, with Keras' epsilon and momentum spelled out."""


def _plain(config) -> bool:
    """No normalization and no residual connections: the Sequential export."""
    return getattr(config, "normalization", "none") == "none" and not getattr(config, "residual",
                                                                            False)


def _keras_blocks(config, kernel: str, bias: str) -> list[str]:
    """The functional-API body: hidden layers Dense -> norm -> activation (-> skip add)."""
    norm = _KERAS_NORMS.get(config.normalization)
    lines = [
        "inputs = keras.Input(shape=(sizes[0],))",
        "x = inputs",
        "for i, units in enumerate(sizes[1:-1]):",
        "    z = layers.Dense(",
        "        units,",
        f"        kernel_initializer={kernel},",
        f"        bias_initializer={bias},",
        "    )(x)",
    ]
    if norm is not None:
        lines.append(f"    z = {norm}(z)")
    lines.append(f"    a = layers.Activation({keras_activation(config.activation)})(z)")
    if config.residual:
        lines += [
            "    if i > 0:  # x_l = x_{l-1} + scale * f(norm(x_{l-1} W + b))",
            f"        a = layers.Rescaling({_num(config.residual_scale)})(a)",
            "        a = layers.Add()([x, a])",
        ]
    lines += [
        "    x = a",
        "outputs = layers.Dense(  # the output layer is linear: the loss takes logits",
        "    sizes[-1],",
        f"    kernel_initializer={kernel},",
        f"    bias_initializer={bias},",
        ")(x)",
        "model = keras.Model(inputs, outputs)",
    ]
    return lines


def _runs(sizes: list[int]) -> list[tuple[int, int, int]]:
    """``(fan_in, units, count)`` for the layers of ``sizes`` (input first): consecutive equal
    layers become one run, written as a plain ``for _ in range(count)`` loop when count > 1."""
    runs: list[tuple[int, int, int]] = []
    for fan_in, units in zip(sizes[:-1], sizes[1:]):
        if runs and runs[-1][:2] == (fan_in, units):
            runs[-1] = (fan_in, units, runs[-1][2] + 1)
        else:
            runs.append((fan_in, units, 1))
    return runs


def _keras_loss(config, n_out: int) -> str:
    if _task(config) == "regression":
        return "keras.losses.MeanSquaredError()"
    if n_out > 1:
        return "keras.losses.SparseCategoricalCrossentropy(from_logits=True)"
    return "keras.losses.BinaryCrossentropy(from_logits=True)"


def _task(config) -> str:
    from initviz.core import datasets
    return datasets.make(config.dataset, n_samples=16, noise=0.0, seed=0).task


def to_keras(config) -> str:
    """Keras 3 (or tf.keras) source defining ``model``, compiled with the same loss and
    optimizer, written as a student writes it: ``keras.Sequential()``, ``keras.Input``, one
    ``model.add(layers.Dense(...))`` per layer (a plain ``for _ in range(n)`` loop for a run of
    equal layers), initializers as Keras spells them, numbers as literals. The output layer is
    linear and the loss works on logits (``from_logits=True``), as initviz does. With a
    normalization or residual connections, the functional API (see the module docstring)."""
    n_in, n_out = _shape(config)
    kernel = keras_initializer(config.initializer, config.scale, config.kernel_params)
    widths = config.hidden_widths
    activation = keras_activation(config.activation)

    def dense(units: int, fan_in: int, hidden: bool, indent: str = "") -> list[str]:
        bias = initializers.keras_bias_expression(config.bias_initializer, str(fan_in))
        parts = [str(units), *([f"activation={activation}"] if hidden else []),
                 f"kernel_initializer={kernel}", f"bias_initializer={bias}"]
        line = f"{indent}model.add(layers.Dense({', '.join(parts)}))"
        if len(line) <= 99:
            return [line]
        pad = indent + " " * len("model.add(layers.Dense(")
        head = f"{indent}model.add(layers.Dense({', '.join(parts[:-2])},"
        return [head, f"{pad}{parts[-2]},", f"{pad}{parts[-1]}))"]

    lines = _header(config)
    if config.scale not in (0.0, 1.0) and "VarianceScaling(" in kernel:
        lines.append(f"# scale {_num(config.scale)} multiplies the std, so VarianceScaling's "
                     f"scale (a variance) is the base scale times {_num(config.scale)}**2")
    optimizer = {
        "sgd": f"keras.optimizers.SGD(learning_rate={_num(config.learning_rate)})",
        "momentum": f"keras.optimizers.SGD(learning_rate={_num(config.learning_rate)}, "
                    "momentum=0.9)",
        "adam": f"keras.optimizers.Adam(learning_rate={_num(config.learning_rate)})",
    }[config.optimizer]
    if _plain(config):
        body = ["model = keras.Sequential()", f"model.add(keras.Input(shape=({n_in},)))"]
        for fan_in, units, count in _runs([n_in, *widths]):
            if count > 1:
                body += [f"for _ in range({count}):", *dense(units, fan_in, True, "    ")]
            else:
                body += dense(units, fan_in, True)
        body += ["# the output layer is linear: the loss takes logits",
                 *dense(n_out, widths[-1], False)]
    else:
        bias = initializers.keras_bias_expression(config.bias_initializer, "sizes[i]")
        body = [f"sizes = {[n_in, *widths, n_out]}", *_keras_blocks(config, kernel, bias)]
    if config.bias_std > 0:
        body += [f"for layer in model.layers:  # initviz's bias std: N(0, {_num(config.bias_std)}^2) "
                 "added to the biases",
                 "    if isinstance(layer, layers.Dense):",
                 f"        layer.bias.assign(layer.bias + np.random.default_rng().normal(0.0, "
                 f"{_num(config.bias_std)}, layer.bias.shape).astype('float32'))"]
    body.append(f"model.compile(optimizer={optimizer},")
    body.append(f"              loss={_keras_loss(config, n_out)})")
    helpers = [source for helper, source in initializers.keras_helpers().items()
               if helper + "(" in "\n".join(body)]
    imports = ["import math", "", "import keras", "import numpy as np"] if helpers or \
        config.bias_std > 0 else ["import keras"]
    lines += [*imports, "from keras import layers", *helpers, "", *body, ""]
    return "\n".join(lines)


def torch_init_lines(name: str, target: str, fan_in: str, fan_out: str,
                     params: dict | None = None) -> list[str]:
    """PyTorch statements that fill tensor ``target`` as initviz's ``name`` does. ``fan_in`` /
    ``fan_out`` are expressions for the Keras fans (for a Keras 1-D bias both are its length).
    Unscaled: the caller multiplies by the scale."""
    return initializers.torch_statements(name, target, fan_in, fan_out, params)


def to_pytorch(config) -> str:
    """PyTorch source defining ``model`` (an ``nn.Sequential`` with one ``nn.Linear`` per
    layer), ``loss_fn`` and ``optimizer``, initialised by the usual loop over
    ``model.modules()`` with ``nn.init`` calls (scale: ``layer.weight.mul_(s)``)."""
    n_in, n_out = _shape(config)
    weight = torch_init_lines(config.initializer, "layer.weight", "fan_in", "fan_out",
                              config.kernel_params)
    # a 1-D bias has fans (n, n); PyTorch's default bounds it by the weight's fan_in instead
    fan = "fan_in" if initializers.uses_weight_fan_in(config.bias_initializer) else "fan_out"
    bias = torch_init_lines(config.bias_initializer, "layer.bias", fan, fan)
    act = _TORCH_ACTIVATIONS[activations.get(config.activation).name]
    loss = {"regression": "nn.MSELoss()"}.get(
        _task(config), "nn.BCEWithLogitsLoss()" if n_out == 1 else "nn.CrossEntropyLoss()")
    lr = _num(config.learning_rate)
    optimizer = {
        "sgd": f"torch.optim.SGD(model.parameters(), lr={lr})",
        "momentum": f"torch.optim.SGD(model.parameters(), lr={lr}, momentum=0.9)",
        "adam": f"torch.optim.Adam(model.parameters(), lr={lr}, eps=1e-7)  # Keras' epsilon",
    }[config.optimizer]
    sizes = [n_in, *config.hidden_widths, n_out]
    modules = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        modules += [f"    nn.Linear({fan_in}, {fan_out}),", f"    {act},"]
    modules += ["    # the output layer is linear: the loss takes logits",
                f"    nn.Linear({sizes[-2]}, {sizes[-1]}),"]
    init = [*weight, *([f"layer.weight.mul_({_num(config.scale)})  # initviz's scale slider"]
                       if config.scale != 1.0 else []), *bias,
            *([f"layer.bias.add_(torch.randn_like(layer.bias) * {_num(config.bias_std)})"
               "  # initviz's bias std"] if config.bias_std > 0 else [])]
    imports = ["import math", ""] if any("math." in line for line in init) else []
    if _plain(config):
        model = ["model = nn.Sequential(", *modules, ")"]
    else:  # hidden layers as a small Block module: Linear -> norm -> activation (-> skip)
        model = [
            "class Block(nn.Module):",
            '    """One hidden layer: y = act(norm(x W + b)); with a skip, x + scale * y."""',
            "",
            "    def __init__(self, n_in, n_out, skip):",
            "        super().__init__()",
            "        self.linear = nn.Linear(n_in, n_out)",
            f"        self.norm = {_TORCH_NORMS[config.normalization]}",
            f"        self.act = {act}",
            "        self.skip = skip",
            "",
            "    def forward(self, x):",
            "        y = self.act(self.norm(self.linear(x)))",
            f"        return x + {_num(config.residual_scale)} * y if self.skip else y",
            "",
            "",
            f"sizes = {sizes}",
            f"residual = {bool(config.residual)}  # every hidden layer after the first adds its input",
            "model = nn.Sequential(",
            "    *[Block(sizes[i], sizes[i + 1], skip=residual and i > 0)",
            "      for i in range(len(sizes) - 2)],",
            "    nn.Linear(sizes[-2], sizes[-1]),  # linear output: the loss takes logits",
            ")",
        ]
    lines = _header(config) + [
        *imports,
        "import torch",
        "from torch import nn",
        "",
        *model,
        "",
        "with torch.no_grad():",
        "    for layer in model.modules():",
        "        if isinstance(layer, nn.Linear):",
        "            fan_in, fan_out = layer.in_features, layer.out_features  # weight is (out, in)",
        *("            " + line for line in init),
        "",
        f"loss_fn = {loss}",
        f"optimizer = {optimizer}",
        "",
    ]
    return "\n".join(lines)
