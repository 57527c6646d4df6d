"""Config, Trainer and History: train a Network on a toy dataset and record what each layer does.

The Trainer is the model behind the widget (no widget code here): the Explorer links controls to
a ``Config`` and calls ``Trainer.step`` in chunks; course notebooks script the same calls.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from initviz.core import activations, datasets, losses, optimizers
from initviz.core.config import FIELDS, Config, highest  # noqa: F401 (FIELDS: app imports it here)
from initviz.core.network import Network, _NormalizedWorkspace
from initviz.core.stats import (
    GRADIENT_BINS,
    Bins,
    activation_bins,
    symmetric_bins,
)
from initviz.core.status import STATUSES  # noqa: F401  (re-exported: the status words)

MAX_DEPTH = highest("depth")
MAX_WIDTH = highest("width")


PER_EPOCH = ("loss", "test_loss", "accuracy")
PER_LAYER = ("grad_norm", "weight_std", "update_ratio")  # every layer, output included
PER_HIDDEN = ("activation_mean", "activation_std", "saturation", "dead_fraction",
              "preactivation_std", "normalized_std")  # hidden layers
NORMALIZED_ONLY = ("preactivation_std", "normalized_std")  # NaN without a normalization
"""What ``History`` records per epoch. With a normalization, ``preactivation_std`` is the std of
z = h W + b before it is normalised and ``normalized_std`` that of y = gamma z_hat + beta, what
the activation sees (both NaN without one); with residual connections the activations are the
layer outputs x_l = x_{l-1} + s f(y). Full batch: the training loss, test loss, accuracy and
every per-layer statistic are taken at the weights the epoch starts from (the forward pass that
also gives the gradient); ``update_ratio`` is log10(std(update) / std(W)) for that W. Minibatches:
the loss is the mean of the batch losses, the test loss is taken after the epoch, and the
per-layer statistics come from the epoch's first batch."""


@dataclass
class Snapshot:
    """Fixed-bin histograms of every layer at one epoch: ``counts[kind]`` is (layers, bins)."""

    epoch: int
    counts: dict[str, np.ndarray]
    bins: dict[str, Bins]


class History:
    """Per-epoch records with bounded memory.

    Records every ``stride`` epochs; when ``capacity`` records are held, every other one is dropped
    and the stride doubles, so a 20,000-epoch run keeps at most ``capacity`` rows. Snapshots
    (histograms, for replay) are thinned the same way.
    """

    def __init__(self, n_layers: int, capacity: int = 2048, snapshot_capacity: int = 128,
                 snapshot_stride: int = 10) -> None:
        self.capacity = capacity
        self.stride = 1
        self._n = 0
        self._epochs = np.zeros(capacity, dtype=np.int64)
        self._per_epoch = {k: np.full(capacity, np.nan) for k in PER_EPOCH}
        self._per_layer = {k: np.full((capacity, n_layers), np.nan) for k in PER_LAYER}
        self._per_hidden = {k: np.full((capacity, n_layers - 1), np.nan) for k in PER_HIDDEN}
        self.snapshots: list[Snapshot] = []
        self.snapshot_capacity = snapshot_capacity
        self.snapshot_stride = snapshot_stride

    def __len__(self) -> int:
        return self._n

    @property
    def epochs(self) -> np.ndarray:
        return self._epochs[: self._n]

    def __getattr__(self, name: str) -> np.ndarray:
        for table in ("_per_epoch", "_per_layer", "_per_hidden"):
            values = self.__dict__.get(table, {})
            if name in values:
                return values[name][: self.__dict__["_n"]]
        raise AttributeError(f"History has no statistic {name!r}; see initviz.core.training.PER_*")

    @property
    def nbytes(self) -> int:
        """Memory held by the records and the snapshots' histograms, in bytes (bounded:
        ``capacity`` rows and at most ``snapshot_capacity`` snapshots, whatever the run length)."""
        tables = [self._epochs, *self._per_epoch.values(), *self._per_layer.values(),
                  *self._per_hidden.values()]
        held = sum(a.nbytes for a in tables)
        return held + sum(c.nbytes for s in self.snapshots for c in s.counts.values())

    def wants(self, epoch: int) -> bool:
        return epoch % self.stride == 0

    def record(self, epoch: int, values: dict[str, Any]) -> None:
        if self._n == self.capacity:
            self._thin()
            if not self.wants(epoch):
                return
        i = self._n
        self._epochs[i] = epoch
        for table in (self._per_epoch, self._per_layer, self._per_hidden):
            for k, column in table.items():
                column[i] = values.get(k, np.nan)
        self._n += 1

    def _thin(self) -> None:
        self.stride *= 2
        keep = np.flatnonzero(self._epochs[: self._n] % self.stride == 0)
        n = len(keep)
        self._epochs[:n] = self._epochs[keep]
        for table in (self._per_epoch, self._per_layer, self._per_hidden):
            for column in table.values():
                column[:n] = column[keep]
                column[n:] = np.nan
        self._n = n

    def wants_snapshot(self, epoch: int) -> bool:
        return epoch % self.snapshot_stride == 0

    def add_snapshot(self, snapshot: Snapshot) -> None:
        if len(self.snapshots) >= self.snapshot_capacity:
            self.snapshot_stride *= 2
            self.snapshots = [s for s in self.snapshots if s.epoch % self.snapshot_stride == 0]
        self.snapshots.append(snapshot)

    def last(self, name: str) -> Any:
        """The latest recorded value of a statistic (NaN when nothing is recorded yet)."""
        values = getattr(self, name)
        return values[-1] if len(values) else np.nan


def build(config: Config) -> tuple[datasets.Dataset, datasets.Dataset, datasets.Dataset, Network]:
    """``(dataset, train, test, network)`` for ``config``, exactly as ``Trainer.reset`` draws
    them (the dataset, the 75/25 split and the network all seeded by ``config.seed``)."""
    c = config
    data = datasets.make(c.dataset, n_samples=c.n_samples, noise=c.noise, seed=c.seed)
    train, test = datasets.train_test_split(data, test_fraction=0.25, seed=c.seed)
    network = Network(
        [data.X.shape[1], *c.hidden_widths, data.output_units],
        activation=c.activation, initializer=c.initializer, scale=c.scale,
        bias_initializer=c.bias_initializer, loss=data.loss, seed=c.seed, bias_std=c.bias_std,
        normalization=c.normalization, residual=c.residual, residual_scale=c.residual_scale,
        initializer_params=c.kernel_params,
    )
    return data, train, test, network


SEGMENT_LOOP_SIZE = 1 << 20
"""Parameters above which per-kernel sums go kernel by kernel (np.add.reduceat would cast a
float64 copy of the whole (rows, parameters) array: 200 MB at depth 50 x width 512)."""

_SATURATED_SQUARE = {"tanh": activations.SATURATION_THRESHOLD ** 2}
"""Activations whose saturation test |a| > t is read off a^2 > t^2 (a^2 is computed anyway)."""



class Trainer:
    """Trains ``Network`` on ``config``'s dataset and records ``history``.

    ``step(n)`` trains n epochs. When the loss or a gradient stops being finite the run stops:
    ``diverged`` is set, ``diverged_epoch`` says when, the weights keep their last finite values,
    and no NumPy warning escapes.
    """

    def __init__(self, config: Config | None = None, **overrides: Any) -> None:
        config = config or Config()
        self.config = config.replace(**overrides) if overrides else config
        self.reset()

    # -- set-up ---------------------------------------------------------------------------
    def reset(self, config: Config | None = None) -> None:
        """Re-draw the network (same seed -> same weights) and clear the history."""
        if config is not None:
            self.config = config
        c = self.config
        self.dataset, self.train, self.test, self.network = build(c)
        self.optimizer = optimizers.get(c.optimizer, c.learning_rate)
        net, train, test = self.network, self.train, self.test
        outputs = net.sizes[-1]
        # one forward pass over the training rows, then the test rows (full batch); batch norm
        # normalises the training rows by their own statistics and the test rows by the
        # running ones, so it forwards the training rows alone
        self._joint = net.normalization is None or not net.normalization.running
        self._inputs = np.concatenate([train.X, test.X]).astype(net.dtype)
        self._inputs.setflags(write=False)  # read-only: the network copies it in only once
        self._train_inputs = self._inputs[: len(train.X)]
        self._targets = net.loss.prepare(np.concatenate([train.y, test.y]), outputs)
        self._train_targets = losses.Targets(net.loss, self._targets.values[: len(train.y)])
        self._train_positive = self._train_targets.values > 0.5
        self._test_targets = losses.Targets(net.loss, self._targets.values[len(train.y):])
        # rows: parameters, gradient and (unless it is a multiple of the gradient) the update:
        # per-layer moments of all of them in two calls
        rows = 2 if self.optimizer.gradient_multiple is not None else 3
        self._moments = np.empty((rows, net.flat_parameters().size), dtype=net.dtype)
        net.move_parameters(self._moments[0])
        self._grad = self._moments[1]
        self._squares: np.ndarray | None = None  # scratch for the moments' squares
        self._kernel_sizes = np.diff(net.segment_starts)[0::2].astype(np.float64)
        self._ones_row: np.ndarray | None = None
        self._mask_buffer: np.ndarray | None = None
        self._no_value = np.full(c.depth, np.nan)  # a statistic the activation does not have
        saturated = net.activation.saturated(np.ones(1))
        self._ones_saturate = saturated is not None and bool(saturated[0])
        self._rng = np.random.default_rng([c.seed, 1])
        self.epoch = 0
        self.diverged = False
        self.diverged_epoch: int | None = None
        self.history = History(n_layers=c.depth + 1)
        n = len(train.X)
        with np.errstate(all="ignore"):  # the epochs' own workspace: no second one in memory
            net.forward(self._inputs if self._joint else self._train_inputs, reuse=True)
            self.bins = {
                "weights": symmetric_bins(net.weights),
                "preactivations": symmetric_bins([z[:n] for z in net.preactivations]),
                "activations": activation_bins(c.activation, [a[:n] for a in net.activations]),
                "gradients": GRADIENT_BINS,
            }
            if net.normalization is not None:  # y = gamma z_hat + beta: about N(0, 1) at first
                self.bins["normalized"] = symmetric_bins(
                    [y[:n] for y in net.normalized_preactivations])

    # -- training -------------------------------------------------------------------------
    def step(self, n: int = 1) -> int:
        """Train up to ``n`` epochs; returns how many completed (fewer if the run diverged: the
        epoch that diverged is not counted, and ``epoch`` stays at ``diverged_epoch``)."""
        start = self.epoch
        with np.errstate(all="ignore"):
            while self.epoch - start < n and not self.diverged:
                self._epoch()
        return self.epoch - start

    def run(self, epochs: int) -> Trainer:
        self.step(epochs)
        return self

    def _batches(self) -> list[np.ndarray | slice]:
        n = len(self.train.X)
        size = self.config.batch_size
        if size is None or size >= n:
            return [slice(None)]
        order = self._rng.permutation(n)
        return [order[i : i + size] for i in range(0, n, size)]

    def _diverge(self) -> None:
        self.diverged = True
        self.diverged_epoch = self.epoch

    def _epoch(self) -> None:
        """One epoch. Divergence is caught before it reaches the weights: a non-finite loss,
        gradient or update stops the run with the weights of the last finite step.

        Full batch (the common case) is one forward pass over the training and test rows
        together, one backward pass over the training rows and one optimizer call on the
        network's flat parameter buffer; train loss, test loss and accuracy are all read off the
        weights before the update."""
        net, n = self.network, len(self.train.X)
        record = self.history.wants(self.epoch)
        snapshot = self.history.wants_snapshot(self.epoch)
        batches = self._batches()
        if len(batches) == 1:
            logits, values = self._full_pass()
            loss = float(np.add.reduce(values[:n])) / n
            test_loss = float(np.add.reduce(values[n:])) / (len(values) - n)
            correct = self._correct(logits[:n], self._train_positive)
            if snapshot:  # the state at the start of this epoch, as snapshot()
                self.history.add_snapshot(self._snapshot(n))
            if not self._update(loss, record):
                return
        else:
            if snapshot:
                self.history.add_snapshot(self.snapshot())
            X, losses_, correct = self.train.X, [], 0
            for number, batch in enumerate(batches):
                logits = net.forward(X[batch], reuse=True)
                targets = losses.Targets(net.loss, self._train_targets.values[batch])
                values, row_grads = targets.rows(logits)
                losses_.append(float(np.mean(values)))
                self._backward(row_grads)
                correct += self._correct(logits, targets.values > 0.5)
                # the statistics come from the first batch: always full size (the last may
                # hold a single row, whose 'dead units' would be half of every ReLU layer)
                if not self._update(losses_[-1], record and number == 0):
                    return
            loss = float(np.mean(losses_))
            test_logits = (net.forward(self.test.X, reuse=True) if self._joint
                           else net.logits(self.test.X))  # batch norm: running statistics
            test_loss = (float(np.mean(self._test_targets.rows(test_logits)[0])) if record
                         else np.nan)
        if record:
            stats = self._stats
            stats["loss"], stats["test_loss"] = loss, test_loss
            stats["accuracy"] = correct / n if self.dataset.task != "regression" else np.nan
            self.history.record(self.epoch, stats)
        self.epoch += 1

    def _full_pass(self) -> tuple[np.ndarray, np.ndarray]:
        """A forward pass over the training and test rows (the epochs' own workspace) and the
        backward pass of the training rows' mean loss: (logits, per-row losses). Batch norm:
        the training rows in training mode, then the test rows with the running statistics."""
        if self._joint:
            logits = self.network.forward(self._inputs, reuse=True)
        else:
            logits = np.concatenate([self.network.forward(self._train_inputs, reuse=True),
                                     self.network.logits(self._inputs[len(self.train.X):])])
        values, row_grads = self._targets.rows(logits)
        self._backward(row_grads[: len(self.train.X)])
        return logits, values

    def _backward(self, row_grads: np.ndarray) -> None:
        """Gradients of the mean loss over these rows into ``self._grad``."""
        dlogits = np.multiply(row_grads, 1.0 / len(row_grads), dtype=self.network.dtype)
        self._grads = self.network.backward(dlogits, out=self._grad)
        self._rows = len(row_grads)

    def _update(self, loss: float, record: bool) -> bool:
        """Apply the optimizer's update unless the loss, gradient or update is not finite
        (then the run diverges: False). With ``record``, the per-layer statistics of this
        step go to ``self._stats``: grad norm, weight std and update ratio from the moments
        of parameters, gradient and update (one ``reduceat`` each for sums and squares)."""
        params = self.network.flat_parameters()
        (update,) = self.optimizer.updates([params], [self._grad])
        finite = math.isfinite(loss) and math.isfinite(float(np.vdot(update, update)))
        if record and finite:
            moments, multiple = self._moments, self.optimizer.gradient_multiple
            if multiple is None:
                np.copyto(moments[2], update)
            sums, squares = self._kernel_moments(moments)
            finite = math.isfinite(float(np.add.reduce(squares, None)))
        elif finite:
            finite = math.isfinite(float(np.vdot(self._grad, self._grad)))
        if not finite:
            self._diverge()
            return False
        if record:  # kernels only; the weights before this update (cs231n's update:data ratio)
            mean, second = sums / self._kernel_sizes, squares / self._kernel_sizes
            std = np.sqrt(np.maximum(second - mean * mean, 0.0))
            update_std = std[2] if multiple is None else abs(multiple) * std[1]
            ratio = np.log10(update_std / std[0])
            ratio[~np.isfinite(ratio)] = np.nan  # a zero update or zero weights: no ratio
            self._stats = {"grad_norm": np.sqrt(squares[1]), "weight_std": std[0],
                           "update_ratio": ratio, **self._activation_stats()}
        self.optimizer.apply([params], [update])
        self.network.update_running_statistics()  # batch norm (Keras: in the training step)
        return True

    def _kernel_moments(self, moments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-kernel sums and sums of squares (float64) of each row of ``moments``: two
        ``reduceat`` calls for the whole network. ``reduceat`` casts its whole input to float64,
        so above ``SEGMENT_LOOP_SIZE`` parameters (wide layers) it goes kernel by kernel."""
        starts = self.network.segment_starts
        if moments.shape[1] <= SEGMENT_LOOP_SIZE:
            if self._squares is None:
                self._squares = np.empty_like(moments)
            sums = np.add.reduceat(moments, starts[:-1], axis=1, dtype=np.float64)[:, 0::2]
            squares = np.add.reduceat(np.square(moments, out=self._squares), starts[:-1], axis=1,
                                      dtype=np.float64)[:, 0::2]
            return sums, squares
        kernels = [moments[:, a:b] for a, b in zip(starts[0:-1:2], starts[1::2])]
        sums = np.stack([np.add.reduce(k, axis=1, dtype=np.float64) for k in kernels], axis=1)
        squares = np.stack([np.add.reduce(np.square(k), axis=1, dtype=np.float64)
                            for k in kernels], axis=1)
        return sums, squares

    def _correct(self, logits: np.ndarray, positive: np.ndarray) -> int:
        """Correctly classified rows, given which prepared targets are above 0.5 (the class
        for one logit, the one-hot entry for several)."""
        task = self.dataset.task
        if task == "binary":
            return int(np.count_nonzero(np.equal(logits > 0, positive)))
        if task == "multiclass":
            return int(np.count_nonzero(logits.argmax(axis=1) == positive.argmax(axis=1)))
        return 0

    def _activation_stats(self) -> dict[str, np.ndarray]:
        """Mean, std, saturation and dead fraction of every hidden layer's activations on the
        rows of the last backward pass: a few NumPy calls for all layers together, because the
        Trainer's hidden layers have equal widths (stacked ``[a, 1]`` blocks; the column of
        ones is left out of the sums and taken off the saturation counts)."""
        act = self.network.activation
        work = self.network.workspace
        assert work is not None  # the arrays of the last backward pass's forward pass
        rows = self._rows
        if work.activation_stack is None:  # unequal widths: layer by layer
            return self._activation_stats_by_layer(rows)
        # equal widths: every stack is allocated
        assert work.activation_and_square_stack is not None and work.preactivation_stack is not None
        width = work.activation_stack.shape[2] - 1
        size = rows * width
        work.squared(rows)
        # column sums of a and a^2 (the column of ones left out: exact even for tiny a)
        both = work.activation_and_square_stack[:, :, :rows]  # a and a^2: (2, depth, rows, w + 1)
        columns = np.matmul(self._ones(rows), both)[:, :, 0, :-1]
        mean, second = np.add.reduce(columns, axis=2, dtype=np.float64) / size
        var = second - mean * mean
        accurate = var > 1e-3 * second
        if not accurate.all():  # cancellation (a near-constant layer): redo exactly
            for layer in np.flatnonzero(~accurate):
                a = work.activation_stack[layer, :rows, :-1].astype(np.float64)
                mean[layer], var[layer] = a.mean(), a.var()
        dead = saturation = self._no_value
        if act.inactive is not None:  # relu: a unit is dead when it is 0 on every row
            dead = np.count_nonzero(columns[0] == 0, axis=1) / width
        if act.saturation is not None:  # the column of ones counts as saturated: take it off
            blocks = work.blocks(rows)                 # (depth, rows * (width + 1))
            mask = self._mask(blocks.shape)
            if act.name in _SATURATED_SQUARE:  # from the squares already computed: one pass
                np.greater(work.blocks(rows, squared=True), _SATURATED_SQUARE[act.name], out=mask)
            else:
                mask[...] = act.saturated(blocks)
            ones = rows if self._ones_saturate else 0
            saturation = np.array([np.count_nonzero(layer) - ones for layer in mask]) / size
        stats = {"activation_mean": mean, "activation_std": np.sqrt(np.maximum(var, 0.0)),
                 "saturation": saturation, "dead_fraction": dead}
        if self.network.normalization is not None:  # z and y of every layer: stacked
            assert isinstance(work, _NormalizedWorkspace) and work.normalized_stack is not None
            for name, stack in (("preactivation_std", work.preactivation_stack[:, :rows, :-1]),
                                ("normalized_std", work.normalized_stack[:, :rows])):
                total = np.add.reduce(stack, axis=(1, 2), dtype=np.float64) / size
                squares = np.add.reduce(np.square(stack), axis=(1, 2), dtype=np.float64) / size
                stats[name] = np.sqrt(np.maximum(squares - total * total, 0.0))
        return stats

    def _activation_stats_by_layer(self, rows: int) -> dict[str, np.ndarray]:
        """``_activation_stats`` for hidden layers of different widths: the same statistics,
        one layer at a time (mean and std in float64, saturation |a| beyond the activation's
        threshold, dead units zero on every row)."""
        act = self.network.activation
        layers = [a[:rows].astype(np.float64) for a in self.network.activations]
        mean = np.array([a.mean() for a in layers])
        std = np.array([a.std() for a in layers])
        dead = saturation = self._no_value
        if act.inactive is not None:
            dead = np.array([np.mean(~np.any(a != 0, axis=0)) for a in layers])
        saturated = act.saturation  # act.saturated(a) when the activation saturates
        if saturated is not None:
            saturation = np.array([np.mean(saturated(a)) for a in layers])
        return {"activation_mean": mean, "activation_std": std, "saturation": saturation,
                "dead_fraction": dead}

    def _mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """A boolean scratch array (saturation masks)."""
        if self._mask_buffer is None or self._mask_buffer.shape != shape:
            self._mask_buffer = np.empty(shape, dtype=bool)
        return self._mask_buffer

    def _ones(self, rows: int) -> np.ndarray:
        """A (1, rows) row of ones (column sums as one product)."""
        if self._ones_row is None or self._ones_row.shape[1] != rows:
            self._ones_row = np.ones((1, rows), dtype=self.network.dtype)
        return self._ones_row

    # -- views for the dashboard ----------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """Histograms of the current weights, activations and gradients (full training batch),
        on the fixed bins chosen at ``reset``."""
        with np.errstate(all="ignore"):
            self._full_pass()
            return self._snapshot(len(self.train.X))

    def _snapshot(self, rows: int) -> Snapshot:
        """A Snapshot of the network's weights, the first ``rows`` rows of its last forward
        pass and the gradients of its last backward pass."""
        net, bins = self.network, self.bins
        work = net.workspace
        assert work is not None  # the arrays of the last forward pass
        if work.activation_stack is not None:  # equal widths: one call for all layers
            assert work.preactivation_stack is not None  # stacked like activation_stack
            pre = bins["preactivations"].counts_stacked(work.preactivation_stack[:, :rows, :-1])
            act = bins["activations"].counts_stacked(work.activation_stack[:, :rows, :-1])
        else:
            pre = bins["preactivations"].counts([z[:rows] for z in net.preactivations])
            act = bins["activations"].counts([a[:rows] for a in net.activations])
        counts = {
            "weights": bins["weights"].counts(net.weights),
            "preactivations": pre,
            "activations": act,
            "gradients": bins["gradients"].counts([dW for dW, _ in self._grads[:net.depth + 1]]),
        }
        if net.normalization is not None:
            assert isinstance(work, _NormalizedWorkspace) and work.normalized_stack is not None
            counts["normalized"] = bins["normalized"].counts_stacked(
                work.normalized_stack[:, :rows])
        return Snapshot(self.epoch, counts, dict(bins))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The loss's prediction (probabilities or values) for inputs X."""
        with np.errstate(all="ignore"):
            return self.network.loss.predict(self.network.logits(X))

    @property
    def status(self) -> str:
        """One of STATUSES, what the dashboard's status line says: the first criterion of
        ``initviz.core.status.CRITERIA`` that holds (its module documents each word's test)."""
        from initviz.core.status import classify  # status reads a Trainer: no import cycle

        return classify(self)
