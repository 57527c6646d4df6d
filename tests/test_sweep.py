"""Depth x scale sweep (core and view): grid results, slicing, timings, colours and clicks."""
from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from initviz.core import sweep
from initviz.core.training import Config, Trainer
from initviz.plots.sweep_view import (
    DIVERGED_COLOR,
    LOSS_RANGE,
    RATIO_LIMIT,
    SweepView,
    cell_label,
    diverged_value,
)

SMALL = dict(depths=(2, 6), scales=(0.1, 1.0, 30.0), epochs=40)


@pytest.fixture(scope="module")
def small_result() -> sweep.SweepResult:
    return sweep.run_grid(Config(activation="relu", initializer="he_normal"), **SMALL)


def test_grid_cells_match_single_runs(small_result):
    result = small_result
    assert result.complete and result.shape == (2, 3) and len(result.cells) == 6
    config = result.config_at(1, 1)
    assert (config.depth, config.scale, config.activation) == (6, 1.0, "relu")
    trainer = Trainer(config).run(40)
    net = trainer.network
    expected = float(net.loss.value(net.forward(trainer.train.X), trainer.train.y))
    assert result.final_loss[1, 1] == pytest.approx(expected, rel=1e-5)
    cell = result.cell(1, 1)
    assert cell.epochs == 40 and not cell.diverged and cell.seconds > 0
    assert cell.final_loss < cell.initial_loss


def test_scales_show_vanishing_and_divergence(small_result):
    result = small_result
    assert result.diverged[1, 2]  # He x 30 at depth 6 overflows
    assert math.isnan(result.final_loss[1, 2])
    assert result.cell(1, 2).diverged_epoch is not None
    assert not result.diverged[:, :2].any()
    # scale 0.1 stays near chance (ln 2) while scale 1 learns
    assert result.final_loss[1, 0] > 0.68 and result.final_loss[1, 1] < 0.6
    assert result.best() in {(0, 1), (1, 1)}
    assert f"6 of 6 runs of 40 epochs, {int(result.diverged.sum())} diverged" in result.summary()


def test_gradient_ratio_at_init_is_the_initializers_signature():
    config = Config(activation="tanh", initializer="glorot_uniform")
    result = sweep.run_grid(config, depths=(10,), scales=(1.0, 10.0), epochs=1)
    # scale 10 saturates tanh: the last layer's gradient is small next to the first layer's
    assert result.log_grad_ratio[0, 1] > 1.0
    assert abs(result.log_grad_ratio[0, 0]) < 1.0
    zeros = sweep.run_cell(Config(initializer="zeros"), epochs=1)
    assert zeros.log_grad_ratio == -math.inf  # first-layer gradient exactly 0


def test_iterator_yields_cells_in_order_and_sweep_slices_are_bounded():
    config = Config()
    cells = list(sweep.iter_grid(config, depths=(2, 3), scales=(0.5, 1.0), epochs=5))
    assert [(c.depth_index, c.scale_index) for c in cells] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [(c.depth, c.scale) for c in cells] == [(2, 0.5), (2, 1.0), (3, 0.5), (3, 1.0)]
    grid = sweep.Sweep(config, depths=(30,), scales=(1.0,), epochs=100)
    slices = 0
    while not grid.done:
        grid.advance(0.02)
        slices += 1
    assert slices > 2  # one depth-30 cell is trained over several slices, never in one block and grid.result.complete and grid.progress == grid.total == 1


def test_index_of_and_base_config():
    config = Config(initializer="he_normal", activation="relu")
    result = sweep.SweepResult(config, (2, 5), (0.1, 1.0), 10)
    assert result.index_of(config.replace(depth=5, scale=0.1)) == (1, 0)
    assert result.index_of(config.replace(depth=4)) is None
    assert result.index_of(config.replace(scale=0.2)) is None
    assert result.index_of(config.replace(depth=2, scale=1.0, seed=3)) is None  # other setting
    assert result.best() is None and result.summary() == "nothing run yet"


def test_bad_grids_raise():
    with pytest.raises(ValueError, match="at least one"):
        sweep.Sweep(Config(), depths=(), scales=(1.0,))
    with pytest.raises(ValueError, match="epochs"):
        sweep.Sweep(Config(), epochs=0)
    with pytest.raises(ValueError, match="depth"):
        sweep.Sweep(Config(), depths=(0,))
    with pytest.raises(ValueError, match="scale"):
        sweep.Sweep(Config(), scales=(-1.0,))


def test_default_grid_is_complete():
    """The 5 x 5 default grid (its time, ~3.4 s at 200 epochs, is a benchmark figure)."""
    result = sweep.run_grid(Config(), epochs=3)
    assert result.complete and result.shape == (5, 5) and result.epochs == 3


def test_he_trains_where_glorot_stalls_at_depth_30():
    """He et al. (2015), fig. 3 in miniature: 30 ReLU layers, scale 1."""
    glorot = sweep.run_cell(Config(activation="relu", initializer="glorot_uniform", depth=30), 200)
    he = sweep.run_cell(Config(activation="relu", initializer="he_normal", depth=30), 200)
    assert glorot.final_loss > 0.68  # ln 2: has not learned
    assert he.final_loss < 0.5


# -- the view -------------------------------------------------------------------------------------
def make_view(result, mode="loss") -> SweepView:
    figure = Figure(figsize=(6, 3.6), dpi=72)
    FigureCanvasAgg(figure)
    return SweepView(figure, result.depths, result.scales, mode)


def test_view_colours_cells_and_marks_divergence(small_result):
    view = make_view(small_result)
    view.update(small_result)
    shown = np.ma.filled(view.image.get_array().astype(float), np.nan)
    expected = np.clip(small_result.final_loss, *LOSS_RANGE)
    expected[small_result.diverged] = diverged_value("loss")
    np.testing.assert_allclose(shown, expected)
    assert view.texts[1][2].get_text() == "×"
    assert view.texts[1][1].get_text() == f"{small_result.final_loss[1, 1]:.2f}"
    assert view.update(small_result, "gradient") is True  # new colouring: full redraw
    shown = np.ma.filled(view.image.get_array().astype(float), np.nan)
    ratio = np.clip(small_result.log_grad_ratio, -RATIO_LIMIT, RATIO_LIMIT)
    ratio[small_result.diverged] = diverged_value("gradient")
    np.testing.assert_allclose(shown, ratio)
    assert view.texts[0][0].get_text() == cell_label(small_result, 0, 0, "gradient")
    view.blitter.push(full=True)
    view.blitter.push()
    assert view.blitter.blits == 1


def test_view_cells_not_run_are_blank():
    result = sweep.SweepResult(Config(), (2, 5), (0.1, 1.0), 10)
    view = make_view(result)
    view.update(result)
    assert np.all(np.ma.getmaskarray(view.image.get_array()) | np.isnan(np.ma.filled(view.image.get_array(), np.nan)))
    assert all(t.get_text() == "" for row in view.texts for t in row)


def test_view_maps_pixels_to_cells(small_result):
    view = make_view(small_result)
    view.figure.canvas.draw()
    for i in range(2):
        for j in range(3):
            x, y = view.pixel_of(i, j)
            xdata, ydata = view.ax.transData.inverted().transform((x, y))
            assert view.cell_at(xdata, ydata) == (i, j)
    assert view.cell_at(5.0, 0.0) is None and view.cell_at(None, None) is None
    view.select(1, 2)
    assert view.outline.get_visible() and view.outline.get_xy() == (1.5, 0.5)
    view.select(None)
    assert not view.outline.get_visible()


def cell_colours(view: SweepView) -> np.ndarray:
    """The RGBA each cell is painted with: the image's colour map applied to its array."""
    return view.image.cmap(view.image.norm(view.image.get_array()))


@pytest.mark.parametrize("mode", ["loss", "gradient"])
def test_every_finished_cell_has_a_colour_diverged_their_own_and_not_run_none(mode):
    """The issue: finished cells with losses 0.09-0.23 looked like blank grey 'not run' cells."""
    result = sweep.run_grid(Config(activation="relu", initializer="he_normal"), depths=(2, 5),
                            scales=(0.3, 1.0, 30.0), epochs=100)
    result.done[1, 0] = False  # one cell not run yet
    view = make_view(result, mode)
    view.update(result)
    rgba = cell_colours(view)
    finished = result.done & ~result.diverged
    assert finished.sum() >= 3 and result.diverged.any()
    background = np.array(to_rgba("white")[:3])
    for i, j in zip(*np.nonzero(finished)):
        assert rgba[i, j, 3] == 1.0  # opaque: it hides the hatching of 'not run'
        if mode == "loss":  # the loss map has no colour near white or grey
            r, g, b = rgba[i, j, :3]
            assert max(r, g, b) - min(r, g, b) > 0.15, (i, j, rgba[i, j])
            assert np.abs(rgba[i, j, :3] - background).max() > 0.15
    for i, j in zip(*np.nonzero(result.diverged)):
        np.testing.assert_allclose(rgba[i, j], to_rgba(DIVERGED_COLOR[mode]))
        assert view.texts[i][j].get_text() == "×"
    assert rgba[1, 0, 3] == 0.0 and view.texts[1][0].get_text() == ""  # transparent: hatched
    assert view.ax.patch.get_hatch() == "///"
    labels = [t.get_text() for t in view.legend.get_texts()]
    assert labels == ["× diverged", "not run yet"]
    handles = view.legend.legend_handles
    np.testing.assert_allclose(handles[0].get_facecolor(), to_rgba(DIVERGED_COLOR[mode]))
    assert handles[1].get_hatch() == "///"


def test_loss_map_colours_differ_across_the_range_and_clip_at_the_ends():
    result = sweep.SweepResult(Config(), (2,), (0.1, 1.0, 3.0, 10.0), 10)
    for j, loss in enumerate((0.001, 0.09, 0.23, 5.0)):  # below, inside, inside, above the bar
        result.done[0, j] = True
        result.final_loss[0, j] = loss
    view = make_view(result)
    view.update(result)
    rgba = cell_colours(view)[0]
    np.testing.assert_allclose(rgba[0], view.image.cmap(0.0))  # clipped to the low end
    np.testing.assert_allclose(rgba[3], view.image.cmap(1.0 - 1e-9), atol=1e-6)  # the high end
    assert np.abs(rgba[1] - rgba[2]).max() > 0.1  # 0.09 and 0.23 are told apart
    assert [view.texts[0][j].get_text() for j in range(4)] == ["1e-03", "0.09", "0.23", "5.00"]
