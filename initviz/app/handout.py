"""Pictures that stay in an executed notebook: a matplotlib Figure as a static PNG.

Under ``%matplotlib widget`` a Figure shows as a live canvas, which an HTML or PDF export (or
a notebook opened without a kernel) loses; ``show(figure)`` returns an ``IPython.display.Image``
instead, so the picture is saved in the cell's output as image/png.
"""
from __future__ import annotations

import io

from IPython.display import Image
from matplotlib.figure import Figure


def png_bytes(figure: Figure, dpi: int = 100) -> bytes:
    """``figure`` rendered as PNG (savefig renders with Agg whatever the notebook's backend)."""
    if not isinstance(figure, Figure):
        raise ValueError(f"show() needs a matplotlib Figure, got {type(figure).__name__}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def show(figure: Figure, dpi: int = 100) -> Image:
    """A static PNG of ``figure`` for a notebook cell's output (kept by exports)."""
    return Image(data=png_bytes(figure, dpi), format="png")
