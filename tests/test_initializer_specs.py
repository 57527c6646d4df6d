"""One spec per initializer (issue 11): every canonical name carries every facet (sampler,
teaching text, parameters with defaults, moments, Keras and PyTorch spellings, bias rule), the
facets agree with the draws, the outputs are exactly those recorded before the facets moved into
the spec (tests/data/initializer_golden.json), and no other module of initviz names an
initializer."""
import ast
import json
import math
import pathlib

import initializer_golden as golden
import numpy as np
import pytest

import initviz
from initviz.core import codegen, initializers, theory
from initviz.core.network import Network

CANONICAL = golden.canonical()
BIAS_CAPABLE = [n for n in CANONICAL if initializers._REGISTRY[n].ndim[0] <= 1]


# ---------------------------------------------------------------------------------------------
# every name has every facet, and each facet runs


@pytest.mark.parametrize("name", CANONICAL)
def test_every_canonical_name_has_every_facet_and_each_runs(name):
    spec = initializers._REGISTRY[name]
    facets = spec.facets
    for facet in ("sample", "moments", "keras", "torch"):
        assert callable(getattr(facets, facet)), facet
    info = initializers.info(name)
    assert info.name == name and info.library in ("Keras", "PyTorch", "Other")
    assert info.description.strip() and info.formula.strip()
    defaults = initializers.params_of(name)
    assert set(defaults) == set(spec.params)
    assert initializers.get(name, **defaults) == initializers.get(name)  # defaults validate
    for params in golden.param_sets(name):
        w = initializers.get(name, **params)((12, 8), np.random.default_rng(0))
        assert w.dtype == np.float32 and w.shape == (12, 8) and np.isfinite(w).all()
        mean, second = initializers.moments(name, 12, 8, params)
        assert math.isfinite(mean) and second >= mean * mean - 1e-15
        for scale in (0.5, 1.0, 2.0):
            ast.parse(initializers.keras_expression(name, scale, params), mode="eval")
        lines = initializers.torch_statements(name, "w", "fan_in", "fan_out", params)
        assert lines and all(isinstance(line, str) for line in lines)
        ast.parse("\n".join(lines))
    # the bias facet: a rule (bounded by the weight's fan_in) or none, and a Keras spelling
    assert isinstance(initializers.uses_weight_fan_in(name), bool)
    assert initializers.for_bias(name, 64).name == name
    ast.parse(initializers.keras_bias_expression(name, "sizes[i]"), mode="eval")


@pytest.mark.parametrize("name", CANONICAL)
def test_a_name_draws_a_1d_bias_exactly_when_its_spec_allows_one_dimension(name):
    init = initializers.for_bias(name, 5)
    if name in BIAS_CAPABLE:
        b = init((7,), np.random.default_rng(0))
        assert b.shape == (7,) and np.isfinite(b).all()
    else:
        with pytest.raises(ValueError, match="dimensions"):
            init((7,), np.random.default_rng(0))


def test_bias_names_are_offered_first_by_default_and_all_draw_a_bias():
    names = initializers.bias_names()
    assert names[0] == initializers.DEFAULT_BIAS
    assert set(names) <= set(BIAS_CAPABLE)
    assert initializers.DEFAULT_KERNEL in CANONICAL
    from initviz.core.training import Config
    config = Config()
    assert (config.initializer, config.bias_initializer) == (initializers.DEFAULT_KERNEL,
                                                             initializers.DEFAULT_BIAS)
    assert codegen.keras_initializer(initializers.DEFAULT_KERNEL) == \
        "keras.initializers.GlorotUniform()"  # Keras' own default kernel


def test_only_torch_default_bounds_its_bias_by_the_weights_fan_in():
    # PyTorch nn.Linear: bias ~ U(-1/sqrt(in_features), 1/sqrt(in_features))
    assert [n for n in CANONICAL if initializers.uses_weight_fan_in(n)] == ["torch_default"]
    net = Network([100, 4000, 1], bias_initializer="torch_default", seed=0)
    b = net.biases[0]
    assert np.abs(b).max() <= 1 / math.sqrt(100)
    assert np.abs(b).max() > 0.98 / math.sqrt(100)  # not 1/sqrt(4000): the weight's fan_in
    assert theory._bias_moments("torch_default", 100, 4000)[1] == pytest.approx(1 / 300)
    assert float(b.var()) == pytest.approx(1 / 300, rel=0.1)


# ---------------------------------------------------------------------------------------------
# moments agree with draws for non-default parameters (tests/test_theory.py covers defaults)


@pytest.mark.parametrize("name, params", [
    (name, params) for name in CANONICAL for params in golden.OTHER_PARAMS.get(name, [])])
def test_moments_with_other_parameters_match_drawn_kernels(name, params):
    shape = (40, 50)
    mean, second = initializers.moments(name, *shape, params)
    init = initializers.get(name, **params)
    draws = np.concatenate([init(shape, np.random.default_rng(seed)).astype(np.float64).ravel()
                            for seed in range(10)])
    if name in ("constant", "orthogonal", "identity"):  # deterministic (up to float32 rounding)
        assert np.mean(draws**2) == pytest.approx(second, rel=1e-5)
        if name != "orthogonal":
            assert np.mean(draws) == pytest.approx(mean, rel=1e-5)
        return
    se2 = np.std(draws**2) / math.sqrt(draws.size)  # 6 standard errors of the sample means
    se1 = np.std(draws) / math.sqrt(draws.size)
    assert abs(np.mean(draws**2) - second) <= 6 * se2 + 1e-12
    assert abs(np.mean(draws) - mean) <= 6 * se1 + 1e-12


@pytest.mark.parametrize("name", BIAS_CAPABLE)
def test_bias_moments_match_the_biases_a_network_draws(name):
    fan_in, fan_out = 30, 2000
    mean, var = theory._bias_moments(name, fan_in, fan_out)
    b = Network([fan_in, fan_out, 1], bias_initializer=name, seed=3).biases[0].astype(np.float64)
    se = max(np.std(b) / math.sqrt(b.size), 1e-12)
    assert abs(b.mean() - mean) <= 6 * se
    assert b.var() == pytest.approx(var, rel=0.15, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# behaviour unchanged: every output equals the golden record taken before the refactor


@pytest.fixture(scope="module")
def recorded():
    return json.loads(golden.GOLDEN.read_text()), golden.record()


@pytest.mark.parametrize("section", ["kernel_moments", "keras_initializer", "torch_init_lines",
                                     "bias_moments", "network_biases", "exports"])
def test_outputs_equal_the_golden_record(recorded, section):
    before, now = recorded  # a new initializer adds keys; every recorded one must still hold
    assert set(before[section]) <= set(now[section])
    changed = [key for key in before[section] if now[section][key] != before[section][key]]
    assert not changed, (changed[:5], [now[section][k] for k in changed[:2]])


# ---------------------------------------------------------------------------------------------
# one home: no other module of initviz names an initializer


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_no_module_outside_initializers_and_presets_spells_an_initializer_name():
    """An initializer's name is data of initializers.py (its spec) and presets.py (lessons that
    pick one); every other module reads initializers.DEFAULT_KERNEL, DEFAULT_BIAS,
    bias_names() or a preset. Checked: every string constant of every module under initviz/
    that equals a canonical name, except docstrings (prose and doctests that explain a
    result). Only exact equality counts, so help text mentioning 'he_normal' among other words
    and identifiers such as 'nn.init.eye_' pass. Names that are also other words live inside
    initializers.py and are exempt with it: 'truncated_normal' is a VarianceScaling
    distribution, 'linear' / 'identity' are calculate_gain nonlinearities; no activation name
    equals a canonical initializer name (checked below, so a future clash is seen)."""
    from initviz.core import activations

    canonical = set(CANONICAL)
    assert not canonical & set(activations.names())
    root = pathlib.Path(initviz.__file__).parent
    hits = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() in ("core/initializers.py", "core/presets.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree) | {id(k.value) for k in ast.walk(tree)  # a widget's icon='eye'
                                    if isinstance(k, ast.keyword) and k.arg == "icon"}
        hits += [f"{path.relative_to(root)}:{node.lineno} {node.value!r}"
                 for node in ast.walk(tree)
                 if isinstance(node, ast.Constant) and isinstance(node.value, str)
                 and node.value in canonical and id(node) not in skip]
    assert not hits, hits
