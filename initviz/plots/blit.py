"""Blitting: the one mechanism every initviz figure uses to push a frame.

The changing artists are marked animated, so a full draw renders everything else; that picture
is cached as the background and the animated artists are drawn on top. A frame then restores the
background, draws the animated artists and pushes the pixels (``canvas.blit``). ipympl's canvas
reports ``supports_blit = False`` but these calls work on it, and ipympl then sends only the
changed pixels. A full redraw (~150 ms for the six-panel dashboard here) happens only when asked
for; ``push(redraw=...)`` redraws single panels over the background instead (~20 ms each).
"""
from __future__ import annotations

from collections.abc import Sequence

from matplotlib.artist import Artist
from matplotlib.figure import Figure


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
        for artist in self.artists:
            if artist.figure is self.figure:
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
