"""Symmetry meter (core): distinct units and mean cosine, against brute force and training runs."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from initviz.core import symmetry
from initviz.core.network import Network
from initviz.core.training import Config, Trainer


def brute_distinct(units: np.ndarray, rtol: float) -> int:
    """Greedy grouping in input order with explicit pairwise distances (the definition)."""
    units = units.astype(np.float64)
    n = units.shape[1]
    norms = np.linalg.norm(units, axis=0)
    assigned = np.zeros(n, dtype=bool)
    groups = 0
    for i in range(n):
        if assigned[i]:
            continue
        groups += 1
        for j in range(n):
            if np.linalg.norm(units[:, i] - units[:, j]) <= rtol * max(norms[i], norms[j]):
                assigned[j] = True
    return groups


def brute_cosine(W: np.ndarray) -> float:
    W = W.astype(np.float64)
    n = W.shape[1]
    total, pairs = 0.0, 0
    for i in range(n):
        for j in range(i + 1, n):
            a, b = np.linalg.norm(W[:, i]), np.linalg.norm(W[:, j])
            if a == 0 and b == 0:
                c = 1.0
            elif a == 0 or b == 0:
                c = 0.0
            else:
                c = W[:, i] @ W[:, j] / (a * b)
            total += c
            pairs += 1
    return total / pairs


@settings(max_examples=60, deadline=None)
@given(fan_in=st.integers(1, 6), prototypes=st.integers(1, 5), width=st.integers(1, 24),
       seed=st.integers(0, 10_000), zero_units=st.booleans())
def test_distinct_and_cosine_match_brute_force(fan_in, prototypes, width, seed, zero_units):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((fan_in + 1, prototypes)).astype(np.float32)
    if zero_units:
        base[:, 0] = 0.0
    chosen = rng.integers(0, prototypes, size=width)
    units = base[:, chosen]
    units = units * (1 + rng.standard_normal(units.shape) * 1e-6).astype(np.float32)  # rounding
    W, b = units[:-1], units[-1]
    distinct = symmetry.count_distinct(W, b)
    assert distinct == brute_distinct(units, symmetry.DEFAULT_RTOL)
    assert distinct == len(np.unique(chosen))  # random prototypes are far apart
    if width >= 2:
        assert symmetry.mean_pairwise_cosine(W) == pytest.approx(brute_cosine(W), abs=1e-5)
    else:
        assert math.isnan(symmetry.mean_pairwise_cosine(W))


def test_copies_are_counted_once_and_bias_separates_units():
    W = np.ones((3, 4), dtype=np.float32)
    assert symmetry.count_distinct(W, np.zeros(4)) == 1
    assert symmetry.count_distinct(W, np.array([0, 0, 1, 1])) == 2  # same weights, other bias
    assert symmetry.count_distinct(np.zeros((3, 5)), np.zeros(5)) == 1
    W[0, 1] = 1.0 + 1e-5  # within the relative tolerance
    assert symmetry.count_distinct(W) == 1
    W[0, 1] = 1.1
    assert symmetry.count_distinct(W) == 2


def test_tolerance_is_relative_to_the_norm():
    W = np.array([[1e-6, 1.0000001e-6, 2e-6]], dtype=np.float64)
    assert symmetry.count_distinct(W) == 2
    assert symmetry.count_distinct(W * 1e20) == 2  # no overflow for exploded weights
    assert symmetry.count_distinct(np.array([[np.inf, np.inf, np.nan]])) == 2


def test_cosine_conventions_for_zero_vectors():
    assert symmetry.mean_pairwise_cosine(np.zeros((4, 6))) == 1.0  # all identical (zero) units
    half = np.zeros((2, 4))
    half[:, 2:] = [[1.0, 1.0], [0.0, 0.0]]
    # pairs: (0,1) zero-zero 1, (2,3) parallel 1, four zero/non-zero 0 -> 2/6
    assert symmetry.mean_pairwise_cosine(half) == pytest.approx(2 / 6)
    assert symmetry.mean_pairwise_cosine(np.array([[1.0, -1.0]])) == pytest.approx(-1.0)
    assert math.isnan(symmetry.mean_pairwise_cosine(np.ones((3, 1))))


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="2-D"):
        symmetry.count_distinct(np.ones(3))
    with pytest.raises(ValueError, match="2-D"):
        symmetry.mean_pairwise_cosine(np.ones((2, 2, 2)))


@pytest.mark.parametrize("initializer, activation", [
    ("ones", "tanh"), ("ones", "relu"), ("ones", "sigmoid"), ("constant", "tanh"),
])
def test_constant_init_stays_symmetric_through_training(initializer, activation):
    trainer = Trainer(Config(initializer=initializer, activation=activation, depth=4, width=16))
    trainer.step(200)
    assert trainer.epoch == 200 and not trainer.diverged
    report = symmetry.measure(trainer.network)
    np.testing.assert_array_equal(report.distinct_units, np.ones(4))
    np.testing.assert_allclose(report.mean_cosine, 1.0, atol=1e-6)
    assert report.width == 16 and report.widths == (16,) * 4
    assert report.symmetric
    assert "1 distinct unit of 16" in report.summary()


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_zeros_init_stays_one_unit(activation):
    """What really happens with zeros: tanh/relu hidden weights never move (h = 0 and the output
    kernel is 0, so every hidden gradient is 0); sigmoid units output 0.5 and do learn, but all
    alike. Either way 1 distinct unit per layer and cosine 1 (zero vectors count as identical)."""
    trainer = Trainer(Config(initializer="zeros", activation=activation, depth=4, width=16))
    trainer.step(200)
    report = symmetry.measure(trainer.network)
    np.testing.assert_array_equal(report.distinct_units, np.ones(4))
    np.testing.assert_allclose(report.mean_cosine, 1.0, atol=1e-6)
    if activation in ("tanh", "relu"):
        assert all(not W.any() for W in trainer.network.weights[:-1])


@pytest.mark.parametrize("initializer, activation", [("glorot_uniform", "tanh"), ("he_normal", "relu")])
def test_random_init_breaks_symmetry(initializer, activation):
    trainer = Trainer(Config(initializer=initializer, activation=activation, depth=5, width=32))
    before = symmetry.measure(trainer.network)
    trainer.step(200)
    after = symmetry.measure(trainer.network)
    for report in (before, after):
        np.testing.assert_array_equal(report.distinct_units, np.full(5, 32))
        assert np.all(np.abs(report.mean_cosine) < 0.15)
        assert not report.symmetric
        assert "all 32 units" in report.summary()


def test_measure_handles_the_largest_networks():
    net = Network([2] + [512] * 12 + [1], initializer="ones", seed=0)
    report = symmetry.measure(net)
    np.testing.assert_array_equal(report.distinct_units, np.ones(12))


def test_uneven_widths_and_no_hidden_layer():
    net = Network([2, 8, 4, 1], initializer="glorot_uniform", seed=1)
    report = symmetry.measure(net)
    assert report.widths == (8, 4) and report.width == 8
    np.testing.assert_array_equal(report.distinct_units, [8, 4])
    empty = symmetry.measure(Network([2, 1], seed=0))
    assert empty.depth == 0 and empty.summary() == "no hidden layers"
