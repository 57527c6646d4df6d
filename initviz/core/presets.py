"""Presets: the classic initialization lessons, each a small change to the default ``Config``.

Pure data (no widgets), so a lesson notebook or a test can use them directly::

    >>> from initviz.core import presets
    >>> presets.get("he_relu").config().initializer
    'he_normal'

Each preset is applied to ``Config()`` (not to the current setting), so picking one always gives
the same run. ``Config`` has no initializer parameters: ``scale`` multiplies the drawn kernels,
so Keras' ``random_normal`` (stddev 0.05) with ``scale=0.2`` is N(0, 0.01²) and with
``scale=20`` is N(0, 1). Every claim made in an explanation is checked by running the Trainer in
``tests/test_presets.py``, under the conditions ``Preset.conditions`` names (the default
optimizer, full-batch SGD at learning rate 0.1, for ``Preset.epochs`` epochs): under Adam several
of these failures train (see the lesson's section 10).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from initviz.core import status, symmetry
from initviz.core._registry import lookup
from initviz.core.lessons import conditions
from initviz.core.training import Config, Trainer


@dataclass(frozen=True)
class Outcome:
    """A prediction a student can make about a preset's run, and its test on the run's first
    ``epochs`` epochs: ``holds(trainer, epochs)``."""

    name: str
    text: str
    holds: Callable[[Trainer, int], bool]


def _diverged_by(trainer: Trainer, epochs: int) -> bool:
    return trainer.diverged_epoch is not None and trainer.diverged_epoch <= epochs


def _losses(trainer: Trainer, epochs: int) -> np.ndarray:
    history = trainer.history
    return history.loss[history.epochs < epochs]


def _trains(trainer: Trainer, epochs: int) -> bool:
    loss = _losses(trainer, epochs)
    return not _diverged_by(trainer, epochs) and bool(len(loss)) and float(loss.min()) < TRAINS_BELOW


def _near_chance(trainer: Trainer, epochs: int) -> bool:
    loss = _losses(trainer, epochs)
    chance = status.chance_loss(trainer.dataset.loss, trainer.train.y)
    return (not _diverged_by(trainer, epochs) and bool(len(loss))
            and float(loss[-1]) > (1 - status.NEAR_CHANCE) * chance)


def _copies(trainer: Trainer, epochs: int) -> bool:
    report = symmetry.measure(trainer.network)
    return bool(np.any((report.distinct_units == 1) & (np.asarray(report.widths) > 1)))


TRAINS_BELOW = 0.3
OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("trains", f"it learns: the loss falls below {TRAINS_BELOW:g}", _trains),
    Outcome("near_chance", "the loss stays near chance (about 0.69: a coin flip)", _near_chance),
    Outcome("diverges", "the run diverges: the numbers overflow", _diverged_by),
    Outcome("copies", "the units of a hidden layer stay copies of each other", _copies),
)}
"""What a student can predict about a preset's run; near chance is status.NEAR_CHANCE's band
(within 20% of the loss of the best constant prediction)."""
DEFAULT_CHOICES = ("trains", "near_chance", "diverges")
SLOW_MOTION = 1.0
"""Epochs per second for the presets whose run is over within a few epochs (they diverge at
epoch 1 or 2): one epoch a second, so each of those epochs can be watched. The app snaps a
preset's pace to its speed stops."""


@dataclass(frozen=True)
class Preset:
    """One lesson: ``config_changes`` applied to ``Config()``, what to see, what to ask."""

    name: str
    title: str
    config_changes: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""  # two lines: what the setting is, what the student will see
    question: str = ""  # a question the student answers by moving a control
    epochs: int = 300  # the explanation's claim holds after this many epochs (tests train this)
    answer: str = "trains"  # the OUTCOMES entry the explanation claims for the preset's run
    choices: tuple[str, ...] = DEFAULT_CHOICES  # the predictions the app offers (OUTCOMES)
    pace: float | None = None  # epochs per second to play it at (None: keep the current pace)

    def __post_init__(self) -> None:
        if self.pace is not None and not self.pace > 0:
            raise ValueError(f"preset {self.name!r}: pace must be a positive number of epochs "
                             f"per second or None (keep the current pace), got {self.pace!r}")

    def config(self, base: Config | None = None) -> Config:
        """The preset's Config: ``config_changes`` applied to ``base`` (default ``Config()``)."""
        return (base or Config()).replace(**self.config_changes)

    def judged(self, trainer: Trainer) -> bool:
        """True once ``trainer`` ran this preset's ``epochs`` (or diverged): outcomes can be told."""
        return bool(trainer.diverged) or trainer.epoch >= self.epochs

    def outcomes(self, trainer: Trainer) -> dict[str, bool]:
        """Which of ``choices`` held over the first ``epochs`` epochs of ``trainer``'s run."""
        return {name: OUTCOMES[name].holds(trainer, self.epochs) for name in self.choices}

    @property
    def conditions(self) -> str:
        """What the explanation's claim was measured with, e.g. 'sgd at lr 0.1, full batch, 300
        epochs, moons (300 samples, noise 0.2), 6 x 32 relu, seed 0'."""
        return conditions(self.config(), self.epochs)


PRESETS: tuple[Preset, ...] = (
    Preset(
        "keras_normal", "Keras 'normal' + ReLU (the Q&A's Dense(13))",
        {"initializer": "random_normal", "activation": "relu", "depth": 1, "width": 13},
        "kernel_initializer='normal' draws every weight from N(0, 0.05²), whatever the layer's "
        "width; the Q&A's Dense(13, input_dim=13, activation='relu') has one hidden layer.\n"
        "With a single hidden layer that small spread is harmless: the network trains.",
        "Raise depth to 6. What happens to the activation histograms layer after layer, and to "
        "the loss? Why does a fixed stddev of 0.05 stop working?",
    ),
    Preset(
        "zeros", "All zeros: symmetry never breaks",
        {"initializer": "zeros"},
        "Every weight starts at 0, so every hidden unit computes the same output and receives "
        "the same (here: zero) gradient.\nThe units stay identical for ever: the loss never "
        "leaves its starting value.",
        "Switch the initializer to random_normal and train again. Why is randomness needed even "
        "though the zeros are perfectly 'balanced'?",
        answer="near_chance", choices=(*DEFAULT_CHOICES, "copies"),
    ),
    Preset(
        "ones", "All ones: symmetric and saturated",
        {"initializer": "ones"},
        "Every weight is 1: like zeros, all units of a layer are identical, and each layer adds "
        "up fan_in inputs, so tanh units sit at ±1.\nSaturated units have slope 0: the hidden "
        "layers get no gradient (status: symmetric, the first of the two causes).",
        "Look at the activation histograms: where are the units, and what is tanh's slope there? "
        "Would ones work better with fewer, narrower layers?",
        epochs=100,
        answer="near_chance", choices=(*DEFAULT_CHOICES, "copies"),
    ),
    Preset(
        "too_small", "Too small: N(0, 0.01²)",
        {"initializer": "random_normal", "scale": 0.2, "activation": "relu"},
        "Weights from N(0, 0.01²) (Keras' random_normal x 0.2) shrink the signal at every "
        "layer: the last activations are over a million times smaller than the first.\n"
        "The gradients vanish with them and the loss stays at its starting value.",
        "Lower the depth to 1, then 2, then 3: from which depth does the network stop learning?",
        epochs=200,
        answer="near_chance",
    ),
    Preset(
        "too_large", "Too large: N(0, 1)",
        {"initializer": "random_normal", "scale": 20.0, "activation": "relu"},
        "Weights from N(0, 1) (Keras' random_normal x 20) make every ReLU layer about 4x louder "
        "than the one before.\nThe starting loss is in the thousands and the first updates "
        "overflow: the run diverges after a couple of epochs.",
        "Lower the scale until the run stops diverging. How does that scale compare with He's "
        "√(2/fan_in) for 32 inputs?",
        epochs=50,
        answer="diverges", pace=SLOW_MOTION,
    ),
    Preset(
        "identity_exploding", "Identity x 1.5: exploding",
        {"initializer": "identity", "scale": 1.5, "activation": "linear", "depth": 30},
        "Each of the 30 linear layers copies its input and multiplies it by 1.5, so the signal "
        "grows as 1.5^depth (about 190,000x at layer 30).\nThe gradients explode as well and "
        "the first update overflows: the run diverges.",
        "Try scales 1.2, 1.1 and 1.0. Which ones still diverge? Compare 1.1^30 (about 17) with "
        "1.2^30 (about 240).",
        epochs=100,
        answer="diverges", pace=SLOW_MOTION,
    ),
    Preset(
        "identity_vanishing", "Identity x 0.5: vanishing",
        {"initializer": "identity", "scale": 0.5, "activation": "linear", "depth": 30},
        "The same 30 layers with gain 0.5 halve the signal at each layer: 0.5^30 is about one "
        "billionth.\nThe gradients shrink just as fast (status: vanishing) and nothing learns.",
        "Reduce the depth until the network starts to learn. What does that say about deep "
        "networks whose layers each shrink the signal a little?",
        epochs=100,
        answer="near_chance",
    ),
    Preset(
        "positive_uniform", "Positive-only uniform U[0, 0.3)",
        {"initializer": "positive_uniform", "scale": 30.0},
        "U[0, 0.3) is half as wide as Glorot's U(-0.31, 0.31) for 32 units but has the same mean "
        "square; every weight is positive, so all units of a layer agree on the sign of their "
        "input.\nThe layers act like one unit: tanh saturates, early gradients vanish, training "
        "crawls (loss 0.67 after 300 epochs of SGD, still falling).",
        "Switch to glorot_uniform (same mean square, centred on zero). What changes in the activation "
        "histograms, and why does the sign of the weights matter?",
        answer="near_chance",
    ),
    Preset(
        "glorot_tanh", "Glorot + tanh",
        {"initializer": "glorot_uniform", "activation": "tanh"},
        "Glorot & Bengio (2010) pick Var(w) = 2/(fan_in + fan_out) so the signal keeps its "
        "spread through tanh layers, forward and backward.\nThe activation histograms look "
        "alike at every depth and the network trains.",
        "Keep glorot_uniform but switch the activation to relu and the depth to 20. What "
        "happens to the activations, layer after layer?",
    ),
    Preset(
        "he_relu", "He + ReLU",
        {"initializer": "he_normal", "activation": "relu"},
        "ReLU zeroes half of its inputs, so He et al. (2015) double the variance: "
        "Var(w) = 2/fan_in keeps the signal steady with depth.\nThe 32 x 32 kernels' gradient "
        "norms stay within a factor of about 2 of each other (the 2 x 32 first kernel's is "
        "smaller: fewer weights) and the network trains.",
        "Raise the depth to 30: does He still train? Compare with the preset 'Glorot + ReLU at "
        "depth 30'.",
    ),
    Preset(
        "glorot_relu_deep", "Glorot + ReLU at depth 30 (He et al. 2015)",
        {"initializer": "glorot_normal", "activation": "relu", "depth": 30},
        "He et al. (2015), figure 3: with ReLU, Glorot's variance is half what is needed, so the "
        "signal shrinks by √2 per layer, tens of thousands of times over 30 layers.\nUnder SGD "
        "the loss stays flat while the same network with He's initializer trains (under Adam "
        "at 0.01 both train).",
        "Switch the initializer to he_normal and train again. How many epochs until the loss "
        "starts to fall?",
        epochs=150,
        answer="near_chance",
    ),
    # Beyond Glorot and He (Schoenholz et al. 2017): 30 tanh layers with bias variance 0.04
    # (bias std 0.2); the weight variance sw = scale^2 (Glorot at equal fans gives 1).
    Preset(
        "edge_of_chaos", "Edge of chaos: 30 tanh layers at χ1 = 1",
        {"activation": "tanh", "depth": 30, "initializer": "glorot_uniform", "scale": 1.304,
         "bias_std": 0.2},
        "Glorot x 1.304 gives σw² = 1.70 with σb² = 0.04 (bias std 0.2): the edge of chaos of "
        "tanh (χ1 = 1), where the depth scale ξ is infinite.\nSignals and gradients neither "
        "die nor explode: under SGD (lr 0.1) all 30 layers train, loss below 0.2 by epoch 500.",
        "Open the Order and chaos tab: where is the point? Lower the scale to 0.7 or raise it "
        "to 3: which side stops training?",
        epochs=500,
    ),
    Preset(
        "ordered", "Ordered: 30 tanh layers, σw² = 0.49",
        {"activation": "tanh", "depth": 30, "initializer": "glorot_uniform", "scale": 0.7,
         "bias_std": 0.2},
        "Glorot x 0.7 gives σw² = 0.49 with σb² = 0.04: the ordered phase, χ1 = 0.43 and "
        "6ξ = 7 layers, far less than 30.\nThe theory says all inputs merge into one and the "
        "gradients vanish: under SGD (lr 0.1) the loss stays at ln 2 = 0.69 for 500 epochs.",
        "Lower the depth: from about which depth does it train again, and how does that "
        "compare with 6ξ?",
        epochs=500, answer="near_chance",
    ),
    Preset(
        "chaotic", "Chaotic: 30 tanh layers, σw² = 9",
        {"activation": "tanh", "depth": 30, "initializer": "glorot_uniform", "scale": 3.0,
         "bias_std": 0.2},
        "Glorot x 3 gives σw² = 9 with σb² = 0.04: the chaotic phase (χ1 = 1.85), where "
        "nearby inputs are torn apart layer after layer.\n30 layers are past 6ξ = 27 and it does "
        "not train: under SGD (lr 0.1) the loss stays above 0.5 after 500 epochs.",
        "Look at the Jacobian spectrum tab: how wide is it here, and at the edge of chaos?",
        epochs=500, answer="near_chance",
    ),
    Preset(
        "batchnorm_rescue", "BatchNorm rescues Keras 'normal' at depth 10",
        {"initializer": "random_normal", "activation": "relu", "depth": 10,
         "normalization": "batch"},
        "Keras' 'normal' (stddev 0.05) at depth 10 shrinks the ReLU signal about 5x per layer and "
        "stays at loss 0.69 under SGD; batch norm re-standardises every layer, so it trains.\n"
        "Predictions use running statistics (from mean 0, variance 1, 1% per step): after 300 "
        "full-batch epochs test accuracy is still below 75%, after 700 above 90%.",
        "Set normalization to none: does the loss move? Then back to batch: why is the test "
        "loss so much worse than the training loss at first?",
    ),
    Preset(
        "batchnorm_zeros", "BatchNorm cannot break the symmetry of zeros",
        {"initializer": "zeros", "normalization": "batch"},
        "All-zero kernels give every row the same pre-activation: its batch variance is 0, so "
        "batch norm outputs beta = 0 and every unit of a layer stays identical.\n"
        "A constant layer normalises to a constant: the loss stays at 0.69.",
        "Try ones with batch norm: the loss moves a little, but do the units of a layer ever "
        "differ? What does batch norm need that only random weights give?",
        answer="copies", choices=("trains", "near_chance", "copies"),
    ),
    Preset(
        "residual_deep", "A residual ReLU stack at depth 30",
        {"initializer": "he_normal", "activation": "relu", "depth": 30, "residual": True},
        "Each of the 29 skips adds a branch as loud as its input (He keeps the variance), so the "
        "signal grows by about 1.6x per layer, to a std near a million at layer 30.\n"
        "The first update overflows: the run diverges.",
        "Set the branch scale to 0.18 (1/sqrt(30)). What happens to the last layers' "
        "activations, and does the network train now?",
        answer="diverges", pace=SLOW_MOTION,
    ),
    Preset(
        "residual_scaled", "Residual ReLU at depth 30, branches scaled by 1/sqrt(depth)",
        {"initializer": "he_normal", "activation": "relu", "depth": 30, "residual": True,
         "residual_scale": 0.183},
        "Scaling every branch by 1/sqrt(30) = 0.183 (Fixup and SkipInit shrink the branches "
        "too) slows the growth to under 1.1x per layer: std below 20 at layer 30.\n"
        "The same 30 layers now train: the loss falls below 0.25 in 300 epochs.",
        "Raise the branch scale step by step: from which scale does the run diverge again?",
    ),

)

_BY_NAME = {preset.name: preset for preset in PRESETS}


def names() -> list[str]:
    """The preset names in menu order."""
    return [preset.name for preset in PRESETS]


def get(name: str) -> Preset:
    """The preset called ``name`` (case-insensitive); unknown names raise a ValueError with a hint."""
    if isinstance(name, Preset):
        return name
    return lookup(_BY_NAME, "preset", name)


def config(name: str, base: Config | None = None) -> Config:
    """Shorthand for ``get(name).config(base)``."""
    return get(name).config(base)


def match(config: Config) -> str | None:
    """The name of the preset whose Config equals ``config``, or None."""
    for preset in PRESETS:
        if preset.config() == config:
            return preset.name
    return None
