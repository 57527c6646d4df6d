"""The memory budget's largest accepted settings: kernel memory and seconds per epoch, and the
link parser's time on a long value (issue 12). Run alone on a quiet machine:

    python benchmarks/bench_budget.py            # everything
    python benchmarks/bench_budget.py --parse    # the parser only

Each setting is measured in a fresh Python process (peak RSS = VmHWM of that process after
importing initviz, building the Trainer, training a few epochs, a snapshot and a grid
prediction: what one student's kernel holds besides the widgets).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from initviz.core.config import Config, estimate_cost, largest, memory_budget  # noqa: E402

CHILD = r"""
import json, sys, time
from initviz.core.threads import limit_blas_threads
limit_blas_threads(1)
from initviz.core.config import Config
from initviz.core.training import Trainer
from initviz.plots.dashboard import input_grid

def rss(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

base = rss('VmRSS:')
trainer = Trainer(Config(**json.loads(sys.argv[1])))
trainer.step(1)
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter(); trainer.step(1); times.append(time.perf_counter() - start)
trainer.snapshot(); trainer.predict(input_grid(trainer.dataset.X)[0])
times.sort()
print(json.dumps({"base": base, "peak": rss('VmHWM:'), "epoch": times[len(times) // 2]}))
"""


def measure(config: Config, epochs: int) -> dict:
    changes = {k: v for k, v in config.to_dict().items() if getattr(Config(), k) != v}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(changes), str(epochs)],
                         capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(out.stdout)


OLD_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z|[+-]?(inf|nan)\Z",
                       re.IGNORECASE)  # the link parser's pattern before issue 12


def bench_parse() -> None:
    from initviz.app.share import read_link
    from initviz.core.config import _FLOAT_TEXT

    for n in (4_000, 16_000):
        text = "1" * n + "x"
        start = time.process_time()
        OLD_FLOAT.match(text)
        old = time.process_time() - start
        start = time.process_time()
        _FLOAT_TEXT.fullmatch(text)
        new = time.process_time() - start
        print(f"float pattern on a {n:,}-character '111...1x': before {old * 1e3:,.1f} ms, "
              f"now {new * 1e3:.3f} ms")
    query = "?scale=" + "1" * 100_000 + "x&depth=3"
    start = time.process_time()
    for _ in range(100):
        read_link(query)
    print(f"read_link of a 100 kB link: {(time.process_time() - start) * 10:.3f} ms "
          f"(refused whole: longer than the 4,096-character limit)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parse", action="store_true", help="only the parser")
    parser.add_argument("--epochs", type=int, default=5, help="epochs timed per setting")
    args = parser.parse_args()
    bench_parse()
    if args.parse:
        return
    print(f"\nbudget {memory_budget() / 2**20:.0f} MB; peak RSS of a fresh process per setting")
    settings = [("default", Config()),
                ("widest at depth 50", largest("width", depth=50)),
                ("deepest at width 512", largest("depth", width=512)),
                ("widest at depth 50, adam", largest("width", depth=50, optimizer="adam")),
                ("most samples at depth 6 x 32", largest("n_samples")),
                ("most samples at depth 30 x 32", largest("n_samples", depth=30))]
    print(f"{'setting':32} {'query':42} {'estimate':>9} {'RSS +':>8} {'peak':>8} {'s/epoch':>8}")
    for name, config in settings:
        result = measure(config, args.epochs)
        print(f"{name:32} {config.to_query():42} {estimate_cost(config).total / 2**20:7.0f}MB "
              f"{(result['peak'] - result['base']) / 2**20:6.0f}MB {result['peak'] / 2**20:6.0f}MB "
              f"{result['epoch']:8.3f}")


if __name__ == "__main__":
    main()
