"""layer_figure: the signal and the gradients by layer as one static picture, read from a
Trainer's history; handout.show keeps it as a PNG in an executed notebook."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from initviz.app.handout import png_bytes, show
from initviz.core import presets
from initviz.core.training import Trainer
from initviz.plots.static import layer_figure


def test_layer_figure_draws_each_runs_activation_std_and_gradient_norm_by_layer():
    small = Trainer(presets.config("too_small")).run(3)
    large = Trainer(presets.config("too_large")).run(5)  # diverges at epoch 2
    figure = layer_figure({"small": small, "large": large})
    assert isinstance(figure, Figure)
    signal, gradient = figure.axes
    assert signal.get_yscale() == gradient.get_yscale() == "log"
    assert [line.get_label() for line in signal.lines] == ["small", "large"]
    assert [line.get_label() for line in gradient.lines] == ["small", "large"]
    for line, trainer in zip(signal.lines, (small, large)):
        np.testing.assert_allclose(line.get_ydata(), trainer.history.activation_std[0])
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))  # 6 hidden layers
    for line, trainer in zip(gradient.lines, (small, large)):
        np.testing.assert_allclose(line.get_ydata(), trainer.history.grad_norm[0])
        assert len(line.get_xdata()) == 7  # 6 hidden kernels and the output layer's
    # what the picture shows: too small falls layer after layer, too large rises
    assert np.all(np.diff(np.log(signal.lines[0].get_ydata())) < 0)
    assert np.all(np.diff(np.log(signal.lines[1].get_ydata())) > 0)


def test_layer_figure_of_one_trainer_labels_it_by_initializer_and_reads_the_row_asked_for():
    trainer = Trainer(presets.config("he_relu")).run(4)
    figure = layer_figure(trainer, row=-1, title="He")
    (line,) = figure.axes[0].lines
    assert line.get_label() == "he_normal"
    np.testing.assert_allclose(line.get_ydata(), trainer.history.activation_std[-1])
    assert figure._suptitle.get_text() == "He"


def test_layer_figure_names_the_valid_rows_and_needs_a_run():
    with pytest.raises(ValueError, match="history rows"):
        layer_figure(Trainer(presets.config("he_relu")))  # not trained: no history yet
    with pytest.raises(ValueError, match="at least one"):
        layer_figure({})


def test_show_returns_a_static_png_of_the_figure():
    figure = layer_figure(Trainer(presets.config("too_small")).run(1))
    image = show(figure)
    assert image.format == "png"
    assert image.data.startswith(b"\x89PNG")
    assert image.data == png_bytes(figure)
    with pytest.raises(ValueError, match="matplotlib Figure"):
        show("not a figure")


def test_the_lessons_captions_say_what_the_pictures_show():
    """The lesson's figure captions (cells lesson-figure-5/6/8-text), on the freshly drawn
    networks (history row 0)."""
    exploding = Trainer(presets.config("identity_exploding")).run(1).history
    vanishing = Trainer(presets.config("identity_vanishing")).run(1).history
    # section 6: a straight line on a log axis (a constant ratio per layer), the same gradient
    # norm for every kernel
    for history, gain in ((exploding, 1.5), (vanishing, 0.5)):
        np.testing.assert_allclose(np.diff(np.log(history.activation_std[0])), np.log(gain),
                                   atol=0.05)
        grads = history.grad_norm[0]
        assert grads.max() / grads.min() < 1.1
    assert exploding.grad_norm[0].min() > 1e3 and vanishing.grad_norm[0].max() < 1e-6
    # section 8: Glorot's signal falls at every layer, He's moves by less than 10x; every
    # Glorot kernel's gradient is far below every He kernel's
    glorot = Trainer(presets.config("glorot_relu_deep")).run(1).history
    he = Trainer(presets.config("glorot_relu_deep"), initializer="he_normal").run(1).history
    assert np.all(np.diff(np.log(glorot.activation_std[0])) < 0)
    assert he.activation_std[0].max() / he.activation_std[0].min() < 10
    assert glorot.grad_norm[0].max() * 100 < he.grad_norm[0].min()
