"""``Config``: everything that defines a run, declared once as a table of fields.

Each field of the frozen dataclass carries a :class:`FieldSpec` (its kind, range, help, whether
a share link may hide its control, and how a control shows it). Everything else is generated
from that table: validation in ``Config.__post_init__``, the link parser (``from_query``), the
command line's options (``initviz figure --depth N``), the app's controls and the Share tab's
list of hideable controls. Adding a field means adding one line here.

A setting is also bounded as a whole, not only field by field: :func:`estimate_cost` predicts
the memory a run needs (training workspace, parameters and optimizer state, statistics and the
figures) and ``Config`` refuses any setting over :func:`memory_budget` (256 MB per kernel by
default; a server's operator sets ``INITVIZ_MEMORY_BUDGET_MB``). A short link such as
``?n_samples=100000&depth=50&width=512`` would otherwise make one student's kernel allocate
about 70 GB.

    >>> Config(initializer="he_normal", activation="relu", depth=12).to_query()
    'activation=relu&depth=12&initializer=he_normal'
"""
from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

from initviz.core import activations, datasets, initializers, optimizers
from initviz.core._registry import lookup

__all__ = ["Config", "FieldSpec", "FIELDS", "Cost", "estimate_cost", "highest", "largest",
           "memory_budget", "parse_value", "DEFAULT_MEMORY_BUDGET_MB", "MAX_VALUE_LENGTH", "MAX_QUERY_LENGTH"]

DEFAULT_MEMORY_BUDGET_MB = 256
MEMORY_BUDGET_ENV = "INITVIZ_MEMORY_BUDGET_MB"
MAX_VALUE_LENGTH = 64  # characters of one value in a link (a name or a number)
MAX_QUERY_LENGTH = 4096  # characters of a whole link query
MAX_LAYERS = 50  # hidden layers (the depth field's high end)
FIGURES_BYTES = 24 * 2**20  # the app's figures and their pixel buffers (measured: ~20 MB)


@dataclass(frozen=True)
class FieldSpec:
    """One Config field: what it holds and how every front end shows it.

    ``kind``: ``"name"`` (one of ``choices()``, stored canonical), ``"int"``, ``"float"``,
    ``"batch"`` (an int, or None for full batch), ``"bool"`` (True or False; a link writes
    ``true``/``false``), ``"params"`` (an initializer's own parameters: a sorted tuple of
    ``(name, value)`` pairs, written ``stddev:0.02,mean:0.5`` in a link; checked against the
    initializer by ``Config``) or ``"widths"`` (per-layer widths). ``low``/``high``: the
    inclusive range of a number. ``control``: how the app shows it (``"dropdown"``,
    ``"slider"``, ``"log_slider"``, ``"stops"``: a slider over ``stops`` plus the current value,
    ``"number"``: a number box, ``"checkbox"``, ``"text"``: a text box);
    ``step``: the slider's step. ``hideable``: a share link may hide its control
    (``?hide=depth``).
    """

    kind: str
    help: str
    low: float | None = None
    high: float | None = None
    control: str = "slider"
    step: float | None = None
    stops: tuple = ()
    choices: Callable[[], Sequence[tuple[str, str]]] | None = None  # what a control offers:
    # (label, canonical name); a link may set any name ``resolve`` accepts
    resolve: Callable[[str], str] | None = None  # any accepted spelling -> canonical name
    hideable: bool = True
    group: str = "Training"  # the heading the app's control sits under
    label: str = ""  # the control's label (default: the name with spaces)
    readout: str | None = None  # a slider's number format, e.g. ".3g"
    max_length: int = 0  # characters of the value in a link (0: MAX_VALUE_LENGTH)
    name: str = ""
    default: Any = None

    def check(self, value: Any) -> Any:
        """``value`` validated and normalised (canonical name, float, -0.0 -> 0.0), or a
        ValueError that names the field and its valid range or choices."""
        return _CHECKS[self.kind](self, value)

    def parse(self, text: str) -> Any:
        """The value written as ``text`` in a link or on the command line (then ``check`` it).

        Linear time and strict: at most ``MAX_VALUE_LENGTH`` ASCII characters; numbers in
        plain decimal notation (no hex, no underscores, no other digits, no inf or nan)."""
        if not isinstance(text, str):
            raise ValueError(f"malformed value for {self.name!r}: expected text, got {text!r}")
        limit = self.max_length or MAX_VALUE_LENGTH
        if len(text) > limit:
            raise ValueError(f"malformed value for {self.name!r}: too long ({len(text):,} "
                             f"characters, at most {limit})")
        return _PARSERS[self.kind](self, text)

    @property
    def range_text(self) -> str:
        if self.kind == "name":
            assert self.choices is not None  # every name field offers choices
            return "one of " + ", ".join(name for _, name in self.choices())
        if self.kind == "bool":
            return "true or false"
        if self.kind == "widths":
            return f"comma-separated widths from {_show(self.low)} to {_show(self.high)}"
        if self.kind == "params":
            return "name:value pairs separated by commas, e.g. stddev:0.02,mean:0.0"
        low, high = _show(self.low), _show(self.high)
        text = f"from {low} to {high}"
        return text + " or none (full batch)" if self.kind == "batch" else text

    def names(self) -> list[str]:
        """The canonical names a ``name`` field offers."""
        return [name for _, name in self.choices()] if self.choices else []


def _show(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{int(x):,}" if float(x).is_integer() and abs(x) >= 1000 else f"{x:g}"


# -- checks ----------------------------------------------------------------------------------
def _check_name(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{spec.name} must be a name (str), got {value!r}")
    try:
        name = spec.resolve(value) if spec.resolve else value
    except ValueError as error:
        raise ValueError(f"{spec.name}: {error}") from None
    return name


def _check_int(spec: FieldSpec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not _is_np_integer(value):
        raise ValueError(f"{spec.name} must be an integer {spec.range_text}, got {value!r}")
    assert spec.low is not None and spec.high is not None  # every int field has a range
    if not spec.low <= value <= spec.high:
        raise ValueError(f"{spec.name} must be {spec.range_text}, got {value!r}")
    return int(value)


def _is_np_integer(value: Any) -> bool:
    import numpy as np

    return isinstance(value, np.integer)


def _check_float(spec: FieldSpec, value: Any) -> float:
    if isinstance(value, bool) or isinstance(value, str):
        raise ValueError(f"{spec.name} must be a number {spec.range_text}, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{spec.name} must be a number {spec.range_text}, got {value!r}") from None
    assert spec.low is not None and spec.high is not None  # every float field has a range
    if not (math.isfinite(number) and spec.low <= number <= spec.high):
        raise ValueError(f"{spec.name} must be {spec.range_text}, got {value!r}")
    return number + 0.0  # -0.0 + 0.0 is 0.0: one spelling of zero


def _check_batch(spec: FieldSpec, value: Any) -> int | None:
    return None if value is None else _check_int(spec, value)


def _check_bool(spec: FieldSpec, value: Any) -> bool:
    if not isinstance(value, bool) and type(value).__name__ != "bool_":  # numpy.bool_ too
        raise ValueError(f"{spec.name} must be True or False, got {value!r}")
    return bool(value)
def _check_widths(spec: FieldSpec, value: Any) -> tuple[int, ...]:
    """Per-layer widths as a tuple of ints in the width range, at most the deepest net."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{spec.name} must be a sequence of layer widths, got {value!r}")
    widths = tuple(_check_int(spec, w) for w in value)
    if len(widths) > MAX_LAYERS:
        raise ValueError(f"{spec.name}: at most {MAX_LAYERS} hidden layers, got {len(widths)}")
    return widths


def _check_params(spec: FieldSpec, value: Any) -> tuple[tuple[str, Any], ...]:
    """A mapping (or pairs) of parameter names to values as a sorted tuple of pairs, so Config
    stays hashable; what each value may be is the initializer's business (``Config`` asks it)."""
    if value is None:
        return ()
    if isinstance(value, str):
        raise ValueError(f"{spec.name} must be a mapping of parameter names to values "
                         f"(e.g. {{'stddev': 0.02}}), got {value!r}")
    try:
        pairs = list(value.items()) if isinstance(value, Mapping) else [tuple(p) for p in value]
    except TypeError:
        raise ValueError(f"{spec.name} must be a mapping of parameter names to values, "
                         f"got {value!r}") from None
    out: dict[str, Any] = {}
    for pair in pairs:
        if len(pair) != 2 or not isinstance(pair[0], str):
            raise ValueError(f"{spec.name} must map parameter names (str) to values, got {pair!r}")
        key, item = pair
        if key in out:
            raise ValueError(f"{spec.name}: parameter {key!r} given more than once")
        if isinstance(item, bool) or not isinstance(item, (str, int, float, type(None))) \
                and not _is_np_number(item):
            raise ValueError(f"{spec.name}: {key} must be a number or a name, got {item!r}")
        out[key] = item.item() if _is_np_number(item) else item
    return tuple(sorted(out.items()))


def _is_np_number(value: Any) -> bool:
    import numpy as np

    return isinstance(value, (np.integer, np.floating))


_CHECKS: dict[str, Callable[[FieldSpec, Any], Any]] = {
    "name": _check_name, "int": _check_int, "float": _check_float, "batch": _check_batch,
    "bool": _check_bool,
    "params": _check_params, "widths": _check_widths,
}

# -- parsers (text -> value): anchored, no nested quantifiers, so matching is linear ----------
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,12}")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")


def _parse_name(spec: FieldSpec, text: str) -> str:
    return text


def _parse_int(spec: FieldSpec, text: str) -> int:
    if not _INT_TEXT.fullmatch(text):
        raise ValueError(f"malformed value for {spec.name!r}: {text!r} (expected a whole number)")
    return int(text)


def _parse_float(spec: FieldSpec, text: str) -> float:
    if not _FLOAT_TEXT.fullmatch(text):
        raise ValueError(f"malformed value for {spec.name!r}: {text!r} (expected a decimal "
                         f"number)")
    return float(text)


def _parse_batch(spec: FieldSpec, text: str) -> int | None:
    if text.lower() in ("none", "full"):
        return None
    return _parse_int(spec, text)


_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False}


def _parse_bool(spec: FieldSpec, text: str) -> bool:
    try:
        return _BOOL_TEXT[text.lower()]
    except KeyError:
        raise ValueError(f"malformed value for {spec.name!r}: {text!r} (expected true or "
                         f"false)") from None
def _parse_widths(spec: FieldSpec, text: str) -> tuple[int, ...]:
    """``64,32,16`` -> (64, 32, 16); empty: equal widths."""
    if not text:
        return ()
    return tuple(_parse_int(spec, part) for part in text.split(","))


_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")


def _parse_params(spec: FieldSpec, text: str) -> tuple[tuple[str, Any], ...]:
    """``stddev:0.02,mean:0.5`` -> pairs. Linear and unambiguous: names and name-valued
    parameters are identifiers (no ``,`` or ``:``), numbers are plain decimals; ``none`` is
    None; an empty text is no parameters."""
    if not text:
        return ()
    pairs = []
    for part in text.split(","):
        key, colon, value = part.partition(":")
        if not colon or not _PARAM_NAME.fullmatch(key):
            raise ValueError(f"malformed value for {spec.name!r}: {part[:40]!r} (expected "
                             f"name:value, e.g. stddev:0.02)")
        if _FLOAT_TEXT.fullmatch(value):
            item: Any = int(value) if _INT_TEXT.fullmatch(value) and key == "fan_in" else float(value)
        elif value.lower() == "none":
            item = None
        elif _PARAM_NAME.fullmatch(value):
            item = value
        else:
            raise ValueError(f"malformed value for {spec.name!r}: {part[:40]!r} (a value is a "
                             f"decimal number or a name)")
        pairs.append((key, item))
    return tuple(pairs)


_PARSERS: dict[str, Callable[[FieldSpec, str], Any]] = {
    "name": _parse_name, "int": _parse_int, "float": _parse_float, "batch": _parse_batch,
    "bool": _parse_bool,
    "params": _parse_params, "widths": _parse_widths,
}


# -- choices ---------------------------------------------------------------------------------
def _plain(names: Callable[[], Sequence[str]]) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(name, name) for name in names()]


def _initializer_choices() -> list[tuple[str, str]]:
    """Kernel initializers grouped by library: ('Keras · he_normal', 'he_normal'), ..."""
    return [(f"{group} · {name}", name)
            for group, group_names in initializers.groups().items() for name in group_names]


def _canonical_initializer(name: str) -> str:
    return initializers.get(name).name


def _canonical_dataset(name: str) -> str:
    return lookup({n: n for n in datasets.names()}, "dataset", name)


def _canonical_optimizer(name: str) -> str:
    return lookup({n: n for n in optimizers.names()}, "optimizer", name)


def _canonical_activation(name: str) -> str:
    return activations.get(name).name


def _normalization_names() -> list[str]:
    from initviz.core.network import normalization_names
    return normalization_names()


def _canonical_normalization(name: str) -> str:
    return lookup({n: n for n in _normalization_names()}, "normalization", name)
def _own_params(initializer: str, pairs: tuple) -> tuple[tuple[str, Any], ...]:
    """``pairs`` validated by the initializer's spec (``initializers.get(name, **params)``),
    normalised, with the parameters equal to their default left out: one spelling per setting."""
    if not pairs:
        return ()
    try:
        values = initializers.get(initializer, **dict(pairs)).params
    except ValueError as error:
        raise ValueError(f"initializer_params: {error}") from None
    defaults = initializers.params_of(initializer)
    return tuple(sorted((k, v) for k, v in values.items() if v != defaults[k]))


def _field(default: Any, help: str, kind: str, **options: Any) -> Any:
    return dataclasses.field(default=default,
                             metadata={"spec": FieldSpec(kind, help, default=default, **options)})


@dataclass(frozen=True)
class Config:
    """Everything that defines a run. Frozen, validated, and round-trips through a URL query.

    Each field's range, help and control live in its :class:`FieldSpec` (``FIELDS``). Names are
    stored canonical: ``Config(initializer="HeNormal") == Config(initializer="he_normal")``.
    """

    dataset: str = _field("moons", "toy data set", "name", control="dropdown",
                          choices=_plain(datasets.names), resolve=_canonical_dataset, group="Data")
    n_samples: int = _field(300, "samples in the data set (a quarter is held out for testing)",
                            "int", low=4, high=100_000, control="number", group="Data",
                            label="samples")
    noise: float = _field(0.2, "noise of the data set (its patterns have a scale of about 1)",
                          "float", low=0.0, high=2.0, step=0.01, group="Data", readout=".2f")
    depth: int = _field(6, "hidden layers", "int", low=1, high=50, step=1, group="Network")
    width: int = _field(32, "units per hidden layer", "int", low=1, high=512, control="stops",
                        stops=(2, 4, 8, 16, 32, 64, 128, 256, 512), group="Network")
    widths: tuple = _field((), "units of each hidden layer when they differ (64,32,16); set "
                           "only for unequal widths, then depth is their number and width the "
                           "widest", "widths", low=1, high=512, control="text", group="Network",
                           label="layer widths", max_length=256)
    activation: str = _field("tanh", "hidden activation", "name", control="dropdown",
                             choices=_plain(activations.names), resolve=_canonical_activation,
                             group="Network")
    initializer: str = _field(initializers.DEFAULT_KERNEL, "kernel initializer, any Keras or PyTorch name "
                              "(he_normal, HeNormal, kaiming_normal_, ...)", "name",
                              control="dropdown", choices=_initializer_choices,
                              resolve=_canonical_initializer, group="Initializer")
    scale: float = _field(1.0, "multiplies the drawn kernels (1.5 with identity: exploding)",
                          "float", low=1e-3, high=100.0, control="log_slider", step=0.01,
                          group="Initializer", readout=".3g")
    normalization: str = _field("none", "normalise each hidden layer's pre-activations "
                                "before its activation: over the batch (batch) or over the "
                                "layer's units (layer)", "name", control="dropdown",
                                choices=_plain(_normalization_names),
                                resolve=_canonical_normalization, group="Network",
                                label="normalize")
    residual: bool = _field(False, "skip connections: every hidden layer after the first adds "
                            "its input to its output, x + scale * f(norm(x W + b))", "bool",
                            control="checkbox", group="Network")
    residual_scale: float = _field(1.0, "multiplies each residual branch (1/sqrt(depth): "
                                   "Fixup/SkipInit-style scaling)", "float", low=0.0, high=2.0,
                                   step=0.01, group="Network", label="branch scale",
                                   readout=".3g")
    initializer_params: tuple = _field(
        (), "the kernel initializer's own parameters (stddev:0.02 for random_normal, "
        "scale:2.0,mode:fan_out for variance_scaling); defaults are left out", "params",
        control="text", group="Initializer", label="init params", max_length=256)
    bias_initializer: str = _field(initializers.DEFAULT_BIAS, "bias initializer (the dropdown "
                                   "offers a few; a link may set any that draws a 1-D bias)",
                                   "name", control="dropdown",
                                   choices=_plain(initializers.bias_names),
                                   resolve=_canonical_initializer, group="Initializer",
                                   label="bias init")
    bias_std: float = _field(0.0, "std of Gaussian noise added to every drawn bias: biases are "
                             "bias init + N(0, bias_std^2), so the bias variance is the bias "
                             "initializer's plus bias_std^2 (0: the bias initializer alone)",
                             "float", low=0.0, high=2.0, step=0.01, group="Initializer",
                             readout=".2f")
    optimizer: str = _field("sgd", "sgd, momentum (0.9) or adam", "name", control="dropdown",
                            choices=_plain(optimizers.names), resolve=_canonical_optimizer)
    learning_rate: float = _field(0.1, "optimizer step size", "float", low=1e-5, high=10.0,
                                  control="log_slider", step=0.1, readout=".2g")
    batch_size: int | None = _field(None, "mini-batch size, or none for full batch", "batch",
                                    low=1, high=100_000, control="dropdown", stops=(None, 16, 32, 64, 128))
    seed: int = _field(0, "seeds the data, the split and the weights", "int", low=0,
                       high=2**32 - 1, control="number")

    def __post_init__(self) -> None:
        for name, spec in FIELDS.items():
            object.__setattr__(self, name, spec.check(getattr(self, name)))
        object.__setattr__(self, "initializer_params", _own_params(self.initializer,
                                                                   self.initializer_params))
        if self.widths:  # stored only when unequal; depth and width follow from them
            object.__setattr__(self, "depth", FIELDS["depth"].check(len(self.widths)))
            object.__setattr__(self, "width", max(self.widths))
            if len(set(self.widths)) == 1:
                object.__setattr__(self, "widths", ())
        if self.widths and (self.normalization != "none" or self.residual):
            raise ValueError(f"widths: normalization and residual connections need equal hidden "
                             f"widths (the layers are stacked); got {self.widths} with "
                             f"normalization={self.normalization!r}, residual={self.residual}")
        try:  # the bias is 1-D: orthogonal, identity, xavier_*, ... cannot draw one
            import numpy as np

            initializers.get(self.bias_initializer)((2,), np.random.default_rng(0))
        except ValueError as error:
            raise ValueError(f"bias_initializer: {error}") from None
        if self.n_samples < 64:  # a dataset needs 2 samples per class (blobs: 3 classes)
            try:
                datasets.make(self.dataset, n_samples=self.n_samples)
            except ValueError as error:
                raise ValueError(f"n_samples: {error}") from None
        cost, budget = estimate_cost(self), memory_budget()
        if cost.total > budget:
            raise ValueError(
                f"this setting needs about {cost.total / 2**20:,.0f} MB ({cost.describe()}), "
                f"over the budget of {budget / 2**20:,.0f} MB per kernel "
                f"({MEMORY_BUDGET_ENV}); lower n_samples, depth or width")

    # -- copies and conversions ---------------------------------------------------------------
    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated like the original). Parameters belong to
        their initializer: a new ``initializer`` without ``initializer_params`` drops them."""
        _refuse_unknown(changes)
        if ({"depth", "width"} & set(changes)) and "widths" not in changes:
            changes["widths"] = ()  # the sliders set equal widths
        if "initializer" in changes and "initializer_params" not in changes:
            if _canonical_initializer(changes["initializer"]) != self.initializer:
                changes["initializer_params"] = ()
        return dataclasses.replace(self, **changes)

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        """The units of each hidden layer, input side first (``widths``, or ``depth`` layers
        of ``width``)."""
        return self.widths or (self.width,) * self.depth

    @property
    def kernel_params(self) -> dict[str, Any]:
        """``initializer_params`` as a dict, ready for ``initializers.get(name, **params)``."""
        return dict(self.initializer_params)

    @staticmethod
    def field_names() -> list[str]:
        return list(FIELDS)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        _refuse_unknown(values)
        return cls(**values)

    def to_query(self) -> str:
        """The fields that differ from the defaults, as a URL query string (sorted keys)."""
        return changes_query(Config(), self)

    @classmethod
    def from_query(cls, query: str) -> Config:
        """Parse ``to_query``'s output (a leading '?' is fine). Strict: unknown, repeated or
        malformed keys raise ValueError (the app's link reader is lenient instead:
        ``initviz.app.share.read_link``)."""
        values: dict[str, Any] = {}
        for key, text in query_pairs(query):
            if key not in FIELDS:
                raise ValueError(f"unknown query key {key!r}; valid: {', '.join(FIELDS)}")
            if key in values:
                raise ValueError(f"query key {key!r} given more than once")
            values[key] = parse_value(key, text)
        return cls(**values)


FIELDS: dict[str, FieldSpec] = {
    f.name: dataclasses.replace(f.metadata["spec"], name=f.name,
                                label=f.metadata["spec"].label or f.name.replace("_", " "))
    for f in dataclasses.fields(Config)
}
"""Config field name -> its FieldSpec, in declaration order: the one table every front end reads."""


def _refuse_unknown(values: dict[str, Any]) -> None:
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown Config field(s) {sorted(unknown)}; valid: {', '.join(FIELDS)}")


def parse_value(key: str, text: str) -> Any:
    """Field ``key``'s value written as ``text`` (a link or a command line), validated."""
    spec = FIELDS[key]
    return spec.check(spec.parse(text))


def format_value(value: Any) -> str:
    """How a field's value is written in a link (``repr`` of floats reads back exactly)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):  # widths
        return ",".join(map(str, value))
    if isinstance(value, tuple):  # initializer_params: name:value pairs
        return ",".join(f"{k}:{format_value(v)}" for k, v in value)
    return repr(value) if isinstance(value, float) else str(value)


def changes_query(base: Config, config: Config) -> str:
    """``config``'s fields that differ from ``base``, as a query string (sorted keys)."""
    changed = {k: v for k, v in config.to_dict().items() if getattr(base, k) != v}
    return urlencode({k: format_value(v) for k, v in sorted(changed.items())})


def query_pairs(query: str, strict: bool = True) -> list[tuple[str, str]]:
    """``(key, value)`` pairs of a query string (a leading '?' is fine), at most
    ``MAX_QUERY_LENGTH`` characters; blank values are kept. ``strict``: a part without '='
    (``?depth``) or an empty part (``&&``) is a ValueError instead of being passed over."""
    if not isinstance(query, str):
        raise ValueError(f"a query must be text, got {type(query).__name__}")
    text = query[1:] if query.startswith("?") else query
    if len(text) > MAX_QUERY_LENGTH:
        raise ValueError(f"query too long ({len(text):,} characters, at most {MAX_QUERY_LENGTH:,})")
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=strict and bool(text))
    except ValueError as error:
        raise ValueError(f"malformed query {query[:80]!r}: {error}") from None


# -- the cost budget -------------------------------------------------------------------------
class Cost(NamedTuple):
    """Estimated bytes of a run, by part (see :func:`estimate_cost`)."""

    workspace: int    # forward/backward arrays of every hidden layer, for all rows
    parameters: int   # weights, gradient, update, optimizer state and their statistics
    statistics: int   # the History's records and histogram snapshots
    figures: int      # the app's figures

    @property
    def total(self) -> int:
        return self.workspace + self.parameters + self.statistics + self.figures

    def describe(self) -> str:
        parts = [(self.workspace, "training workspace"), (self.parameters, "parameters and "
                  "optimizer state"), (self.statistics, "statistics"), (self.figures, "figures")]
        return ", ".join(f"{size / 2**20:,.0f} MB {what}" for size, what in parts)


_NORMALIZED_ARRAYS = {"batch": 6, "layer": 6}
"""float32 (rows, width) arrays per hidden layer the normalised path adds: z_hat, y and the
backward pass's temporaries (dy, dy z_hat, dz, the next dx); a residual adds f(y)."""

_OPTIMIZER_COPIES = {"sgd": 4, "momentum": 5, "adam": 8}
"""float32 copies of the parameters a step holds (parameters, gradient, update, transposes,
moments' squares; momentum adds a velocity, Adam two moments and its temporaries)."""


def estimate_cost(config: Config) -> Cost:
    """Bytes a run of ``config`` needs, an upper estimate of what the Trainer allocates.

    Workspace: every hidden layer keeps five float32 ``(rows, width + 1)`` arrays (its input
    with a column of ones, its square, pre-activations, derivatives and deltas) plus a boolean
    mask (a normalization adds ``_NORMALIZED_ARRAYS``, a residual branch one more), for all rows
    of the data set at once (training and test rows share one forward pass), and again for a
    mini-batch. Parameters: ``_OPTIMIZER_COPIES`` float32 copies, plus float64 per-kernel sums
    for networks up to 2**20 parameters. Statistics: the History's 2,048 rows of per-layer
    records and 128 snapshots of 4 histograms per layer. Checked against tracemalloc's peak over
    a Trainer's reset, a few epochs, a snapshot and a prediction in tests/test_safe_links.py.
    """
    depth, width = config.depth, config.width
    sizes = [13] + [width] * depth + [10]  # at most 10 outputs and 13 inputs (wine)
    params = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))
    rows = config.n_samples
    if config.batch_size is not None and config.batch_size < rows:
        rows += config.batch_size
    arrays = 5 + _NORMALIZED_ARRAYS.get(config.normalization, 0) + (1 if config.residual else 0)
    per_row = depth * (width + 1) * (arrays * 4 + 1) + 64  # + inputs, targets, losses per row
    workspace = rows * per_row
    parameters = params * 4 * _OPTIMIZER_COPIES[config.optimizer]
    if params <= 2**20:
        parameters += params * 8 * 3 * 2  # float64 sums and squares of 3 rows (trainer moments)
    statistics = 2048 * (depth + 1) * 8 * 8 + 128 * 4 * (depth + 1) * 64 * 8
    return Cost(int(1.05 * workspace), int(1.05 * parameters), statistics, FIGURES_BYTES)


def highest(field: str) -> int:
    """The largest value of the integer Config ``field`` (its range's upper end)."""
    high = FIELDS[field].high
    if FIELDS[field].kind not in ("int", "batch") or high is None:
        raise ValueError(f"highest() needs an integer field, got {field!r}")
    return int(high)


def largest(field: str, **fixed: Any) -> Config:
    """The Config with the largest value of the numeric ``field`` that the memory budget
    accepts, the other fields at ``fixed`` or their defaults (bisection): e.g.
    ``largest("width", depth=50)`` is the widest network at the deepest depth."""
    spec = FIELDS[field]
    if spec.kind not in ("int", "batch"):
        raise ValueError(f"largest() needs an integer field, got {field!r}")
    assert spec.low is not None and spec.high is not None  # every integer field has a range

    def at(value: int) -> Config:
        varied: dict[str, Any] = {field: value}
        return Config(**fixed, **varied)

    lo, hi = int(spec.low), int(spec.high)
    at(lo)  # the smallest value must fit, or there is nothing to find
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            at(mid)
            lo = mid
        except ValueError:
            hi = mid - 1
    return at(lo)


def memory_budget() -> int:
    """The per-kernel memory budget in bytes: ``INITVIZ_MEMORY_BUDGET_MB`` (a server operator's
    setting), else ``DEFAULT_MEMORY_BUDGET_MB``."""
    text = os.environ.get(MEMORY_BUDGET_ENV, "").strip()
    if not text:
        return DEFAULT_MEMORY_BUDGET_MB * 2**20
    try:
        megabytes = float(text)
    except ValueError:
        raise ValueError(f"{MEMORY_BUDGET_ENV} must be a number of megabytes, got {text!r}") from None
    if not (math.isfinite(megabytes) and megabytes > 0):
        raise ValueError(f"{MEMORY_BUDGET_ENV} must be a positive number of megabytes, got {text!r}")
    return int(megabytes * 2**20)
