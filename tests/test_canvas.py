"""The live canvas's frames, decoded and composited the way ipympl's front end does: a lost
frame (one the browser replaced before it loaded) must not leave stale pixels behind."""
from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from initviz.app import canvas as canvas_module
from initviz.app.canvas import REPAIR_FRAMES, live_figure


class FrontEnd:
    """ipympl 0.10's image handling: a "full" frame replaces the picture, a "diff" frame is drawn
    over it (its transparent pixels leave the picture as it was)."""

    def __init__(self) -> None:
        self.picture: np.ndarray | None = None

    def load(self, mode: str, png: bytes) -> None:
        image = np.asarray(Image.open(BytesIO(png)).convert("RGBA"))
        if mode == "full" or self.picture is None:
            self.picture = image.copy()
        else:
            opaque = image[..., 3] > 0
            self.picture[opaque] = image[opaque]


def frames(count: int, seed: int = 0) -> tuple[list[tuple[str, bytes]], np.ndarray]:
    """``count`` frames of a line plot whose data changes every frame, as the canvas sends
    them, and the pixels of the last one."""
    figure, canvas = live_figure((4, 3))
    canvas.syncing_data_url = False  # as once a front end is connected
    sent: list[tuple[str, bytes]] = []
    canvas.send = lambda content, buffers=None: sent.append((canvas._image_mode, buffers[0])) \
        if buffers else None
    ax = figure.add_subplot()
    ax.set_ylim(-3, 3)
    rng = np.random.default_rng(seed)
    (line,) = ax.plot(rng.normal(size=40))
    for _ in range(count):
        line.set_ydata(rng.normal(size=40))
        canvas.draw()
    return sent, np.asarray(canvas.get_renderer().buffer_rgba()).copy()


def composite(sent: list[tuple[str, bytes]], lost: set[int]) -> np.ndarray:
    front = FrontEnd()
    for index, (mode, png) in enumerate(sent):
        if index not in lost:
            front.load(mode, png)
    return front.picture


def test_every_frame_loaded_gives_the_exact_picture():
    sent, last = frames(8)
    assert sent[0][0] == "full" and {mode for mode, _ in sent[1:]} == {"diff"}
    assert np.array_equal(composite(sent, set()), last)


@pytest.mark.parametrize("lost", [{3}, {2, 5}, {3, 4}, {1, 2, 4, 5}])
def test_the_next_frame_repairs_lost_frames(lost):
    """Up to REPAIR_FRAMES - 1 frames lost in a row, the next one that loads is exact."""
    assert max(len(run) for run in _runs(lost)) <= REPAIR_FRAMES - 1
    sent, last = frames(8)
    assert np.array_equal(composite(sent, lost), last)


def test_plain_diffs_would_leave_a_lost_frames_pixels_stale(monkeypatch):
    """The test above can fail: with diffs against the last frame only, one lost frame leaves
    pixels of the frame before it on the screen."""
    monkeypatch.setattr(canvas_module, "REPAIR_FRAMES", 1)
    sent, last = frames(8)
    stale = composite(sent, {3}) != last
    assert stale.any(axis=-1).sum() > 50


def _runs(indices: set[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in sorted(indices):
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


@pytest.mark.parametrize("seed", range(40))
def test_blank_rows_are_encoded_exactly(seed):
    """Runs of all-zero rows come from cached deflate segments: whatever the pattern (blank
    first, last, all, none, short gaps), zlib (which checks the Adler-32 sum) and Pillow read
    back the very pixels."""
    import struct
    import zlib

    from initviz.app.canvas import encode_png

    rng = np.random.default_rng(seed)
    height, width = int(rng.integers(1, 80)), int(rng.integers(1, 40))
    pixels = rng.integers(0, 256, size=(height, width, 4), dtype=np.uint8)
    pixels[rng.random(height) < rng.random()] = 0
    if seed == 0:
        pixels[:] = 0
    png = encode_png(pixels)
    length = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    rows = np.frombuffer(zlib.decompress(png[41:41 + length]), dtype=np.uint8)
    assert np.array_equal(rows.reshape(height, 1 + 4 * width)[:, 1:].reshape(pixels.shape), pixels)
    assert np.array_equal(np.asarray(Image.open(BytesIO(png)).convert("RGBA")), pixels)


def test_slow_frames_are_plain_diffs(monkeypatch):
    """Frames further apart than REPAIR_WITHIN repaint only what changed since the last one
    (on a crowded machine the bigger repairing frames were lost one after the other)."""
    monkeypatch.setattr(canvas_module, "REPAIR_WITHIN", 0.0)
    sent, last = frames(8)
    assert np.array_equal(composite(sent, set()), last)
    assert (composite(sent, {3}) != last).any(axis=-1).sum() > 50
