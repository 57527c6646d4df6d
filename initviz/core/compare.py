"""A/B comparison of two settings, trained side by side on the same data and seed (NumPy only).

``compare(config_a, config_b, epochs)`` trains both and returns a :class:`CompareResult` whose
``summary()`` states the difference in words: which reached the lower loss, which diverged, and
whose first layer's gradient vanished (``gradient_ratio``: median of
||dL/dW_first|| / ||dL/dW_last|| over the run). :class:`Comparison` is the same run in chunks
(``advance(budget)``), for a UI that must stay live: the Compare A/B tab trains it in an asyncio
task.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from initviz.core.training import Config, History, Trainer

DEFAULT_EPOCHS = 300
CHUNK_BUDGET = 0.03  # seconds of training per Comparison.advance() by default
VANISHING_DECADES = 3.0  # first layer's gradient 1000x smaller than the last one's: vanishing
EXPLODING_DECADES = 2.0  # ... 100x larger: exploding


def describe_config(config: Config) -> str:
    """What A/B compare of a setting: ``'he_normal × 1 · relu'`` (``'... · batch norm'``,
    ``'... · residual × 0.18'`` when set)."""
    text = f"{config.initializer} × {config.scale:g} · {config.activation}"
    if config.normalization != "none":
        text += f" · {config.normalization} norm"
    if config.residual:
        text += f" · residual × {config.residual_scale:g}"
    return text


@dataclass
class CompareResult:
    """Two finished (or diverged) runs on the same data and seed."""

    config_a: Config
    config_b: Config
    epochs: int
    trainer_a: Trainer
    trainer_b: Trainer

    @property
    def history_a(self) -> History:
        return self.trainer_a.history

    @property
    def history_b(self) -> History:
        return self.trainer_b.history

    @property
    def final_loss_a(self) -> float:
        return _final_loss(self.trainer_a)

    @property
    def final_loss_b(self) -> float:
        return _final_loss(self.trainer_b)

    @property
    def gradient_ratio_a(self) -> float:
        return gradient_ratio(self.history_a)

    @property
    def gradient_ratio_b(self) -> float:
        return gradient_ratio(self.history_b)

    def summary(self) -> str:
        """The difference in words (plain text, a few sentences)."""
        return describe(self)


def _final_loss(trainer: Trainer) -> float:
    return float("nan") if trainer.diverged else float(trainer.history.last("loss"))


def gradient_ratio(history: History) -> float:
    """Median over the recorded epochs of ||dL/dW_first|| / ||dL/dW_last||.

    The median over the run, not one epoch, so a run that converged (all gradients small) or a
    single noisy epoch does not decide it. An epoch whose first-layer gradient is exactly 0 counts
    as ratio 0 (even if the last layer's is 0 too, as with zeros + tanh); a zero last-layer
    gradient under a non-zero first one as inf. NaN when nothing was recorded.
    """
    if not len(history):
        return float("nan")
    grad = history.grad_norm
    first, last = grad[:, 0], grad[:, -1]
    with np.errstate(all="ignore"):
        ratio = np.where(first == 0, 0.0, np.where(last > 0, first / last, np.inf))
    ratio = ratio[~np.isnan(ratio)]
    return float(np.median(ratio)) if ratio.size else float("nan")


def _stuck(history: History) -> bool:
    """True when the loss ended within 5% of where it started (the run did not learn)."""
    if len(history) < 2:
        return False
    start, end = float(history.loss[0]), float(history.loss[-1])
    return end >= 0.95 * start


def _power_of_ten(x: float) -> str:
    if x == 0:
        return "0"
    exponent = math.log10(x)
    if abs(exponent) < 2:
        return f"{x:.2g}"
    return f"1e{round(exponent):d}"


def _gradient_sentence(name: str, ratio: float) -> str:
    if ratio != ratio:
        return ""
    if ratio == 0:
        return f"{name}'s first-layer gradient is exactly 0: its first layer never learns"
    if math.isinf(ratio):
        return f"{name}'s last-layer gradient is exactly 0"
    decades = math.log10(ratio)
    if decades <= -VANISHING_DECADES:
        return f"{name}'s first-layer gradient is {_power_of_ten(ratio)} of its last layer's (vanishing)"
    if decades >= EXPLODING_DECADES:
        return f"{name}'s first-layer gradient is {_power_of_ten(ratio)} times its last layer's (exploding)"
    return ""


def describe(result: CompareResult) -> str:
    """E.g. 'B reached loss 0.12 vs A 0.69 after 300 epochs; A's first-layer gradient is 1e-5 of
    its last layer's (vanishing).'"""
    a, b = result.trainer_a, result.trainer_b
    loss = {"A": result.final_loss_a, "B": result.final_loss_b}
    epochs = {"A": a.epoch, "B": b.epoch}
    parts = []
    diverged = [k for k, t in (("A", a), ("B", b)) if t.diverged]
    if len(diverged) == 2:
        parts.append(f"both diverged (A at epoch {a.diverged_epoch}, B at epoch {b.diverged_epoch})")
    elif diverged:
        bad = diverged[0]
        good = "B" if bad == "A" else "A"
        bad_trainer = a if bad == "A" else b
        parts.append(f"{bad} diverged at epoch {bad_trainer.diverged_epoch} (its activations or "
                     f"gradients overflowed); {good} reached loss {loss[good]:.3g} after "
                     f"{epochs[good]} epochs")
    else:
        la, lb = loss["A"], loss["B"]
        n = max(epochs.values())
        stuck = {k: _stuck(h) for k, h in (("A", result.history_a), ("B", result.history_b))}
        if abs(la - lb) <= 0.1 * max(la, lb):
            text = f"A and B end at about the same loss ({la:.3g} vs {lb:.3g}) after {n} epochs"
            if stuck["A"] and stuck["B"]:
                text += ": neither learned (the loss hardly moved from its start)"
            parts.append(text)
        else:
            better, worse = ("A", "B") if la < lb else ("B", "A")
            text = f"{better} reached loss {loss[better]:.3g} vs {worse} {loss[worse]:.3g} after {n} epochs"
            history = result.history_a if better == "A" else result.history_b
            reached = np.flatnonzero(history.loss <= loss[worse])
            if stuck[worse]:
                text += f"; {worse} hardly learned (its loss stayed near its start)"
            elif reached.size and history.epochs[reached[0]] < 0.8 * n:
                first = history.epochs[reached[0]]
                text += f" ({better} was already at {worse}'s final loss by epoch {first})"
            parts.append(text)
    for name, ratio in (("A", result.gradient_ratio_a), ("B", result.gradient_ratio_b)):
        sentence = _gradient_sentence(name, ratio)
        if sentence:
            parts.append(sentence)
    return "; ".join(parts) + "."


class Comparison:
    """Two Trainers stepped alternately until both ran ``epochs`` epochs (or diverged)."""

    def __init__(self, config_a: Config, config_b: Config, epochs: int = DEFAULT_EPOCHS) -> None:
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        self.config_a, self.config_b, self.epochs = config_a, config_b, int(epochs)
        self.trainer_a = Trainer(config_a)
        self.trainer_b = Trainer(config_b)

    def _left(self, trainer: Trainer) -> int:
        return 0 if trainer.diverged else self.epochs - trainer.epoch

    @property
    def done(self) -> bool:
        return self._left(self.trainer_a) == 0 and self._left(self.trainer_b) == 0

    @property
    def progress(self) -> float:
        done = sum(self.epochs - self._left(t) for t in (self.trainer_a, self.trainer_b))
        return done / (2 * self.epochs)

    def advance(self, budget: float = CHUNK_BUDGET) -> bool:
        """Train both runs (one epoch each in turn) for about ``budget`` seconds; True when done."""
        start = time.perf_counter()
        while not self.done:
            for trainer in (self.trainer_a, self.trainer_b):
                if self._left(trainer):
                    trainer.step(1)
            if time.perf_counter() - start >= budget:
                break
        return self.done

    def run(self) -> CompareResult:
        while not self.advance(float("inf")):
            pass
        return self.result

    @property
    def result(self) -> CompareResult:
        return CompareResult(self.config_a, self.config_b, self.epochs, self.trainer_a, self.trainer_b)


def compare(config_a: Config, config_b: Config, epochs: int = DEFAULT_EPOCHS) -> CompareResult:
    """Train A and B (same data and seed as their configs say) for ``epochs`` epochs, blocking."""
    return Comparison(config_a, config_b, epochs).run()
