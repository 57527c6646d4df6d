"""Where does a deep tanh network stop training, and how does that compare with 6 xi?

    python benchmarks/signal_trainability.py [--epochs 300] [--seeds 1]

A result, not a timing (Schoenholz et al. 2017, fig. 5, on the toy data). For each depth x
weight variance it trains a tanh network of width 32 on moons (300 samples, noise 0.2, the
Explorer's defaults) with full-batch SGD at learning rate 0.1 for ``--epochs`` epochs. The
network is built by ``Trainer`` and then redrawn as the mean-field network
(``signal.redraw_gaussian``): kernels N(0, sw / fan_in), biases N(0, sb) with sb = 0.05 (the
paper's value). A run counts as trained when its final training loss is below 0.2: better than
any linear boundary on moons (a linear classifier plateaus at ~0.30, ln 2 = 0.69 is a constant
guess). The table prints the final loss per cell, '*' marking trained runs, and for each weight
variance the deepest trained depth beside 6 xi.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from initviz.core import signal
from initviz.core.threads import limit_blas_threads
from initviz.core.training import Config, Trainer

ACTIVATION = "tanh"
BIAS_VARIANCE = 0.05
WEIGHT_VARIANCES = (0.5, 0.75, 1.0, 1.4, 1.76, 2.5, 4.0)
DEPTHS = (6, 10, 15, 20, 30, 40)
TRAINED_LOSS = 0.2
CONFIG = Config(activation=ACTIVATION, width=32, optimizer="sgd", learning_rate=0.1)


def final_loss(depth: int, weight_variance: float, epochs: int, seed: int = 0) -> float:
    """Final training loss of the mean-field tanh network at this depth and weight variance."""
    trainer = Trainer(CONFIG.replace(depth=depth, seed=seed))
    signal.redraw_gaussian(trainer.network, weight_variance, BIAS_VARIANCE,
                           np.random.default_rng([seed, 17]))
    trainer.run(epochs)
    return float(trainer.history.last("loss"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    limit_blas_threads(1)
    start = time.perf_counter()
    critical = signal.critical_weight_variance(ACTIVATION, BIAS_VARIANCE)
    xis = [signal.depth_scale(ACTIVATION, sw, BIAS_VARIANCE) for sw in WEIGHT_VARIANCES]
    print(f"{ACTIVATION}, width {CONFIG.width}, moons, SGD lr {CONFIG.learning_rate}, "
          f"{args.epochs} epochs, bias variance {BIAS_VARIANCE}, critical weight variance "
          f"{critical:.3f}; cell = final training loss (median of {args.seeds} seed(s)), "
          f"* = below {TRAINED_LOSS}")
    header = "depth " + "".join(f"{sw:>9g}" for sw in WEIGHT_VARIANCES)
    print(header)
    print("chi1  " + "".join(f"{signal.chi1(ACTIVATION, sw, BIAS_VARIANCE):>9.3f}"
                             for sw in WEIGHT_VARIANCES))
    print("6 xi  " + "".join(f"{6 * xi:>9.1f}" for xi in xis))
    trained = {sw: [] for sw in WEIGHT_VARIANCES}
    for depth in DEPTHS:
        cells = []
        for sw in WEIGHT_VARIANCES:
            loss = float(np.median([final_loss(depth, sw, args.epochs, seed)
                                    for seed in range(args.seeds)]))
            ok = loss < TRAINED_LOSS
            if ok:
                trained[sw].append(depth)
            cells.append(f"{loss:>8.3f}{'*' if ok else ' '}")
        print(f"{depth:>5} " + "".join(cells), flush=True)
    print("\nweight variance: deepest trained depth (of those tried) vs 6 xi")
    for sw, xi in zip(WEIGHT_VARIANCES, xis):
        deepest = max(trained[sw]) if trained[sw] else None
        untrained = [d for d in DEPTHS if d not in trained[sw]]
        phase = "ordered" if signal.chi1(ACTIVATION, sw, BIAS_VARIANCE) < 1 else "chaotic"
        six = "inf" if math.isinf(xi) else f"{6 * xi:.1f}"
        print(f"  {sw:>5g} ({phase}): deepest trained {deepest}, first failing "
              f"{min(untrained) if untrained else None}, 6 xi = {six}")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
