import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from initviz.core import activations

ALL = activations.names()
KINKED = {"relu", "leaky_relu", "elu", "selu"}  # derivative (or its derivative) jumps at 0


def _silent():
    """No NumPy floating-point warnings (underflow to 0 is allowed: it is exact enough)."""
    class _Ctx:
        def __enter__(self):
            self._w = warnings.catch_warnings()
            self._w.__enter__()
            warnings.simplefilter("error")
            self._e = np.errstate(over="raise", invalid="raise", divide="raise")
            self._e.__enter__()

        def __exit__(self, *exc):
            self._e.__exit__(*exc)
            return self._w.__exit__(*exc)

    return _Ctx()


def test_names_and_lookup():
    assert ALL == ["linear", "relu", "leaky_relu", "elu", "selu", "gelu", "tanh", "sigmoid",
                   "softplus", "swish"]
    for name in ALL:
        act = activations.get(name)
        assert act.name == name
        assert activations.get(name.upper()) is act
        assert activations.get(f"  {name} ") is act
        assert activations.get(act) is act
        assert act.description
    assert activations.get("silu") is activations.get("swish")
    assert activations.get("SiLU").name == "swish"


@pytest.mark.parametrize("bad", ["rleu", "tahn", "", None, 3, ["relu"]])
def test_unknown_name(bad):
    with pytest.raises(ValueError, match="Valid choices: .*relu"):
        activations.get(bad)


def test_unknown_name_suggests_closest():
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        activations.get("rleu")
    with pytest.raises(ValueError, match="did you mean 'sigmoid'"):
        activations.get("sigmiod")


def test_gains_match_torch_calculate_gain():
    # torch.nn.init.calculate_gain values (leaky_relu with its default slope 0.01)
    expected = {
        "linear": 1.0,
        "sigmoid": 1.0,
        "tanh": 5.0 / 3,
        "relu": 1.4142135623730951,
        "leaky_relu": 1.4141428569978354,
        "selu": 0.75,
        "elu": None,
        "gelu": None,
        "softplus": None,
        "swish": None,
    }
    for name, gain in expected.items():
        got = activations.get(name).gain
        if gain is None:
            assert got is None, name
        else:
            assert got == pytest.approx(gain, rel=1e-15), name


KNOWN = {
    "linear": [(-2.5, -2.5), (0.0, 0.0), (3.0, 3.0)],
    "relu": [(-2.0, 0.0), (0.0, 0.0), (3.0, 3.0)],
    "leaky_relu": [(-2.0, -0.02), (0.0, 0.0), (3.0, 3.0)],
    "elu": [(-1.0, math.expm1(-1.0)), (0.0, 0.0), (2.0, 2.0)],
    "selu": [(-1.0, -1.1113307378125625), (0.0, 0.0), (1.0, 1.0507009873554805)],
    # tanh-approximate GELU, as jax.nn.gelu(approximate=True)
    "gelu": [(-1.0, -0.15880800939172324), (0.0, 0.0), (1.0, 0.8411919906082768),
             (2.0, 1.9545976940877773)],
    "tanh": [(-1.0, -0.7615941559557649), (0.0, 0.0), (1.0, 0.7615941559557649)],
    "sigmoid": [(-1.0, 0.2689414213699951), (0.0, 0.5), (1.0, 0.7310585786300049)],
    "softplus": [(-1.0, 0.31326168751822286), (0.0, math.log(2)), (1.0, 1.3132616875182228)],
    "swish": [(-1.0, -0.2689414213699951), (0.0, 0.0), (1.0, 0.7310585786300049)],
}


@pytest.mark.parametrize("name", ALL)
def test_known_values(name):
    act = activations.get(name)
    z = np.array([p[0] for p in KNOWN[name]])
    want = np.array([p[1] for p in KNOWN[name]])
    np.testing.assert_allclose(act.forward(z), want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(act.forward(z.astype(np.float32)), want, rtol=2e-6, atol=1e-7)


def test_known_derivatives_at_zero():
    # the convention at relu's kink is f'(0) = 0 (as in PyTorch / TensorFlow)
    want = {"linear": 1, "relu": 0, "leaky_relu": 0.01, "elu": 1, "selu": 1.0507009873554805 *
            1.6732632423543772, "gelu": 0.5, "tanh": 1, "sigmoid": 0.25, "softplus": 0.5,
            "swish": 0.5}
    for name in ALL:
        act = activations.get(name)
        z = np.zeros(1)
        assert act.derivative(z, act.forward(z))[0] == pytest.approx(want[name], rel=1e-12)


def test_gelu_close_to_exact_erf_form():
    z = np.linspace(-8, 8, 2001)
    exact = 0.5 * z * (1 + np.array([math.erf(v / math.sqrt(2)) for v in z]))
    assert np.max(np.abs(activations.get("gelu").forward(z) - exact)) < 1e-3


@pytest.mark.parametrize("name", ALL)
def test_derivative_matches_finite_differences(name):
    act = activations.get(name)
    z = np.concatenate([np.linspace(-8, 8, 321), [-1e-3, 1e-3, -3e-5, 3e-5, -0.5, 0.5]])
    if name in KINKED:
        z = z[np.abs(z) > 1e-4]
    else:
        z = np.concatenate([z, [0.0, 1e-7, -1e-7]])
    h = 1e-6
    fd = (act.forward(z + h) - act.forward(z - h)) / (2 * h)
    d = act.derivative(z, act.forward(z))
    assert d.shape == z.shape and d.dtype == np.float64
    np.testing.assert_allclose(d, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_shape_preserved(name, dtype):
    act = activations.get(name)
    z = np.linspace(-3, 3, 24, dtype=dtype).reshape(4, 6)
    a = act.forward(z)
    d = act.derivative(z, a)
    assert a.dtype == dtype and d.dtype == dtype
    assert a.shape == z.shape and d.shape == z.shape
    # float32 agrees with float64
    z64 = z.astype(np.float64)
    np.testing.assert_allclose(a, act.forward(z64), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d, act.derivative(z64, act.forward(z64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ALL)
def test_integer_and_scalar_input(name):
    act = activations.get(name)
    a = act.forward(np.array([-2, 0, 3]))
    assert a.dtype == np.float64
    np.testing.assert_allclose(a, act.forward(np.array([-2.0, 0.0, 3.0])))
    assert np.ndim(act.forward(1.5)) == 0


@pytest.mark.parametrize("name", ALL)
def test_forward_does_not_alias_or_modify_input(name):
    act = activations.get(name)
    z = np.linspace(-2, 2, 9)
    keep = z.copy()
    a = act.forward(z)
    act.derivative(z, a)
    np.testing.assert_array_equal(z, keep)
    a[...] = 123.0
    np.testing.assert_array_equal(z, keep)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_inputs_silent_and_finite(name, dtype):
    act = activations.get(name)
    z = np.array([-1e4, -1e3, -100, -50, -20, 20, 50, 100, 1e3, 1e4], dtype=dtype)
    with _silent():
        a = act.forward(z)
        d = act.derivative(z, a)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d))
    assert a.dtype == dtype and d.dtype == dtype


def test_huge_input_limits():
    z = np.array([-1e4, 1e4])
    with _silent():
        assert activations.get("sigmoid").forward(z).tolist() == [0.0, 1.0]
        assert activations.get("softplus").forward(z).tolist() == [0.0, 1e4]
        assert activations.get("swish").forward(z).tolist() == [0.0, 1e4]
        assert activations.get("gelu").forward(z).tolist() == [0.0, 1e4]
        assert activations.get("elu").forward(z).tolist() == [-1.0, 1e4]
        for name in ["sigmoid", "tanh"]:
            act = activations.get(name)
            assert act.derivative(z, act.forward(z)).tolist() == [0.0, 0.0]
        for name in ["softplus", "swish", "gelu", "elu"]:
            act = activations.get(name)
            assert act.derivative(z, act.forward(z)).tolist() == [0.0, 1.0]


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(ALL),
    z=hnp.arrays(np.float64, st.integers(1, 20),
                 elements=st.floats(-1e30, 1e30, allow_nan=False, allow_infinity=False)),
    f32=st.booleans(),
)
def test_any_input_silent_and_finite(name, z, f32):
    act = activations.get(name)
    if f32:
        z = z.astype(np.float32)
    with _silent():
        a = act.forward(z)
        d = act.derivative(z, a)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d))


def test_saturated():
    tanh = activations.get("tanh")
    a = np.array([-0.99, -0.97, -0.5, 0.0, 0.96, 0.971, 1.0])
    assert tanh.saturated(a).tolist() == [True, False, False, False, False, True, True]
    sig = activations.get("sigmoid")
    a = np.array([0.0, 0.02, 0.03, 0.5, 0.97, 0.98, 1.0])
    assert sig.saturated(a).tolist() == [True, True, False, False, False, True, True]
    # via forward: large |z| saturates
    z = np.array([[-10.0, 0.1], [3.0, 10.0]])
    assert tanh.saturated(tanh.forward(z)).tolist() == [[True, False], [True, True]]
    assert sig.saturated(sig.forward(z)).tolist() == [[True, False], [False, True]]
    for name in ALL:
        if name not in ("tanh", "sigmoid"):
            assert activations.get(name).saturated(a) is None, name


def test_dead():
    relu = activations.get("relu")
    z = np.array([[-1.0, 0.0], [1e-9, 5.0]])
    assert relu.dead(z).tolist() == [[True, True], [False, False]]
    assert relu.dead(z).dtype == bool
    for name in ALL:
        if name != "relu":
            assert activations.get(name).dead(z) is None, name


def test_activation_is_frozen():
    act = activations.get("relu")
    with pytest.raises(AttributeError):
        act.gain = 2.0  # type: ignore[misc]


def test_sigmoid_helper():
    z = np.array([-3.0, 0.0, 3.0], dtype=np.float32)
    s = activations.sigmoid(z)
    assert s.dtype == np.float32
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-z.astype(np.float64))), rtol=1e-6)
