"""Milliseconds per dashboard frame, as the Explorer draws them while training.

    python benchmarks/bench_render.py [--frames 60]

For depth 6 and depth 30 it trains a few epochs between frames and times, side by side in one
run: the frame's data (histogram snapshot + prediction grid), the Views' updates, and the
push (a blit, or a full redraw for comparison), on the ipympl canvas the app uses, with the
front-end's diff-PNG encoding (what each frame costs the kernel in the browser). Target: a frame
under 26 ms (``FRAME_INTERVAL``), so 30+ frames per second are possible.
"""
from __future__ import annotations

import argparse
import statistics
import time

from initviz.app import canvas as canvas_module
from initviz.app.canvas import DPI, REPAIR_FRAMES, live_figure
from initviz.app.explorer import FIGSIZE
from initviz.core.threads import limit_blas_threads
from initviz.core.training import Config, Trainer
from initviz.plots.dashboard import Dashboard

SETTINGS = {
    "depth 6, tanh, glorot_uniform": Config(depth=6),
    "depth 30, relu, he_normal": Config(depth=30, activation="relu", initializer="he_normal"),
}


def measure(config: Config, frames: int, repair: int = REPAIR_FRAMES,
            sprites: bool = True) -> dict[str, float]:
    trainer = Trainer(config)
    saved, canvas_module.REPAIR_FRAMES = canvas_module.REPAIR_FRAMES, repair
    try:
        figure, canvas = live_figure(FIGSIZE)
    finally:
        canvas_module.REPAIR_FRAMES = saved
    canvas.syncing_data_url = False  # as once a browser front-end is connected
    sizes: list[int] = []
    send_binary = canvas.send_binary
    canvas.send_binary = lambda data: (sizes.append(len(data)), send_binary(data))
    dashboard = Dashboard(figure, trainer)
    dashboard.blitter.sprites.enabled = sprites  # off: texts drawn directly, as before
    dashboard.update(dashboard.frame(trainer))
    times: dict[str, list[float]] = {"data": [], "blit": [], "panels": [], "full": [],
                                     "forced full": []}
    for i in range(frames):
        trainer.step(5)
        t0 = time.perf_counter()
        frame = dashboard.frame(trainer)
        t1 = time.perf_counter()
        mode = dashboard.update(frame)
        t2 = time.perf_counter()
        times["data"].append(t1 - t0)
        times[mode].append(t2 - t0)
        if mode == "blit" and sizes:
            times.setdefault("KB", []).append(sizes[-1] / 1000 / 1000)  # x1000 below
        if i % 10 == 0:  # a full redraw beside it, for comparison
            t3 = time.perf_counter()
            canvas.draw()
            times["forced full"].append(time.perf_counter() - t3)
    return {k: 1000 * statistics.median(v) if v else float("nan") for k, v in times.items()} | {
        "n_" + k: len(v) for k, v in times.items()}


def main() -> None:
    limit_blas_threads(1)  # as the Explorer does
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    print(f"median ms per frame ({args.frames} frames, figure {FIGSIZE[0]}x{FIGSIZE[1]} in at {DPI} dpi)")
    print("frame = data (histograms + predictions) + view updates + push; the push is a blit,")
    print("a redraw of the panels whose axes changed, or (first frame only) a full redraw.")
    print("A blitted frame's PNG repaints what changed in the last REPAIR_FRAMES frames (so a frame")
    print("the browser loses is repaired by the next); beside it, plain diffs (repair 1), and")
    print("texts drawn directly instead of from sprites (sprites 0).")
    print(f"{'setting':32s} {'repair':>6s} {'sprites':>7s} {'data':>6s} {'blitted frame':>14s} {'KB':>5s} "
          f"{'panel redraw':>13s} {'full redraw':>12s}")
    for name, config in SETTINGS.items():
        for repair, sprites in ((REPAIR_FRAMES, True), (1, True), (REPAIR_FRAMES, False)):
            ms = measure(config, args.frames, repair, sprites)
            print(f"{name:32s} {repair:6d} {int(sprites):7d} {ms['data']:6.1f} "
                  f"{ms['blit']:8.1f} (n={ms['n_blit']:2d}) "
                  f"{ms['KB']:5.1f} {ms['panels']:7.1f} (n={ms['n_panels']:2d}) "
                  f"{ms['forced full']:12.1f}")


if __name__ == "__main__":
    main()
