"""Memory over a long run: 20,000 epochs at depth 30 must keep the kernel's memory flat.

    python benchmarks/bench_memory.py                  # 20,000 epochs, both paths
    python benchmarks/bench_memory.py --epochs 2000    # smoke test
    python benchmarks/bench_memory.py --wide           # the largest network the app allows

Two paths, each in a fresh subprocess (so one's peak cannot hide the other's growth):
- trainer: ``Trainer.step`` alone, in chunks of 500 epochs;
- explorer: ``Explorer(features=...)`` with the app's ipympl canvas, ``explorer.run(chunk)``
  in chunks of 100 epochs, each followed by a render (a blitted frame, diff PNG and all), as the
  Voila page's loop does (without the browser).

Case: moons, depth 30, width 32, ReLU, he_normal, learning rate 0.01 (0.1 diverges at depth 30
after a few hundred epochs; a diverged run would stop and prove nothing). RSS (VmRSS) and the
history's bytes (``History.nbytes``) are printed at checkpoints; "flat" means the RSS after the
warm-up (the first checkpoint) does not keep growing: growth between the 25% checkpoint and the
end is reported, target < 10 MB.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(path: str, epochs: int) -> None:
    """Run one path and print one JSON line of checkpoints."""
    sys.path.insert(0, str(REPO))
    from initviz.core.threads import limit_blas_threads
    from initviz.core.training import Config

    limit_blas_threads(1)
    config = Config(depth=30, activation="relu", initializer="he_normal", learning_rate=0.01)
    start_rss = rss_mb()
    if path == "trainer":
        from initviz.core.training import Trainer

        trainer, chunk = Trainer(config), 500
        run = trainer.step
    else:
        from initviz.app.explorer import Explorer

        explorer = Explorer(config, query="")
        trainer, chunk = explorer.trainer, 100
        explorer.figure.canvas.syncing_data_url = False  # as once a browser is connected
        run = explorer.run
    points = []
    marks = {int(epochs * f) for f in (0.05, 0.25, 0.5, 0.75, 1.0)}
    t0 = time.perf_counter()
    while trainer.epoch < epochs and not trainer.diverged:
        run(min(chunk, epochs - trainer.epoch))
        if any(trainer.epoch >= m for m in marks):
            marks = {m for m in marks if m > trainer.epoch}
            gc.collect()
            points.append({"epoch": trainer.epoch, "rss": rss_mb(),
                           "history": trainer.history.nbytes, "rows": len(trainer.history),
                           "snapshots": len(trainer.history.snapshots)})
    print(json.dumps({"path": path, "start_rss": start_rss, "points": points,
                      "seconds": time.perf_counter() - t0, "diverged": trainer.diverged,
                      "frames": getattr(locals().get("explorer"), "frames", None)}))


def wide(epochs: int = 11) -> None:
    """RSS growth and peak of a Trainer at the app's largest setting (depth 50, width 512):
    reset, ``epochs`` epochs (a histogram snapshot included), a snapshot and a prediction."""
    import resource

    sys.path.insert(0, str(REPO))
    from initviz.core.training import MAX_DEPTH, MAX_WIDTH, Config, Trainer

    start = rss_mb()
    trainer = Trainer(Config(depth=MAX_DEPTH, width=MAX_WIDTH))
    begin = time.perf_counter()
    trainer.step(epochs)
    per_epoch = (time.perf_counter() - begin) / epochs
    trainer.snapshot()
    trainer.predict(trainer.train.X)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"depth {MAX_DEPTH} x width {MAX_WIDTH}: RSS +{rss_mb() - start:.0f} MB after reset and "
          f"{epochs} epochs, peak RSS {peak:.0f} MB, {per_epoch * 1e3:.0f} ms per epoch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20_000)
    parser.add_argument("--child", choices=("trainer", "explorer"))
    parser.add_argument("--wide", action="store_true", help="only the largest network's memory")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.epochs)
        return
    if args.wide:
        wide()
        return
    print(f"{time.strftime('%Y-%m-%d %H:%M')}  load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p))
    for path in ("trainer", "explorer"):
        out = subprocess.run([sys.executable, __file__, "--child", path, "--epochs", str(args.epochs)],
                             capture_output=True, text=True, env=env, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        pts = r["points"]
        frames = "" if r["frames"] is None else f", {r['frames']} frames rendered"
        diverged = " (DIVERGED)" if r["diverged"] else ""
        print(f"{path}: {args.epochs} epochs at depth 30 in {r['seconds']:.0f} s{diverged}{frames}; "
              f"RSS at start (imports) {r['start_rss']:.0f} MB")
        print(f"  {'epoch':>6s} {'RSS MB':>8s} {'history MB':>11s} {'rows':>6s} {'snapshots':>10s}")
        for p in pts:
            print(f"  {p['epoch']:6d} {p['rss']:8.1f} {p['history'] / 1e6:11.2f} {p['rows']:6d} "
                  f"{p['snapshots']:10d}")
        quarter = next(p for p in pts if p["epoch"] >= args.epochs * 0.25)
        growth = pts[-1]["rss"] - quarter["rss"]
        print(f"  RSS growth from epoch {quarter['epoch']} to {pts[-1]['epoch']}: {growth:+.1f} MB "
              f"(target < 10 MB: {'met' if growth < 10 else 'NOT met'}); from the first checkpoint: "
              f"{pts[-1]['rss'] - pts[0]['rss']:+.1f} MB", flush=True)


if __name__ == "__main__":
    main()
