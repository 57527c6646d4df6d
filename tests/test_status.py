"""Status words from measurable criteria (initviz.core.status): each word's test, the presets'
words over several seeds, and 'never converged while near chance or still improving'."""
from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from initviz.core import presets, status
from initviz.core.symmetry import measure
from initviz.core.training import STATUSES, Config, Trainer

SEEDS = (0, 1, 2)


@cache
def run(name: str, seed: int, epochs: int) -> Trainer:
    return Trainer(presets.config(name), seed=seed).run(epochs)


def chance(trainer: Trainer) -> float:
    return status.chance_loss(trainer.dataset.loss, trainer.train.y)


def test_the_words_are_the_criteria_plus_training():
    assert STATUSES == status.STATUSES
    assert set(STATUSES) == {"ready", "diverged", "symmetric", "vanishing", "stuck", "converged",
                             "plateau", "training"}


def test_chance_loss_is_the_best_constant_predictions_loss():
    y = np.array([0, 1, 1, 1])
    assert status.chance_loss("binary_crossentropy", y) == pytest.approx(
        -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))
    assert status.chance_loss("categorical_crossentropy", np.array([0, 1, 2])) == pytest.approx(math.log(3))
    assert status.chance_loss("mse", np.array([[1.0], [3.0]])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="valid: binary_crossentropy"):
        status.chance_loss("hinge", y)
    # the constant prediction p = mean(y) reaches it: a trained network's loss at chance
    trainer = run("zeros", 0, 300)
    assert trainer.history.last("loss") == pytest.approx(chance(trainer), abs=2e-3)


@pytest.mark.parametrize("seed", SEEDS)
def test_constant_starts_are_symmetric_not_vanishing(seed):
    for name in ("zeros", "ones"):
        trainer = run(name, seed, presets.get(name).epochs)
        assert trainer.status == "symmetric", name
        assert np.all(measure(trainer.network).distinct_units == 1)


def test_ones_times_a_tenth_is_symmetric_while_its_loss_falls():
    trainer = Trainer(Config(initializer="ones", scale=0.1)).run(300)
    assert trainer.history.last("loss") < 0.5 * trainer.history.loss[0]
    assert trainer.status == "symmetric"


def test_a_random_layer_whose_first_two_units_match_is_not_symmetric():
    trainer = Trainer(Config(depth=2, width=8)).run(1)
    W, b = trainer.network.weights[0], trainer.network.biases[0]
    W[:, 1], b[1] = W[:, 0], b[0]  # two copies, six distinct units
    assert trainer.status != "symmetric"
    W[:] = W[:, :1]
    b[:] = b[0]
    assert trainer.status == "symmetric"


@pytest.mark.parametrize("seed", SEEDS)
def test_positive_uniform_is_never_converged_near_chance(seed):
    """The issue's case: 'converged' at loss 0.67, near chance, though the loss later falls."""
    for epochs in (300, 400, 1000):
        trainer = run("positive_uniform", seed, epochs)
        loss = trainer.history.last("loss")
        assert loss > (1 - status.NEAR_CHANCE) * chance(trainer)  # near chance
        assert trainer.status in ("training", "plateau"), (epochs, trainer.status)
    assert run("positive_uniform", seed, 1000).status == "plateau"


def test_seed_0_positive_uniform_is_training_while_it_falls():
    trainer = run("positive_uniform", 0, 300)
    loss = trainer.history.loss
    assert loss[-100] - loss[-1] > 0.01  # it fell by 0.012 over its last 100 epochs
    assert trainer.status == "training"


@pytest.mark.parametrize("name, word", [
    ("too_small", "vanishing"), ("identity_vanishing", "vanishing"),
    ("too_large", "diverged"), ("identity_exploding", "diverged"),
])
@pytest.mark.parametrize("seed", SEEDS)
def test_preset_words(name, word, seed):
    assert run(name, seed, presets.get(name).epochs).status == word


@pytest.mark.parametrize("name", ["keras_normal", "glorot_tanh", "he_relu"])
@pytest.mark.parametrize("seed", SEEDS)
def test_training_presets_are_training_while_the_loss_falls(name, seed):
    trainer = run(name, seed, 300)
    loss = trainer.history.loss
    assert loss[-1] < (1 - status.NEAR_CHANCE) * chance(trainer)
    assert trainer.status == "training"
    assert loss[-101:].max() - loss[-101:].min() > status.SETTLED_CHANGE * loss[-1]  # improving


@pytest.mark.parametrize("name", presets.names())
def test_converged_only_when_settled_and_far_from_chance(name):
    for seed in SEEDS:
        for epochs in (presets.get(name).epochs, 1000):
            trainer = run(name, seed, epochs)
            if trainer.status != "converged":
                continue
            loss, epochs_seen = trainer.history.loss, trainer.history.epochs
            if loss[-1] < status.CONVERGED_LOSS:
                continue
            recent = loss[epochs_seen >= epochs_seen[-1] - status.WINDOW]
            assert loss[-1] < (1 - status.NEAR_CHANCE) * chance(trainer), (name, seed, epochs)
            assert recent.max() - recent.min() < status.SETTLED_CHANGE * loss[-1], (name, seed)


def test_ready_training_stuck_converged_and_diverged():
    t = Trainer(Config(depth=2, width=8))
    assert t.status == "ready"
    assert t.run(5).status == "training"
    done = Trainer(Config(dataset="blobs", noise=0.0, depth=2, optimizer="adam", learning_rate=0.05))
    done.step(400)
    assert done.history.loss[-1] < status.CONVERGED_LOSS and done.status == "converged"
    flat = Trainer(Config(depth=2, width=8))
    flat.optimizer.learning_rate = 1e-9  # below Config's range: the loss cannot move
    flat.step(199)
    assert flat.status == "training"  # too short a run to judge
    flat.step(2)
    assert flat.status == "stuck"
    assert Trainer(Config(scale=100, depth=20, activation="relu", initializer="he_normal")).run(5).status == "diverged"


def test_a_settled_good_fit_is_converged():
    trainer = Trainer(Config(activation="linear", depth=2)).run(400)  # a linear model: 0.237
    assert trainer.history.last("loss") < (1 - status.NEAR_CHANCE) * chance(trainer)
    assert trainer.status == "converged"


def test_the_app_has_a_sentence_for_every_word():
    from initviz.app.explorer import STATUS_TEXT

    assert set(STATUS_TEXT) == set(STATUSES)
