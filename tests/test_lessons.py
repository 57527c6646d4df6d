"""initviz.core.lessons: the lesson's table of runs and one layer's gain, against the Trainer and
against the variance formula."""
from __future__ import annotations

import math

import numpy as np
import pytest

from initviz.core import lessons, presets
from initviz.core.training import Config, Trainer


def test_runs_match_the_trainer_and_name_their_conditions():
    config = Config(depth=2, width=8)
    table = lessons.runs({"small": config, "adam": config.replace(optimizer="adam", learning_rate=0.01)},
                         epochs=40)
    assert len(table) == 2
    direct = Trainer(config).run(40)
    row = table["small"]
    assert row.final_loss == pytest.approx(float(direct.history.last("loss")))
    assert row.best_loss == pytest.approx(float(direct.history.loss.min()))
    assert row.status == direct.status
    assert "sgd at lr 0.1, full batch, 40 epochs, moons (300 samples, noise 0.2), 2 x 8 tanh" in row.text()
    assert "adam at lr 0.01" in table["adam"].text()
    below = np.flatnonzero(direct.history.loss < lessons.LOSS_THRESHOLD)
    assert row.epochs_to_threshold == (int(below[0]) if len(below) else None)
    with pytest.raises(ValueError, match="valid: small, adam"):
        table["missing"]


def test_a_diverged_run_says_when():
    table = lessons.runs({"x1.5": presets.config("identity_exploding")}, epochs=10)
    row = table["x1.5"]
    assert math.isnan(row.final_loss) and row.diverged_epoch == 1
    assert row.text().startswith("x1.5: diverged at epoch 1 |")


def test_runs_reject_no_epochs():
    with pytest.raises(ValueError, match="epochs"):
        lessons.runs({"a": Config()}, epochs=0)


@pytest.mark.parametrize("fan_in", [13, 100, 1000])
def test_layer_gain_follows_the_fixed_spread_formula(fan_in):
    # Keras 'normal': zero-mean, std 0.05, so the gain is about 0.05 * sqrt(fan_in)
    gains = [lessons.layer_gain("normal", fan_in, rng=np.random.default_rng(seed)) for seed in range(4)]
    assert np.mean(gains) == pytest.approx(0.05 * math.sqrt(fan_in), rel=0.06)


def test_layer_gain_of_glorot_stays_near_one_and_is_seeded():
    gains = lessons.layer_gains("glorot_uniform", [13, 1000])
    assert set(gains) == {13, 1000}
    assert all(abs(g - 1) < 0.1 for g in gains.values())
    assert lessons.layer_gains("glorot_uniform", [13, 1000]) == gains
    with pytest.raises(ValueError):
        lessons.layer_gain("normal", 0)
