"""Mean-field signal propagation against Monte Carlo of wide random networks (width 1,000), the
closed forms (tanh without bias: critical 1; ReLU: 2 whatever the bias), the Jacobian against
finite differences, dynamical isometry, and the trainability claim on the toy data."""
import math

import numpy as np
import pytest

from initviz.core import activations, signal
from initviz.core.network import Network
from initviz.core.training import Config, Trainer

WIDTH = 1000
NAMES = activations.names()


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """As the Explorer runs: on this shared 2-core machine a 2-thread BLAS made these products
    and SVDs 10-100x slower under load."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def wide_network(activation, sw, sb, depth, inputs=8, seed=0, x=None):
    """Pre-activations z_l (depth, inputs, WIDTH) and forward tangents v_l = dz_l (in a random
    direction of the first layer's input) of one random network N(0, sw/WIDTH), N(0, sb)."""
    rng = np.random.default_rng(seed)
    act = activations.get(activation)
    x = rng.standard_normal((inputs, WIDTH)) if x is None else x
    v = rng.standard_normal(x.shape)
    zs, vs = [], []
    h, t = x, v
    for _ in range(depth):  # float32 draws: twice as fast, and 1e-7 is far below the noise
        W = rng.standard_normal((WIDTH, WIDTH), dtype=np.float32) * np.float32(math.sqrt(sw / WIDTH))
        b = rng.standard_normal(WIDTH) * math.sqrt(sb)
        z, dz = h @ W + b, t @ W
        zs.append(z)
        vs.append(dz)
        h = act.forward(z)
        t = act.derivative(z, h) * dz
    return x, np.array(zs), np.array(vs)


CASES = [("tanh", 4.0, 0.05), ("tanh", 0.8, 0.1), ("relu", 1.0, 0.5), ("elu", 1.2, 0.3),
         ("selu", 1.0, 0.0)]  # chaotic, ordered, exact closed form, non-zero mean, SELU's q* = 1


@pytest.mark.parametrize("activation, sw, sb", CASES)
def test_length_map_q_star_and_chi1_match_width_1000_networks(activation, sw, sb):
    # One network's mean z^2 over 1,000 units fluctuates by sqrt(2/1000) = 4.5% per layer and
    # the error is carried on (all inputs alike in the ordered phase): three networks are
    # averaged; single layers within 8%, the fixed point (last 6 layers) within 5% (activations
    # with a non-zero mean, elu and sigmoid, fluctuate most).
    depth, runs = 12, [wide_network(activation, sw, sb, 12, seed=seed) for seed in range(3)]
    q = np.mean([np.mean(zs ** 2, axis=(1, 2)) for _, zs, _ in runs], axis=0)
    x_variance = float(np.mean([np.mean(x ** 2) for x, _, _ in runs]))
    predicted = signal.preactivation_variances(activation, sw, sb, depth, x_variance)
    np.testing.assert_allclose(q, predicted, rtol=0.08)
    assert predicted[-1] == pytest.approx(signal.fixed_point(activation, sw, sb), rel=0.01)
    assert q[-6:].mean() == pytest.approx(signal.fixed_point(activation, sw, sb), rel=0.05)
    # chi1: a perturbation's squared length grows by chi1 per layer once q has settled
    growth = np.mean([np.mean(vs[1:] ** 2, axis=(1, 2)) / np.mean(vs[:-1] ** 2, axis=(1, 2))
                      for _, _, vs in runs], axis=0)
    assert growth[-6:].mean() == pytest.approx(signal.chi1(activation, sw, sb), rel=0.03)


@pytest.mark.parametrize("activation, sw, sb, c", [("tanh", 1.5, 0.05, 0.5), ("tanh", 4.0, 0.0, 0.9),
                                                   ("relu", 1.8, 0.2, 0.3), ("sigmoid", 4.0, 0.1, -0.4),
                                                   ("swish", 2.0, 0.2, 0.6)])
def test_correlation_map_matches_one_wide_layer(activation, sw, sb, c):
    # two inputs at q* with correlation c, through 20 independent width-1000 layers
    q = signal.fixed_point(activation, sw, sb)
    rng = np.random.default_rng(3)
    act = activations.get(activation)
    measured = []
    for _ in range(20):
        z1 = rng.standard_normal(WIDTH)
        z2 = c * z1 + math.sqrt(1 - c * c) * rng.standard_normal(WIDTH)
        h = act.forward(math.sqrt(q) * np.stack([z1, z2]))
        W = rng.standard_normal((WIDTH, WIDTH)) * math.sqrt(sw / WIDTH)
        out = h @ W + rng.standard_normal(WIDTH) * math.sqrt(sb)
        measured.append(np.mean(out[0] * out[1]) / q)
    assert np.mean(measured) == pytest.approx(signal.correlation_map(activation, sw, sb, c),
                                              abs=0.02)


def test_correlations_through_depth_follow_the_map_to_c_star():
    # tanh. Chaotic: two nearby inputs (c = 0.99) are torn apart, slowly at first (chi1 = 1.34),
    # and independent ones (c = 0) settle at c* = 0.165. Ordered: distant inputs merge (c* = 1).
    # One network's correlation wanders by ~1/sqrt(1000) per layer: 8 pairs are averaged. The
    # inputs are scaled so that the first layer is already at q*.
    rng = np.random.default_rng(6)
    for sw, sb, starts in [(4.0, 0.05, (0.99, 0.0)), (0.8, 0.3, (0.2,))]:
        scale = math.sqrt((signal.fixed_point("tanh", sw, sb) - sb) / sw)
        x = []
        for c0 in starts:
            z = rng.standard_normal((2, 8, WIDTH))
            x += [z[0], c0 * z[0] + math.sqrt(1 - c0 * c0) * z[1]]
        _, zs, _ = wide_network("tanh", sw, sb, 30, seed=5, x=scale * np.concatenate(x))
        c_star = signal.fixed_correlation("tanh", sw, sb)
        assert (c_star < 0.9) == (signal.chi1("tanh", sw, sb) > 1)
        for k, c0 in enumerate(starts):
            a, b = zs[:, 16 * k:16 * k + 8], zs[:, 16 * k + 8:16 * k + 16]
            measured = np.mean(np.sum(a * b, -1) / np.sqrt(np.sum(a * a, -1) * np.sum(b * b, -1)), 1)
            # from layer 1's actual correlation: near c = 1 the chaotic map amplifies the
            # inputs' own sampling error (1 - c = 0.01 +- 0.004) by chi1 per layer
            c, predicted = measured[0], [measured[0]]
            for _ in range(29):
                c = signal.correlation_map("tanh", sw, sb, c)
                predicted.append(c)
            # leaving c = 1 the timing is noise-sensitive (one layer late moves c by ~0.05)
            np.testing.assert_allclose(measured, predicted, atol=0.06 if c0 == 0.99 else 0.04)
            if c0 != 0.99:
                assert measured[-10:].mean() == pytest.approx(c_star, abs=0.03)


def test_closed_forms_edge_of_chaos():
    assert signal.critical_weight_variance("tanh", 0.0) == pytest.approx(1.0, abs=1e-9)
    for sb in (0.0, 0.05, 1.0, 3.0):
        assert signal.critical_weight_variance("relu", sb) == 2.0  # He's value, whatever the bias
        assert signal.critical_weight_variance("linear", sb) == 1.0
    # the tanh critical line moves right with the bias and has chi1 = 1 on it
    previous = 1.0
    for sb in (0.05, 0.3, 1.0):
        sw = signal.critical_weight_variance("tanh", sb)
        assert sw > previous
        assert signal.chi1("tanh", sw, sb) == pytest.approx(1.0, abs=1e-6)
        previous = sw
    np.testing.assert_allclose(signal.critical_line("tanh", [0.0, 0.3]),
                               [1.0, signal.critical_weight_variance("tanh", 0.3)], rtol=1e-9)


def test_relu_closed_forms_are_exact():
    for sw, sb in [(1.0, 0.1), (1.9, 0.5), (0.5, 0.0)]:
        assert signal.fixed_point("relu", sw, sb) == pytest.approx(sb / (1 - sw / 2), abs=1e-15)
        assert signal.chi1("relu", sw, sb) == sw / 2
        assert signal.depth_scale("relu", sw, sb) == pytest.approx(-1 / math.log(sw / 2))
    assert signal.fixed_point("relu", 2.5, 0.1) == math.inf          # no fixed point: explodes
    assert signal.fixed_point("relu", 2.0, 0.0) == 1.0               # every q is fixed: q0 stays
    assert signal.depth_scale("relu", 2.0, 0.0) == math.inf
    assert signal.depth_scale("relu", 3.0, 0.1) == math.inf          # no chaotic phase


@pytest.mark.parametrize("name", ["linear", "relu", "leaky_relu"])
def test_homogeneous_closed_forms_agree_with_quadrature_and_monte_carlo(name):
    act = activations.get(name)
    closed = signal._HOMOGENEOUS[name]
    nodes, weights = signal._rule(200)
    z = 1.7 * nodes
    a, d = act.forward(z), act.derivative(z, act.forward(z))
    assert weights @ (a * a) == pytest.approx(1.7 ** 2 * closed.second, rel=1e-12)
    assert weights @ (d * d) == pytest.approx(closed.second, rel=1e-12)
    rng = np.random.default_rng(0)
    z1, z2 = rng.standard_normal((2, 2_000_000))
    for c in (-0.7, 0.0, 0.5, 0.95):   # the arc-cosine kernels, 2 million samples
        u2 = c * z1 + math.sqrt(1 - c * c) * z2
        f1, f2 = act.forward(z1), act.forward(u2)
        assert np.mean(f1 * f2) == pytest.approx(closed.kernel(np.float64(c)), abs=3e-3)
        assert np.mean(act.derivative(z1, f1) * act.derivative(u2, f2)) == pytest.approx(
            closed.slope_kernel(np.float64(c)), abs=3e-3)


@pytest.mark.parametrize("name", NAMES)
def test_every_activation_has_consistent_quantities(name):
    sw, sb = 1.3, 0.1
    q = signal.fixed_point(name, sw, sb)
    if math.isfinite(q):
        assert signal.length_map(name, sw, sb, q) == pytest.approx(q, rel=1e-8)
        assert signal.correlation_map(name, sw, sb, 1.0) == pytest.approx(1.0, abs=1e-9)
        # the 64 x 64 rule converges like 1/n where phi' jumps (selu; elu's phi'' jumps): 3%
        rel = 3e-2 if name in ("elu", "selu") else 2e-3
        assert signal.correlation_slope(name, sw, sb, 1.0) == pytest.approx(
            signal.chi1(name, sw, sb), rel=rel)
        # the slope is the derivative of the map (Price's theorem), here at c = 0.3
        h = 1e-4
        fd = (signal.correlation_map(name, sw, sb, 0.3 + h)
              - signal.correlation_map(name, sw, sb, 0.3 - h)) / (2 * h)
        assert signal.correlation_slope(name, sw, sb, 0.3) == pytest.approx(fd, rel=rel)
    xi = signal.depth_scale(name, sw, sb)
    assert xi >= 0
    line = signal.critical_line(name, [0.0, 0.5])
    assert line.shape == (2,)
    crit = signal.critical_weight_variance(name, 0.5)
    assert crit == pytest.approx(line[1], rel=1e-9) or (math.isnan(crit) and math.isnan(line[1]))


def test_depth_scale_diverges_at_the_edge_of_chaos_and_is_minus_one_over_log_chi1_when_ordered():
    sb = 0.05
    critical = signal.critical_weight_variance("tanh", sb)
    for sw in (0.5, 1.0, 1.5):
        chi = signal.chi1("tanh", sw, sb)
        assert chi < 1
        assert signal.depth_scale("tanh", sw, sb) == pytest.approx(-1 / math.log(chi))
    near = [signal.depth_scale("tanh", critical * f, sb) for f in (0.9, 0.99, 1.01, 1.1)]
    assert near[1] > 5 * near[0] and near[2] > 5 * near[3]   # xi peaks on both sides
    assert signal.depth_scale("tanh", 1.0, 0.0) == math.inf
    # tanh without bias, chaotic: the correlation map is odd, c* = 0, chi_c = sw E[tanh']^2
    assert signal.fixed_correlation("tanh", 4.0, 0.0) == pytest.approx(0.0, abs=1e-6)
    grid = signal.depth_scale_grid("tanh", [0.5, 1.0, 4.0], [0.0, 0.05])
    assert grid.shape == (2, 3)
    assert grid[1, 1] == pytest.approx(signal.depth_scale("tanh", 1.0, 0.05))


def test_signal_through_depth_is_geometric_for_linear_and_flat_for_he_relu():
    q = signal.preactivation_variances("linear", 1.5 ** 2, 0.0, 30)
    np.testing.assert_allclose(np.sqrt(q), 1.5 ** np.arange(1, 31), rtol=1e-12)
    q = signal.preactivation_variances("linear", 0.5 ** 2, 0.0, 30)
    np.testing.assert_allclose(np.sqrt(q), 0.5 ** np.arange(1, 31), rtol=1e-12)
    q = signal.preactivation_variances("relu", 2.0, 0.0, 30)
    np.testing.assert_allclose(q, 2.0, rtol=1e-12)  # q_1 = 2 E[x^2], then flat
    assert signal.activation_std("linear", 4.0) == pytest.approx(2.0)
    assert signal.activation_std("relu", 1.0) == pytest.approx(math.sqrt(0.5 - 1 / (2 * math.pi)),
                                                              rel=1e-3)


def test_invalid_inputs_name_the_valid_choices():
    with pytest.raises(ValueError, match="Valid choices: .*tanh"):
        signal.fixed_point("tahn", 1.0, 0.0)
    with pytest.raises(ValueError, match="weight_variance must be a finite number >= 0"):
        signal.chi1("tanh", -1.0, 0.0)
    with pytest.raises(ValueError, match="bias_variance"):
        signal.depth_scale("tanh", 1.0, float("nan"))
    with pytest.raises(ValueError, match="c must be from -1"):
        signal.correlation_map("tanh", 1.0, 0.0, 1.5)
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        signal.preactivation_variances("tanh", 1.0, 0.0, 0)
    with pytest.raises(ValueError, match="Generator"):
        signal.redraw_gaussian(Network([2, 4, 1]), 1.0, 0.0, 0)


# ---------------------------------------------------------------------------------------------
# the Jacobian


def _hidden_map(net, h1):
    """h_last as a function of h_first (float64)."""
    h = h1
    for W, b in zip(net.weights[1:-1], net.biases[1:-1]):
        h = net.activation.forward(h @ W.astype(np.float64) + b)
    return h


@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu", "sigmoid"])
def test_jacobian_singular_values_match_finite_differences(activation):
    net = Network([3, 7, 7, 7, 7, 1], activation=activation, initializer="he_normal",
                  bias_initializer="zeros", seed=2, dtype=np.float64)
    X = np.random.default_rng(0).standard_normal((4, 3))
    got = signal.jacobian_singular_values(net, X)
    assert got.shape == (4, 7)
    eps = 1e-6
    for row in range(4):
        h1 = net.activation.forward(X[row] @ net.weights[0] + net.biases[0])
        J = np.empty((7, 7))
        for i in range(7):
            e = np.zeros(7)
            e[i] = eps
            J[i] = (_hidden_map(net, h1 + e) - _hidden_map(net, h1 - e)) / (2 * eps)
        np.testing.assert_allclose(got[row], np.linalg.svd(J, compute_uv=False), atol=1e-6)


def test_orthogonal_linear_stack_is_exactly_isometric():
    net = Network([2] + [64] * 12 + [1], activation="linear", initializer="orthogonal",
                  seed=0, dtype=np.float64)
    s = signal.jacobian_singular_values(net, np.random.default_rng(1).standard_normal((3, 2)))
    np.testing.assert_allclose(s, 1.0, atol=1e-6)  # the kernels are drawn in float32
    net32 = Network([2] + [64] * 12 + [1], activation="linear", initializer="orthogonal", seed=0)
    np.testing.assert_allclose(signal.jacobian_singular_values(net32, np.ones((1, 2))), 1.0,
                               atol=1e-4)


def test_gaussian_kernels_spread_the_spectrum_with_depth_orthogonal_ones_do_not():
    X = np.random.default_rng(1).standard_normal((2, 2))

    def spread(initializer, depth):
        net = Network([2] + [128] * depth + [1], activation="linear", initializer=initializer,
                      seed=0, dtype=np.float64)
        if initializer == "lecun_normal":  # exact Gaussians N(0, 1/fan_in)
            signal.redraw_gaussian(net, 1.0, 0.0, np.random.default_rng(0))
        return float(np.std(np.log(signal.jacobian_singular_values(net, X))))

    spreads = [spread("lecun_normal", d) for d in (3, 9, 27)]
    assert spreads[0] < spreads[1] < spreads[2]
    assert spreads[2] > 2 * spreads[0]
    assert spread("orthogonal", 27) < 1e-5  # float32-drawn kernels


@pytest.mark.parametrize("depth", [2, 5, 20])
def test_relu_is_never_an_isometry(depth):
    # orthogonal kernels at He's gain: every ReLU layer zeroes about half of the directions
    net = Network([2] + [64] * depth + [1], activation="relu", initializer="orthogonal",
                  scale=math.sqrt(2), seed=1, dtype=np.float64)
    s = signal.jacobian_singular_values(net, np.random.default_rng(2).standard_normal((4, 2)))
    near_one = np.mean((s > 0.5) & (s < 2.0))
    assert near_one < 0.6
    assert s.min() < 1e-6


def test_jacobian_validates_the_network():
    X = np.zeros((2, 2))
    with pytest.raises(ValueError, match="at least 2 hidden layers"):
        signal.jacobian_singular_values(Network([2, 8, 1]), X)
    with pytest.raises(ValueError, match="same width"):
        signal.jacobian_singular_values(Network([2, 8, 9, 1]), X)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        signal.jacobian_singular_values(Network([2, 8, 8, 1]), np.zeros((2, 3)))


# ---------------------------------------------------------------------------------------------
# trainability (Schoenholz et al. fig. 5 on the toy data; numbers from
# benchmarks/signal_trainability.py)


def _final_loss(weight_variance, depth=20, epochs=300):
    trainer = Trainer(Config(depth=depth, width=32, activation="tanh", optimizer="sgd",
                             learning_rate=0.1))
    signal.redraw_gaussian(trainer.network, weight_variance, 0.05, np.random.default_rng([0, 17]))
    return float(trainer.run(epochs).history.last("loss"))


def test_deep_tanh_trains_at_the_edge_of_chaos_but_not_well_past_six_xi():
    depth, sb = 20, 0.05
    ordered = 0.5
    assert depth > 2.5 * 6 * signal.depth_scale("tanh", ordered, sb)   # 6 xi = 7.1
    critical = signal.critical_weight_variance("tanh", sb)             # 1.761
    assert _final_loss(critical) < 0.2          # trains (beyond any linear boundary)
    assert _final_loss(ordered) > 0.65          # stays at ln 2 = 0.693: a constant guess
