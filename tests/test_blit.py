"""Blitted frames: animated texts drawn from sprites look like texts drawn directly."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from initviz.plots.blit import SPRITE_STEPS, Blitter


def scene(direct: bool):
    """A bar panel with two animated texts (one rotated, one multi-line) and a line, blitted."""
    figure = Figure(figsize=(4, 3), dpi=72)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.barh([0, 1, 2], [0.4, 0.7, 0.2], color="0.8")
    ax.set_xlim(0, 1)
    blitter = Blitter(figure)
    label = blitter.animate(ax.text(0.3, 0.6, "", fontsize=8, ha="right", va="center",
                                    color="#c0392b"))
    note = blitter.animate(ax.text(0.05, 0.95, "", transform=ax.transAxes, va="top",
                                   rotation=10, fontsize=7))
    (line,) = ax.plot([0, 1], [0, 2])
    blitter.animate(line)
    if direct:  # the reference: every text laid out and rasterized again
        blitter.sprites.enabled = False
    return figure, blitter, label, note, line


def frame_pixels(direct: bool, steps: list[tuple[float, str, str]]) -> list[np.ndarray]:
    figure, blitter, label, note, line = scene(direct)
    out = []
    for x, text, caption in steps:
        label.set_position((x, 0.6))
        label.set_text(text)
        note.set_text(caption)
        line.set_ydata([0, x * 2])
        blitter.push()
        out.append(np.asarray(figure.canvas.get_renderer().buffer_rgba()).astype(int))
    return out


def test_a_text_at_the_same_place_is_drawn_as_directly_and_rendered_once():
    """Pixel for pixel (to 1/255 where two texts' antialiased edges overlap: compositing an
    image rounds differently from blending glyphs)."""
    steps = [(0.3, "42%", "epoch 1\nloss 0.6"), (0.3, "42%", "epoch 1\nloss 0.6"),
             (0.3, "7%", "epoch 2\nloss 0.5"), (0.3, "42%", "epoch 1\nloss 0.6")]
    for sprite, direct in zip(frame_pixels(False, steps), frame_pixels(True, steps)):
        assert np.abs(sprite - direct).max() <= 1
    figure, blitter, label, note, line = scene(direct=False)
    label.set_text("42%")
    blitter.push()
    for _ in range(5):
        blitter.push()
    assert blitter.sprites.rendered == 1  # the empty note draws nothing and needs no sprite


@pytest.mark.parametrize("x", np.linspace(0.1, 0.9, 7))
def test_a_moved_text_is_within_a_fraction_of_a_pixel(x):
    """Off the sub-pixel step the sprite was made at, at most 1/(2 SPRITE_STEPS) px away:
    the same ink, and no pixel far off."""
    steps = [(0.3, "42%", "a"), (x, "42%", "a")]
    sprite, direct = frame_pixels(False, steps)[-1], frame_pixels(True, steps)[-1]
    ink_sprite = (255 - sprite[..., :3]).sum()
    ink_direct = (255 - direct[..., :3]).sum()
    assert ink_sprite == pytest.approx(ink_direct, rel=0.03)
    assert np.abs(sprite - direct).max() <= 255 * 2 / SPRITE_STEPS
