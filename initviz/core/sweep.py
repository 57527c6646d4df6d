"""Depth x scale sweep: a miniature of He et al. (2015), figure 3, on the explorer's toy problem.

Every cell of the grid trains the same setting (data, seed, activation, initializer, optimizer,
...) with one depth and one kernel scale and records

* ``final_loss``: the training loss after the last epoch (NaN if the run diverged),
* ``log_grad_ratio``: log10(||dL/dW_first|| / ||dL/dW_last||) at initialisation, the signature of
  the initializer: about 0 when gradients flow, very negative when they vanish towards the input,
  positive when they explode (-inf when the first layer's gradient is exactly 0),
* ``diverged``: the run overflowed (``Trainer.diverged``).

``run_grid`` is the synchronous path for scripts; ``iter_grid`` yields each cell as it finishes;
:class:`Sweep` trains in time-boxed slices (``advance(budget)``) so an asyncio UI can await
between slices even while a 30-layer cell is training.
"""
from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from initviz.core.stats import frobenius
from initviz.core.training import Config, Trainer

__all__ = ["DEFAULT_DEPTHS", "DEFAULT_EPOCHS", "DEFAULT_SCALES", "Cell", "Sweep", "SweepResult",
           "iter_grid", "run_cell", "run_grid"]

DEFAULT_DEPTHS = (2, 5, 10, 20, 30)
DEFAULT_SCALES = (0.1, 0.3, 1.0, 3.0, 10.0)
DEFAULT_EPOCHS = 200  # the 5 x 5 default grid: ~2.2 s on one core for the default setting
CURVE_POINTS = 20  # loss values kept per cell (every epochs/20 epochs): cheap records


@dataclass(frozen=True)
class Cell:
    """One finished run of the grid."""

    depth_index: int
    scale_index: int
    depth: int
    scale: float
    epochs: int  # epochs completed (fewer than asked if the run diverged)
    initial_loss: float
    final_loss: float  # NaN if diverged
    log_grad_ratio: float  # at initialisation
    diverged: bool
    diverged_epoch: int | None
    seconds: float


@dataclass
class SweepResult:
    """The grid so far: arrays of shape (len(depths), len(scales)), NaN where not run yet."""

    config: Config
    depths: tuple[int, ...]
    scales: tuple[float, ...]
    epochs: int
    final_loss: np.ndarray = field(init=False)
    log_grad_ratio: np.ndarray = field(init=False)
    diverged: np.ndarray = field(init=False)
    done: np.ndarray = field(init=False)
    cells: list[Cell] = field(default_factory=list)

    def __post_init__(self) -> None:
        shape = (len(self.depths), len(self.scales))
        self.final_loss = np.full(shape, np.nan)
        self.log_grad_ratio = np.full(shape, np.nan)
        self.diverged = np.zeros(shape, dtype=bool)
        self.done = np.zeros(shape, dtype=bool)

    @property
    def shape(self) -> tuple[int, int]:
        return self.done.shape

    @property
    def complete(self) -> bool:
        return bool(self.done.all())

    @property
    def seconds(self) -> float:
        return sum(cell.seconds for cell in self.cells)

    def add(self, cell: Cell) -> None:
        i, j = cell.depth_index, cell.scale_index
        self.final_loss[i, j] = cell.final_loss
        self.log_grad_ratio[i, j] = cell.log_grad_ratio
        self.diverged[i, j] = cell.diverged
        self.done[i, j] = True
        self.cells.append(cell)

    def cell(self, depth_index: int, scale_index: int) -> Cell | None:
        for cell in self.cells:
            if (cell.depth_index, cell.scale_index) == (depth_index, scale_index):
                return cell
        return None

    def config_at(self, depth_index: int, scale_index: int) -> Config:
        """The setting of one cell: the sweep's config with that depth and scale."""
        return self.config.replace(depth=self.depths[depth_index], scale=self.scales[scale_index])

    def index_of(self, config: Config) -> tuple[int, int] | None:
        """The cell showing ``config``, or None if it is not on this grid (or other fields differ)."""
        if base_config(config) != base_config(self.config):
            return None
        try:
            i = self.depths.index(config.depth)
        except ValueError:
            return None
        for j, scale in enumerate(self.scales):
            if math.isclose(scale, config.scale, rel_tol=1e-9):
                return i, j
        return None

    def best(self) -> tuple[int, int] | None:
        """The finished, non-diverged cell with the lowest final loss."""
        loss = np.where(self.done & ~self.diverged, self.final_loss, np.nan)
        if np.all(np.isnan(loss)):
            return None
        i, j = np.unravel_index(np.nanargmin(loss), loss.shape)
        return int(i), int(j)

    def summary(self) -> str:
        """A sentence on the finished grid."""
        n = int(self.done.sum())
        if not n:
            return "nothing run yet"
        text = f"{n} of {self.done.size} runs of {self.epochs} epochs"
        diverged = int(self.diverged.sum())
        if diverged:
            text += f", {diverged} diverged"
        best = self.best()
        if best is not None:
            i, j = best
            text += (f"; lowest loss {self.final_loss[i, j]:.3g} at depth {self.depths[i]}, "
                     f"scale {self.scales[j]:g}")
        return text


def base_config(config: Config) -> Config:
    """``config`` with depth and scale fixed: two settings on the same grid share it."""
    return config.replace(depth=1, scale=1.0)


def _check(depths: Sequence[int], scales: Sequence[float], epochs: int) -> None:
    if not len(depths) or not len(scales):
        raise ValueError("a sweep needs at least one depth and one scale")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")


def _gradient_ratio(trainer: Trainer) -> tuple[float, float]:
    """(loss, log10 first/last gradient norm) of the trainer's network now, on the training set."""
    net, data = trainer.network, trainer.train
    with np.errstate(all="ignore"):
        loss, grads = net.loss_and_gradients(data.X, data.y)
    first, last = frobenius(grads[0][0]), frobenius(grads[-1][0])
    if not (math.isfinite(first) and math.isfinite(last)):
        return float(loss), float("nan")
    if first == 0:
        return float(loss), float("-inf")
    if last == 0:
        return float(loss), float("inf")
    return float(loss), math.log10(first / last)


class _CellRun:
    """One cell trained in slices."""

    def __init__(self, sweep: SweepResult, i: int, j: int) -> None:
        self.i, self.j = i, j
        self.config = sweep.config_at(i, j)
        self.epochs = sweep.epochs
        self.seconds = 0.0
        start = time.perf_counter()
        self.trainer = Trainer(self.config)
        # the map needs the end state, not per-epoch statistics: record sparsely (faster)
        self.trainer.history.stride = max(1, sweep.epochs // CURVE_POINTS)
        self.trainer.history.snapshot_stride = 10**9
        self.initial_loss, self.log_grad_ratio = _gradient_ratio(self.trainer)
        self.seconds += time.perf_counter() - start

    @property
    def finished(self) -> bool:
        return self.trainer.diverged or self.trainer.epoch >= self.epochs

    def advance(self, deadline: float) -> bool:
        """Train until ``deadline`` (perf_counter) or the end; True when finished."""
        start = time.perf_counter()
        trainer = self.trainer
        while not self.finished:
            trainer.step(1)
            if time.perf_counter() >= deadline:
                break
        self.seconds += time.perf_counter() - start
        return self.finished

    def cell(self) -> Cell:
        trainer = self.trainer
        if trainer.diverged:
            final = float("nan")
        else:
            with np.errstate(all="ignore"):
                net = trainer.network
                final = float(net.loss.value(net.forward(trainer.train.X), trainer.train.y))
            if not math.isfinite(final):
                final = float("nan")
        return Cell(self.i, self.j, self.config.depth, self.config.scale, trainer.epoch,
                    self.initial_loss, final, self.log_grad_ratio, trainer.diverged,
                    trainer.diverged_epoch, self.seconds)


class Sweep:
    """A grid being trained: ``advance(budget)`` trains for about ``budget`` seconds.

    Cells run depth-major (shallow first), so the map fills quickly where runs are cheap.
    """

    def __init__(self, config: Config, depths: Sequence[int] = DEFAULT_DEPTHS,
                 scales: Sequence[float] = DEFAULT_SCALES, epochs: int = DEFAULT_EPOCHS) -> None:
        _check(depths, scales, epochs)
        depths = tuple(int(d) for d in depths)
        scales = tuple(float(s) for s in scales)
        for depth in depths:  # validate every cell's setting up front
            config.replace(depth=depth)
        for scale in scales:
            config.replace(scale=scale)
        self.result = SweepResult(config, depths, scales, int(epochs))
        self._order = [(i, j) for i in range(len(depths)) for j in range(len(scales))]
        self._next = 0
        self._current: _CellRun | None = None

    @property
    def done(self) -> bool:
        return self._current is None and self._next >= len(self._order)

    @property
    def progress(self) -> int:
        """Cells finished so far."""
        return len(self.result.cells)

    @property
    def total(self) -> int:
        return len(self._order)

    def advance(self, budget: float = 0.05, max_cells: int | None = None) -> list[Cell]:
        """Train for about ``budget`` seconds (at least one epoch), or until ``max_cells`` cells
        finished; returns the cells finished."""
        deadline = time.perf_counter() + budget
        finished: list[Cell] = []
        while not self.done:
            if self._current is None:
                self._current = _CellRun(self.result, *self._order[self._next])
                self._next += 1
            if self._current.advance(deadline):
                cell = self._current.cell()
                self.result.add(cell)
                finished.append(cell)
                self._current = None
                if max_cells is not None and len(finished) >= max_cells:
                    break
            if time.perf_counter() >= deadline:
                break
        return finished

    def __iter__(self) -> Iterator[Cell]:
        while not self.done:
            yield from self.advance(math.inf, max_cells=1)


def run_cell(config: Config, epochs: int = DEFAULT_EPOCHS) -> Cell:
    """One run of ``config`` (as a 1x1 grid)."""
    return run_grid(config, (config.depth,), (config.scale,), epochs).cells[0]


def iter_grid(config: Config, depths: Sequence[int] = DEFAULT_DEPTHS,
              scales: Sequence[float] = DEFAULT_SCALES, epochs: int = DEFAULT_EPOCHS) -> Iterator[Cell]:
    """Yield each cell of the grid as it finishes (depth-major)."""
    yield from Sweep(config, depths, scales, epochs)


def run_grid(config: Config, depths: Sequence[int] = DEFAULT_DEPTHS,
             scales: Sequence[float] = DEFAULT_SCALES, epochs: int = DEFAULT_EPOCHS) -> SweepResult:
    """Train every (depth, scale) cell with ``config``'s other settings, blocking."""
    sweep = Sweep(config, depths, scales, epochs)
    for _ in sweep:
        pass
    return sweep.result
