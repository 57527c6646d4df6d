"""Hidden layers of different widths: Config stores them only when unequal, they reach a link,
the network trains, its gradients are the reference's, and its statistics match the stacked
path's formulas."""
from __future__ import annotations

import numpy as np
import pytest

from initviz.app.share import read_link
from initviz.core import reference, theory
from initviz.core.config import Config
from initviz.core.training import Trainer


def test_widths_are_stored_only_when_unequal():
    config = Config(widths=(64, 32, 16))
    assert (config.depth, config.width, config.hidden_widths) == (3, 64, (64, 32, 16))
    assert Config(widths=[8, 8]) == Config(depth=2, width=8)
    assert config.replace(depth=2).hidden_widths == (64, 64)  # the sliders: equal widths
    assert config.replace(activation="relu").hidden_widths == (64, 32, 16)
    assert Config.from_query(config.to_query()) == config
    assert read_link("?widths=64,32,16").config == config
    link = read_link("?widths=64,0,16&depth=4")
    assert link.config == Config(depth=4) and "widths" in link.ignored[0][0]
    with pytest.raises(ValueError, match="widths"):
        Config(widths=(8,) * 51)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_unequal_widths_train_and_their_gradients_are_the_references(activation):
    config = Config(widths=(16, 8, 4), activation=activation, learning_rate=0.1)
    trainer = Trainer(config)
    net = trainer.network
    assert net.sizes == [2, 16, 8, 4, 1]
    X = trainer.train.X.astype(net.dtype)
    before = [p.astype(np.float64) for p in net.parameters]
    _, grads = reference.loss_and_gradients(before[0::2], before[1::2], X, trainer.train.y,
                                            activation, net.loss.name)
    trainer.step(1)
    after = [p.astype(np.float64) for p in net.parameters]
    for p0, p1, g in zip(before, after, [g for pair in grads for g in pair]):
        np.testing.assert_allclose(p1, p0 - 0.1 * g, rtol=1e-6, atol=1e-7)
    start = trainer.history.loss[0]
    trainer.step(300)
    if activation != "sigmoid":  # a sigmoid stack under SGD at 0.1 barely moves in 300 epochs
        assert trainer.history.loss[-1] < 0.7 * start
    assert len(trainer.history.snapshots) > 1
    assert theory.predict(config).preactivation_std.shape == (3,)


def test_the_per_layer_statistics_equal_the_stacked_ones():
    """The fallback for unequal widths gives what the one-call path gives for equal widths."""
    for activation in ("relu", "tanh", "sigmoid"):
        trainer = Trainer(Config(depth=3, width=8, activation=activation))
        trainer.step(5)
        stacked = trainer._activation_stats()
        by_layer = trainer._activation_stats_by_layer(trainer._rows)
        for key, values in stacked.items():
            np.testing.assert_allclose(by_layer[key], values, rtol=1e-5, atol=1e-7,
                                       err_msg=f"{activation} {key}")
