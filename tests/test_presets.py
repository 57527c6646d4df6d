"""The preset table, and for every preset a run of the Trainer showing what its explanation claims."""
from __future__ import annotations

import math
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest

from initviz.core import presets
from initviz.core.training import Config, Trainer

LN2 = math.log(2.0)


@lru_cache(maxsize=None)
def trained(name: str, epochs: int, **changes) -> Trainer:
    config = presets.get(name).config()
    if changes:
        config = config.replace(**changes)
    trainer = Trainer(config)
    trainer.step(epochs)
    return trainer


def _trained(name: str, epochs: int, **changes) -> Trainer:
    return trained(name, epochs, **dict(sorted(changes.items())))


def init_stats(name: str, **changes) -> Trainer:
    """One epoch: history row 0 holds the statistics of the freshly drawn network."""
    return _trained(name, 1, **changes)


def identical_units(weights: list[np.ndarray]) -> bool:
    """Every hidden kernel has identical columns (every unit of a layer has the same weights)."""
    return all(np.array_equal(W, np.broadcast_to(W[:, :1], W.shape)) for W in weights[:-1])


# -- the table --------------------------------------------------------------------------------

def test_names_and_table():
    names = presets.names()
    assert names[0] == "keras_normal"
    assert len(names) == len(set(names)) == 14
    assert len({presets.get(n).title for n in names}) == 14
    for name in names:
        preset = presets.get(name)
        assert preset.name == name
        assert isinstance(preset.config(), Config)
        assert preset.explanation.count("\n") == 1, name  # two lines
        assert "?" in preset.question, name
        assert presets.match(preset.config()) == name


def test_get_is_case_insensitive_and_unknown_names_suggest():
    assert presets.get("He_ReLU").name == "he_relu"
    with pytest.raises(ValueError, match="did you mean 'he_relu'"):
        presets.get("he_rleu")
    with pytest.raises(ValueError, match="Valid choices"):
        presets.get("nothing-like-it")


def test_config_applies_changes_to_defaults_or_a_base():
    assert presets.config("too_small") == Config(initializer="random_normal", scale=0.2, activation="relu")
    base = Config(dataset="circles", depth=3)
    config = presets.get("zeros").config(base)
    assert (config.dataset, config.depth, config.initializer) == ("circles", 3, "zeros")
    assert presets.match(Config(depth=17)) is None


def test_keras_normal_is_the_qa_layer():
    config = presets.config("keras_normal")
    assert (config.initializer, config.activation, config.depth, config.width) == ("random_normal", "relu", 1, 13)
    assert config.scale == 1.0  # Keras' RandomNormal stddev 0.05


def test_core_presets_import_no_widgets():
    code = ("import sys, initviz.core.presets; "
            "assert 'ipywidgets' not in sys.modules and 'matplotlib' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- every explanation, checked by training ---------------------------------------------------

def test_keras_normal_trains_shallow_and_stalls_when_deep():
    shallow = _trained("keras_normal", 300)
    assert shallow.history.last("loss") < 0.35
    assert shallow.history.last("accuracy") > 0.85
    deep = _trained("keras_normal", 300, depth=6)  # the preset's question
    assert deep.history.last("loss") > LN2 - 0.01
    std = deep.history.activation_std[0]
    assert std[-1] / std[0] < 1e-3  # the fixed 0.05 shrinks the signal layer after layer


def test_zeros_units_stay_identical_and_the_loss_stays():
    trainer = _trained("zeros", 300)
    assert identical_units(trainer.network.weights)
    assert trainer.history.last("loss") == pytest.approx(LN2, abs=0.01)
    assert not trainer.diverged


def test_ones_is_symmetric_saturated_and_vanishing():
    start = init_stats("ones")
    assert start.history.loss[0] > 5 * LN2
    assert np.all(start.history.saturation[0][1:] > 0.9)  # tanh units sit at +-1
    trainer = _trained("ones", 100)
    assert identical_units(trainer.network.weights)
    assert trainer.status == "vanishing"
    assert np.all(trainer.history.grad_norm[-1][:-1] == 0)  # hidden layers get no gradient


def test_too_small_vanishes():
    std = init_stats("too_small").history.activation_std[0]
    assert std[-1] / std[0] < 1e-6
    trainer = _trained("too_small", 200)
    assert trainer.status == "vanishing"
    assert trainer.history.last("loss") == pytest.approx(LN2, abs=0.01)


def test_too_large_explodes_and_diverges():
    start = init_stats("too_large")
    assert start.history.loss[0] > 1000
    std = start.history.activation_std[0]
    assert np.all(std[1:] / std[:-1] > 3)  # each ReLU layer ~4x louder
    trainer = _trained("too_large", 50)
    assert trainer.diverged and trainer.diverged_epoch <= 3
    assert trainer.status == "diverged"


def test_identity_exploding_grows_by_the_gain_and_diverges():
    std = init_stats("identity_exploding").history.activation_std[0]
    np.testing.assert_allclose(std[1:] / std[:-1], 1.5, rtol=1e-3)
    assert std[-1] / std[0] > 1e5
    trainer = _trained("identity_exploding", 50)
    assert trainer.diverged and trainer.diverged_epoch <= 2


def test_identity_vanishing_reports_vanishing():
    std = init_stats("identity_vanishing").history.activation_std[0]
    np.testing.assert_allclose(std[1:] / std[:-1], 0.5, rtol=1e-3)
    trainer = _trained("identity_vanishing", 100)
    assert trainer.status == "vanishing"
    assert trainer.history.last("loss") == pytest.approx(LN2, abs=0.01)


def test_identity_question_small_gains_do_not_diverge():
    assert _trained("identity_exploding", 30, scale=1.2).diverged
    assert not _trained("identity_exploding", 30, scale=1.1).diverged


def test_positive_uniform_units_agree_saturate_and_crawl():
    config = presets.config("positive_uniform")
    assert config.scale * 0.01 == pytest.approx(0.3)  # U[0, 0.01) x 30
    fresh = Trainer(config)
    weights = fresh.network.weights
    assert all(W.min() >= 0 for W in weights)
    fresh.network.forward(fresh.train.X)
    last = fresh.network.activations[-1]
    agree = np.abs(np.sign(last).mean(axis=1))  # per sample: 1 when all units share a sign
    assert agree.mean() > 0.95
    start = init_stats("positive_uniform")
    assert start.history.saturation[0][-1] > 0.9
    grad = start.history.grad_norm[0]
    assert grad[0] < 1e-3 * grad[-1]  # early layers get almost no gradient
    trainer = _trained("positive_uniform", 300)
    centred = _trained("positive_uniform", 300, initializer="glorot_uniform", scale=1.0)
    assert trainer.history.last("loss") > 0.5
    assert centred.history.last("loss") < 0.1


def test_glorot_tanh_keeps_the_spread_and_trains():
    std = init_stats("glorot_tanh").history.activation_std[0]
    assert std.max() / std.min() < 2
    trainer = _trained("glorot_tanh", 300)
    assert trainer.history.last("loss") < 0.1
    assert trainer.history.last("accuracy") > 0.95


def test_he_relu_keeps_gradients_flat_and_trains():
    start = init_stats("he_relu")
    std = start.history.activation_std[0]
    assert std.max() / std.min() < 2
    grad = start.history.grad_norm[0]
    assert grad.max() / grad.min() < 20
    trainer = _trained("he_relu", 300)
    assert trainer.history.last("loss") < 0.1
    assert trainer.status in ("training", "converged")


def test_glorot_relu_deep_stalls_where_he_trains():
    std = init_stats("glorot_relu_deep").history.activation_std[0]
    assert std[-1] / std[0] < 1e-3
    glorot = _trained("glorot_relu_deep", 150)
    he = _trained("glorot_relu_deep", 150, initializer="he_normal")
    assert glorot.history.loss.min() > LN2 - 0.01  # flat for the whole run
    assert he.history.loss.min() < 0.4  # He's loss is noisy at depth 30: judge its best epoch


# -- beyond Glorot and He: order, chaos and the edge between (500 epochs, SGD at lr 0.1) ----------

SIGNAL_EPOCHS = 500


def _signal_losses(name: str, seeds) -> list[float]:
    return [float(_trained(name, SIGNAL_EPOCHS, seed=seed).history.last("loss")) for seed in seeds]


@pytest.mark.parametrize("name, chi, six_xi", [
    ("edge_of_chaos", 1.0, math.inf), ("ordered", 0.434, 7.19), ("chaotic", 1.853, 26.6),
])
def test_signal_presets_sit_where_their_text_says(name, chi, six_xi):
    from initviz.core import signal, theory

    config = presets.config(name)
    sw, sb = theory.mean_field_variances(config)
    assert sb == pytest.approx(0.04)
    assert signal.chi1("tanh", sw, sb) == pytest.approx(chi, abs=2e-3)
    xi = 6 * signal.depth_scale("tanh", sw, sb)
    assert xi > 1e4 if math.isinf(six_xi) else xi == pytest.approx(six_xi, rel=0.01)
    assert f"σw² = {sw:.2f}".rstrip("0").rstrip(".") in presets.get(name).explanation
    assert config.optimizer == "sgd" and config.learning_rate == 0.1 and config.depth == 30


def test_edge_of_chaos_trains_all_30_layers():
    assert max(_signal_losses("edge_of_chaos", (0, 1, 2))) < 0.2


def test_ordered_stays_at_ln2():
    for loss in _signal_losses("ordered", (0, 1)):
        assert abs(loss - LN2) < 0.005


def test_chaotic_stays_above_half():
    assert min(_signal_losses("chaotic", (0, 1, 2))) > 0.5
