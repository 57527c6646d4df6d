"""The preset table, and for every preset a run of the Trainer showing what its explanation claims."""
from __future__ import annotations

import math
import subprocess
import sys
from functools import cache

import numpy as np
import pytest

from initviz.core import presets
from initviz.core.training import Config, Trainer

LN2 = math.log(2.0)


@cache
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
    assert len(names) == len(set(names)) == len(presets.PRESETS) == 18
    assert len({presets.get(n).title for n in names}) == 18
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


def test_every_preset_names_its_conditions_and_its_tests_train_that_long():
    source = open(__file__, encoding="utf-8").read()
    for name in presets.names():
        preset = presets.get(name)
        assert preset.conditions.startswith(f"sgd at lr 0.1, full batch, {preset.epochs} epochs"), name
        assert f'_trained("{name}", {preset.epochs}' in source, f"{name}: no test trains {preset.epochs} epochs"


def test_the_app_shows_a_presets_conditions():
    from initviz.app.features.presets import preset_html

    text = preset_html(presets.get("glorot_relu_deep"))
    assert "Measured with sgd at lr 0.1, full batch, 150 epochs" in text


def test_glorot_relu_deep_trains_under_adam():
    """The explanation's parenthesis: "(under Adam at 0.01 both train)"."""
    for initializer in ("glorot_normal", "he_normal"):
        trainer = _trained("glorot_relu_deep", 150, initializer=initializer, optimizer="adam",
                           learning_rate=0.01)
        assert trainer.history.loss.min() < 0.3, initializer


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
    assert trainer.status == "symmetric"
    assert trainer.history.last("loss") == pytest.approx(LN2, abs=0.01)
    assert not trainer.diverged


def test_ones_is_symmetric_and_saturated_with_no_hidden_gradient():
    start = init_stats("ones")
    assert start.history.loss[0] > 5 * LN2
    assert np.all(start.history.saturation[0][1:] > 0.9)  # tanh units sit at +-1
    trainer = _trained("ones", 100)
    assert identical_units(trainer.network.weights)
    assert trainer.status == "symmetric"  # "(status: symmetric)": the copies come first
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
    trainer = _trained("identity_exploding", 100)
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
    assert trainer.history.last("loss") == pytest.approx(0.67, abs=0.005)  # "loss 0.67"
    loss = trainer.history.loss
    assert loss[-1] < loss[-100] - 1e-3  # "still falling"
    assert centred.history.last("loss") < 0.1
    # "half as wide ... but has the same mean square"
    glorot_limit = math.sqrt(6 / (32 + 32))
    assert 0.3 == pytest.approx(glorot_limit, rel=0.03)  # half of Glorot's width 2 * limit
    assert 0.3 ** 2 / 3 == pytest.approx(glorot_limit ** 2 / 3, rel=0.05)


def test_glorot_tanh_keeps_the_spread_and_trains():
    std = init_stats("glorot_tanh").history.activation_std[0]
    assert std.max() / std.min() < 2
    trainer = _trained("glorot_tanh", 300)
    assert trainer.history.last("loss") < 0.1
    assert trainer.history.last("accuracy") > 0.95


def test_he_relu_keeps_gradients_within_a_factor_of_two_and_trains():
    start = init_stats("he_relu")
    std = start.history.activation_std[0]
    assert std.max() / std.min() < 2
    for seed in range(4):  # "the 32 x 32 kernels' gradient norms stay within a factor of about 2"
        grad = init_stats("he_relu", seed=seed).history.grad_norm[0]
        square = grad[1:-1]
        assert square.max() / square.min() < 2.5, seed
        assert grad[0] < square.min()  # "the 2 x 32 first kernel's is smaller"
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


# -- predictions: the choices the app offers, and the answer each explanation claims ------------

def test_every_preset_offers_known_choices_and_its_answer_is_one():
    for name in presets.names():
        preset = presets.get(name)
        assert 3 <= len(preset.choices) <= 4, name
        assert set(preset.choices) <= set(presets.OUTCOMES), name
        assert preset.answer in preset.choices, name


@pytest.mark.parametrize("name", presets.names())
def test_the_answer_holds_on_the_presets_run_over_seeds(name):
    preset = presets.get(name)
    for seed in (0, 1, 2):
        trainer = _trained(name, preset.epochs, seed=seed)
        assert preset.judged(trainer)
        held = preset.outcomes(trainer)
        assert held[preset.answer], (name, seed, held)
        if preset.answer in ("trains", "near_chance", "diverges"):  # these three exclude each other
            others = [o for o in ("trains", "near_chance", "diverges") if o != preset.answer]
            assert not any(held[o] for o in others), (name, seed, held)


def test_outcomes_read_only_the_presets_epochs():
    preset = presets.get("he_relu")
    early = Trainer(preset.config()).run(1)
    assert not preset.judged(early)
    assert not preset.outcomes(early)["trains"]  # the loss has not fallen below 0.3 yet
    assert presets.get("too_large").judged(_trained("too_large", 50))  # diverged: judged early


def test_under_adam_too_small_still_fails():
    """The lesson's summary: Adam trains some SGD failures, 'not N(0, 0.01²) or zeros'."""
    for name in ("too_small", "zeros"):
        trainer = _trained(name, 300, optimizer="adam", learning_rate=0.01)
        assert trainer.history.last("loss") == pytest.approx(LN2, abs=0.01), name
# -- beyond Glorot and He: order, chaos and the edge between (500 epochs, SGD at lr 0.1) ----------

def _signal_losses(runs) -> list[float]:
    return [float(trainer.history.last("loss")) for trainer in runs]


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
    assert max(_signal_losses(_trained("edge_of_chaos", 500, seed=s) for s in (0, 1, 2))) < 0.2


def test_ordered_stays_at_ln2():
    for loss in _signal_losses(_trained("ordered", 500, seed=s) for s in (0, 1)):
        assert abs(loss - LN2) < 0.005


def test_chaotic_stays_above_half():
    assert min(_signal_losses(_trained("chaotic", 500, seed=s) for s in (0, 1, 2))) > 0.5


# -- normalization and residual connections (issue 16), each claim over several seeds --------

SEEDS = range(5)


@pytest.mark.parametrize("seed", SEEDS)
def test_batchnorm_rescues_keras_normal_at_depth_10(seed):
    """SGD, full batch, moons: without batch norm the loss stays at 0.69 (signal x0.2 per
    layer); with it the training loss falls below 0.03 in 300 epochs. Test accuracy, on the
    running statistics, is below 75% at 300 epochs and above 90% at 700."""
    plain = _trained("batchnorm_rescue", 300, normalization="none", seed=seed)
    assert plain.history.loss[-1] > 0.69
    stds = plain.history.activation_std[0]
    assert 0.15 < (stds[-1] / stds[0]) ** (1 / 9) < 0.25  # "about 5x per layer"
    trainer = Trainer(presets.config("batchnorm_rescue").replace(seed=seed))

    def test_accuracy():
        return np.mean((trainer.predict(trainer.test.X)[:, 0] > 0.5) == (trainer.test.y > 0.5))

    trainer.step(300)
    assert trainer.history.loss[-1] < 0.03
    assert test_accuracy() < 0.75  # the running statistics lag
    trainer.step(400)
    assert test_accuracy() > 0.9


@pytest.mark.parametrize("initializer", ["zeros", "ones"])
@pytest.mark.parametrize("seed", SEEDS)
def test_batchnorm_cannot_break_the_symmetry_of_constants(initializer, seed):
    trainer = _trained("batchnorm_zeros", 300, initializer=initializer, seed=seed)
    assert identical_units(trainer.network.weights)
    assert all(np.ptp(g) == 0 and np.ptp(b) == 0
               for g, b in zip(trainer.network.gammas, trainer.network.betas))
    loss = trainer.history.loss
    if initializer == "zeros":
        assert abs(loss[-1] - LN2) < 0.005 and loss[-1] > 0.69
    else:  # "the loss moves a little": one effective unit per layer
        assert 0.6 < loss[-1] < loss[0] - 0.003


@pytest.mark.parametrize("seed", SEEDS)
def test_a_residual_relu_stack_explodes_unless_its_branches_are_scaled(seed):
    deep = _trained("residual_deep", 300, seed=seed)
    stds = deep.history.activation_std[0]
    assert 1.5 < (stds[-1] / stds[0]) ** (1 / 29) < 1.8  # "about 1.6x per layer"
    assert 1e5 < stds[-1] < 1e7  # "near a million"
    assert deep.diverged and deep.diverged_epoch <= 2  # the first update overflows
    scaled = _trained("residual_scaled", 300, seed=seed)
    stds = scaled.history.activation_std[0]
    assert (stds[-1] / stds[0]) ** (1 / 29) < 1.1 and stds[-1] < 20
    assert not scaled.diverged and scaled.history.loss[-1] < 0.25
    assert presets.config("residual_scaled").residual_scale == pytest.approx(1 / math.sqrt(30),
                                                                            abs=5e-4)


def test_the_presets_whose_run_is_over_in_a_few_epochs_play_in_slow_motion():
    """A run that diverges within 5 epochs is over in a frame at the default pace: its preset
    plays at SLOW_MOTION (one epoch a second) so the divergence can be watched."""
    for preset in presets.PRESETS:
        trainer = Trainer(preset.config())
        trainer.step(5)
        quick = trainer.diverged_epoch is not None and trainer.diverged_epoch <= 5
        assert (preset.pace == presets.SLOW_MOTION) == quick, (preset.name, trainer.diverged_epoch)


def test_a_preset_pace_must_be_positive():
    with pytest.raises(ValueError, match="pace must be a positive"):
        presets.Preset("p", "P", pace=0.0)
