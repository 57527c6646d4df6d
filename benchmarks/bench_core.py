"""Epochs per second of ``Trainer.step`` with statistics on, beside PyTorch eager and the bare
matrix products of the same step.

    python benchmarks/bench_core.py [--repeats 7] [--quick] [--history]

Cases (issue 3): (a) moons, 300 samples, depth 6, width 32, tanh, glorot_uniform, full batch,
SGD; (b) the same at depth 30, ReLU, he_normal; (c, issue 16) case (a) with batch norm (the
per-layer path; target: still >= 2x PyTorch eager with ``nn.BatchNorm1d``, test loss on the
running statistics in eval mode, plus the std of z and of the normalised y per layer and their
histograms). For each case, interleaved (ABCABC...) and
repeated, it times:

* ``initviz``: ``Trainer.step`` (per-epoch loss, test loss, accuracy and per-layer grad norm,
  weight std, activation mean/std, saturation/dead fraction, update ratio; histogram snapshots
  every 10 epochs) - what the widget runs.
* ``torch``: the same network, the same full-batch SGD epoch and the same statistics (and the
  same histogram cadence) written in PyTorch eager, CPU, ``torch.set_num_threads(1)``. Skipped
  with a message when torch is not importable.
* ``matmul``: only the step's matrix products in NumPy float32 (forward, the two backward
  products per layer, the test-set forward), into preallocated outputs: the floor the issue
  defines (27 products at depth 6).
* ``own products``: the products ``Trainer.step`` actually makes since it folds biases into
  the kernels and forwards training and test rows together (20 products at depth 6, the same
  arithmetic; 92 at depth 30): informational, the harder floor.

Reports medians, the ratio initviz/torch (target >= 2) and step/matmul (target <= 2).
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from initviz.core.training import Config, Trainer  # noqa: E402

CASES = {
    "a: depth 6, tanh, glorot_uniform": Config(dataset="moons", n_samples=300, depth=6, width=32,
                                              activation="tanh", initializer="glorot_uniform",
                                              optimizer="sgd", batch_size=None),
    "b: depth 30, relu, he_normal": Config(dataset="moons", n_samples=300, depth=30, width=32,
                                          activation="relu", initializer="he_normal",
                                          optimizer="sgd", batch_size=None),
    "c: depth 6, tanh, glorot_uniform, batch norm": Config(
        dataset="moons", n_samples=300, depth=6, width=32, activation="tanh",
        initializer="glorot_uniform", optimizer="sgd", batch_size=None, normalization="batch"),
}


# ---------------------------------------------------------------------------------------------
# initviz


def bench_initviz(config: Config, epochs: int) -> float:
    trainer = Trainer(config)
    trainer.step(3)  # warm-up (first snapshot, caches)
    start = time.perf_counter()
    done = trainer.step(epochs)
    elapsed = time.perf_counter() - start
    assert done == epochs and not trainer.diverged
    assert len(trainer.history) == epochs + 3  # statistics were recorded every epoch
    return epochs / elapsed


# ---------------------------------------------------------------------------------------------
# the matrix products alone


def bench_matmul(config: Config, epochs: int) -> float:
    trainer = Trainer(config)  # only for the shapes and the data
    X, Xt = trainer.train.X, trainer.test.X
    Ws = [w.copy() for w in trainer.network.weights]
    n, nt = len(X), len(Xt)
    hs = [np.empty((n, w.shape[1]), np.float32) for w in Ws]
    hts = [np.empty((nt, w.shape[1]), np.float32) for w in Ws]
    dWs = [np.empty_like(w) for w in Ws]
    deltas = [np.empty((n, w.shape[0]), np.float32) for w in Ws]
    start = time.perf_counter()
    for _ in range(epochs):
        h = X
        for W, out in zip(Ws, hs):
            h = np.matmul(h, W, out=out)
        for layer in range(len(Ws) - 1, -1, -1):
            inp = X if layer == 0 else hs[layer - 1]
            np.matmul(inp.T, hs[layer], out=dWs[layer])
            if layer:
                np.matmul(hs[layer], Ws[layer].T, out=deltas[layer])
        h = Xt
        for W, out in zip(Ws, hts):
            h = np.matmul(h, W, out=out)
    return epochs / (time.perf_counter() - start)


def bench_own_products(config: Config, epochs: int) -> float:
    """The products ``Trainer.step`` itself makes, alone: one forward product per layer over
    the training and test rows together (inputs with a column of ones, [W; b] kernels), and per
    layer [h, 1]^T delta and delta W^T over the training rows (NumPy float32, preallocated)."""
    trainer = Trainer(config)
    X = np.concatenate([trainer.train.X, trainer.test.X])
    n = len(trainer.train.X)
    Wbs = [np.vstack([w, b[None]]).astype(np.float32) for w, b in
           zip(trainer.network.weights, trainer.network.biases)]
    WTs = [np.ascontiguousarray(w[:-1].T) for w in Wbs]
    inputs = [np.ones((len(X), X.shape[1] + 1), np.float32)]
    inputs[0][:, :-1] = X
    inputs += [np.ones((len(X), w.shape[1] + 1), np.float32) for w in Wbs[:-1]]
    outs = [h[:, :-1] for h in inputs[1:]] + [np.empty((len(X), Wbs[-1].shape[1]), np.float32)]
    grads = [np.empty_like(w) for w in Wbs]
    deltas = [np.empty((n, w.shape[0] - 1), np.float32) for w in Wbs]
    start = time.perf_counter()
    for _ in range(epochs):
        for h, Wb, out in zip(inputs, Wbs, outs):
            np.matmul(h, Wb, out=out)
        delta = outs[-1][:n]
        for layer in range(len(Wbs) - 1, -1, -1):
            np.matmul(inputs[layer][:n].T, delta, out=grads[layer])
            if layer:
                np.matmul(delta, WTs[layer], out=deltas[layer])
                delta = deltas[layer]
    return epochs / (time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------
# PyTorch eager


def make_torch_bench(config: Config):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    nn = torch.nn

    def bench(config: Config, epochs: int) -> float:
        trainer = Trainer(config)  # the same data and the same initial weights
        X = torch.from_numpy(np.array(trainer.train.X))
        y = torch.from_numpy(trainer.train.y.astype(np.float32)).reshape(-1, 1)
        Xt = torch.from_numpy(np.array(trainer.test.X))
        yt = torch.from_numpy(trainer.test.y.astype(np.float32)).reshape(-1, 1)
        layers = []
        for W, b in zip(trainer.network.weights, trainer.network.biases):
            linear = nn.Linear(*W.shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T.copy()))
                linear.bias.copy_(torch.from_numpy(b))
            layers.append(linear)
        act = {"tanh": torch.tanh, "relu": torch.relu}[config.activation]
        lr = config.learning_rate
        loss_fn = nn.BCEWithLogitsLoss()
        params = [p for layer in layers for p in (layer.weight, layer.bias)]
        norms = []
        if config.normalization == "batch":  # Keras' epsilon and momentum, as initviz
            norms = [nn.BatchNorm1d(layer.out_features, eps=1e-3, momentum=0.01)
                     for layer in layers[:-1]]
            params += [p for norm in norms for p in (norm.weight, norm.bias)]
        history: list[list[float]] = []
        snapshots = []
        ys: list = []

        def forward(inp):
            zs, hs, h = [], [], inp
            ys.clear()
            for number, layer in enumerate(layers[:-1]):
                z = layer(h)
                y = norms[number](z) if norms else z
                h = act(y)
                zs.append(z)
                hs.append(h)
                ys.append(y)
            return layers[-1](h), zs, hs

        def test_forward(inp):
            for norm in norms:  # predictions on the running statistics
                norm.eval()
            out = forward(inp)[0]
            for norm in norms:
                norm.train()
            return out

        def epoch(number: int) -> None:
            logits, zs, hs = forward(X)
            for h in hs:
                h.retain_grad()
            loss = loss_fn(logits, y)
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                stats = [loss, ((logits > 0) == (y > 0.5)).float().mean()]
                for layer in layers:
                    stats.append(layer.weight.grad.norm())
                    stats.append(layer.weight.std(unbiased=False))
                for z, h, y_ in zip(zs, hs, list(ys)):
                    stats.append(h.mean())
                    stats.append(h.std(unbiased=False))
                    if config.activation == "tanh":
                        stats.append((h.abs() > 0.97).float().mean())
                    else:
                        stats.append((z <= 0).all(dim=0).float().mean())
                    if norms:
                        stats.append(z.std(unbiased=False))
                        stats.append(y_.std(unbiased=False))
                if number % 10 == 0:  # fixed-bin histograms at the initviz cadence
                    values = [*(layer.weight for layer in layers), *zs, *hs, *(ys if norms else [])]
                    logs = [layer.weight.grad.abs().log10() for layer in layers]
                    snapshots.append(
                        [torch.histc(t.clamp(-2.0, 2.0), 41, -2.0, 2.0) / t.numel() for t in values]
                        + [torch.histc(t.clamp(-12.0, 2.0), 42, -12.0, 2.0) / t.numel()
                           for t in logs])
                for p in params:
                    p.add_(p.grad, alpha=-lr)
                for layer in layers:  # update ratio after the step, as initviz
                    update_std = (layer.weight.grad * lr).std(unbiased=False)
                    stats.append(torch.log10(update_std / layer.weight.std(unbiased=False)))
                test_loss = loss_fn(test_forward(Xt), yt)
                stats.append(test_loss)
                history.append(torch.stack(stats).tolist())

        for number in range(3):
            epoch(number)
        start = time.perf_counter()
        for number in range(3, 3 + epochs):
            epoch(number)
        elapsed = time.perf_counter() - start
        assert all(math.isfinite(v) for v in history[-1][:2])
        return epochs / elapsed

    return bench


# ---------------------------------------------------------------------------------------------


def machine() -> str:
    lines = [f"python {platform.python_version()}, numpy {np.__version__}, "
             f"nproc {os.cpu_count()}, {platform.machine()}"]
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            if info.get("user_api") == "blas":
                lines.append(f"BLAS: {info.get('internal_api')} {info.get('version')}, "
                             f"kernel {info.get('architecture')}, {info.get('num_threads')} threads")
    except ImportError:
        lines.append("BLAS: (threadpoolctl not installed)")
    lines.append(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    try:
        import torch
        lines.append(f"torch {torch.__version__}, 1 thread")
    except ImportError:
        lines.append("torch: not installed (PyTorch columns skipped)")
    return "; ".join(lines)


def history_memory(epochs: int = 20_000) -> None:
    """Issue 3's bound: a long run at depth 30 keeps its history under 100 MB."""
    config = CASES["b: depth 30, relu, he_normal"].replace(learning_rate=0.01)  # no divergence
    trainer = Trainer(config)
    start = time.perf_counter()
    trainer.step(epochs)
    elapsed = time.perf_counter() - start
    h = trainer.history
    print(f"history after {trainer.epoch} epochs at depth {config.depth} "
          f"({elapsed:.0f} s, diverged={trainer.diverged}): {len(h)} rows (stride {h.stride}), "
          f"{len(h.snapshots)} snapshots (stride {h.snapshot_stride}), "
          f"{h.nbytes / 1e6:.2f} MB (bound: 100 MB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="few epochs, 3 repeats (smoke test)")
    parser.add_argument("--history", action="store_true",
                        help="also train 20,000 epochs at depth 30 and report the history's memory")
    args = parser.parse_args(argv)
    if args.history:
        history_memory()
    repeats = 3 if args.quick else args.repeats
    print(machine())
    torch_bench = make_torch_bench(next(iter(CASES.values())))
    if torch_bench is None:
        print("torch is not importable: skipping the PyTorch eager comparison "
              "(pip install torch to run it)")
    print()
    print("| case | initviz epochs/s | torch eager epochs/s | matmul-only epochs/s "
          "| initviz / torch | step / matmul | own products epochs/s | step / own products |")
    print("|---|---|---|---|---|---|---|---|")
    for name, config in CASES.items():
        epochs = (40 if args.quick else 300) if config.depth <= 6 else (20 if args.quick else 100)
        runs: dict[str, list[float]] = {"initviz": [], "torch": [], "matmul": [], "own": []}
        for _ in range(repeats):  # interleaved: A B C A B C ...
            runs["initviz"].append(bench_initviz(config, epochs))
            if torch_bench is not None:
                runs["torch"].append(torch_bench(config, epochs))
            runs["matmul"].append(bench_matmul(config, epochs * 5))
            runs["own"].append(bench_own_products(config, epochs * 5))
        med = {k: statistics.median(v) if v else math.nan for k, v in runs.items()}
        vs_torch = med["initviz"] / med["torch"] if runs["torch"] else math.nan
        vs_matmul = med["matmul"] / med["initviz"]
        torch_text = f"{med['torch']:.0f}" if runs["torch"] else "skipped"
        print(f"| {name} | {med['initviz']:.0f} | {torch_text} | {med['matmul']:.0f} "
              f"| {vs_torch:.2f}x | {vs_matmul:.2f}x | {med['own']:.0f} "
              f"| {med['own'] / med['initviz']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
