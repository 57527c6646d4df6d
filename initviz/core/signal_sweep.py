"""Depth x weight variance: where a deep network stops training, beside 6 xi.

A miniature of Schoenholz et al. (2017), figure 5, on the explorer's toy problem: every cell
trains the current setting (data, seed, activation, initializer, bias variance, optimizer, ...)
with one depth and one weight variance ``sw`` (reached by scaling the current kernel
initializer: ``scale = sqrt(sw / sw_1)`` with ``sw_1`` its weight variance at scale 1, see
:func:`initviz.core.theory.mean_field_variances`). The mean-field theory predicts that networks
deeper than about ``6 xi`` (:func:`initviz.core.signal.depth_scale`) do not train; the map
shows where this problem actually stops training.

A run counts as trained when its final training loss is below ``TRAINED_LOSS`` (0.2: better
than any linear boundary on moons, which plateaus at ~0.30; ln 2 = 0.69 is a constant guess).
It trains in slices through :class:`initviz.core.sweep.Sweep` (``advance(budget)``), so an
asyncio UI can await between slices.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initviz.core import signal, theory
from initviz.core.sweep import Cell, Sweep
from initviz.core.training import Config

__all__ = ["DEFAULT_DEPTHS", "DEFAULT_EPOCHS", "DEFAULT_WEIGHT_VARIANCES", "TRAINED_LOSS",
           "TrainabilitySweep", "scales_for", "six_xi"]

DEFAULT_WEIGHT_VARIANCES = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
DEFAULT_DEPTHS = (5, 10, 20, 30)
DEFAULT_EPOCHS = 200
TRAINED_LOSS = 0.2


def scales_for(config: Config, weight_variances: Sequence[float]) -> tuple[float, ...]:
    """The kernel scales that give ``config``'s initializer each weight variance
    (``sw = sw_1 * scale^2``). ValueError when the initializer has no spread to scale (zeros)
    or a weight variance needs a scale outside the scale control's range."""
    base = theory.mean_field_variances(config.replace(scale=1.0))[0]
    if not base > 0:
        raise ValueError(f"the kernel initializer {config.initializer!r} gives weight variance "
                         f"0: no scale reaches another one (pick a random initializer)")
    scales = []
    for sw in weight_variances:
        sw = float(sw)
        if not (math.isfinite(sw) and sw > 0):
            raise ValueError(f"weight variances must be positive numbers, got {sw!r}")
        scale = math.sqrt(sw / base)
        config.replace(scale=scale)  # within the scale control's range, or a ValueError
        scales.append(scale)
    return tuple(scales)


def six_xi(activation: str, weight_variances, bias_variance: float) -> np.ndarray:
    """``6 xi`` at each weight variance (``inf`` at the edge of chaos and where the signal has
    no fixed point): the depth beyond which the theory says the network will not train."""
    return np.array([6 * signal.depth_scale(activation, float(sw), bias_variance)
                     for sw in np.asarray(weight_variances, float).ravel()])


class TrainabilitySweep:
    """A depth x weight-variance grid being trained (``advance(budget)`` as ``Sweep``).

    ``trained`` / ``done`` / ``diverged`` are (depths, weight variances) boolean arrays."""

    def __init__(self, config: Config, weight_variances: Sequence[float] = DEFAULT_WEIGHT_VARIANCES,
                 depths: Sequence[int] = DEFAULT_DEPTHS, epochs: int = DEFAULT_EPOCHS) -> None:
        self.config = config
        self.weight_variances = tuple(float(sw) for sw in weight_variances)
        self.depths = tuple(int(d) for d in depths)
        self.bias_variance = theory.mean_field_variances(config)[1]
        self.sweep = Sweep(config, self.depths, scales_for(config, self.weight_variances), epochs)

    @property
    def epochs(self) -> int:
        return self.sweep.result.epochs

    @property
    def done(self) -> bool:
        return self.sweep.done

    @property
    def progress(self) -> int:
        return self.sweep.progress

    @property
    def total(self) -> int:
        return self.sweep.total

    def advance(self, budget: float = 0.05, max_cells: int | None = None) -> list[Cell]:
        return self.sweep.advance(budget, max_cells)

    def run(self) -> TrainabilitySweep:
        """Train every cell now (blocking); returns self."""
        for _ in self.sweep:
            pass
        return self

    @property
    def finished(self) -> np.ndarray:
        return self.sweep.result.done.copy()

    @property
    def diverged(self) -> np.ndarray:
        return self.sweep.result.diverged.copy()

    @property
    def final_loss(self) -> np.ndarray:
        return self.sweep.result.final_loss.copy()

    @property
    def trained(self) -> np.ndarray:
        """Finished, not diverged and final training loss below ``TRAINED_LOSS``."""
        result = self.sweep.result
        with np.errstate(invalid="ignore"):
            return result.done & ~result.diverged & (result.final_loss < TRAINED_LOSS)

    def six_xi(self) -> np.ndarray:
        """6 xi at each of the grid's weight variances (the sweep's bias variance)."""
        return six_xi(self.config.activation, self.weight_variances, self.bias_variance)

    def deepest_trained(self) -> list[int | None]:
        """Per weight variance, the deepest depth of the grid that trained (None: none did)."""
        out = []
        for j in range(len(self.weight_variances)):
            depths = [d for i, d in enumerate(self.depths) if self.trained[i, j]]
            out.append(max(depths) if depths else None)
        return out

    def summary(self) -> str:
        """One sentence: how many runs trained, and the deepest trained per weight variance."""
        done = int(self.sweep.result.done.sum())
        if not done:
            return "nothing run yet"
        parts = [f"σw² {sw:g}: {d if d is not None else '—'}"
                 for sw, d in zip(self.weight_variances, self.deepest_trained())]
        return (f"{int(self.trained.sum())} of {done} runs trained (loss < {TRAINED_LOSS:g} after "
                f"{self.epochs} epochs); deepest trained: " + ", ".join(parts))
