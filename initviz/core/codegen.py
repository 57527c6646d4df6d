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
"""
from __future__ import annotations

from initviz.core import activations, initializers
from initviz.core._source import num as _num

__all__ = ["to_keras", "to_pytorch", "dense_line", "keras_initializer", "keras_activation",
           "torch_init_lines"]

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
    return [f"# Exported by initviz: {query or 'the default configuration'}",
            f"# {config.depth} hidden layers of {config.width} units, {config.activation}, "
            f"{config.initializer} x {_num(config.scale)}, bias {config.bias_initializer}"]


def to_keras(config) -> str:
    """Keras 3 (or tf.keras) source defining ``model``, compiled with the same loss and
    optimizer. The loss works on logits (``from_logits=True``), as initviz does."""
    n_in, n_out = _shape(config)
    kernel = keras_initializer(config.initializer, config.scale, config.kernel_params)
    bias = initializers.keras_bias_expression(config.bias_initializer, "sizes[i]")
    lines = _header(config)
    if config.scale not in (0.0, 1.0) and "VarianceScaling(" in kernel:
        lines.append(f"# scale {_num(config.scale)} multiplies the std, so VarianceScaling's "
                     f"scale (a variance) is the base scale times {_num(config.scale)}**2")
    loss = {1: "keras.losses.BinaryCrossentropy(from_logits=True)"}.get(n_out)
    if config.dataset == "sine":
        loss = "keras.losses.MeanSquaredError()"
    elif n_out > 1:
        loss = "keras.losses.SparseCategoricalCrossentropy(from_logits=True)"
    optimizer = {
        "sgd": f"keras.optimizers.SGD(learning_rate={_num(config.learning_rate)})",
        "momentum": f"keras.optimizers.SGD(learning_rate={_num(config.learning_rate)}, "
                    "momentum=0.9)",
        "adam": f"keras.optimizers.Adam(learning_rate={_num(config.learning_rate)})",
    }[config.optimizer]
    lines += [
        "import math",
        "",
        "import keras",
        "import numpy as np",
        "from keras import layers",
        *[source for helper, source in initializers.keras_helpers().items()
          if helper + "(" in kernel + bias],
        "",
        f"sizes = [{n_in}] + [{config.width}] * {config.depth} + [{n_out}]",
        "model = keras.Sequential([keras.Input(shape=(sizes[0],))])",
        "for i, units in enumerate(sizes[1:]):",
        "    hidden = i < len(sizes) - 2  # the output layer is linear: the loss takes logits",
        "    model.add(layers.Dense(",
        "        units,",
        f"        activation={keras_activation(config.activation)} if hidden else None,",
        f"        kernel_initializer={kernel},",
        f"        bias_initializer={bias},",
        "    ))",
        f"model.compile(optimizer={optimizer}, loss={loss})",
        "",
    ]
    return "\n".join(lines)


def torch_init_lines(name: str, target: str, fan_in: str, fan_out: str,
                     params: dict | None = None) -> list[str]:
    """PyTorch statements that fill tensor ``target`` as initviz's ``name`` does. ``fan_in`` /
    ``fan_out`` are expressions for the Keras fans (for a Keras 1-D bias both are its length).
    Unscaled: the caller multiplies by the scale."""
    return initializers.torch_statements(name, target, fan_in, fan_out, params)


def to_pytorch(config) -> str:
    """PyTorch source defining ``model`` (an ``nn.Sequential``), ``loss_fn`` and ``optimizer``,
    initialised with ``nn.init`` calls in a loop over the Linear layers."""
    n_in, n_out = _shape(config)
    weight = torch_init_lines(config.initializer, "layer.weight", "fan_in", "fan_out",
                              config.kernel_params)
    # a 1-D bias has fans (n, n); PyTorch's default bounds it by the weight's fan_in instead
    fan = "fan_in" if initializers.uses_weight_fan_in(config.bias_initializer) else "fan_out"
    bias = torch_init_lines(config.bias_initializer, "layer.bias", fan, fan)
    act = _TORCH_ACTIVATIONS[activations.get(config.activation).name]
    loss = "nn.BCEWithLogitsLoss()" if n_out == 1 else "nn.CrossEntropyLoss()"
    if config.dataset == "sine":
        loss = "nn.MSELoss()"
    lr = _num(config.learning_rate)
    optimizer = {
        "sgd": f"torch.optim.SGD(model.parameters(), lr={lr})",
        "momentum": f"torch.optim.SGD(model.parameters(), lr={lr}, momentum=0.9)",
        "adam": f"torch.optim.Adam(model.parameters(), lr={lr}, eps=1e-7)  # Keras' epsilon",
    }[config.optimizer]
    lines = _header(config) + [
        "import math",
        "",
        "import torch",
        "from torch import nn",
        "",
        f"sizes = [{n_in}] + [{config.width}] * {config.depth} + [{n_out}]",
        "modules = []",
        "for i in range(len(sizes) - 1):",
        "    modules.append(nn.Linear(sizes[i], sizes[i + 1]))",
        "    if i < len(sizes) - 2:  # the output layer is linear: the loss takes logits",
        f"        modules.append({act})",
        "model = nn.Sequential(*modules)",
        "",
        "with torch.no_grad():",
        "    for layer in model:",
        "        if not isinstance(layer, nn.Linear):",
        "            continue",
        "        fan_in, fan_out = layer.in_features, layer.out_features  # weight is (out, in)",
        *("        " + line for line in weight),
    ]
    if config.scale != 1.0:
        lines.append(f"        layer.weight.mul_({_num(config.scale)})  # initviz's scale slider")
    lines += [*("        " + line for line in bias), "",
              f"loss_fn = {loss}", f"optimizer = {optimizer}", ""]
    return "\n".join(lines)
