"""Presets: the classic initialization lessons, each a small change to the default ``Config``.

Pure data (no widgets), so a lesson notebook or a test can use them directly::

    >>> from initviz.core import presets
    >>> presets.get("he_relu").config().initializer
    'he_normal'

Each preset is applied to ``Config()`` (not to the current setting), so picking one always gives
the same run. ``Config`` has no initializer parameters: ``scale`` multiplies the drawn kernels,
so Keras' ``random_normal`` (stddev 0.05) with ``scale=0.2`` is N(0, 0.01²) and with
``scale=20`` is N(0, 1). Every claim made in an explanation is checked by running the Trainer in
``tests/test_presets.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from initviz.core._registry import lookup
from initviz.core.training import Config


@dataclass(frozen=True)
class Preset:
    """One lesson: ``config_changes`` applied to ``Config()``, what to see, what to ask."""

    name: str
    title: str
    config_changes: dict[str, Any] = field(default_factory=dict)
    explanation: str = ""  # two lines: what the setting is, what the student will see
    question: str = ""  # a question the student answers by moving a control

    def config(self, base: Config | None = None) -> Config:
        """The preset's Config: ``config_changes`` applied to ``base`` (default ``Config()``)."""
        return (base or Config()).replace(**self.config_changes)


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
    ),
    Preset(
        "ones", "All ones: symmetric and saturated",
        {"initializer": "ones"},
        "Every weight is 1: like zeros, all units of a layer are identical, and each layer adds "
        "up fan_in inputs, so tanh units sit at ±1.\nSaturated units have slope 0: the hidden "
        "layers get no gradient (status: vanishing).",
        "Look at the activation histograms: where are the units, and what is tanh's slope there? "
        "Would ones work better with fewer, narrower layers?",
    ),
    Preset(
        "too_small", "Too small: N(0, 0.01²)",
        {"initializer": "random_normal", "scale": 0.2, "activation": "relu"},
        "Weights from N(0, 0.01²) (Keras' random_normal x 0.2) shrink the signal at every "
        "layer: the last activations are over a million times smaller than the first.\n"
        "The gradients vanish with them and the loss stays at its starting value.",
        "Lower the depth to 1, then 2, then 3: from which depth does the network stop learning?",
    ),
    Preset(
        "too_large", "Too large: N(0, 1)",
        {"initializer": "random_normal", "scale": 20.0, "activation": "relu"},
        "Weights from N(0, 1) (Keras' random_normal x 20) make every ReLU layer about 4x louder "
        "than the one before.\nThe starting loss is in the thousands and the first updates "
        "overflow: the run diverges after a couple of epochs.",
        "Lower the scale until the run stops diverging. How does that scale compare with He's "
        "√(2/fan_in) for 32 inputs?",
    ),
    Preset(
        "identity_exploding", "Identity x 1.5: exploding",
        {"initializer": "identity", "scale": 1.5, "activation": "linear", "depth": 30},
        "Each of the 30 linear layers copies its input and multiplies it by 1.5, so the signal "
        "grows as 1.5^depth (about 190,000x at layer 30).\nThe gradients explode as well and "
        "the first update overflows: the run diverges.",
        "Try scales 1.2, 1.1 and 1.0. Which ones still diverge? Compare 1.1^30 (about 17) with "
        "1.2^30 (about 240).",
    ),
    Preset(
        "identity_vanishing", "Identity x 0.5: vanishing",
        {"initializer": "identity", "scale": 0.5, "activation": "linear", "depth": 30},
        "The same 30 layers with gain 0.5 halve the signal at each layer: 0.5^30 is about one "
        "billionth.\nThe gradients shrink just as fast (status: vanishing) and nothing learns.",
        "Reduce the depth until the network starts to learn. What does that say about deep "
        "networks whose layers each shrink the signal a little?",
    ),
    Preset(
        "positive_uniform", "Positive-only uniform U[0, 0.3)",
        {"initializer": "positive_uniform", "scale": 30.0},
        "U[0, 0.3) has the same width as Glorot's U(-0.31, 0.31) for 32 units, but every weight "
        "is positive, so all units of a layer agree on the sign of their input.\nThe layers "
        "act like one unit: tanh saturates, early gradients vanish, training crawls.",
        "Switch to glorot_uniform (same spread, centred on zero). What changes in the activation "
        "histograms, and why does the sign of the weights matter?",
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
        "Var(w) = 2/fan_in keeps the signal steady with depth.\nGradient norms stay flat "
        "across layers and the network trains.",
        "Raise the depth to 30: does He still train? Compare with the preset 'Glorot + ReLU at "
        "depth 30'.",
    ),
    Preset(
        "glorot_relu_deep", "Glorot + ReLU at depth 30 (He et al. 2015)",
        {"initializer": "glorot_normal", "activation": "relu", "depth": 30},
        "He et al. (2015), figure 3: with ReLU, Glorot's variance is half what is needed, so the "
        "signal shrinks by √2 per layer, tens of thousands of times over 30 layers.\nThe loss stays flat "
        "while the same network with He's initializer trains.",
        "Switch the initializer to he_normal and train again. How many epochs until the loss "
        "starts to fall?",
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
    ),
    Preset(
        "residual_deep", "A residual ReLU stack at depth 30",
        {"initializer": "he_normal", "activation": "relu", "depth": 30, "residual": True},
        "Each of the 29 skips adds a branch as loud as its input (He keeps the variance), so the "
        "signal grows by about 1.6x per layer, to a std near a million at layer 30.\n"
        "The first update overflows: the run diverges.",
        "Set the branch scale to 0.18 (1/sqrt(30)). What happens to the last layers' "
        "activations, and does the network train now?",
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
