"""Read a pasted Keras or PyTorch model into a :class:`~initviz.core.config.Config`, never
running it: the way back from the line a student saw to the explorer.

``read_code(source) -> (config, notes)`` parses ``source`` with :mod:`ast` and walks the tree.
Nothing is executed, imported or evaluated: numbers come from literal nodes
(:func:`ast.literal_eval`), and the few formulas PyTorch initialisation loops use
(``math.sqrt(2.0 / fan_in) / 0.8796``, ``1 / math.sqrt(fan_in)``) are worked out by a small
arithmetic reader that knows only numbers, + - * / **, ``math.sqrt`` and the layer's fans.
Input over :data:`MAX_SOURCE_BYTES` is refused.

What it reads
-------------
Keras: ``Sequential()`` + ``model.add(...)`` or ``Sequential([...])`` (spelled ``keras.``,
``tf.keras.``, ``keras.models.`` or imported), ``keras.Input`` / ``input_dim`` /
``input_shape``, ``Dense`` with ``activation=`` or a following ``Activation`` layer,
``kernel_initializer`` / ``bias_initializer`` as strings or initializer calls with their
parameters, a ``for _ in range(n)`` loop of layers, ``compile(optimizer=..., loss=...)``,
``fit(batch_size=...)``, and all of it inside a ``def build_model(): ... return model``.
PyTorch: ``nn.Sequential`` of ``nn.Linear`` and activation modules, ``nn.init.*_`` calls on
``model[i].weight`` / ``.bias``, the loop ``for m in model.modules(): if isinstance(m,
nn.Linear): ...`` (or ``model.apply(init_fn)``), ``.mul_``, ``.fill_``, ``zero_``, a loss and
a ``torch.optim`` optimizer.

Names cross over through the initializer specs (``initializers.get`` knows Keras class and
string names and PyTorch function names); what a PyTorch loop draws is matched against every
initializer's own PyTorch spelling (``initializers.torch_statements``), so ``std =
math.sqrt(2.0 / fan_in) / 0.8796`` + ``trunc_normal_`` reads back as Keras' ``he_normal``.

Anything initviz cannot represent (Conv2D, Dropout, a custom layer or class, mixed activations
or initializers, statements that are not part of a model) raises ValueError naming the
construct and its line; small approximations (a Keras default learning rate, a seed, an
ignored regularizer) are returned as notes.
"""
from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from initviz.core import activations, datasets, initializers, optimizers
from initviz.core.config import Config, highest

__all__ = ["FromCode", "read_code", "from_code", "MAX_SOURCE_BYTES"]

MAX_SOURCE_BYTES = 20_000
MAX_REPEAT = highest("depth")  # a range(n) loop of layers: n at most the deepest net

#: Modules whose import a pasted snippet may carry (imports are never run, only allowed).
_IMPORTS = ("keras", "tensorflow", "tf", "torch", "numpy", "np", "math", "pandas", "sklearn",
            "scikeras", "matplotlib", "collections", "typing", "__future__")

_KERAS_DEFAULT_LR = {"sgd": 0.01, "momentum": 0.01, "adam": 0.001}
_TORCH_OPTIMIZERS = {"sgd": "sgd", "adam": "adam"}
_LOSS_TASKS = {  # snake_case loss names -> the task of the data it needs
    "mse": "regression", "mean_squared_error": "regression", "mse_loss": "regression",
    "binary_crossentropy": "binary", "bce_with_logits_loss": "binary", "bce_loss": "binary",
    "categorical_crossentropy": "multiclass", "sparse_categorical_crossentropy": "multiclass",
    "cross_entropy_loss": "multiclass", "nll_loss": "multiclass",
}
_APPROXIMATE_LOSSES = {"mae": "regression", "mean_absolute_error": "regression",
                       "l1_loss": "regression", "huber": "regression", "huber_loss": "regression",
                       "smooth_l1_loss": "regression"}
_KERAS_IGNORED = ("name", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                  "kernel_constraint", "bias_constraint", "dtype", "trainable")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class FromCode(NamedTuple):
    """What :func:`read_code` returns: the Config and the approximations it made."""

    config: Config
    notes: tuple[str, ...]


def from_code(source: str, base: Config | None = None) -> Config:
    """The Config of the Keras or PyTorch model in ``source`` (see :func:`read_code`)."""
    return read_code(source, base).config


def read_code(source: str, base: Config | None = None) -> FromCode:
    """``(config, notes)`` for the model in ``source``: its layers, activation, initializers,
    loss (hence the data set: one of initviz's sets with that many inputs and outputs),
    optimizer and learning rate; every other field from ``base`` (default ``Config()``).
    ValueError for anything it cannot represent, naming the construct and its line."""
    if not isinstance(source, str):
        raise ValueError(f"source must be text, got {type(source).__name__}")
    size = len(source.encode("utf-8", "replace"))
    if size > MAX_SOURCE_BYTES:
        raise ValueError(f"the code is {size:,} bytes; at most {MAX_SOURCE_BYTES:,} are read")
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ValueError(f"line {error.lineno}: not valid Python ({error.msg})") from None
    base = base or Config()
    library = _library(tree)
    reader = _KerasReader() if library == "keras" else _TorchReader()
    reader.statements(tree.body)
    return reader.assemble(base)


# ---------------------------------------------------------------------------------------------
# shared pieces
# ---------------------------------------------------------------------------------------------
def _fail(node: ast.AST | None, message: str) -> ValueError:
    line = getattr(node, "lineno", None)
    return ValueError(f"line {line}: {message}" if line else message)


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of names, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _last(node: ast.AST) -> str | None:
    name = _dotted(node)
    return name.rsplit(".", 1)[-1] if name else None


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def _source(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _literal(node: ast.AST, what: str) -> Any:
    """The value of a literal node (number, string, None, True/False, tuple or list of those),
    via ast.literal_eval; anything else (a name, a call) is a ValueError."""
    if isinstance(node, (ast.Constant, ast.UnaryOp, ast.Tuple, ast.List)):
        try:
            return ast.literal_eval(node)
        except ValueError:
            pass
    raise _fail(node, f"{what} must be a literal value, got {_source(node)}")


def _number(node: ast.AST, what: str) -> float:
    value = _literal(node, what)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(node, f"{what} must be a number, got {_source(node)}")
    return float(value)


def _int(node: ast.AST, what: str) -> int:
    value = _literal(node, what)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(node, f"{what} must be a whole number, got {_source(node)}")
    return value


def _arguments(call: ast.Call, names: list[str], what: str) -> dict[str, ast.AST]:
    """``call``'s arguments by name, positional ones mapped onto ``names`` in order."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None
                                                                 for k in call.keywords):
        raise _fail(call, f"{what}: *args / **kwargs cannot be read; write the arguments out")
    if len(call.args) > len(names):
        raise _fail(call, f"{what} takes at most {len(names)} positional arguments here")
    out: dict[str, ast.AST] = dict(zip(names, call.args))
    for keyword in call.keywords:
        assert keyword.arg is not None  # **kwargs refused above
        out[keyword.arg] = keyword.value
    return out


class _Init(NamedTuple):
    """An initializer read from the code: canonical name, parameters (validated, defaults
    filled in), the factor its draws are multiplied by, and where it was written."""

    name: str
    params: dict
    scale: float
    line: int

    def same(self, other: _Init) -> bool:
        return (self.name == other.name and _close(self.scale, other.scale)
                and _same_params(self.params, other.params))


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (isinstance(a, (int, float)) and isinstance(b, (int, float))
                and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))
    return a == b


def _same_params(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)


def _initializer(name: str, params: dict, node: ast.AST) -> initializers.Initializer:
    try:
        return initializers.get(name, **params)
    except ValueError as error:
        raise _fail(node, str(error)) from None


def _activation(name: str, node: ast.AST) -> str:
    try:
        return activations.get(name).name
    except ValueError as error:
        raise _fail(node, str(error)) from None


@dataclass
class _Layer:
    units: int
    fan_in: int | None
    line: int
    activation: str | None = None  # None: not given (linear)
    activation_line: int = 0
    kernel: _Init | None = None    # None: the library's default
    bias: _Init | None = None


@dataclass
class _Reader:
    """What both libraries' readers collect; ``assemble`` turns it into a Config."""

    layers: list[_Layer] = field(default_factory=list)
    n_in: int | None = None
    task: str | None = None
    loss_line: int = 0
    optimizer: str | None = None
    learning_rate: float | None = None
    batch_size: int | None = None
    notes: list[str] = field(default_factory=list)
    library: str = ""
    default_kernel: str = ""
    default_bias: str = ""
    output_activation_ok: tuple = ()

    # -- statements both libraries share -------------------------------------------------
    def import_(self, node: ast.Import | ast.ImportFrom) -> None:
        modules = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                   else [alias.name for alias in node.names])
        for module in modules:
            if module.split(".")[0] not in _IMPORTS:
                raise _fail(node, f"import {module}: not part of a Keras or PyTorch model "
                                  f"(imports initviz passes over: {', '.join(_IMPORTS[:9])})")

    def docstring(self, node: ast.stmt) -> bool:
        return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
            and isinstance(node.value.value, str)

    # -- the Config ----------------------------------------------------------------------
    def assemble(self, base: Config) -> FromCode:
        layers = self.layers
        if not layers:
            raise ValueError(f"no {self.library} model found: expected "
                             + ("Sequential() with Dense layers" if self.library == "Keras"
                                else "nn.Sequential(...) of nn.Linear layers"))
        if len(layers) < 2:
            raise _fail_line(layers[0].line, "the model has no hidden layer (a single "
                             "Dense/Linear layer); initviz's networks have at least one")
        hidden, output = layers[:-1], layers[-1]
        acts = {layer.activation or "linear" for layer in hidden}
        if len(acts) > 1:
            where = ", ".join(f"{layer.activation or 'linear'} on line "
                              f"{layer.activation_line or layer.line}" for layer in hidden)
            raise _fail_line(hidden[0].line, f"mixed activations ({where}); initviz uses one "
                             "activation for every hidden layer")
        activation = acts.pop()
        if activation not in activations.names():
            raise _fail_line(hidden[0].activation_line, f"{activation} on a hidden layer: "
                             f"initviz's hidden activations are {', '.join(activations.names())}")
        n_out = output.units
        task = self._task(n_out, output, base)
        widths = [layer.units for layer in hidden]
        kernel = self._kernel(layers)
        bias = self._bias(layers)
        dataset = self._dataset(base, n_out, task)
        values: dict[str, Any] = dict(
            dataset=dataset, depth=len(hidden), width=max(widths), widths=tuple(widths),
            activation=activation,
            initializer=kernel.name, scale=kernel.scale,
            initializer_params=_own(kernel.name, kernel.params), bias_initializer=bias)
        optimizer = self.optimizer or base.optimizer
        values["optimizer"] = optimizer
        if self.learning_rate is not None:
            values["learning_rate"] = self.learning_rate
        if self.batch_size is not None:
            values["batch_size"] = self.batch_size
        try:
            config = base.replace(**values)
        except ValueError as error:
            raise ValueError(f"the model reads as a setting initviz refuses: {error}") from None
        return FromCode(config, tuple(self.notes))

    def _task(self, n_out: int, output: _Layer, base: Config) -> str:
        act = output.activation
        if act not in (None, "linear"):
            if act not in self.output_activation_ok:
                raise _fail_line(output.activation_line or output.line,
                                 f"a {act} output layer; initviz's output layer is linear "
                                 "(sigmoid or softmax before the loss are fine)")
            self.notes.append(f"the {act} on the output layer is read as part of the loss: "
                              "initviz's output layer is linear and its loss takes logits")
        task = self.task
        if task is None:
            shapes = _dataset_shapes()
            tasks = [s[2] for name, s in shapes.items()
                     if s[1] == n_out and self.n_in in (None, s[0])]
            preferred = shapes[base.dataset][2]
            task = preferred if preferred in tasks else tasks[0] if tasks else "binary"
            if act == "sigmoid":
                task = "binary"
            self.notes.append(f"no loss given: read as {task} ({n_out} output"
                              f"{'s' if n_out > 1 else ''})")
        if task == "binary" and n_out != 1:
            raise _fail_line(self.loss_line, f"a binary loss with {n_out} outputs")
        if task == "multiclass" and n_out < 2:
            raise _fail_line(self.loss_line, "a multiclass loss with 1 output")
        return task

    def _dataset(self, base: Config, n_out: int, task: str) -> str:
        """The data set with the model's inputs and outputs: ``base``'s when it fits."""
        shapes = _dataset_shapes()
        fits = [name for name, shape in shapes.items()
                if shape[1:] == (n_out, task) and self.n_in in (None, shape[0])]
        if not fits:
            have = "; ".join(f"{name}: {s[0]} inputs, {s[1]} output{'s' if s[1] > 1 else ''}"
                             f" ({s[2]})" for name, s in shapes.items())
            inputs = "an unknown number of" if self.n_in is None else str(self.n_in)
            raise ValueError(f"no initviz data set fits a model with {inputs} inputs and "
                             f"{n_out} output{'s' if n_out > 1 else ''} ({task}); the data "
                             f"sets are {have}")
        if base.dataset in fits:
            return base.dataset
        if self.n_in is None:
            self.notes.append(f"the code gives no input width; {fits[0]}'s "
                              f"{shapes[fits[0]][0]} inputs are used")
        return fits[0]

    def _kernel(self, layers: list[_Layer]) -> _Init:
        inits = [layer.kernel or self._default(self.default_kernel, layer) for layer in layers]
        first = inits[0]
        for layer, init in zip(layers, inits):
            if not init.same(first):
                raise _fail_line(init.line or layer.line,
                                 f"this layer's kernel initializer ({_describe(init)}) differs "
                                 f"from the first layer's ({_describe(first)}); initviz draws "
                                 "every kernel with one initializer")
        return first

    def _bias(self, layers: list[_Layer]) -> str:
        inits = [layer.bias or self._default(self.default_bias, layer) for layer in layers]
        canonical = [n for group in initializers.groups().values() for n in group]
        for name in dict.fromkeys([self.default_bias, *initializers.bias_names(), *canonical]):
            if all(_draws_like(init, name, layer) for init, layer in zip(inits, layers)):
                try:
                    return Config(bias_initializer=name).bias_initializer
                except ValueError:
                    continue
        names: list[str] = []
        for layer in layers:
            init = layer.bias or self._default(self.default_bias, layer)
            if names and _draws_like(init, names[0], layer):
                names.append(names[0])  # the first layer's name explains this one too
            else:
                names.append(self._bias_name(init, layer))
        for layer, name in zip(layers, names):
            if name != names[0] and not _same_draws(name, names[0], layer.fan_in or 1):
                raise _fail_line(layer.line, f"this layer's bias initializer ({name}) differs "
                                 f"from the first layer's ({names[0]}); initviz draws every "
                                 "bias with one initializer")
        return names[0]

    def _bias_name(self, init: _Init, layer: _Layer) -> str:
        defaults = initializers.params_of(init.name)
        if _same_params(init.params, initializers.get(init.name).params) and init.scale == 1:
            name = init.name
        else:
            name = self._weight_fan_bias(init, layer) or ""
            if not name:
                name = init.name
                note = (f"the bias initializer {_describe(init)} is read as {init.name} with "
                        f"its defaults ({_params_text(defaults) or 'no parameters'}): "
                        "initviz's bias initializer takes no parameters")
                if note not in self.notes:
                    self.notes.append(note)
        try:
            Config(bias_initializer=name)
        except ValueError as error:
            raise _fail_line(init.line or layer.line, str(error)) from None
        return name

    def _weight_fan_bias(self, init: _Init, layer: _Layer) -> str | None:
        """A bias bounded by its weight's fan_in (PyTorch's default) written out."""
        return None

    def _default(self, name: str, layer: _Layer) -> _Init:
        return _Init(name, initializers.get(name).params, 1.0, 0)


def _draws_like(init: _Init, name: str, layer: _Layer) -> bool:
    """The bias ``init`` of ``layer`` draws what initializer ``name`` draws there."""
    import numpy as np

    if layer.fan_in is None:
        return False
    try:
        read = initializers.get(init.name, **init.params)
        if init.name == initializers.TORCH_LINEAR_DEFAULT and init.params.get("fan_in") is None:
            read = initializers.for_bias(read, layer.fan_in)
        ours = initializers.for_bias(name, layer.fan_in)
        a = read((layer.units,), np.random.default_rng(0)) * np.float32(init.scale)
        b = ours((layer.units,), np.random.default_rng(0))
    except ValueError:
        return False
    return bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _same_draws(a: str, b: str, fan_in: int) -> bool:
    """Two bias initializers that draw the same values (constant 0 and zeros)."""
    import numpy as np

    draws = [initializers.for_bias(name, fan_in)((16,), np.random.default_rng(0))
             for name in (a, b)]
    return bool(np.array_equal(draws[0], draws[1]))


def _fail_line(line: int, message: str) -> ValueError:
    return ValueError(f"line {line}: {message}" if line else message)


def _own(name: str, params: dict) -> dict:
    defaults = initializers.params_of(name)
    return {k: v for k, v in params.items() if not _close(v, defaults.get(k))}


def _params_text(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def _describe(init: _Init) -> str:
    own = _own(init.name, init.params)
    text = f"{init.name}({_params_text(own)})"
    return text if init.scale == 1 else f"{text} x {init.scale:g}"


_SHAPES: dict[str, tuple[int, int, str]] = {}


def _dataset_shapes() -> dict[str, tuple[int, int, str]]:
    """Data set name -> (inputs, outputs, task), from the data sets themselves."""
    if not _SHAPES:
        for name in datasets.names():
            data = datasets.make(name, n_samples=64, noise=0.0, seed=0)
            _SHAPES[name] = (data.n_features, data.output_units, data.task)
    return _SHAPES


def _library(tree: ast.Module) -> str:
    """``"keras"`` or ``"torch"``, from the layers the code calls."""
    names = {_last(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    if "Linear" in names:
        return "torch"
    if names & {"Dense", "Sequential"}:
        return "keras"
    raise ValueError("no Keras (Sequential + Dense) or PyTorch (nn.Sequential + nn.Linear) "
                     "model found in the code")


# ---------------------------------------------------------------------------------------------
# Keras
# ---------------------------------------------------------------------------------------------
@dataclass
class _KerasReader(_Reader):
    model: str | None = None
    library: str = "Keras"
    default_kernel: str = initializers.DEFAULT_KERNEL
    default_bias: str = initializers.DEFAULT_BIAS
    output_activation_ok: tuple = ("sigmoid", "softmax")
    builders: set = field(default_factory=set)  # functions that build the model

    def statements(self, body: list[ast.stmt], in_function: bool = False) -> None:
        for node in body:
            self.statement(node, in_function)

    def statement(self, node: ast.stmt, in_function: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return self.import_(node)
        if self.docstring(node) or isinstance(node, ast.Pass):
            return None
        if isinstance(node, ast.FunctionDef):
            if node.name in initializers.keras_helpers():
                return None  # initviz's own NumPy initializer (never run): its calls are read
            if not any(isinstance(n, ast.Call) and _last(n.func) == "Sequential"
                       for n in ast.walk(node)):
                raise _fail(node, f"function {node.name}(): initviz reads a model, not other "
                                  "code (a function building the model is fine)")
            self.builders.add(node.name)
            return self.statements(node.body, in_function=True)
        if isinstance(node, ast.Return) and in_function:
            if isinstance(node.value, ast.Name) and node.value.id == self.model:
                return None
            raise _fail(node, f"return {_source(node.value) if node.value else ''}: expected "
                              "return model")
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call):
            return self.assign(node.targets[0].id, node.value, node)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            return self.method(node.value)
        if isinstance(node, ast.For):
            return self.repeat(node)
        raise _fail(node, f"{_source(node)}: not part of a Keras model initviz can read")

    def assign(self, name: str, call: ast.Call, node: ast.stmt) -> None:
        callee = _last(call.func)
        if callee == "Sequential":
            if self.model is not None:
                raise _fail(node, "a second Sequential model; initviz reads one")
            self.model = name
            args = _arguments(call, ["layers", "trainable", "name"], "Sequential")
            if "layers" in args:
                if not isinstance(args["layers"], (ast.List, ast.Tuple)):
                    raise _fail(call, "Sequential(layers): write the layers as a list")
                for element in args["layers"].elts:
                    self.layer(element)
            return None
        if isinstance(call.func, ast.Name) and call.func.id in self.builders and not call.args:
            return None  # model = build_model()
        if callee in ("KerasRegressor", "KerasClassifier"):  # scikeras / keras.wrappers
            args = _arguments(call, [], callee)
            if "batch_size" in args:
                self.batch_size = _int(args["batch_size"], "batch_size")
            if "epochs" in args:
                self.notes.append(f"epochs={_source(args['epochs'])} is not a setting: the "
                                  "explorer trains until you pause it")
            return None
        if callee in ("Input", "Dense"):
            raise _fail(node, f"{name} = {callee}(...): the functional API cannot be read; "
                              "write keras.Sequential() with model.add(...)")
        raise _fail(node, f"{name} = {_source(call)}: not part of a Keras model initviz can read")

    def method(self, call: ast.Call) -> None:
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == self.model and self.model is not None):
            raise _fail(call, f"{_source(call)}: not part of a Keras model initviz can read")
        if func.attr == "add":
            if len(call.args) != 1 or call.keywords:
                raise _fail(call, "model.add takes one layer")
            return self.layer(call.args[0])
        if func.attr == "compile":
            return self.compile(call)
        if func.attr == "fit":
            args = _arguments(call, ["x", "y", "batch_size", "epochs"], "fit")
            if "batch_size" in args:
                self.batch_size = _int(args["batch_size"], "batch_size")
            if "epochs" in args:
                self.notes.append(f"fit(epochs={_source(args['epochs'])}) is not a setting: "
                                  "the explorer trains until you pause it")
            return None
        if func.attr in ("summary", "build"):
            return None
        raise _fail(call, f"model.{func.attr}(...): not something initviz reads")

    def repeat(self, node: ast.For) -> None:
        it = node.iter
        if not (isinstance(it, ast.Call) and _dotted(it.func) == "range" and len(it.args) == 1
                and not it.keywords) or node.orelse:
            raise _fail(node, f"for {_source(node.target)} in {_source(it)}: only "
                              "'for _ in range(n)' loops of layers can be read")
        count = _int(it.args[0], "range(n)")
        if not 0 <= count <= MAX_REPEAT:
            raise _fail(node, f"range({count}): at most {MAX_REPEAT} repeated layers")
        for _ in range(count):
            self.statements(node.body)

    def layer(self, node: ast.AST) -> None:
        if not isinstance(node, ast.Call) or _dotted(node.func) is None:
            raise _fail(node, f"{_source(node)}: expected a layer such as layers.Dense(...)")
        kind = _last(node.func)
        line = node.lineno
        if kind == "Dense":
            return self.dense(node)
        if kind in ("Input", "InputLayer"):
            args = _arguments(node, ["shape"], kind)
            shape = args.get("shape", args.get("input_shape"))
            if shape is None:
                raise _fail(node, f"{kind}() without a shape")
            self.n_in = self._width(shape)
            return None
        if kind == "Activation":
            args = _arguments(node, ["activation"], "Activation")
            return self.attach(self.activation(args["activation"]), line)
        classes = _torch_activation_classes()
        if kind in ("ReLU", "ELU", "LeakyReLU", "Softmax"):
            if kind == "LeakyReLU":
                self.notes.append(f"line {line}: Keras' LeakyReLU layer has slope 0.3 by "
                                  "default; initviz's leaky_relu uses PyTorch's 0.01")
            return self.attach("softmax" if kind == "Softmax" else classes[kind], line)
        raise _fail(node, f"{kind} layer: initviz's network has Dense layers and activations "
                          f"only (no {kind})")

    def attach(self, activation: str, line: int) -> None:
        if not self.layers:
            raise _fail_line(line, "an activation before the first Dense layer")
        last = self.layers[-1]
        if last.activation not in (None, "linear"):
            raise _fail_line(line, f"a second activation after a Dense layer that already has "
                             f"{last.activation}")
        last.activation, last.activation_line = activation, line

    def _width(self, node: ast.AST) -> int:
        shape = _literal(node, "the input shape")
        if isinstance(shape, int) and not isinstance(shape, bool):
            shape = (shape,)
        if not (isinstance(shape, (tuple, list)) and len(shape) == 1
                and isinstance(shape[0], int)):
            raise _fail(node, f"input shape {shape!r}: initviz's inputs are flat vectors "
                              "(shape=(n,))")
        return int(shape[0])

    def dense(self, call: ast.Call) -> None:
        args = _arguments(call, ["units", "activation", "use_bias", "kernel_initializer",
                                 "bias_initializer"], "Dense")
        if "units" not in args:
            raise _fail(call, "Dense() without units")
        layer = _Layer(_int(args.pop("units"), "units"), None, call.lineno)
        for key, value in args.items():
            if key == "activation":
                layer.activation = self.activation(value)
                layer.activation_line = call.lineno
            elif key == "kernel_initializer":
                layer.kernel = self.initializer(value)
            elif key == "bias_initializer":
                layer.bias = self.initializer(value)
            elif key in ("input_dim", "input_shape"):
                width = self._width(value)
                if self.layers or (self.n_in is not None and self.n_in != width):
                    raise _fail(call, f"{key} on a layer that is not the first")
                self.n_in = width
            elif key == "use_bias":
                if _literal(value, "use_bias") is not True:
                    raise _fail(call, "use_bias=False: initviz's layers always have a bias")
            elif key in _KERAS_IGNORED:
                if key != "name":
                    self.notes.append(f"line {call.lineno}: {key} is ignored (initviz has no "
                                      "regularizers or constraints)")
            else:
                raise _fail(call, f"Dense({key}=...): not something initviz reads")
        self.layers.append(layer)

    def activation(self, node: ast.AST) -> str:
        if isinstance(node, ast.Constant) and node.value is None:
            return "linear"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
        elif isinstance(node, ast.Lambda) and isinstance(node.body, ast.Call):
            name = _last(node.body.func) or ""  # lambda x: keras.activations.gelu(x, ...)
            self._lambda_options(name, node.body)
        else:
            name = _last(node) or ""
        if not name:
            raise _fail(node, f"activation {_source(node)}: expected a name such as 'relu'")
        if name.lower() == "softmax":
            return "softmax"
        return _activation(name, node)

    def _lambda_options(self, name: str, call: ast.Call) -> None:
        """initviz's leaky_relu has slope 0.01 and its gelu is the tanh approximation."""
        options = {k.arg: k.value for k in call.keywords}
        expected = {"leaky_relu": ("negative_slope", 0.01), "gelu": ("approximate", True)}
        if name in expected:
            key, value = expected[name]
            if key not in options or not _close(_literal(options[key], key), value):
                self.notes.append(f"line {call.lineno}: {name} is read as initviz's ({key}="
                                  f"{value})")

    def initializer(self, node: ast.AST) -> _Init:
        """A Keras ``kernel_initializer`` / ``bias_initializer``: a name or an initializer
        call (``keras.initializers.RandomNormal(stddev=0.02)``, an initviz NumPy helper)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            init = _initializer(node.value, {}, node)
            return _Init(init.name, init.params, 1.0, node.lineno)
        if not (isinstance(node, ast.Call) and _dotted(node.func)):
            raise _fail(node, f"initializer {_source(node)}: write a name ('he_normal') or a "
                              "call (keras.initializers.HeNormal())")
        name = _last(node.func)
        assert name is not None  # node.func is dotted
        scale = 1.0
        helpers = initializers.keras_helpers()
        spec_name = name[len("torch_"):] if name in helpers else name
        try:
            order = list(initializers.params_of(spec_name))
        except ValueError as error:
            raise _fail(node, str(error)) from None
        args = _arguments(node, order + (["scale"] if name in helpers else []), name)
        params: dict[str, Any] = {}
        for key, value in args.items():
            if key in ("seed", "dtype"):
                self.notes.append(f"line {node.lineno}: {name}({key}=...) is ignored: initviz "
                                  "seeds every draw from the explorer's seed")
                continue
            if key == "scale" and name in helpers:
                scale = _number(value, "scale")
                continue
            params[key] = _literal(value, f"{name}({key}=...)")
        init = _initializer(spec_name, params, node)
        return _Init(init.name, init.params, scale, node.lineno)

    def assemble(self, base: Config) -> FromCode:
        fan_in = self.n_in
        for layer in self.layers:
            layer.fan_in, fan_in = fan_in, layer.units
        return super().assemble(base)

    def _weight_fan_bias(self, init: _Init, layer: _Layer) -> str | None:
        """A bias written as its layer's numbers: PyTorch's default bias in Keras is
        RandomUniform(minval=-1/sqrt(fan_in), maxval=1/sqrt(fan_in))."""
        if layer.fan_in is None:
            return None
        for name in (n for group in initializers.groups().values() for n in group):
            if not initializers.uses_weight_fan_in(name):
                continue
            text = initializers.keras_bias_expression(name, str(layer.fan_in))
            drawn = self.initializer(ast.parse(text, mode="eval").body)
            if drawn.same(init):
                return name
        return None

    def compile(self, call: ast.Call) -> None:
        args = _arguments(call, ["optimizer", "loss"], "compile")
        if "optimizer" in args:
            self.read_optimizer(args["optimizer"])
        if "loss" in args:
            self.read_loss(args["loss"])

    def read_optimizer(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name, options = node.value, {}
        elif isinstance(node, ast.Call) and _dotted(node.func):
            last = _last(node.func)
            assert last is not None  # node.func is dotted
            name = last
            options = _arguments(node, ["learning_rate"], name)
        else:
            raise _fail(node, f"optimizer {_source(node)}: write 'adam' or "
                              "keras.optimizers.Adam(learning_rate=...)")
        key = name.lower()
        if key not in ("sgd", "adam"):
            raise _fail(node, f"optimizer {name}: initviz has {', '.join(optimizers.names())}")
        rate = options.pop("learning_rate", options.pop("lr", None))
        momentum = options.pop("momentum", None)
        if momentum is not None and _number(momentum, "momentum") != 0:
            key = "momentum"
            if not _close(_number(momentum, "momentum"), 0.9):
                self.notes.append(f"line {node.lineno}: momentum "
                                  f"{_number(momentum, 'momentum'):g} is read as initviz's 0.9")
        for option in options:
            self.notes.append(f"line {node.lineno}: {name}({option}=...) is ignored")
        self.optimizer = key
        if rate is None:
            self.learning_rate = _KERAS_DEFAULT_LR[key]
            self.notes.append(f"no learning rate given: Keras' default for {name}, "
                              f"{self.learning_rate:g}")
        else:
            self.learning_rate = _number(rate, "learning_rate")

    def read_loss(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name, options = node.value, {}
        elif isinstance(node, ast.Call) and _dotted(node.func):
            last = _last(node.func)
            assert last is not None  # node.func is dotted
            name = last
            options = _arguments(node, [], name)
        else:
            raise _fail(node, f"loss {_source(node)}: write 'mse' or keras.losses.X()")
        self.task, self.loss_line = _loss_task(_snake(name), node, self.notes), node.lineno
        if self.task != "regression" and self.layers:
            logits = options.get("from_logits")
            output = self.layers[-1].activation
            if (logits is None or _literal(logits, "from_logits") is False) \
                    and output in (None, "linear"):
                self.notes.append(f"line {node.lineno}: the loss expects probabilities "
                                  "(from_logits=False) but the output layer is linear; "
                                  "initviz's loss takes logits, as from_logits=True does")


def _loss_task(key: str, node: ast.expr, notes: list[str]) -> str:
    if key in _LOSS_TASKS:
        return _LOSS_TASKS[key]
    if key in _APPROXIMATE_LOSSES:
        notes.append(f"line {node.lineno}: {key} is read as mean squared error (initviz's "
                     "regression loss)")
        return _APPROXIMATE_LOSSES[key]
    raise _fail(node, f"loss {key}: initviz has mean squared error, binary and categorical "
                      "cross-entropy")


# ---------------------------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------------------------
class _Call(NamedTuple):
    """One ``nn.init`` call (or ``fill_``) with numbers worked out: the initializer it draws."""

    name: str
    params: dict

    def same(self, other: _Call | None) -> bool:
        return other is not None and self.name == other.name \
            and _same_params(self.params, other.params)


@dataclass
class _Tensor:
    """What the code does to one weight or bias: its last draw, the factor applied after it,
    and the source of the draw's call (to prefer the initializer whose own spelling it is)."""

    call: _Call | None = None
    factor: float = 1.0
    text: str = ""
    line: int = 0


class _Arithmetic:
    """Numbers from literals, the names assigned so far and the layer's fans: + - * / **,
    ``math.sqrt`` and ``nn.init.calculate_gain``; nothing else is evaluated."""

    def __init__(self, env: dict[str, float]) -> None:
        self.env = env

    def value(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, float, str)) and not isinstance(node.value, bool):
                return node.value
            if node.value is None:
                return None
        if isinstance(node, ast.Name) and node.id in self.env:
            return self.env[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            x = self.number(node.operand)
            return -x if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.BinOp) and isinstance(node.op, tuple(_OPERATORS)):
            a, b = self.number(node.left), self.number(node.right)
            if isinstance(node.op, ast.Pow) and abs(b) > 4:
                raise _fail(node, f"{_source(node)}: powers above 4 are not read")
            try:
                return float(_OPERATORS[type(node.op)](a, b))
            except (ZeroDivisionError, OverflowError, ValueError):
                raise _fail(node, f"{_source(node)} has no finite value") from None
        if isinstance(node, ast.Call) and _last(node.func) == "sqrt" and len(node.args) == 1:
            x = self.number(node.args[0])
            if x < 0:
                raise _fail(node, f"{_source(node)}: square root of a negative number")
            return math.sqrt(x)
        if isinstance(node, ast.Call) and _last(node.func) == "calculate_gain":
            args = [self.value(a) for a in node.args]
            if any(k.arg is None for k in node.keywords):
                raise _fail(node, "calculate_gain: **kwargs cannot be read; write the arguments out")
            kw = {k.arg: self.value(k.value) for k in node.keywords if k.arg is not None}
            try:
                return initializers.calculate_gain(*args, **kw)
            except (TypeError, ValueError) as error:
                raise _fail(node, str(error)) from None
        raise _fail(node, f"{_source(node)}: initviz reads numbers, +, -, *, /, math.sqrt "
                          "and the layer's fans here")

    def number(self, node: ast.AST) -> float:
        x = self.value(node)
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise _fail(node, f"{_source(node)} is not a number")
        return float(x)


_OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b,
}


def _torch_activation_classes() -> dict[str, str]:
    """PyTorch module class -> initviz activation, read off codegen's export table."""
    from initviz.core.codegen import _TORCH_ACTIVATIONS

    return {spelling.split("(")[0].rsplit(".", 1)[-1]: name
            for name, spelling in _TORCH_ACTIVATIONS.items()}


@dataclass
class _TorchReader(_Reader):
    model: str | None = None
    library: str = "PyTorch"
    default_kernel: str = initializers.TORCH_LINEAR_DEFAULT
    default_bias: str = initializers.TORCH_LINEAR_DEFAULT
    output_activation_ok: tuple = ("sigmoid", "softmax", "log_softmax")
    modules: list[tuple[int, str]] = field(default_factory=list)  # Linear -> module index
    tensors: dict[tuple[int, str], _Tensor] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)

    def statements(self, body: list[ast.stmt]) -> None:
        for node in body:
            self.statement(node)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return self.import_(node)
        if self.docstring(node) or isinstance(node, ast.Pass):
            return None
        if isinstance(node, ast.ClassDef):
            raise _fail(node, f"class {node.name}: a custom module cannot be read; write the "
                              "layers as nn.Sequential(nn.Linear(...), nn.ReLU(), ...)")
        if isinstance(node, ast.FunctionDef):
            self.functions[node.name] = node  # read only if model.apply(...) uses it
            return None
        if isinstance(node, ast.With):
            if not all(_last(item.context_expr.func if isinstance(item.context_expr, ast.Call)
                             else item.context_expr) == "no_grad" for item in node.items):
                raise _fail(node, "only 'with torch.no_grad():' blocks can be read")
            return self.statements(node.body)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call):
            return self.assign(node.targets[0].id, node.value, node)
        if isinstance(node, ast.For):
            return self.init_loop(node)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            return self.call(node.value)
        raise _fail(node, f"{_source(node)}: not part of a PyTorch model initviz can read")

    def assign(self, name: str, call: ast.Call, node: ast.stmt) -> None:
        callee = _dotted(call.func) or ""
        last = callee.rsplit(".", 1)[-1]
        if last == "Sequential":
            if self.model is not None:
                raise _fail(node, "a second nn.Sequential model; initviz reads one")
            self.model = name
            return self.sequential(call)
        if last.endswith("Loss"):
            self.task = _loss_task(_snake(last), call, self.notes)
            self.loss_line = call.lineno
            return None
        if callee.startswith(("torch.optim.", "optim.")) or last in ("SGD", "Adam"):
            return self.read_optimizer(last, call)
        raise _fail(node, f"{name} = {_source(call)}: not part of a PyTorch model initviz can "
                          "read")

    def sequential(self, call: ast.Call) -> None:
        classes = _torch_activation_classes()
        if call.keywords:
            raise _fail(call, "nn.Sequential(...) keyword arguments cannot be read")
        previous: int | None = None
        for index, node in enumerate(call.args):
            if not (isinstance(node, ast.Call) and _dotted(node.func)):
                raise _fail(node, f"{_source(node)}: write the modules inside "
                                  "nn.Sequential(nn.Linear(...), nn.ReLU(), ...)")
            kind = _last(node.func)
            if kind == "Linear":
                args = _arguments(node, ["in_features", "out_features", "bias"], "nn.Linear")
                fan_in = _int(args["in_features"], "in_features")
                units = _int(args["out_features"], "out_features")
                if "bias" in args and _literal(args["bias"], "bias") is not True:
                    raise _fail(node, "bias=False: initviz's layers always have a bias")
                if previous is not None and fan_in != previous:
                    raise _fail(node, f"nn.Linear({fan_in}, ...) after a layer of {previous} "
                                      "units")
                if previous is None:
                    self.n_in = fan_in
                self.layers.append(_Layer(units, fan_in, node.lineno))
                self.modules.append((index, kind))
                previous = units
            elif kind in classes or kind in ("Softmax", "LogSoftmax"):
                name = classes.get(kind) or _snake(kind)
                self._activation_options(kind, node)
                if not self.layers:
                    raise _fail(node, f"nn.{kind}() before the first nn.Linear")
                last = self.layers[-1]
                if last.activation is not None:
                    raise _fail(node, f"a second activation (nn.{kind}) after one nn.Linear")
                last.activation, last.activation_line = name, node.lineno
                self.modules.append((index, kind))
            else:
                raise _fail(node, f"nn.{kind}: initviz's network has nn.Linear layers and "
                                  f"activations only (no {kind})")

    def _activation_options(self, kind: str, node: ast.Call) -> None:
        if kind == "LeakyReLU":
            args = _arguments(node, ["negative_slope", "inplace"], kind)
            if "negative_slope" in args and not _close(
                    _number(args["negative_slope"], "negative_slope"), 0.01):
                self.notes.append(f"line {node.lineno}: LeakyReLU's slope is read as initviz's "
                                  "0.01")
        if kind == "GELU":
            args = _arguments(node, ["approximate"], kind)
            if "approximate" not in args or _literal(args["approximate"], "approximate") != "tanh":
                self.notes.append(f"line {node.lineno}: GELU is read as initviz's tanh "
                                  "approximation")

    def read_optimizer(self, name: str, call: ast.Call) -> None:
        key = name.lower()
        if key not in _TORCH_OPTIMIZERS:
            raise _fail(call, f"optimizer {name}: initviz has {', '.join(optimizers.names())}")
        args = _arguments(call, ["params", "lr"], name)
        args.pop("params", None)
        rate = args.pop("lr", None)
        momentum = args.pop("momentum", None)
        if momentum is not None and _number(momentum, "momentum") != 0:
            key = "momentum"
            if not _close(_number(momentum, "momentum"), 0.9):
                self.notes.append(f"line {call.lineno}: momentum is read as initviz's 0.9")
        for option in args:
            if option != "eps":
                self.notes.append(f"line {call.lineno}: {name}({option}=...) is ignored")
        self.optimizer = key
        if rate is None:
            self.learning_rate = 0.001 if key == "adam" else None
            if rate is None and key == "adam":
                self.notes.append("no learning rate given: PyTorch's default for Adam, 0.001")
            elif rate is None:
                raise _fail(call, "torch.optim.SGD needs lr=")
        else:
            self.learning_rate = _number(rate, "lr")

    def call(self, call: ast.Call) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id == self.model and func.attr == "apply":
            if len(call.args) != 1 or not isinstance(call.args[0], ast.Name) \
                    or call.args[0].id not in self.functions:
                raise _fail(call, "model.apply(f): f must be a function defined above")
            function = self.functions[call.args[0].id]
            if len(function.args.args) != 1:
                raise _fail(function, f"{function.name}() must take one module")
            return self.each_linear(function.args.args[0].arg, function.body)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id == self.model:
            raise _fail(call, f"model.{func.attr}(...): not something initviz reads")
        # a direct statement on one layer: nn.init.x_(model[0].weight, ...)
        self.init_statement(ast.Expr(call, lineno=call.lineno), None, None)

    def init_loop(self, node: ast.For) -> None:
        it = node.iter
        source = _dotted(it.func) if isinstance(it, ast.Call) else _dotted(it)
        allowed = {f"{self.model}.modules", f"{self.model}.children", f"{self.model}"}
        if not (isinstance(node.target, ast.Name) and source in allowed) or node.orelse:
            raise _fail(node, f"for ... in {_source(it)}: only loops over the model's modules "
                              "(for m in model.modules(): ...) can be read")
        self.each_linear(node.target.id, node.body)

    def each_linear(self, var: str, body: list[ast.stmt]) -> None:
        """Read ``body`` once per nn.Linear, with ``var`` that layer and its fans known."""
        for number, layer in enumerate(self.layers):
            env = {"fan_in": float(_fan_in(layer)), "fan_out": float(layer.units)}
            self.block(body, var, number, env, linear=False)

    def block(self, body: list[ast.stmt], var: str, number: int, env: dict,
              linear: bool) -> None:
        for index, node in enumerate(body):
            if isinstance(node, ast.If):
                kind = self._test(node.test, var)
                if kind == "linear":
                    if node.orelse:
                        raise _fail(node, "an else branch for other modules cannot be read")
                    self.block(node.body, var, number, env, True)
                elif kind == "not_linear":
                    if not (len(node.body) == 1 and isinstance(node.body[0], ast.Continue)):
                        raise _fail(node, "if not isinstance(...): expected continue")
                    return self.block(body[index + 1:], var, number, env, True)
                elif kind == "has_bias":
                    self.block(node.body, var, number, env, linear)
                continue
            if not linear:
                raise _fail(node, f"{_source(node)}: apply it only to nn.Linear modules "
                                  "(if isinstance(m, nn.Linear): ...)")
            if isinstance(node, ast.Assign):
                self.assign_numbers(node, var, number, env)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self.init_statement(node, var, number, env)
            elif not isinstance(node, ast.Pass):
                raise _fail(node, f"{_source(node)}: not something initviz reads in an "
                                  "initialisation loop")

    def _test(self, test: ast.AST, var: str) -> str:
        def is_linear(node: ast.AST) -> bool:
            if isinstance(node, ast.Call) and _dotted(node.func) == "isinstance" \
                    and len(node.args) == 2 and isinstance(node.args[0], ast.Name) \
                    and node.args[0].id == var:
                kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
                return [_last(k) for k in kinds] == ["Linear"]
            if isinstance(node, ast.Compare) and len(node.ops) == 1 \
                    and isinstance(node.ops[0], (ast.Eq, ast.Is)) \
                    and _source(node.left) == f"type({var})":
                return _last(node.comparators[0]) == "Linear"
            return False

        if is_linear(test):
            return "linear"
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and is_linear(test.operand):
            return "not_linear"
        if isinstance(test, ast.Compare) and _source(test) == f"{var}.bias is not None":
            return "has_bias"
        raise _fail(test, f"if {_source(test)}: initviz reads 'if isinstance({var}, nn.Linear)'")

    def assign_numbers(self, node: ast.Assign, var: str, number: int, env: dict) -> None:
        layer = self.layers[number]
        fans = {f"{var}.in_features": _fan_in(layer), f"{var}.out_features": layer.units}
        target = node.targets[0] if len(node.targets) == 1 else None
        names = ([target] if isinstance(target, ast.Name) else
                 target.elts if isinstance(target, ast.Tuple) else [])
        values = ([node.value] if isinstance(target, ast.Name) else
                  node.value.elts if isinstance(node.value, ast.Tuple) else [])
        if not names or len(names) != len(values) or not all(isinstance(n, ast.Name) for n in names):
            raise _fail(node, f"{_source(node)}: only 'name = number' assignments are read here")
        for name, value in zip(names, values):
            assert isinstance(name, ast.Name)  # checked above
            text = _dotted(value)
            env[name.id] = (float(fans[text]) if text is not None and text in fans
                            else _Arithmetic(env).number(value))

    def init_statement(self, node: ast.Expr, var: str | None, number: int | None,
                       env: dict | None = None) -> None:
        call = node.value
        assert isinstance(call, ast.Call)  # callers pass a call's expression statement
        func = call.func
        if not isinstance(func, ast.Attribute):
            raise _fail(call, f"{_source(call)}: not part of a PyTorch model initviz can read")
        name = _dotted(func) or ""
        if name.split(".")[-2:-1] == ["init"] or name.startswith(("nn.init.", "init.")):
            if not call.args:
                raise _fail(call, f"{name}() without a tensor")
            which, layer = self.tensor(call.args[0], var, number)
            env = env if env is not None else self._fans_env(layer)
            function = name.rsplit(".", 1)[-1]
            try:
                spec_name = initializers.get(function).name
            except ValueError as error:
                raise _fail(call, str(error)) from None
            order = list(initializers.params_of(spec_name))
            rest = ast.Call(func, call.args[1:], call.keywords)
            args = _arguments(rest, order, name)
            if args.pop("generator", None) is not None:
                self.notes.append(f"line {call.lineno}: generator= is ignored: initviz draws "
                                  "from the explorer's seed")
            params = {"value" if k == "val" else k: _Arithmetic(env).value(v)
                      for k, v in args.items()}
            init = _initializer(spec_name, params, call)
            state = self.tensors.setdefault((layer, which), _Tensor())
            state.call, state.factor = _Call(init.name, init.params), 1.0
            state.text, state.line = _normal_text(call, call.args[0]), call.lineno
            return None
        # methods on a tensor: model[0].weight.mul_(1.5), m.bias.data.fill_(0.01), zero_()
        which, layer = self.tensor(func.value, var, number)
        env = env if env is not None else self._fans_env(layer)
        state = self.tensors.setdefault((layer, which), _Tensor())
        if func.attr == "mul_" and len(call.args) == 1:
            state.factor *= _Arithmetic(env).number(call.args[0])
        elif func.attr == "fill_" and len(call.args) == 1:
            value = _Arithmetic(env).number(call.args[0])
            state.call = (_Call(initializers.DEFAULT_BIAS, {}) if value == 0
                          else _Call(initializers.CONSTANT, {"value": value}))
            state.factor = 1.0
            state.text, state.line = "", call.lineno
        elif func.attr == "zero_" and not call.args:
            state.call, state.factor = _Call(initializers.DEFAULT_BIAS, {}), 1.0
            state.text, state.line = "", call.lineno
        else:
            raise _fail(call, f"{_source(call)}: initviz reads nn.init calls, mul_, fill_ and "
                              "zero_ on weights and biases")

    def _fans_env(self, layer: int) -> dict:
        return {"fan_in": float(_fan_in(self.layers[layer])),
                "fan_out": float(self.layers[layer].units)}

    def tensor(self, node: ast.AST, var: str | None, number: int | None) -> tuple[str, int]:
        """``('weight' | 'bias', Linear number)`` of ``m.weight``, ``model[2].bias.data``."""
        if isinstance(node, ast.Attribute) and node.attr == "data":
            node = node.value
        if not (isinstance(node, ast.Attribute) and node.attr in ("weight", "bias")):
            raise _fail(node, f"{_source(node)}: expected a layer's .weight or .bias")
        owner = node.value
        if var is not None and isinstance(owner, ast.Name) and owner.id == var:
            assert number is not None  # a loop variable names the layer it is read for
            return node.attr, number
        if isinstance(owner, ast.Subscript) and isinstance(owner.value, ast.Name) \
                and owner.value.id == self.model:
            index = _int(owner.slice, "a module index")
            count = len(self._module_indices())
            total = self._module_count()
            if index < 0:
                index += total
            for linear, module in enumerate(self._module_indices()):
                if module == index:
                    return node.attr, linear
            raise _fail(node, f"{_source(owner)} is not an nn.Linear ({count} of them)")
        raise _fail(node, f"{_source(node)}: expected model[i].weight or the loop's module")

    def _module_indices(self) -> list[int]:
        return [index for index, kind in self.modules if kind == "Linear"]

    def _module_count(self) -> int:
        return len(self.modules)

    # -- what the code draws -> an initializer --------------------------------------------
    def assemble(self, base: Config) -> FromCode:
        for (layer, which), state in self.tensors.items():
            if which == "bias" and state.call is not None:
                self.layers[layer].bias = _Init(state.call.name, state.call.params,
                                                state.factor, state.line)
            elif which == "bias":
                raise _fail_line(state.line, "a bias scaled but not drawn")
        self._check_kernels()
        return super().assemble(base)

    def _check_kernels(self) -> None:
        """Match what every layer's weight draws against each initializer's PyTorch spelling,
        so a fan-dependent formula (he_normal through trunc_normal_) reads as one initializer."""
        states = [self.tensors.get((n, "weight"), _Tensor()) for n in range(len(self.layers))]
        if all(s.call is None for s in states):
            for layer, s in zip(self.layers, states):
                default = initializers.TORCH_LINEAR_DEFAULT
                layer.kernel = _Init(default, initializers.get(default).params,
                                     s.factor, s.line)
            return None
        missing = [n for n, s in enumerate(states) if s.call is None]
        if missing:
            raise _fail_line(self.layers[missing[0]].line,
                             "this layer keeps PyTorch's default initialisation while others "
                             "are drawn differently; initviz draws every kernel one way")
        match = self._match(states)
        if match is None:
            first = states[0]
            assert first.call is not None  # no layer is missing its draw (above)
            raise _fail_line(first.line, "the layers' weights are drawn differently (e.g. "
                             f"{first.call.name} {_params_text(first.call.params)}) in a way no "
                             "one initializer describes")
        name, params, scale = match
        for layer, s in zip(self.layers, states):
            layer.kernel = _Init(name, params, scale, s.line)

    def _match(self, states: list[_Tensor]) -> tuple[str, dict, float] | None:
        """(initializer, params, scale) whose PyTorch statements draw what each layer draws;
        the one whose own spelling the code uses first, then the fewest parameters."""
        candidates: list[tuple[str, dict]] = []
        first = states[0].call
        assert first is not None  # every layer's weight is drawn (checked by the caller)
        candidates.append((first.name, dict(first.params)))
        for name in (n for group in initializers.groups().values() for n in group):
            candidates.append((name, {}))
            if name == initializers.VARIANCE_SCALING:
                candidates += self._variance_scaling_candidates(states[0])
        found = []
        for rank, (name, params) in enumerate(candidates):
            scale = self._explains(name, params, states)
            if scale is not None:
                own = _own(name, initializers.get(name, **params).params)
                textual = all(self._spelled(name, params, s, n) for n, s in enumerate(states))
                found.append((not textual, len(own), rank, name, params, scale))
        if not found:
            return None
        _, _, _, name, params, scale = min(found, key=lambda f: f[:3])
        return name, initializers.get(name, **params).params, scale

    def _variance_scaling_candidates(self, state: _Tensor) -> list[tuple[str, dict]]:
        """variance_scaling with the scale that gives layer 0's variance, for each mode and
        distribution (the matching below checks every layer)."""
        layer = self.layers[0]
        fi, fo = _fan_in(layer), layer.units
        assert state.call is not None  # layer 0's weight is drawn (checked by the caller)
        try:
            _, second = initializers.moments(state.call.name, fi, fo, state.call.params)
        except ValueError:
            return []
        out = []
        modes, distributions = initializers.variance_scaling_choices()
        for mode in modes:
            n = initializers.moments(initializers.VARIANCE_SCALING, fi, fo,
                                     {"mode": mode})[1]  # Var = 1/n at scale 1
            for distribution in distributions:
                if second > 0:
                    out.append((initializers.VARIANCE_SCALING,
                                {"scale": float(f"{second / n:.12g}"),
                                                     "mode": mode,
                                                     "distribution": distribution}))
        return out

    def _explains(self, name: str, params: dict, states: list[_Tensor]) -> float | None:
        """The scale with which ``name``'s PyTorch statements draw what every layer draws."""
        ratio = None
        for number, state in enumerate(states):
            layer = self.layers[number]
            try:
                lines = initializers.torch_statements(name, "w", "fan_in", "fan_out", params)
            except ValueError:
                return None
            drawn = _run_spelling(lines, layer)
            if drawn is None:
                return None
            assert drawn.call is not None  # an initializer's own statements draw
            if not drawn.call.same(state.call) or drawn.factor == 0:
                return None
            r = state.factor / drawn.factor
            if ratio is None:
                ratio = r
            elif not _close(r, ratio):
                return None
        return ratio

    def _spelled(self, name: str, params: dict, state: _Tensor, number: int) -> bool:
        if not state.text:
            return False
        lines = initializers.torch_statements(name, "TENSOR", "fan_in", "fan_out", params)
        calls = [ast.parse(line).body[0] for line in lines]
        texts = [_normal_text(c.value, c.value.args[0]) for c in calls
                 if isinstance(c, ast.Expr) and isinstance(c.value, ast.Call)
                 and (_dotted(c.value.func) or "").startswith("nn.init.")]
        return bool(texts) and texts[-1] == state.text

    def _weight_fan_bias(self, init: _Init, layer: _Layer) -> str | None:
        return _bias_by_spelling(init, layer)

    def _bias_name(self, init: _Init, layer: _Layer) -> str:
        if init.name == initializers.TORCH_LINEAR_DEFAULT and init.params.get("fan_in") is None:
            return initializers.TORCH_LINEAR_DEFAULT
        match = _bias_by_spelling(init, layer)
        return match or super()._bias_name(init, layer)

    def _default(self, name: str, layer: _Layer) -> _Init:
        return _Init(name, initializers.get(name).params, 1.0, 0)


def _bias_by_spelling(init: _Init, layer: _Layer) -> str | None:
    """The bias initializer (no parameters) whose PyTorch statements, with this layer's fans,
    draw ``init``: the export's ``bound = 1 / math.sqrt(fan_in)`` + ``uniform_`` is
    torch_default."""
    canonical = [n for group in initializers.groups().values() for n in group]
    for name in [*initializers.bias_names(), *canonical]:
        fan = "fan_in" if initializers.uses_weight_fan_in(name) else "fan_out"
        try:
            lines = initializers.torch_statements(name, "w", fan, fan)
        except ValueError:
            continue
        drawn = _run_spelling(lines, layer)
        if drawn is None:
            continue
        assert drawn.call is not None  # an initializer's own statements draw
        if drawn.call.same(_Call(init.name, init.params)) and _close(drawn.factor, init.scale):
            return name
    return None


def _normal_text(call: ast.Call, target: ast.AST) -> str:
    """A call's source with its tensor argument replaced, keywords sorted: the spelling."""
    keywords = sorted(call.keywords, key=lambda k: k.arg or "")
    clone = ast.Call(ast.Name("nn_init_" + (_last(call.func) or ""), ast.Load()),
                     [ast.Name("TENSOR", ast.Load()), *call.args[1:]], keywords)
    return ast.dump(clone, annotate_fields=False)


def _fan_in(layer: _Layer) -> int:
    """The fan-in of a layer the PyTorch reader built (nn.Linear always names in_features)."""
    assert layer.fan_in is not None
    return layer.fan_in


def _run_spelling(lines: list[str], layer: _Layer) -> _Tensor | None:
    """What an initializer's own PyTorch statements draw for a tensor ``w`` of this layer
    (its fans bound to ``fan_in`` / ``fan_out``), read by the same arithmetic as pasted code;
    None when they are not plain nn.init calls."""
    try:
        return _spelling_draws(lines, layer)
    except ValueError:
        return None


def _spelling_draws(lines: list[str], layer: _Layer) -> _Tensor | None:
    env: dict[str, float] = {"fan_in": float(_fan_in(layer)), "fan_out": float(layer.units)}
    state = _Tensor()
    for line in lines:
        node = ast.parse(line).body[0]
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            env[node.targets[0].id] = _Arithmetic(env).number(node.value)
            continue
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            return None
        call = node.value
        name = _dotted(call.func) or ""
        if name.startswith("nn.init."):
            spec_name = initializers.get(name.rsplit(".", 1)[-1]).name
            rest = ast.Call(call.func, call.args[1:], call.keywords)
            args = _arguments(rest, list(initializers.params_of(spec_name)), name)
            params = {"value" if k == "val" else k: _Arithmetic(env).value(v)
                      for k, v in args.items()}
            init = initializers.get(spec_name, **params)
            state.call, state.factor = _Call(init.name, init.params), 1.0
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "mul_":
            state.factor *= _Arithmetic(env).number(call.args[0])
        else:
            return None
    return state if state.call is not None else None
