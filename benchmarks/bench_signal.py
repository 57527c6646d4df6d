"""Milliseconds for the signal-propagation tabs to follow a control change (through the tabs).

    python benchmarks/bench_signal.py [--repeats 5]

Issue 17's target: the spectrum of a 30-layer width-256 network and the phase-plane redraw
within 250 ms of a control change. An Explorer with the Jacobian spectrum and Order and chaos
tabs runs on an asyncio loop (as in a kernel) and each change goes through
``explorer.set_config``, as a moved control does; timed, interleaved, medians of ``--repeats``:

* spectrum: the spectrum tab shown, the setting switched between orthogonal and Gaussian
  kernels (tanh, 30 hidden layers of 256): the tab's refresh (network drawn at the slider's
  depth, ``jacobian_singular_values`` of 2 inputs, histogram, push), and the whole
  ``set_config`` (the trainer's reset and the dashboard included);
* spectrum, depth slider: the slider moved between 29 and 30 (the tab alone);
* phase plane: the Order and chaos tab shown, the activation switched between tanh and relu:
  the tab's refresh (the point, chi1 and 6 xi for the caption, the critical line: cached per
  activation after its first computation) and the whole ``set_config``. The 6 xi contours and
  curve are computed off the loop (an executor) and drawn when they arrive: their time is
  printed apart, it is not what the page waits for.

One BLAS thread, as the Explorer runs. Figures draw on ipympl's canvas (no browser attached).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from initviz.app.explorer import Explorer
from initviz.app.features import JacobianSpectrumFeature, OrderChaosFeature
from initviz.core.training import Config

BASE = Config(activation="tanh", depth=30, width=256, n_samples=300)


async def main(repeats: int) -> None:
    explorer = Explorer(BASE, features=[JacobianSpectrumFeature, OrderChaosFeature])
    spectrum, phase = explorer.features
    times: dict[str, list[float]] = {}

    def timed(name, action):
        start = time.perf_counter()
        action()
        times.setdefault(name, []).append(1000 * (time.perf_counter() - start))

    def refresh_time(tab, name):
        original = tab._refresh

        def wrapped():
            start = time.perf_counter()
            original()
            times.setdefault(name, []).append(1000 * (time.perf_counter() - start))
        tab._refresh = wrapped

    refresh_time(spectrum, "spectrum tab refresh (30 x 256, 2 inputs)")
    refresh_time(phase, "phase plane tab refresh")
    explorer.tabs.selected_index = 0
    await asyncio.sleep(0)
    for k in range(repeats):
        initializer = ("orthogonal", "he_normal")[k % 2]
        timed("spectrum: set_config (reset + dashboard + tab)",
              lambda initializer=initializer: explorer.set_config(BASE.replace(initializer=initializer)))
        timed("spectrum: depth slider moved (tab only)",
              lambda k=k: setattr(spectrum.depth, "value", 29 + (k % 2)))
    explorer.tabs.selected_index = 1
    await asyncio.sleep(0)
    for k in range(repeats):
        activation = ("relu", "tanh")[k % 2]
        timed("phase plane: set_config (reset + dashboard + tab)",
              lambda activation=activation: explorer.set_config(BASE.replace(activation=activation)))
        task = phase.theory_task
        if task is not None and not task.done():
            start = time.perf_counter()
            await task
            times.setdefault("  6 xi contours + curve (background, not waited for)", []).append(
                1000 * (time.perf_counter() - start))
        await asyncio.sleep(0)

    print(f"median ms over {repeats} repeats (1 BLAS thread); target <= 250 ms")
    for name, values in times.items():
        print(f"  {name:58s} {statistics.median(values):8.1f}  (n={len(values)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeats))
