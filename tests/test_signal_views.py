"""Signal views: inputs moved in code, artists' data checked (Agg, no widgets)."""
import math

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from initviz.core import signal, theory
from initviz.core.network import Network
from initviz.core.training import Config, Trainer
from initviz.plots.blit import Blitter
from initviz.plots.signal_views import (
    SPECTRUM_BINS,
    JacobianSpectrumView,
    OrderChaosView,
    SignalDepthView,
    spectrum_histogram,
)


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def axes():
    figure = Figure(figsize=(5, 3.5), dpi=50)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _depth_run(initializer, scale, activation="linear", depth=30):
    config = Config(depth=depth, width=128, activation=activation, initializer=initializer,
                    scale=scale)
    return theory.predict(config).activation_std, theory.measure(Trainer(config)).activation_std


def test_signal_depth_view_draws_straight_lines_for_identity_x_1_5_and_x_0_5_and_flat_he():
    figure, ax = axes()
    view = SignalDepthView(ax, depth=30)
    Blitter(figure).animate(*view.artists)
    slopes = {}
    for name, (init, scale, act) in {"up": ("identity", 1.5, "linear"),
                                     "down": ("identity", 0.5, "linear"),
                                     "he": ("he_normal", 1.0, "relu")}.items():
        predicted, measured = _depth_run(init, scale, act)
        changed = view.update(measured, predicted)
        x, y = view.predicted.get_data()
        np.testing.assert_array_equal(x, np.arange(1, 31))
        np.testing.assert_allclose(view.measured.get_ydata(), measured)
        slopes[name] = np.polyfit(x, np.log10(y), 1)[0]
        residual = np.log10(y) - np.polyval(np.polyfit(x, np.log10(y), 1), x)
        assert np.max(np.abs(residual)) < 0.02      # a straight line on the log axis
        lo, hi = ax.get_ylim()
        assert lo <= np.nanmin(measured) and hi >= np.nanmax(measured)
        assert isinstance(changed, bool)
    assert slopes["up"] == pytest.approx(math.log10(1.5), rel=1e-3)     # 1.5^30 over 30 layers
    assert slopes["down"] == pytest.approx(math.log10(0.5), rel=1e-3)
    assert abs(slopes["he"]) < 0.003                                    # flat
    view.update(*reversed(_depth_run("identity", 1.5)))
    assert "x1.5 per layer" in view.caption.get_text()


def test_signal_depth_view_rescales_only_when_needed_and_handles_a_new_depth():
    figure, ax = axes()
    view = SignalDepthView(ax, depth=6)
    ones = np.ones(6)
    view.update(ones, ones)
    assert view.update(ones * 1.1, ones) is False          # same decades: blit only
    assert view.update(ones * 1e4, ones) is True           # the data left the view
    assert view.update(np.ones(12), np.ones(12)) is True   # a new depth
    assert ax.get_xlim() == (0.5, 12.5)
    measured = np.ones(12)
    measured[3:] = 0.0                                      # zero kernels after layer 3
    view.update(measured, np.ones(12))
    assert np.isnan(view.measured.get_ydata()[3:]).all()
    assert "9 layers 0 or overflowed" in view.caption.get_text()
    with pytest.raises(ValueError, match="one length"):
        view.update(np.ones(3), np.ones(4))


def _spectrum(activation, initializer, depth, scale=1.0, width=64, gaussian=False):
    net = Network([2] + [width] * depth + [1], activation=activation, initializer=initializer,
                  scale=scale, seed=0)
    if gaussian:
        signal.redraw_gaussian(net, scale ** 2, 0.0, np.random.default_rng(0))
    X = np.random.default_rng(1).standard_normal((4, 2))
    return signal.jacobian_singular_values(net, X)


def test_jacobian_spectrum_view_shows_a_spike_at_one_for_orthogonal_linear():
    figure, ax = axes()
    view = JacobianSpectrumView(ax)
    Blitter(figure).animate(*view.artists)
    view.update(_spectrum("linear", "orthogonal", 20))
    y = view.outline.get_ydata()
    one = np.searchsorted(SPECTRUM_BINS, 0.0, side="right") - 1   # the bin holding log10 1
    assert view.fractions.sum() == pytest.approx(1.0)
    assert view.fractions[one] + view.fractions[one - 1] == pytest.approx(1.0)
    np.testing.assert_allclose(y, np.repeat(view.fractions, 2))
    assert "100% within 10% of 1" in view.caption.get_text()
    figure.canvas.draw()


def test_jacobian_spectrum_spreads_with_depth_and_relu_piles_up_near_zero():
    figure, ax = axes()
    view = JacobianSpectrumView(ax)

    def occupied(values):
        view.update(values)
        return np.count_nonzero(view.fractions)

    shallow, deep = (_spectrum("linear", "lecun_normal", d, gaussian=True) for d in (3, 24))
    assert occupied(deep) > occupied(shallow) + 5
    view.update(deep)
    assert view.update(deep) is False  # the same data again: no rescale
    assert ax.get_xlim()[0] <= max(math.floor(np.log10(deep.min())), SPECTRUM_BINS[0])
    assert ax.get_xlim()[1] >= np.log10(deep.max())
    relu = _spectrum("relu", "orthogonal", 10, scale=math.sqrt(2))
    view.update(relu)
    within = float(view.caption.get_text().split("%")[0])
    assert within < 60  # never an isometry
    fractions, below = spectrum_histogram([0.0, 1.0])
    assert below == 1 and fractions[0] == 0.5


def test_order_chaos_view_moves_the_point_and_redraws_the_line_for_a_new_activation():
    figure, ax = axes()
    view = OrderChaosView(ax, "tanh", bias_max=0.5)
    Blitter(figure).animate(*view.artists)
    sw, sb = view.critical.get_data()
    np.testing.assert_allclose(sb, np.linspace(0, 0.5, view.CURVE_POINTS))
    assert sw[0] == pytest.approx(1.0, abs=1e-6)                        # tanh, no bias
    assert sw[10] == pytest.approx(signal.critical_weight_variance("tanh", sb[10]), rel=1e-9)
    assert view.update("tanh", 1.0, 0.05, depth=20) is False            # only the point moved
    assert view.point.get_data() == ([1.0], [0.05])
    assert "ordered" in view.caption.get_text()
    view.update("tanh", 4.0, 0.05, depth=20)
    assert "chaotic" in view.caption.get_text()
    assert f"6ξ = {6 * signal.depth_scale('tanh', 4.0, 0.05):.3g}" in view.caption.get_text()
    assert view.update("relu", 2.0, 0.1) is True                        # a new activation
    np.testing.assert_allclose(view.critical.get_xdata(), 2.0)          # He's line, any bias
    assert view.labels[1].get_text() == "signal explodes"
    assert view.update("relu", 30.0, 0.1) is True                       # the point left the view
    assert ax.get_xlim()[1] >= 30
    figure.canvas.draw()


def test_order_chaos_view_draws_the_six_xi_contour_at_the_network_depth():
    figure, ax = axes()
    view = OrderChaosView(ax, "relu", bias_max=0.5, contours=True, grid=12)
    assert view.update("relu", 1.0, 0.1, depth=10) is True
    assert view.contour_set is not None
    # relu in the ordered phase: 6 xi = -6 / ln(sw / 2) = depth  at  sw = 2 exp(-6 / depth)
    vertices = np.concatenate([p.vertices for p in view.contour_set.get_paths() if len(p.vertices)])
    inside = vertices[:, 1] > 0.05
    np.testing.assert_allclose(vertices[inside, 0], 2 * math.exp(-6 / 10), rtol=0.02)
    assert view.update("relu", 1.2, 0.1, depth=10) is False             # same depth: no redraw
    view.update("relu", 1.2, 0.1, depth=40)
    vertices = np.concatenate([p.vertices for p in view.contour_set.get_paths() if len(p.vertices)])
    assert np.median(vertices[:, 0]) == pytest.approx(2 * math.exp(-6 / 40), rel=0.03)
    view.show_runs([1.0, 1.5], [0.1, 0.1], [False, True])
    np.testing.assert_allclose(view.runs.get_offsets(), [[1.0, 0.1], [1.5, 0.1]])
    figure.canvas.draw()
