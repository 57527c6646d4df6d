"""An ipympl canvas tuned for live dashboards.

ipympl sends each frame as a PNG of the pixels that changed (the rest zero). Encoding that PNG was
most of a blitted frame's cost in the kernel. Pillow (even at zlib level 1) tries five row filters
per row; a diff frame is mostly zeros, which zlib alone compresses as well, so ``encode_png`` writes
the PNG itself with filter 0 (none) and zlib level 1: a typical 900x475 diff frame took 17.6 ms
with Pillow at level 1 and 2.3 ms this way, and came out smaller (18 KB vs 21 KB).

Lost frames (issue 13): ipympl's front end loads each frame into one ``Image``; a frame that
arrives before the previous one has loaded replaces it, and that frame is lost. With plain diffs a
lost frame leaves its pixels stale for good. Each diff frame here repaints every pixel that changed in the
last ``REPAIR_FRAMES`` frames, so the next frame that loads makes the picture exact again after up
to ``REPAIR_FRAMES - 1`` lost frames in a row. Only frames that follow each other within
``REPAIR_WITHIN`` do: slower frames are rarely lost that way, and on a crowded machine (ten
kernels and their pages on two cores) the bigger repairing frames were lost one after the other
(0.1 updates/s per page instead of 2.7). (An acknowledgement per frame, the front end's echo
of a "draw" event, was tried to pace frames instead: each echo is a shell message with its own
busy/idle status messages, and the page's visible rate fell from 33 to 24 frames/s.)
"""
from __future__ import annotations

import struct
import time
import zlib
from base64 import b64encode
from collections import deque
from functools import lru_cache

import numpy as np
from ipympl.backend_nbagg import Canvas, FigureManager
from matplotlib.figure import Figure

PNG_COMPRESS_LEVEL = 1
REPAIR_FRAMES = 3  # a diff frame repaints what changed in this many frames (see above)
REPAIR_WITHIN = 0.1  # seconds: only a frame this soon after the last one repaints the ones before
DPI = 72  # every figure of the app: sizes in inches are pixels / 72
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(tag: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + tag + payload
            + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF))


def encode_png(rgba: np.ndarray, level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """An 8-bit RGBA PNG of a (height, width, 4) uint8 array: row filter 0, zlib ``level``.

    Rows that are all zero (most of a diff frame) cost nothing to compress: they come from
    cached deflate segments (``_deflate_rows``)."""
    height, width, channels = rgba.shape
    if channels != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected a (height, width, 4) uint8 array, got {rgba.shape} {rgba.dtype}")
    pixels = rgba.reshape(height, 4 * width)
    rows = np.empty((height, 1 + 4 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type 0 (none) for every row
    rows[:, 1:] = pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA
    blank = ~pixels.view(np.uint32).any(axis=1)
    return (_PNG_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", _deflate_rows(rows, blank, level)) + _chunk(b"IEND", b""))


BLANK_RUN = 4  # rows: a shorter run of blank rows is compressed with its neighbours
_ZLIB_HEADER = b"\x78\x01"  # deflate, 32 KB window, no dictionary (the fastest level's header)
_ADLER_MOD = 65521


@lru_cache(maxsize=128)
def _blank_segment(row_bytes: int, count: int, level: int) -> bytes:
    """Raw deflate of ``count`` zero rows, ending byte-aligned and not final (a sync flush), so
    segments can follow each other in one stream."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(bytes(row_bytes * count)) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _deflate_rows(rows: np.ndarray, blank: np.ndarray, level: int) -> bytes:
    """The zlib stream of ``rows`` (C-contiguous uint8, one PNG scanline each), exactly what
    ``zlib.decompress`` reads back. ``blank`` marks rows that are all zero: their runs are made of
    cached segments (power-of-two row counts) and the checksum is advanced arithmetically
    (a zero byte leaves Adler-32's A as it is and adds A to B)."""
    height, row_bytes = rows.shape
    edges = np.flatnonzero(np.diff(blank.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    stops = np.concatenate((edges, [height]))
    pieces, adler, pending = [_ZLIB_HEADER], 1, None  # pending: first row of unwritten content
    for start, stop in zip(starts.tolist(), stops.tolist()):
        if not blank[start] or (stop - start < BLANK_RUN and 0 < start and stop < height):
            pending = start if pending is None else pending
            continue
        if pending is not None:
            adler = _deflate_content(rows[pending:start], pieces, adler, level)
            pending = None
        count, bit = stop - start, 1
        while bit <= count:
            if count & bit:
                pieces.append(_blank_segment(row_bytes, bit, level))
            bit <<= 1
        a, b = adler & 0xFFFF, adler >> 16
        adler = (((b + count * row_bytes * a) % _ADLER_MOD) << 16) | a
    if pending is not None:
        adler = _deflate_content(rows[pending:], pieces, adler, level)
    pieces.append(zlib.compressobj(level, zlib.DEFLATED, -15).flush())  # the final, empty block
    pieces.append(struct.pack(">I", adler))
    return b"".join(pieces)


def _deflate_content(rows: np.ndarray, pieces: list[bytes], adler: int, level: int) -> int:
    data = memoryview(np.ascontiguousarray(rows)).cast("B")
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    pieces.append(compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH))
    return zlib.adler32(data, adler)


class LiveCanvas(Canvas):
    """ipympl's Canvas with a faster diff-PNG encoder (same protocol, same front-end).

    It also fixes ipympl 0.10's first frame: before the front-end is up, ipympl stores the frame
    in ``_data_url`` as bare base64, which the browser cannot load ("HTMLImageElement ... in the
    'broken' state"), so a figure drawn before display stayed blank (0 x 0).
    """

    _frame_at = float("-inf")  # when the last frame was made (time.monotonic)
    deferred = False  # drawing waits until the figure is first shown (``defer_drawing``)
    _stale = False  # a draw was asked for while deferred

    def __init__(self, figure: Figure, *args, **kwargs) -> None:
        super().__init__(figure, *args, **kwargs)
        self._recent: deque[np.ndarray] = deque(maxlen=REPAIR_FRAMES)  # the last frames sent

    def defer_drawing(self) -> None:
        """Draw nothing until ``show()``: a figure in a tab nobody opened yet costs no kernel
        time (the page's first display alone asks for two or three full draws)."""
        self.deferred = True

    def show(self) -> None:
        """Stop deferring; draw in full once if a draw was asked for meanwhile."""
        if self.deferred:
            self.deferred = False
            if self._stale:
                self._stale = False
                self.draw()

    def draw(self) -> None:
        if self.deferred:
            self._stale = True
            return
        super().draw()

    def draw_idle(self, *args, **kwargs) -> None:
        if self.deferred:
            self._stale = True
            return
        super().draw_idle(*args, **kwargs)

    def blit(self, bbox=None) -> None:
        if self.deferred:
            self._stale = True
            return
        super().blit(bbox)

    def send_binary(self, data: bytes) -> None:
        if self.syncing_data_url:
            pixels = self._last_buff.view(dtype=np.uint8).reshape((*self._last_buff.shape, 4))
            self._data_url = "data:image/png;base64," + b64encode(encode_png(pixels)).decode()
        self.send({"data": '{"type": "binary"}'}, buffers=[data])

    def get_diff_image(self):
        """The next frame's PNG: in full, or the pixels that differ from any of the last
        ``REPAIR_FRAMES`` frames if it follows the last within ``REPAIR_WITHIN`` (the rest
        transparent)."""
        if not self._png_is_old:
            return None
        pixels = np.asarray(self.get_renderer().buffer_rgba())
        buff = pixels.view(np.uint32).squeeze(2)
        recent, now = self._recent, time.monotonic()
        if buff.shape != self._last_buff.shape:
            recent.clear()  # a new size: older frames say nothing about these pixels
        if self._force_full or not recent or (pixels[:, :, 3] != 255).any():
            self.set_image_mode("full")
            output = buff
        else:
            self.set_image_mode("diff")
            changed = buff != recent[-1]
            if now - self._frame_at < REPAIR_WITHIN:
                for older in list(recent)[:-1]:
                    changed |= buff != older
            output = np.where(changed, buff, 0)
        self._last_buff = buff.copy()
        recent.append(self._last_buff)
        self._frame_at = now
        self._force_full = False
        self._png_is_old = False
        return encode_png(output.view(dtype=np.uint8).reshape((*output.shape, 4)))


def make_canvas(figure: Figure) -> LiveCanvas:
    """A LiveCanvas for ``figure``, created without pyplot (no global figure registry)."""
    canvas = LiveCanvas(figure)
    FigureManager(canvas, 0)
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    canvas.capture_scroll = False
    return canvas


def live_figure(figsize: tuple[float, float], css_class: str | None = None
                ) -> tuple[Figure, LiveCanvas]:
    """A Figure of ``figsize`` inches at ``DPI`` and its LiveCanvas (with ``css_class``, the
    handle the browser tests find it by)."""
    figure = Figure(figsize=figsize, dpi=DPI)
    canvas = make_canvas(figure)
    if css_class:
        canvas.add_class(css_class)
    return figure, canvas
