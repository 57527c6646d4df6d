"""The 13-feature data sets: UCI Wine (real, CC BY 4.0) and the synthetic regression13; their
shapes, determinism, raw units, licence file, and the network, theory, exports and the
prediction panel at 13 inputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from initviz.core import codegen, datasets, theory
from initviz.core.config import Config
from initviz.core.training import Trainer

DATA = Path(datasets.__file__).parent / "data"


def test_wine_is_the_uci_table():
    data = datasets.make("wine")
    assert (data.n_samples, data.n_features, data.task, data.n_classes) == (178, 13, "multiclass", 3)
    assert np.bincount(data.y).tolist() == [59, 71, 48]  # the UCI class distribution
    raw = datasets.make("wine", standardize=False)
    # UCI's summary statistics: alcohol mean 13.0, proline mean 746 (sd 315), hue mean 0.96
    assert raw.X[:, 0].mean() == pytest.approx(13.0, abs=0.01)
    assert raw.X[:, 12].mean() == pytest.approx(746.9, abs=0.1)
    assert raw.X[:, 12].std(ddof=1) == pytest.approx(314.9, abs=0.1)
    assert raw.X[:, 10].mean() == pytest.approx(0.957, abs=0.001)
    assert np.allclose(data.X.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(data.X.std(axis=0), 1, atol=1e-5)
    small = datasets.make("wine", n_samples=40, seed=3)
    assert small.n_samples == 40 and set(small.y.tolist()) == {0, 1, 2}


@pytest.mark.parametrize("name", ["wine", "regression13"])
def test_same_seed_same_arrays(name):
    a, b = datasets.make(name, seed=5), datasets.make(name, seed=5)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.X, datasets.make(name, seed=6).X)


def test_regression13_has_the_tutorials_shape_and_raw_units():
    data = datasets.make("regression13", n_samples=4000, noise=0.2)
    assert (data.n_features, data.task, data.output_units, data.loss) == (13, "regression", 1, "mse")
    raw = datasets.make("regression13", n_samples=4000, noise=0.2, standardize=False).X
    spread = raw.std(axis=0)
    assert spread.max() / spread.min() > 1000  # 168.5 against 0.12: unscaled inputs
    assert 0.7 < float(data.y.std()) < 1.3


def test_licence_and_citation_ship_beside_the_data():
    readme = (DATA / "README.md").read_text()
    licence = (DATA / "LICENSE.md").read_text()
    assert "CC BY 4.0" in readme and "10.24432/C5PC7J" in readme
    assert "Creative Commons Attribution 4.0" in licence
    assert "regression13" in readme and "synthetic" in readme
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert "core/data/*.csv" in pyproject


@pytest.mark.parametrize("name", ["wine", "regression13"])
def test_the_input_width_comes_from_the_data(name):
    config = Config(dataset=name, depth=1, width=13, activation="relu", initializer="normal",
                    optimizer="adam", learning_rate=0.01)
    trainer = Trainer(config)
    assert trainer.network.sizes[0] == 13
    assert theory.network_shape(config)[0] == 13
    assert "keras.Input(shape=(13,))" in codegen.to_keras(config)
    assert "nn.Linear(13, 13)" in codegen.to_pytorch(config)
    first = trainer.history
    trainer.step(200)
    assert trainer.history.loss[-1] < 0.5 * first.loss[0]


def test_the_prediction_panel_projects_13_inputs():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from initviz.plots.dashboard import Dashboard
    from initviz.plots.views import ProjectionView, principal_plane

    trainer = Trainer(Config(dataset="wine", depth=2, width=16, activation="relu"))
    dashboard = Dashboard(Figure(), trainer)
    view = next(v for v in dashboard.views if isinstance(v, ProjectionView))
    plane = principal_plane(trainer.train.X)
    assert np.allclose(view.points.get_offsets(), plane)
    trainer.step(100)
    dashboard.update(dashboard.frame(trainer))
    predicted = trainer.predict(trainer.train.X).argmax(axis=1)
    assert np.array_equal(np.asarray(view.points.get_array()), predicted)
    regression = Trainer(Config(dataset="regression13", depth=1, width=13))
    board = Dashboard(Figure(), regression)
    board.update(board.frame(regression))
    points = next(v for v in board.views if isinstance(v, ProjectionView)).points.get_offsets()
    assert np.allclose(points[:, 0], regression.train.y.ravel())
    assert np.allclose(points[:, 1], regression.predict(regression.train.X).ravel(), atol=1e-6)
