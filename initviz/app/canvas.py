"""An ipympl canvas tuned for live dashboards.

ipympl sends each frame as a PNG of the pixels that changed (the rest zero). Encoding that PNG is
most of a blitted frame's cost in the kernel; zlib level 1 instead of Pillow's default 6 made it
~40% cheaper here (12.7 -> 7.9 ms for a typical 900x475 frame) for ~45% more bytes, a good trade
on localhost and Binder alike at our frame sizes.
"""
from __future__ import annotations

from base64 import b64encode
from io import BytesIO

import numpy as np
from ipympl.backend_nbagg import Canvas, FigureManager
from matplotlib.figure import Figure
from PIL import Image

PNG_COMPRESS_LEVEL = 1


class LiveCanvas(Canvas):
    """ipympl's Canvas with a faster diff-PNG encoder (same protocol, same front-end).

    It also fixes ipympl 0.10's first frame: before the front-end is up, ipympl stores the frame
    in ``_data_url`` as bare base64, which the browser cannot load ("HTMLImageElement ... in the
    'broken' state"), so a figure drawn before display stayed blank (0 x 0).
    """

    def send_binary(self, data: bytes) -> None:
        if self.syncing_data_url:
            pixels = self._last_buff.view(dtype=np.uint8).reshape((*self._last_buff.shape, 4))
            with BytesIO() as png:
                Image.fromarray(pixels).save(png, format="png", compress_level=PNG_COMPRESS_LEVEL)
                self._data_url = "data:image/png;base64," + b64encode(png.getvalue()).decode()
        self.send({"data": '{"type": "binary"}'}, buffers=[data])

    def get_diff_image(self):
        if not self._png_is_old:
            return None
        pixels = np.asarray(self.get_renderer().buffer_rgba())
        buff = pixels.view(np.uint32).squeeze(2)
        if (self._force_full or buff.shape != self._last_buff.shape
                or (pixels[:, :, 3] != 255).any()):
            self.set_image_mode("full")
            output = buff
        else:
            self.set_image_mode("diff")
            output = np.where(buff != self._last_buff, buff, 0)
        self._last_buff = buff.copy()
        self._force_full = False
        self._png_is_old = False
        data = output.view(dtype=np.uint8).reshape((*output.shape, 4))
        with BytesIO() as png:
            Image.fromarray(data).save(png, format="png", compress_level=PNG_COMPRESS_LEVEL)
            return png.getvalue()


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
