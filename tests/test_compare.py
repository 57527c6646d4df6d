"""initviz.core.compare: A and B trained on the same data and seed, and the difference in words."""
from __future__ import annotations

import numpy as np
import pytest

from initviz.core.compare import Comparison, compare, gradient_ratio
from initviz.core.training import Config, Trainer


def test_compare_sync_trains_both_on_the_same_data_and_seed():
    a = Config(depth=12, activation="relu", initializer="random_normal")  # N(0, 0.05^2): vanishes
    b = a.replace(initializer="he_normal")
    result = compare(a, b, 300)
    assert result.trainer_a.epoch == result.trainer_b.epoch == 300
    np.testing.assert_array_equal(result.trainer_a.train.X, result.trainer_b.train.X)
    # identical to training each alone
    alone = Trainer(b).run(300)
    np.testing.assert_allclose(result.history_b.loss, alone.history.loss)
    assert result.final_loss_b < 0.8 * result.final_loss_a
    text = result.summary()
    assert text.startswith(f"B reached loss {result.final_loss_b:.3g} vs A {result.final_loss_a:.3g}")
    assert "after 300 epochs" in text
    assert "A's first-layer gradient is 1e-" in text and "(vanishing)" in text
    assert gradient_ratio(result.history_a) < 1e-3 < gradient_ratio(result.history_b)


def test_compare_words_for_divergence_zeros_and_ties():
    diverging = compare(Config(initializer="random_normal", scale=100.0, activation="relu", depth=10),
                        Config(activation="relu", depth=10), 60)
    assert diverging.trainer_a.diverged
    assert diverging.summary().startswith("A diverged at epoch")
    assert np.isnan(diverging.final_loss_a)
    zeros = compare(Config(), Config(initializer="zeros"), 60)
    assert "B's first-layer gradient is exactly 0" in zeros.summary()
    tie = compare(Config(), Config(), 30)
    assert tie.summary().startswith("A and B end at about the same loss")
    with pytest.raises(ValueError, match="epochs"):
        Comparison(Config(), Config(), 0)
