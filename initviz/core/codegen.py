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

import math

from initviz.core import activations, initializers
from initviz.core.initializers import TRUNCATION_CORRECTION

__all__ = ["to_keras", "to_pytorch", "dense_line", "keras_initializer", "keras_activation",
           "torch_init_lines"]

_VS_PRESETS = {  # Keras name -> (VarianceScaling scale, mode, distribution, Keras class)
    "glorot_uniform": (1.0, "fan_avg", "uniform", "GlorotUniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal", "GlorotNormal"),
    "he_uniform": (2.0, "fan_in", "uniform", "HeUniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal", "HeNormal"),
    "lecun_uniform": (1.0, "fan_in", "uniform", "LecunUniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal", "LecunNormal"),
}

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


def _num(x: float) -> str:
    """A float literal, short but exact enough (12 significant digits)."""
    text = f"{float(x):.12g}"
    return text if any(c in text for c in ".einn") else text + ".0"


def _kwargs(**values) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def _vs(scale: float, mode: str, distribution: str) -> str:
    return (f"keras.initializers.VarianceScaling(scale={_num(scale)}, mode={mode!r}, "
            f"distribution={distribution!r})")


_HELPERS = {
    "torch_trunc_normal": '''
def torch_trunc_normal(mean=0.0, std=1.0, a=-2.0, b=2.0, scale=1.0):
    """PyTorch trunc_normal_ for Keras: N(mean, std^2) redrawn outside [a, b], times scale."""
    def init(shape, dtype=None):
        rng, n, kept = np.random.default_rng(), math.prod(shape), np.empty(0)
        while kept.size < n:
            z = rng.normal(mean, std, 2 * n + 16)
            kept = np.concatenate([kept, z[(z >= a) & (z <= b)]])
        return (scale * kept[:n]).reshape(shape).astype("float32")
    return init
''',
    "torch_sparse": '''
def torch_sparse(sparsity=0.1, std=0.01, scale=1.0):
    """PyTorch sparse_ for Keras' (in, out) kernels: N(0, std^2), ceil(sparsity * out) zeros
    in each row (each input unit's outgoing weights), times scale."""
    def init(shape, dtype=None):
        rng = np.random.default_rng()
        w = rng.normal(0.0, std, shape)
        cols = np.argsort(rng.random(shape), axis=1)[:, :math.ceil(sparsity * shape[1])]
        np.put_along_axis(w, cols, 0.0, axis=1)
        return (scale * w).astype("float32")
    return init
''',
}


def _numpy_function(init: initializers.Initializer, scale: float) -> str:
    """A NumPy initializer for what Keras lacks (sparse, trunc_normal with other bounds): a call
    of a helper that ``to_keras`` defines (Keras accepts any ``f(shape, dtype)``)."""
    p = init.params
    if init.name == "sparse":
        return f"torch_sparse({_kwargs(sparsity=_num(p['sparsity']), std=_num(p['std']), scale=_num(scale))})"
    args = {k: _num(p[k]) for k in ("mean", "std", "a", "b")}
    return f"torch_trunc_normal({_kwargs(**args, scale=_num(scale))})"


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
    init = initializers.get(name, **dict(params or {}))
    n, p, s = init.name, init.params, float(scale)
    k = "keras.initializers."
    if n == "zeros" or s == 0:
        return k + "Zeros()"
    if n == "ones":
        return k + "Ones()" if s == 1 else k + f"Constant(value={_num(s)})"
    if n == "constant":
        return k + f"Constant(value={_num(p['value'] * s)})"
    if n in ("random_normal", "torch_normal", "jax_normal"):
        mean = p.get("mean", 0.0)
        std = p.get("stddev", p.get("std"))
        if n == "random_normal" and s == 1 and mean == 0 and std == 0.05:
            return k + "RandomNormal(stddev=0.05)"
        return k + f"RandomNormal({_kwargs(mean=_num(mean * s), stddev=_num(std * s))})"
    if n in ("random_uniform", "torch_uniform", "positive_uniform"):
        lo, hi = {"random_uniform": (p.get("minval"), p.get("maxval")),
                  "torch_uniform": (p.get("a"), p.get("b")),
                  "positive_uniform": (0.0, p.get("scale"))}[n]
        return k + f"RandomUniform({_kwargs(minval=_num(lo * s), maxval=_num(hi * s))})"
    if n == "truncated_normal":
        return k + f"TruncatedNormal({_kwargs(mean=_num(p['mean'] * s), stddev=_num(p['stddev'] * s))})"
    if n == "trunc_normal":
        mean, std, a, b = p["mean"], p["std"], p["a"], p["b"]
        if math.isclose(a, mean - 2 * std) and math.isclose(b, mean + 2 * std):
            # Keras cuts at mean +/- 2 stddev: the same distribution (PyTorch's default N(0,1))
            return k + f"TruncatedNormal({_kwargs(mean=_num(mean * s), stddev=_num(std * s))})"
        return _numpy_function(init, s)
    if n in _VS_PRESETS:
        base, mode, distribution, cls = _VS_PRESETS[n]
        return k + f"{cls}()" if s == 1 else _vs(base * s * s, mode, distribution)
    if n == "variance_scaling":
        return _vs(p["scale"] * s * s, p["mode"], p["distribution"])
    if n == "torch_default":  # U(-1/sqrt(fan_in), +1/sqrt(fan_in)): Var = 1/(3 fan_in)
        return _vs(s * s / 3.0, "fan_in", "uniform")
    if n in ("xavier_uniform", "xavier_normal"):
        g = p["gain"]
        return _vs(g * g * s * s, "fan_avg",
                   "uniform" if n == "xavier_uniform" else "untruncated_normal")
    if n in ("kaiming_uniform", "kaiming_normal"):
        g = initializers.calculate_gain(p["nonlinearity"], p["a"])
        return _vs(g * g * s * s, p["mode"],
                   "uniform" if n == "kaiming_uniform" else "untruncated_normal")
    if n == "orthogonal":
        return k + f"Orthogonal(gain={_num(p['gain'] * s)})"
    if n in ("identity", "eye"):
        gain = p.get("gain", 1.0) * s
        return k + ("Identity()" if gain == 1 else f"Identity(gain={_num(gain)})")
    if n == "sparse":
        return _numpy_function(init, s)
    raise ValueError(f"no Keras export for initializer {n!r}")  # pragma: no cover


def _keras_bias(name: str, fan_in_expr: str) -> str:
    if initializers.get(name).name == "torch_default":  # bound from the weight's fan_in
        bound = f"1 / math.sqrt({fan_in_expr})"
        return f"keras.initializers.RandomUniform(minval=-{bound}, maxval={bound})"
    return keras_initializer(name)


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
    parts.append(f"kernel_initializer={keras_initializer(config.initializer, config.scale)}")
    if config.bias_initializer != "zeros":
        fan_in = str(input_dim if input_dim is not None else config.width)
        parts.append(f"bias_initializer={_keras_bias(config.bias_initializer, fan_in)}")
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
    kernel = keras_initializer(config.initializer, config.scale)
    bias = _keras_bias(config.bias_initializer, "sizes[i]")
    lines = _header(config)
    base = initializers.get(config.initializer).name
    if config.scale not in (0.0, 1.0) and (base in _VS_PRESETS or base in (
            "variance_scaling", "torch_default", "xavier_uniform", "xavier_normal",
            "kaiming_uniform", "kaiming_normal")):
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
        *[_HELPERS[h] for h in _HELPERS if h + "(" in kernel + bias],
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
    init = initializers.get(name, **dict(params or {}))
    n, p = init.name, init.params
    c = _num(TRUNCATION_CORRECTION)

    def keras_truncated(variance: str) -> list[str]:
        return [f"std = math.sqrt({variance}) / {c}  # Keras widens its truncated normal",
                f"nn.init.trunc_normal_({target}, std=std, a=-2 * std, b=2 * std)"]

    if n == "zeros":
        return [f"nn.init.zeros_({target})"]
    if n == "ones":
        return [f"nn.init.ones_({target})"]
    if n == "constant":
        return [f"nn.init.constant_({target}, {_num(p['value'])})"]
    if n in ("random_normal", "torch_normal", "jax_normal"):
        std = p.get("stddev", p.get("std"))
        return [f"nn.init.normal_({target}, mean={_num(p.get('mean', 0.0))}, std={_num(std)})"]
    if n in ("random_uniform", "torch_uniform", "positive_uniform"):
        lo, hi = {"random_uniform": (p.get("minval"), p.get("maxval")),
                  "torch_uniform": (p.get("a"), p.get("b")),
                  "positive_uniform": (0.0, p.get("scale"))}[n]
        return [f"nn.init.uniform_({target}, a={_num(lo)}, b={_num(hi)})"]
    if n == "truncated_normal":  # Keras: cut at mean +/- 2 stddev, no correction
        mean, std = _num(p["mean"]), _num(p["stddev"])
        return [f"nn.init.trunc_normal_({target}, mean={mean}, std={std}, "
                f"a={mean} - 2 * {std}, b={mean} + 2 * {std})"]
    if n == "trunc_normal":
        return [f"nn.init.trunc_normal_({target}, {_kwargs(**{k: _num(v) for k, v in p.items()})})"]
    if n in _VS_PRESETS or n == "variance_scaling":
        if n == "variance_scaling":
            scale, mode, distribution = p["scale"], p["mode"], p["distribution"]
        else:
            scale, mode, distribution, _ = _VS_PRESETS[n]
        if n == "glorot_uniform" and fan_in != fan_out:
            return [f"nn.init.xavier_uniform_({target})"]
        if n == "he_uniform" and fan_in != fan_out:
            return [f'nn.init.kaiming_uniform_({target}, nonlinearity="relu")']
        if n == "lecun_uniform" and fan_in != fan_out:
            return [f'nn.init.kaiming_uniform_({target}, nonlinearity="linear")']
        fan = {"fan_in": fan_in, "fan_out": fan_out,
               "fan_avg": f"({fan_in} + {fan_out}) / 2"}[mode]
        variance = f"{_num(scale)} / {fan}" if mode != "fan_avg" else f"{_num(scale)} / ({fan})"
        if distribution == "uniform":
            return [f"limit = math.sqrt(3 * {variance})",
                    f"nn.init.uniform_({target}, -limit, limit)"]
        if distribution == "untruncated_normal":
            return [f"nn.init.normal_({target}, std=math.sqrt({variance}))"]
        return keras_truncated(variance)
    if n == "torch_default":  # nn.Linear's own default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        return [f"bound = 1 / math.sqrt({fan_in})",
                f"nn.init.uniform_({target}, -bound, bound)"]
    if n in ("xavier_uniform", "xavier_normal"):
        return [f"nn.init.{n}_({target}, gain={_num(p['gain'])})"]
    if n in ("kaiming_uniform", "kaiming_normal"):
        return [f"nn.init.{n}_({target}, a={_num(p['a'])}, mode={p['mode']!r}, "
                f"nonlinearity={p['nonlinearity']!r})"]
    if n == "orthogonal":
        return [f"nn.init.orthogonal_({target}, gain={_num(p['gain'])})"]
    if n in ("identity", "eye"):  # torch's (out, in) eye is the transpose of Keras' (in, out)
        lines = [f"nn.init.eye_({target})"]
        if p.get("gain", 1.0) != 1.0:
            lines.append(f"{target}.mul_({_num(p['gain'])})")
        return lines
    if n == "sparse":
        return [f"nn.init.sparse_({target}, sparsity={_num(p['sparsity'])}, std={_num(p['std'])})"]
    raise ValueError(f"no PyTorch export for initializer {n!r}")  # pragma: no cover


def to_pytorch(config) -> str:
    """PyTorch source defining ``model`` (an ``nn.Sequential``), ``loss_fn`` and ``optimizer``,
    initialised with ``nn.init`` calls in a loop over the Linear layers."""
    n_in, n_out = _shape(config)
    weight = torch_init_lines(config.initializer, "layer.weight", "fan_in", "fan_out")
    bias = torch_init_lines(config.bias_initializer, "layer.bias", "fan_out", "fan_out")
    if initializers.get(config.bias_initializer).name == "torch_default":
        bias = torch_init_lines("torch_default", "layer.bias", "fan_in", "fan_in")
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
