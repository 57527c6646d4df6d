"""Reliability: every setting a student can reach trains, ends in a state the UI names, and warns
about nothing; every invalid Config is refused with a ValueError. Fast (no browser).

- a sweep: every canonical initializer x every activation x scale {1e-3, 1, 1e2} x depth {1, 30}
  trains a few epochs with warnings as errors, and its status is one the UI knows;
- the extreme corners of that sweep also go through the Dashboard (frame data, views, blit);
- hypothesis: valid Configs train to finite or cleanly diverged results; invalid ones raise;
- the LiveCanvas PNG encoder round-trips through Pillow (what the browser decodes).
"""
from __future__ import annotations

import math
import time
import warnings
from io import BytesIO

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initviz.core import activations, datasets, initializers, optimizers
from initviz.core.training import MAX_DEPTH, MAX_WIDTH, STATUSES, Config, Trainer

INITIALIZERS = [name for group in initializers.groups().values() for name in group]
ACTIVATIONS = activations.names()
SCALES = (1e-3, 1.0, 1e2)
DEPTHS = (1, 30)
EPOCHS = 3
SMALL = {"n_samples": 64, "width": 16}


def _bias_ok(name: str) -> bool:
    try:
        initializers.get(name)((2,), np.random.default_rng(0))
        return True
    except ValueError:
        return False


BIAS_VALID = [n for n in initializers.names() if _bias_ok(n)]
BIAS_INVALID = [n for n in initializers.names() if not _bias_ok(n)]


def check_run(trainer: Trainer, epochs: int = EPOCHS) -> None:
    """Train, then look at everything the dashboard reads; all of it must be clean."""
    trainer.step(epochs)
    assert trainer.status in STATUSES
    if trainer.diverged:
        assert trainer.diverged_epoch == trainer.epoch < epochs
        assert trainer.status == "diverged"
    else:
        assert trainer.epoch == epochs
        assert np.isfinite(trainer.history.loss).all(), trainer.history.loss
    for w in trainer.network.weights:  # a diverged run keeps the last finite weights
        assert np.isfinite(w).all()
    snapshot = trainer.snapshot()
    for counts in snapshot.counts.values():
        assert np.isfinite(counts).all()
    trainer.predict(trainer.test.X)


@pytest.mark.parametrize("initializer", INITIALIZERS)
def test_sweep_every_activation_scale_depth(initializer):
    failures = []
    statuses = set()
    for activation in ACTIVATIONS:
        for scale in SCALES:
            for depth in DEPTHS:
                config = Config(initializer=initializer, activation=activation, scale=scale,
                                depth=depth, **SMALL)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("error")
                        trainer = Trainer(config)
                        check_run(trainer)
                        statuses.add(trainer.status)
                except Exception as error:  # collect them all, then report
                    failures.append(f"{activation} scale={scale:g} depth={depth}: "
                                    f"{type(error).__name__}: {error}"[:300])
    assert not failures, f"{initializer}: {len(failures)} failing setting(s):\n" + "\n".join(failures)
    assert statuses <= set(STATUSES) - {"ready"}


def test_sweep_reaches_the_named_states():
    """The states the sweep is meant to show do occur: diverged, vanishing, training."""
    seen = {}
    for initializer, activation, scale, depth in [
        ("identity", "relu", 1e2, 30), ("glorot_uniform", "tanh", 1e-3, 30),
        ("he_normal", "relu", 1.0, 1),
    ]:
        trainer = Trainer(Config(initializer=initializer, activation=activation, scale=scale,
                                 depth=depth, **SMALL))
        trainer.step(EPOCHS)
        seen[(initializer, scale, depth)] = trainer.status
    assert set(seen.values()) == {"diverged", "vanishing", "training"}, seen


def test_dashboard_handles_the_extreme_corners():
    """Overflowed, vanished and zero weights are drawn without warnings (log axes, histograms)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from initviz.plots.dashboard import Dashboard

    figure = Figure(figsize=(9, 5), dpi=50)
    FigureCanvasAgg(figure)
    dashboard = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for initializer in INITIALIZERS:
            for scale in (1e-3, 1e2):
                trainer = Trainer(Config(initializer=initializer, activation="relu", scale=scale,
                                         depth=30, **SMALL))
                trainer.step(EPOCHS)
                if dashboard is None:
                    dashboard = Dashboard(figure, trainer)
                else:
                    dashboard.rebuild(trainer)
                assert dashboard.update(dashboard.frame(trainer)) in ("full", "blit", "panels")


# ------------------------------------------------------------------ hypothesis: valid configs

valid_configs = st.builds(
    Config,
    dataset=st.sampled_from(datasets.names()),
    n_samples=st.integers(64, 128),
    noise=st.floats(0.0, 0.5),
    depth=st.integers(1, 4),
    width=st.integers(1, 8),
    activation=st.sampled_from(ACTIVATIONS),
    initializer=st.sampled_from(initializers.names()),
    scale=st.one_of(st.just(1e-3), st.floats(1e-3, 100.0)),
    bias_initializer=st.sampled_from(BIAS_VALID),
    optimizer=st.sampled_from(optimizers.names()),
    learning_rate=st.floats(1e-4, 10.0),
    batch_size=st.one_of(st.none(), st.integers(1, 64)),
    seed=st.integers(0, 2**32 - 1),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=valid_configs)
def test_valid_configs_train_cleanly(config):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_run(Trainer(config), epochs=2)
    assert Config.from_query(config.to_query()) == config


# ------------------------------------------------------------------ hypothesis: invalid configs

BAD_VALUES = {
    "dataset": st.one_of(st.sampled_from(["", "moon", "mnist", "MOONS!"]), st.integers(), st.none()),
    "n_samples": st.one_of(st.integers(max_value=3), st.integers(min_value=100_001),
                           st.floats(4, 100), st.just(True), st.text(max_size=3)),
    "noise": st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=2.0001), st.just(math.nan),
                       st.just(math.inf)),
    "depth": st.one_of(st.integers(max_value=0), st.integers(min_value=MAX_DEPTH + 1),
                       st.just(2.0), st.just(True), st.none()),
    "width": st.one_of(st.integers(max_value=0), st.integers(min_value=MAX_WIDTH + 1), st.just(3.5)),
    "activation": st.one_of(st.sampled_from(["", "reluu", "softmax2"]), st.integers()),
    "initializer": st.one_of(st.sampled_from(["", "he", "glorot", "xavier"]), st.none()),
    "scale": st.one_of(st.floats(max_value=0.00099), st.floats(min_value=100.0001),
                       st.just(math.nan), st.just(-math.inf), st.just(math.inf)),
    "bias_initializer": st.one_of(st.sampled_from(BIAS_INVALID + ["nope"]), st.integers()),
    "optimizer": st.sampled_from(["", "sgdd", "rmsprop?"]),
    "learning_rate": st.one_of(st.floats(max_value=0.0), st.floats(min_value=10.0001),
                               st.just(math.nan), st.just(math.inf)),
    "batch_size": st.one_of(st.integers(max_value=0), st.integers(min_value=100_001), st.just(2.5)),
    "seed": st.one_of(st.integers(max_value=-1), st.integers(min_value=2**32), st.just("0")),
}


@settings(max_examples=150, deadline=None)
@given(data=st.data(), field=st.sampled_from(sorted(BAD_VALUES)))
def test_invalid_configs_raise_value_error(data, field):
    value = data.draw(BAD_VALUES[field], label=field)
    with pytest.raises(ValueError):
        Config(**{field: value})
    with pytest.raises(ValueError):
        Config().replace(**{field: value})


@settings(max_examples=50, deadline=None)
@given(key=st.text(min_size=1, max_size=12).filter(lambda k: k not in Config.field_names()))
def test_unknown_fields_raise_value_error(key):
    with pytest.raises(ValueError):
        Config().replace(**{key: 1})
    with pytest.raises(ValueError):
        Config.from_dict({key: 1})


# ------------------------------------------------------------------ the canvas's PNG encoder


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (475, 900)])
def test_png_encoder_round_trips(shape):
    from PIL import Image

    from initviz.app.canvas import encode_png

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(*shape, 4), dtype=np.uint8)
    pixels[: shape[0] // 2] = 0  # a diff frame: mostly unchanged (zero) pixels
    decoded = np.asarray(Image.open(BytesIO(encode_png(pixels))).convert("RGBA"))
    np.testing.assert_array_equal(decoded, pixels)
    with pytest.raises(ValueError):
        encode_png(pixels[..., :3])


# ------------------------------------------------------------------ preheated Voila kernels


def test_a_late_share_link_is_applied_like_an_early_one(monkeypatch):
    """A preheated kernel builds the app before its request; the link then applies as if it had
    been there from the start (settings, hidden controls, the Share tab's builder, play)."""
    from initviz.app import share
    from initviz.app.explorer import Explorer

    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setattr(share, "_requested", False)
    monkeypatch.setattr(share, "_waiting", [])
    waits = []
    monkeypatch.setattr(share, "_wait_for_request", lambda: waits.append(1))
    monkeypatch.setattr(share.threading, "Thread",
                        lambda target, **kw: type("T", (), {"start": lambda self: target()})())
    late = Explorer()
    assert late.config == Config() and waits == [1]  # built on the defaults, waiting
    query = "activation=relu&depth=3&hide=width&play=1"
    monkeypatch.setenv("QUERY_STRING", query)
    monkeypatch.setattr(share, "_requested", True)
    late._open_link(query)
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    early = Explorer()
    for app in (late, early):
        assert app.config == Config(activation="relu", depth=3)
        assert app.controls.width.layout.display == "none"
        assert app.playing
        tab = next(f for f in app.features if f.title == "Share")
        assert tab.text.value == "?" + query
        app.pause()


def test_when_requested_calls_back_at_once_outside_preheat(monkeypatch):
    from initviz.app import share

    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", "depth=2")
    got = []
    share.when_requested(got.append)
    assert got == ["depth=2"]


def test_a_waiting_pool_kernel_keeps_itself_alive_until_its_page_asks(monkeypatch):
    """While a preheated kernel waits for its request it publishes a message that
    jupyter_server's idle culler counts as activity (so it cannot be culled between Voila's
    hand-out and the page connecting), and it stops once the request has come."""
    import threading

    import IPython
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager

    from initviz.app import share

    sent = []

    class Session:
        def send(self, socket, msg_type, content, ident):
            sent.append((time.monotonic(), msg_type, ident))

    class Kernel:
        session, iopub_socket = Session(), object()

        def _topic(self, topic):
            return f"kernel.x.{topic}".encode()

    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Shell", (), {"kernel": Kernel()})())
    stop = threading.Event()
    thread = threading.Thread(target=share._keep_alive, args=(stop, 0.05))
    thread.start()
    time.sleep(0.3)
    stop.set()
    thread.join(1)
    count = len(sent)
    time.sleep(0.15)
    assert not thread.is_alive() and len(sent) == count  # stopped with the request
    assert 3 <= count <= 7 and {m for _, m, _ in sent} == {"comm_msg"}
    assert sent[0][2] == b"kernel.x.comm"
    culler = MappingKernelManager()
    assert culler.track_message_type("comm_msg") and not culler.track_message_type("status")


# ------------------------------------------------------------------ a playing explorer stops


def test_playing_stops_at_the_epoch_limit_and_says_so():
    """A playing page does not hold a core for ever: the loop ends at max_epochs, sleeping
    between frames (other tasks on the event loop keep running), and the status says why."""
    import asyncio

    from initviz.app.explorer import Explorer

    async def scenario():
        explorer = Explorer(features=[], max_epochs=60)
        ticks = 0

        async def other_task():  # widget messages and other pages' work on the same loop
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        other = asyncio.ensure_future(other_task())
        explorer.play()
        for _ in range(300):
            await asyncio.sleep(0.02)
            if not explorer.playing:
                break
        other.cancel()
        assert not explorer.playing
        assert explorer.trainer.epoch == 60
        assert "60-epoch limit" in explorer.status_label.value
        assert ticks > explorer.frames  # the loop yielded between frames

    asyncio.run(scenario())
