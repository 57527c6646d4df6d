import dataclasses
import math

import numpy as np
import pytest

from initviz.core import datasets

CLASSIFICATION = ["moons", "circles", "spirals", "xor", "blobs"]

EXPECTED = {  # name -> (d, task, n_classes, loss, output_units)
    "moons": (2, "binary", 2, "binary_crossentropy", 1),
    "circles": (2, "binary", 2, "binary_crossentropy", 1),
    "spirals": (2, "binary", 2, "binary_crossentropy", 1),
    "xor": (2, "binary", 2, "binary_crossentropy", 1),
    "blobs": (2, "multiclass", 3, "categorical_crossentropy", 3),
    "sine": (1, "regression", 1, "mse", 1),
    "wine": (13, "multiclass", 3, "categorical_crossentropy", 3),
    "regression13": (13, "regression", 1, "mse", 1),
}


def _nn_accuracy(d):
    """Leave-one-out 1-nearest-neighbour accuracy: are the labels consistent with geometry?"""
    X = d.X.astype(np.float64)
    dist = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1)
    np.fill_diagonal(dist, np.inf)
    return np.mean(d.y[dist.argmin(axis=1)] == d.y)


def test_names():
    assert datasets.names() == ["moons", "circles", "spirals", "xor", "blobs", "sine", "wine",
                                "regression13"]


@pytest.mark.parametrize("name", datasets.names())
def test_shapes_dtypes_and_metadata(name):
    d = datasets.make(name, n_samples=123, noise=0.1, seed=3)
    dim, task, n_classes, loss, units = EXPECTED[name]
    assert d.name == name
    assert d.X.shape == (123, dim) and d.X.dtype == np.float32
    assert (d.task, d.n_classes, d.loss, d.output_units) == (task, n_classes, loss, units)
    assert d.n_samples == len(d) == 123 and d.n_features == dim
    if task == "regression":
        assert d.y.shape == (123, 1) and d.y.dtype == np.float32
    else:
        assert d.y.shape == (123,) and d.y.dtype == np.int64
        assert set(np.unique(d.y)) == set(range(n_classes))
    assert np.all(np.isfinite(d.X)) and np.all(np.isfinite(d.y))
    assert name in repr(d)


def test_defaults():
    d = datasets.make("moons")
    assert d.n_samples == 300
    assert np.array_equal(d.X, datasets.make("moons", 300, 0.1, 0).X)


@pytest.mark.parametrize("name", datasets.names())
def test_deterministic(name):
    a = datasets.make(name, seed=7)
    b = datasets.make(name, seed=7)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    c = datasets.make(name, seed=8)
    assert not np.array_equal(a.X, c.X)
    # noise 0 still depends on the seed (the points themselves are drawn)
    assert not np.array_equal(datasets.make(name, noise=0, seed=1).X,
                              datasets.make(name, noise=0, seed=2).X)


def test_seed_generator_and_none():
    a = datasets.make("moons", seed=np.random.default_rng(5))
    b = datasets.make("moons", seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a.X, b.X)
    assert datasets.make("moons", seed=None).n_samples == 300
    np.testing.assert_array_equal(datasets.make("xor", seed=np.int64(4)).X,
                                  datasets.make("xor", seed=4).X)


@pytest.mark.parametrize("name", datasets.names())
@pytest.mark.parametrize("noise", [0.0, 0.1, 0.5])
def test_standardised(name, noise):
    d = datasets.make(name, n_samples=257, noise=noise, seed=1)
    np.testing.assert_allclose(d.X.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(d.X.std(axis=0, dtype=np.float64), 1, atol=1e-5)


@pytest.mark.parametrize("name", ["moons", "circles", "spirals", "blobs"])
@pytest.mark.parametrize("n", [6, 301, 1000])
def test_balanced_classes(name, n):
    d = datasets.make(name, n_samples=n, seed=2)
    counts = np.bincount(d.y, minlength=d.n_classes)
    assert counts.max() - counts.min() <= 1


def test_xor_roughly_balanced_and_labelled_by_quadrant():
    d = datasets.make("xor", n_samples=2000, noise=0.0, seed=0)
    assert 0.45 < d.y.mean() < 0.55
    # with no noise, standardisation keeps the quadrants up to the small mean shift
    signs_differ = (d.X[:, 0] * d.X[:, 1] < 0)
    assert np.mean(signs_differ == (d.y == 1)) > 0.97


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_labels_follow_geometry(name):
    d = datasets.make(name, n_samples=300, noise=0.05, seed=0)
    assert _nn_accuracy(d) > 0.93
    # lots of noise makes it harder
    assert _nn_accuracy(datasets.make(name, n_samples=300, noise=1.0, seed=0)) < _nn_accuracy(d)


def test_sine():
    d = datasets.make("sine", n_samples=500, noise=0.0, seed=0)
    assert np.all(np.abs(d.y) <= 1)
    # X is a standardised uniform on [-pi, pi]: recover x and check y = sin(x)
    x = d.X[:, 0].astype(np.float64)
    x = (x - x.min()) / (x.max() - x.min()) * 2 * math.pi - math.pi  # approximately
    assert np.corrcoef(np.sin(x), d.y[:, 0])[0, 1] > 0.999
    noisy = datasets.make("sine", n_samples=2000, noise=0.3, seed=0)
    assert 0.25 < np.std(noisy.y[:, 0] - np.sin(np.pi * noisy.X[:, 0] / math.sqrt(3))) < 0.4


@pytest.mark.parametrize("name, classes, task", [
    ("blobs", 2, "binary"), ("blobs", 5, "multiclass"), ("blobs", 10, "multiclass"),
    ("spirals", 3, "multiclass"), ("spirals", 2, "binary"),
])
def test_classes_option(name, classes, task):
    d = datasets.make(name, n_samples=200, seed=0, classes=classes)
    assert d.task == task and d.n_classes == classes
    assert d.output_units == (1 if classes == 2 else classes)
    assert d.loss == ("binary_crossentropy" if classes == 2 else "categorical_crossentropy")
    assert d.y.min() == 0 and d.y.max() == classes - 1
    assert _nn_accuracy(datasets.make(name, n_samples=300, noise=0.02, classes=classes)) > 0.9


def test_float_and_numpy_integers_accepted():
    assert datasets.make("moons", n_samples=50.0).n_samples == 50
    assert datasets.make("moons", n_samples=np.int32(50)).n_samples == 50
    assert datasets.make("blobs", classes=np.int64(4)).n_classes == 4
    assert datasets.make("moons", noise=np.float32(0.2)).n_samples == 300
    assert datasets.make("MOONS").name == "moons"


def test_arrays_read_only_and_dataset_frozen():
    d = datasets.make("moons")
    with pytest.raises(ValueError):
        d.X[0, 0] = 1.0
    with pytest.raises(ValueError):
        d.y[0] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.task = "regression"  # type: ignore[misc]


# ---------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, match", [
    (dict(name="moon"), "did you mean 'moons'"),
    (dict(name="spiral"), "did you mean 'spirals'"),
    (dict(name="mnist"), "Valid choices: blobs, circles, moons, regression13, sine, spirals, "
                              "wine, xor"),
    (dict(name=None), "Valid choices"),
    (dict(name="moons", n_samples=3), "n_samples must be >= 4"),
    (dict(name="moons", n_samples=0), "n_samples must be >= 4"),
    (dict(name="moons", n_samples=-10), "n_samples must be >= 4"),
    (dict(name="moons", n_samples=10.5), "n_samples must be an integer"),
    (dict(name="moons", n_samples="300"), "n_samples must be an integer"),
    (dict(name="moons", n_samples=True), "n_samples must be an integer"),
    (dict(name="moons", n_samples=None), "n_samples must be an integer"),
    (dict(name="moons", n_samples=float("nan")), "n_samples must be an integer"),
    (dict(name="blobs", n_samples=5, classes=3), "at least 2 per class"),
    (dict(name="moons", noise=-0.1), "noise must be >= 0"),
    (dict(name="moons", noise=float("nan")), "noise must be a finite number"),
    (dict(name="moons", noise=float("inf")), "noise must be a finite number"),
    (dict(name="moons", noise="loud"), "noise must be a finite number"),
    (dict(name="moons", seed=-1), "seed must be >= 0"),
    (dict(name="moons", seed=1.5), "seed must be an integer"),
    (dict(name="moons", classes=3), "no option 'classes'"),
    (dict(name="blobs", centers=3), r"no option 'centers' \(options: classes\)"),
    (dict(name="blobs", classes=1), "classes must be >= 2"),
    (dict(name="spirals", classes=11), "classes must be >= 2 and <= 10"),
    (dict(name="blobs", classes=2.5), "classes must be an integer"),
])
def test_bad_input(kwargs, match):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=match):
        datasets.make(name, **kwargs)


# -------------------------------------------------------------------------------------- split

def _rows(X):
    return {tuple(row) for row in X.tolist()}


@pytest.mark.parametrize("name", datasets.names())
def test_split_sizes_disjoint_complete(name):
    d = datasets.make(name, n_samples=300, seed=0)  # wine has 178 rows: 134 + 44
    train, test = datasets.train_test_split(d)
    assert (len(train), len(test)) == ((134, 44) if name == "wine" else (225, 75))
    assert _rows(train.X).isdisjoint(_rows(test.X))
    assert _rows(train.X) | _rows(test.X) == _rows(d.X)
    for part in (train, test):
        assert (part.name, part.task, part.n_classes, part.loss, part.output_units) == \
            (d.name, d.task, d.n_classes, d.loss, d.output_units)
        assert part.X.dtype == d.X.dtype and part.y.dtype == d.y.dtype
        assert part.y.shape[1:] == d.y.shape[1:]
    # labels travel with their rows
    lookup = {tuple(x): y for x, y in zip(d.X.tolist(), d.y.tolist())}
    assert all(lookup[tuple(x)] == y for x, y in zip(test.X.tolist(), test.y.tolist()))


def test_split_deterministic_and_fractions():
    d = datasets.make("blobs", n_samples=101, seed=0)
    a_train, a_test = datasets.train_test_split(d, 0.3, seed=4)
    b_train, b_test = datasets.train_test_split(d, 0.3, seed=4)
    np.testing.assert_array_equal(a_test.X, b_test.X)
    np.testing.assert_array_equal(a_train.y, b_train.y)
    assert len(a_test) == 30 and len(a_train) == 71
    _, c_test = datasets.train_test_split(d, 0.3, seed=5)
    assert not np.array_equal(a_test.X, c_test.X)
    tiny = datasets.make("moons", n_samples=4)
    assert [len(p) for p in datasets.train_test_split(tiny, 0.01)] == [3, 1]
    assert [len(p) for p in datasets.train_test_split(tiny, 0.99)] == [1, 3]
    # the parts are read-only too
    with pytest.raises(ValueError):
        a_train.X[0, 0] = 0.0


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, float("nan"), float("inf"), "half", None])
def test_split_bad_fraction(fraction):
    d = datasets.make("moons")
    with pytest.raises(ValueError, match="test_fraction"):
        datasets.train_test_split(d, fraction)


def test_split_needs_a_dataset():
    with pytest.raises(ValueError, match="needs a Dataset"):
        datasets.train_test_split((np.zeros((4, 2)), np.zeros(4)))
