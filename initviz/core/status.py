"""Status words from measurable criteria: what the dashboard's status line says about a run.

``classify(trainer)`` checks the CRITERIA in order and returns the first word whose test holds
(``Trainer.status`` delegates here). Every word is defined by numbers a student can check:

==============  ===========================================================================
word            criterion (first match wins)
==============  ===========================================================================
``diverged``    the run stopped on a non-finite loss, gradient or update
``ready``       no epoch trained yet
``symmetric``   a hidden layer of 2 or more units has 1 distinct unit (every unit a copy of
                the others, within ``symmetry.DEFAULT_RTOL``): it can never become more
``vanishing``   the latest first-layer gradient norm is below ``VANISHING_FLOOR`` (1e-8), or
                below ``VANISHING_RATIO`` (1e-4) times the output layer's
``stuck``       *settled* within 10% of where it started (``STUCK_FRACTION``): it never
                really moved
``converged``   the loss is below ``CONVERGED_LOSS`` (1e-3); or it is *settled* and not
                *near chance*
``plateau``     *settled* but *near chance* after falling from its start: flat for now, it
                may drop again (positive-only weights do, in steps)
``training``    anything else (still improving, or too short a run to judge)
==============  ===========================================================================

*near chance*: the latest loss is within ``NEAR_CHANCE`` (20%) of the loss of the best constant
prediction on the training targets (:func:`chance_loss`: the class entropy for cross-entropy,
the targets' variance for the squared error; ln 2 = 0.693 for balanced moons).

*settled*: the run has at least ``MIN_EPOCHS`` (200) epochs and over the last ``WINDOW`` (100)
epochs the loss moved by less than ``SETTLED_CHANGE`` (1e-4) of its latest value (at least of
1e-3): no longer improving. A run that is near chance or still improving is never converged.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from initviz.core.symmetry import DEFAULT_RTOL, count_distinct

if TYPE_CHECKING:  # training imports this module: a Trainer only as a type, no cycle at run time
    from initviz.core.training import Trainer

VANISHING_FLOOR = 1e-8
VANISHING_RATIO = 1e-4
CONVERGED_LOSS = 1e-3
NEAR_CHANCE = 0.2
MIN_EPOCHS = 200
WINDOW = 100
SETTLED_CHANGE = 1e-4
STUCK_FRACTION = 0.9


def _binary_chance(y: np.ndarray) -> float:
    p = float(np.mean(y))
    return -sum(q * math.log(q) for q in (p, 1 - p) if q > 0)


def _multiclass_chance(y: np.ndarray) -> float:
    p = np.bincount(np.asarray(y, dtype=np.int64)) / len(y)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _mse_chance(y: np.ndarray) -> float:
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return float(np.mean(np.var(y, axis=0)))


CHANCE: dict[str, Callable[[np.ndarray], float]] = {
    "binary_crossentropy": _binary_chance,
    "categorical_crossentropy": _multiclass_chance,
    "mse": _mse_chance,
}
"""Loss name -> the loss of the best constant prediction for targets y."""


def chance_loss(loss: str, y: np.ndarray) -> float:
    """The lowest loss a constant prediction reaches on targets ``y``: the class entropy
    -sum p_k ln p_k for cross-entropy, the mean variance of the targets for the squared error."""
    if loss not in CHANCE:
        raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(CHANCE)}")
    return CHANCE[loss](y)


@dataclass(frozen=True)
class Evidence:
    """The measurements the criteria read, taken once per call of :func:`classify`."""

    trainer: Trainer

    @property
    def loss(self) -> np.ndarray:
        return self.trainer.history.loss

    def near_chance(self) -> bool:
        loss = self.loss
        if not len(loss):
            return False
        t = self.trainer
        chance = chance_loss(t.dataset.loss, t.train.y)
        return bool(loss[-1] > (1 - NEAR_CHANCE) * chance)

    def settled(self) -> bool:
        loss, epochs = self.loss, self.trainer.history.epochs
        if len(loss) < 20 or epochs[-1] < MIN_EPOCHS:
            return False
        recent = loss[epochs >= epochs[-1] - WINDOW]
        return bool(recent.max() - recent.min() < SETTLED_CHANGE * max(abs(recent[-1]), 1e-3))


def _ready(e: Evidence) -> bool:
    return e.trainer.epoch == 0


def _diverged(e: Evidence) -> bool:
    return bool(e.trainer.diverged)


def _symmetric(e: Evidence) -> bool:
    net = e.trainer.network
    for W, b in zip(net.weights[:-1], net.biases[:-1]):
        if W.shape[1] < 2:
            continue
        # a quick test (units 0 and 1) before counting every unit: O(fan_in) for a random layer
        u0 = np.append(W[:, 0], b[0]).astype(np.float64)
        u1 = np.append(W[:, 1], b[1]).astype(np.float64)
        if not np.all(np.isfinite(u0 - u1)):
            continue
        if np.linalg.norm(u0 - u1) > DEFAULT_RTOL * max(np.linalg.norm(u0), np.linalg.norm(u1)):
            continue
        if count_distinct(W, b) == 1:
            return True
    return False


def _vanishing(e: Evidence) -> bool:
    grad = e.trainer.history.grad_norm
    if not len(grad):
        return False
    first, last = float(grad[-1, 0]), float(grad[-1, -1])
    return first < VANISHING_FLOOR or first < VANISHING_RATIO * last


def _converged(e: Evidence) -> bool:
    loss = e.loss
    if len(loss) and loss[-1] < CONVERGED_LOSS:
        return True
    return e.settled() and not e.near_chance()


def _stuck(e: Evidence) -> bool:
    return e.settled() and bool(e.loss[-1] > STUCK_FRACTION * e.loss[0])


def _plateau(e: Evidence) -> bool:
    return e.settled() and e.near_chance()


CRITERIA: tuple[tuple[str, Callable[[Evidence], bool]], ...] = (
    ("diverged", _diverged),
    ("ready", _ready),
    ("symmetric", _symmetric),
    ("vanishing", _vanishing),
    ("stuck", _stuck),
    ("converged", _converged),
    ("plateau", _plateau),
)
"""The status words in the order they are tested (see the module's table); else ``training``."""

STATUSES: tuple[str, ...] = tuple(word for word, _ in CRITERIA) + ("training",)


def classify(trainer: Trainer) -> str:
    """The first status word of CRITERIA whose test holds for ``trainer``, else 'training'."""
    evidence = Evidence(trainer)
    for word, holds in CRITERIA:
        if holds(evidence):
            return word
    return "training"
