"""Small experiments for the lesson notebook: a table of runs, and one layer's gain.

The lesson's cells call these so a notebook holds no logic; tests/test_lessons.py checks them.

* :func:`runs` trains each labelled ``Config`` for the same number of epochs and returns a
  :class:`RunTable`: final loss, best loss, the first epoch the loss fell below a threshold,
  the status word, and the epoch a diverged run stopped. Its text form names the conditions
  (optimizer, learning rate, epochs, data, width) with every row, because a verdict about an
  initializer holds only for the optimizer it was measured with.
* :func:`layer_gain` measures std(x @ W) / std(x) for one drawn kernel and unit-normal inputs:
  a fixed spread (Keras ``'normal'``) gives a gain of about 0.05 * sqrt(fan_in), so the same
  rule that is too small at fan_in 13 is too large at fan_in 1,000.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from initviz.core import initializers
from initviz.core.training import Config, Trainer

LOSS_THRESHOLD = 0.3
"""``RunRow.epochs_to_threshold``: the first epoch whose training loss is below this (a
network that separates the moons well; the best constant prediction has ln 2 = 0.693)."""


def conditions(config: Config, epochs: int) -> str:
    """The conditions a result holds under, in words: 'sgd at lr 0.1, full batch, 300 epochs,
    moons (300 samples, noise 0.2), 6 x 32 tanh, seed 0'."""
    batch = "full batch" if config.batch_size is None else f"batches of {config.batch_size}"
    return (f"{config.optimizer} at lr {config.learning_rate:g}, {batch}, {epochs} epochs, "
            f"{config.dataset} ({config.n_samples} samples, noise {config.noise:g}), "
            f"{config.depth} x {config.width} {config.activation}, seed {config.seed}")


@dataclass(frozen=True)
class RunRow:
    """One finished run: ``final_loss`` is NaN when it diverged (``diverged_epoch`` says when)."""

    label: str
    config: Config
    epochs: int
    final_loss: float
    best_loss: float
    epochs_to_threshold: int | None
    status: str
    diverged_epoch: int | None
    trainer: Trainer

    def text(self) -> str:
        if self.diverged_epoch is not None:
            result = f"diverged at epoch {self.diverged_epoch}"
        else:
            reached = ("never" if self.epochs_to_threshold is None
                       else f"epoch {self.epochs_to_threshold}")
            result = (f"loss {self.final_loss:.3f} (best {self.best_loss:.3f}, "
                      f"below {LOSS_THRESHOLD:g}: {reached})")
        return f"{self.label}: {result} | {conditions(self.config, self.epochs)}"


@dataclass(frozen=True)
class RunTable:
    """Rows of :class:`RunRow` in the order given; ``table['label']`` finds one."""

    rows: tuple[RunRow, ...]

    def __getitem__(self, label: str) -> RunRow:
        for row in self.rows:
            if row.label == label:
                return row
        raise ValueError(f"no run labelled {label!r}; valid: {', '.join(r.label for r in self.rows)}")

    def __len__(self) -> int:
        return len(self.rows)

    def text(self) -> str:
        return "\n".join(row.text() for row in self.rows)

    def __repr__(self) -> str:
        return self.text()


def runs(configs: Mapping[str, Config], epochs: int = 300) -> RunTable:
    """Train every labelled Config ``epochs`` epochs (same seed: same data, same draw)."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs!r}")
    rows = []
    for label, config in configs.items():
        trainer = Trainer(config).run(epochs)
        loss = trainer.history.loss
        below = np.flatnonzero(loss < LOSS_THRESHOLD)
        finite = loss[np.isfinite(loss)]
        rows.append(RunRow(
            label, config, epochs,
            float("nan") if trainer.diverged else float(trainer.history.last("loss")),
            float(finite.min()) if len(finite) else float("nan"),
            int(trainer.history.epochs[below[0]]) if len(below) else None,
            trainer.status, trainer.diverged_epoch, trainer))
    return RunTable(tuple(rows))


def layer_gain(initializer: str, fan_in: int, fan_out: int | None = None,
               rng: np.random.Generator | None = None, samples: int = 512) -> float:
    """std(x @ W) / std(x) for one kernel W of shape (fan_in, fan_out) drawn by ``initializer``
    and ``samples`` unit-normal input rows x (no activation, no bias): about
    sqrt(fan_in * Var(w)) for zero-mean weights."""
    if fan_in < 1 or samples < 2:
        raise ValueError(f"fan_in must be >= 1 and samples >= 2, got {fan_in!r}, {samples!r}")
    rng = rng or np.random.default_rng(0)
    W = initializers.get(initializer)((fan_in, fan_out or fan_in), rng)
    x = rng.standard_normal((samples, fan_in)).astype(np.float32)
    return float(np.std(x @ W, dtype=np.float64) / np.std(x, dtype=np.float64))


def layer_gains(initializer: str, fan_ins: Sequence[int], seed: int = 0) -> dict[int, float]:
    """:func:`layer_gain` for each fan_in (square kernels), one seeded generator."""
    rng = np.random.default_rng(seed)
    return {int(n): round(layer_gain(initializer, int(n), rng=rng), 3) for n in fan_ins}
