"""Blitting: the one mechanism every initviz figure uses to push a frame.

The changing artists are marked animated, so a full draw renders everything else; that picture
is cached as the background and the animated artists are drawn on top. A frame then restores the
background, draws the animated artists and pushes the pixels (``canvas.blit``). ipympl's canvas
reports ``supports_blit = False`` but these calls work on it, and ipympl then sends only the
changed pixels. A full redraw (~150 ms for the six-panel dashboard here) happens only when asked
for; ``push(redraw=...)`` redraws single panels over the background instead (~20 ms each).
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

SPRITE_STEPS = 4  # sub-pixel positions per pixel a text sprite is rendered for
SPRITE_LIMIT = 512  # sprites kept per figure (each a few hundred bytes)


class TextSprites:
    """The pixels of animated texts, rendered once per string, look and sub-pixel position.

    A blitted frame restores the background and must draw every animated artist again; a text
    then costs its layout and a glyph rasterization (~0.6 ms: the dashboard's per-layer
    percentages were a fifth of a frame). Drawn from a sprite it costs ~0.02 ms, and the pixels
    are those of the text drawn directly (exactly, when its position falls on the same
    1/``SPRITE_STEPS`` of a pixel; otherwise shifted by under 1/8 px).
    """

    def __init__(self) -> None:
        self._sprites: OrderedDict = OrderedDict()
        self._scratch: RendererAgg | None = None
        self.rendered = 0  # sprites made (cache misses)
        self.enabled = True  # False: every text laid out and rasterized again (for comparisons)

    def draw(self, text: Text, renderer) -> None:
        if not text.get_visible() or not text.get_text():
            return
        if not self.enabled or not _plain(text) or not isinstance(renderer, RendererAgg):
            text.draw(renderer)
            return
        x, y = text.get_transform().transform(text.get_unitless_position())
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        ix, iy = math.floor(x), math.floor(y)
        key = (text.get_text(), text.get_fontproperties(), str(text.get_color()),
               text.get_rotation(), text.get_horizontalalignment(),
               text.get_verticalalignment(), text.get_alpha(), text.get_linespacing(),
               renderer.dpi, round((x - ix) * SPRITE_STEPS), round((y - iy) * SPRITE_STEPS))
        sprite = self._sprites.get(key)
        if sprite is None:
            sprite = self._render(text, renderer, ix, iy)
            self._sprites[key] = sprite
            if len(self._sprites) > SPRITE_LIMIT:
                self._sprites.popitem(last=False)
        else:
            self._sprites.move_to_end(key)
        image, dx, dy = sprite
        if image is not None:
            gc = renderer.new_gc()
            renderer.draw_image(gc, ix + dx, iy + dy, image)
            gc.restore()

    def _render(self, text: Text, renderer: RendererAgg, ix: int, iy: int):
        """(image with its bottom row first, offset of its lower-left corner from the anchor
        pixel): the text drawn alone on a transparent canvas of the figure's size."""
        width, height = int(renderer.width), int(renderer.height)
        scratch = self._scratch
        if scratch is None or (scratch.width, scratch.height, scratch.dpi) != (
                width, height, renderer.dpi):
            scratch = self._scratch = RendererAgg(width, height, renderer.dpi)
        scratch.clear()
        text.draw(scratch)
        self.rendered += 1
        box = text.get_window_extent(scratch)
        top = max(0, math.floor(height - box.y1) - 2)
        bottom = min(height, math.ceil(height - box.y0) + 2)
        left = max(0, math.floor(box.x0) - 2)
        right = min(width, math.ceil(box.x1) + 2)
        pixels = np.asarray(scratch.buffer_rgba())[top:bottom, left:right]
        rows = np.flatnonzero(pixels[..., 3].any(axis=1))
        cols = np.flatnonzero(pixels[..., 3].any(axis=0))
        if not rows.size:
            return None, 0, 0
        crop = pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        x0, y0 = left + cols[0], height - (top + rows[-1] + 1)  # lower-left, y up
        return np.ascontiguousarray(crop[::-1]), x0 - ix, y0 - iy


def _plain(text: Text) -> bool:
    """A text a sprite can stand for: a plain Text, not clipped, without box or effects."""
    return (type(text) is Text and text.get_bbox_patch() is None and not text.get_usetex()
            and not text.get_path_effects() and not text.get_wrap()
            and (not text.get_clip_on()
                 or (text.get_clip_box() is None and text.get_clip_path() is None)))


class Blitter:
    """Pushes the animated ``artists`` of ``figure`` by blitting; ``push(full=True)`` redraws all.

    Works with any canvas that has ``copy_from_bbox`` (Agg, ipympl); on one without, pushing
    does nothing.
    """

    def __init__(self, figure: Figure) -> None:
        self.figure = figure
        self.artists: list[Artist] = []
        self._background = None
        self._cid = figure.canvas.mpl_connect("draw_event", self._on_draw)
        self.full_draws = 0
        self.blits = 0
        self.sprites = TextSprites()

    def animate(self, *artists: Artist):
        """Mark artists as changing every frame; returns them (one artist alone if one)."""
        for artist in artists:
            artist.set_animated(True)
            self.artists.append(artist)
        return artists[0] if len(artists) == 1 else artists

    def clear(self) -> None:
        """Forget the artists and the background (the figure is being rebuilt)."""
        self.artists = []
        self._background = None

    def push(self, full: bool = False, redraw: Sequence[tuple[Artist, Artist]] = ()) -> str:
        """Push a frame: 'full' redraw, 'panels' (``redraw`` = (wiper, axes) pairs drawn again
        over the background first) or a plain 'blit'."""
        canvas = self.figure.canvas
        if not hasattr(canvas, "copy_from_bbox"):
            return "none"
        if full or self._background is None:
            self.full_draws += 1
            canvas.draw()  # _on_draw caches the background and draws the animated artists
            return "full"
        self.blits += 1
        canvas.restore_region(self._background)
        for wiper, axes in redraw:
            self.figure.draw_artist(wiper)
            self.figure.draw_artist(axes)  # its static parts only: the data are animated
        if redraw:
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._draw_animated()
        canvas.blit(self.figure.bbox)
        return "panels" if redraw else "blit"

    def _on_draw(self, event) -> None:
        canvas = self.figure.canvas
        if hasattr(canvas, "copy_from_bbox"):
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._draw_animated()

    def _draw_animated(self) -> None:
        renderer = getattr(self.figure.canvas, "get_renderer", lambda: None)()
        for artist in self.artists:
            if artist.figure is not self.figure:
                continue
            if isinstance(artist, Text) and renderer is not None:
                self.sprites.draw(artist, renderer)
            else:
                self.figure.draw_artist(artist)

    def savefig(self, path, **kwargs) -> None:
        """Save a static picture with the animated artists; the next push is a full redraw."""
        canvas = self.figure.canvas
        canvas.mpl_disconnect(self._cid)  # this draw must not become the cached background
        for artist in self.artists:
            artist.set_animated(False)
        try:
            self.figure.savefig(path, **kwargs)
        finally:
            for artist in self.artists:
                artist.set_animated(True)
            self._cid = canvas.mpl_connect("draw_event", self._on_draw)
            self._background = None
