"""Milliseconds for the signal-propagation views to follow a control change (Agg canvas).

    python benchmarks/bench_signal.py [--repeats 7] [--rows 1 4]

Issue 17's target: the spectrum of a 30-layer width-256 network and the phase-plane redraw
within 250 ms of a control change. Timed, interleaved, medians of ``--repeats``:

* spectrum: ``signal.jacobian_singular_values`` of a tanh / orthogonal network of 30 hidden
  layers of width 256 at ``rows`` inputs, then ``JacobianSpectrumView.update`` and a blit, and
  the same with a full redraw;
* phase plane, new activation: ``OrderChaosView.update`` with its cache cleared (the critical
  line recomputed: 25 bias variances) plus a full redraw, for tanh and relu;
* phase plane, point moved: ``update`` (chi1, phase and 6 xi for the caption) plus a blit.

One BLAS thread, as the Explorer runs.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from initviz.core import signal
from initviz.core.network import Network
from initviz.core.threads import limit_blas_threads
from initviz.plots import signal_views
from initviz.plots.blit import Blitter

FIGSIZE, DPI = (5.0, 3.5), 72


def _figure():
    figure = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot(), Blitter(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    limit_blas_threads(1)

    net = Network([2] + [256] * 30 + [1], activation="tanh", initializer="orthogonal", seed=0)
    X = np.random.default_rng(0).standard_normal((max(args.rows), 2))
    spectrum_fig, spectrum_ax, spectrum_blit = _figure()
    spectrum_view = signal_views.JacobianSpectrumView(spectrum_ax)
    spectrum_blit.animate(*spectrum_view.artists)
    phase_fig, phase_ax, phase_blit = _figure()
    phase_view = signal_views.OrderChaosView(phase_ax, "tanh")
    phase_blit.animate(*phase_view.artists)
    spectrum_blit.push(full=True)
    phase_blit.push(full=True)

    times: dict[str, list[float]] = {}

    def timed(name, action):
        start = time.perf_counter()
        action()
        times.setdefault(name, []).append(1000 * (time.perf_counter() - start))

    def spectrum(rows, full):
        def run():
            changed = spectrum_view.update(signal.jacobian_singular_values(net, X[:rows]))
            spectrum_blit.push(full=full or changed)
        return run

    def new_activation(name):
        def run():
            signal_views._critical_line.cache_clear()
            phase_view.update(name, 1.5, 0.05)
            phase_blit.push(full=True)
        return run

    def move_point(k):
        def run():
            changed = phase_view.update(phase_view.activation, 1.0 + 0.1 * k, 0.05, depth=30)
            phase_blit.push(full=changed)
        return run

    for k in range(args.repeats):
        for rows in args.rows:
            timed(f"spectrum, {rows} input(s), blit", spectrum(rows, False))
            timed(f"spectrum, {rows} input(s), full redraw", spectrum(rows, True))
        for name in ("relu", "tanh"):  # ends on tanh, so the point moves on tanh's plane
            timed(f"phase plane, new activation {name} + full redraw", new_activation(name))
        timed("phase plane, point moved (tanh) + blit", move_point(k))

    print(f"median ms over {args.repeats} repeats (Agg, {FIGSIZE[0]}x{FIGSIZE[1]} in at {DPI} dpi, "
          f"1 BLAS thread); target <= 250 ms")
    for name, values in times.items():
        print(f"  {name:52s} {statistics.median(values):8.1f}")


if __name__ == "__main__":
    main()
