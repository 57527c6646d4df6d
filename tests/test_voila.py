"""The Voila app in headless Chromium: it loads cleanly, draws, and reacts to its controls."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

APP_PATH = "/voila/render/explorer.ipynb"
CELL_ERROR = "There was an error when executing cell"
FIGURE_CANVAS = "div.jupyter-matplotlib-figure canvas"

# Per painted figure canvas: frames received, a fingerprint of its pixels, and how many
# distinct colours a coarse pixel sample holds (a blank canvas has one).
CANVAS_STATE = """
(selector) => Array.from(document.querySelectorAll(selector))
  .filter((c) => (c.__initvizFrames || 0) > 0 && c.width > 0 && c.height > 0)
  .map((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      const rgba = (data[i] << 24) ^ (data[i + 1] << 16) ^ (data[i + 2] << 8) ^ data[i + 3];
      hash = (Math.imul(hash, 31) + rgba) | 0;
      if (i % 64 === 0) colours.add(rgba);
    }
    return {frames: c.__initvizFrames, hash: hash, colours: colours.size,
            visible: c.offsetParent !== null};
  })
"""


def canvases(page) -> list[dict]:
    return page.evaluate(CANVAS_STATE, FIGURE_CANVAS)


def total_frames(page) -> int:
    return page.evaluate("window.__initvizFrames || 0")


def epoch(page) -> int:
    text = page.locator(".initviz-epoch").inner_text()
    match = re.search(r"epoch\s+(\d+)", text)
    assert match, f"no 'epoch N' in the epoch counter: {text!r}"
    return int(match.group(1))


def wait_for_new_frames(page, since: int, timeout: float = 30_000) -> None:
    page.wait_for_function("(n) => (window.__initvizFrames || 0) > n", arg=since, timeout=timeout)


def wait_until_settled(page, quiet_ms: int = 400, timeout: float = 30_000) -> None:
    """Wait until no new frame has arrived for ``quiet_ms`` (the app finished redrawing)."""
    page.wait_for_function(
        """(quiet) => {
             const now = performance.now(), n = window.__initvizFrames || 0;
             if (window.__settleCount !== n) { window.__settleCount = n; window.__settleAt = now; }
             return now - window.__settleAt > quiet;
           }""",
        arg=quiet_ms, polling=100, timeout=timeout)


def fingerprint(page) -> list[int]:
    return [c["hash"] for c in canvases(page) if c["visible"]]


def wait_for_a_drawn_figure(page, timeout: float = 60_000) -> None:
    """Wait for a visible ipympl canvas that received a frame; on timeout say what the page saw."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            """(sel) => Array.from(document.querySelectorAll(sel))
                 .some((c) => c.width > 0 && c.offsetParent !== null && c.__initvizFrames > 0)""",
            arg=FIGURE_CANVAS, timeout=timeout)
    except PlaywrightTimeout:
        sizes = page.evaluate("(sel) => Array.from(document.querySelectorAll(sel))"
                              ".map((c) => [c.width, c.height, c.__initvizFrames || 0])",
                              FIGURE_CANVAS)
        pytest.fail(f"no figure was drawn within {timeout / 1000:.0f} s; canvases "
                    f"[width, height, frames]: {sizes}; page errors: {[e[:300] for e in page.errors]}")


def open_app(page, server) -> None:
    page.goto(server.url + APP_PATH, wait_until="domcontentloaded")
    page.wait_for_selector(".initviz-app", state="visible", timeout=90_000)
    page.wait_for_function("!document.querySelector('#loading')", timeout=90_000)
    assert CELL_ERROR not in page.inner_text("body")
    wait_for_a_drawn_figure(page)
    wait_until_settled(page)


def test_app_loads_and_draws_without_errors(page, voila_server):
    open_app(page, voila_server)
    for hook in (".initviz-play", ".initviz-step", ".initviz-reset", ".initviz-epoch",
                 ".initviz-status", ".initviz-scale", ".initviz-initializer"):
        assert page.locator(hook).count() >= 1, f"{hook} missing from the page"
    painted = [c for c in canvases(page) if c["visible"]]
    assert painted, "no visible ipympl figure received a frame"
    undrawn = page.evaluate(
        """() => Array.from(document.querySelectorAll('div.jupyter-matplotlib-figure'))
             .filter((f) => f.offsetParent !== null)
             .filter((f) => !Array.from(f.querySelectorAll('canvas'))
                              .some((c) => c.width > 0 && (c.__initvizFrames || 0) > 0))
             .length""")
    assert undrawn == 0, f"{undrawn} visible figure(s) never drawn"
    for state in painted:
        assert state["colours"] > 5, f"figure canvas looks blank: {state}"
    assert epoch(page) == 0
    page.errors.check()


def test_play_advances_epochs_and_redraws(page, voila_server):
    open_app(page, voila_server)
    before, frames = fingerprint(page), total_frames(page)
    page.click(".initviz-play")
    page.wait_for_function(
        """() => { const m = document.querySelector('.initviz-epoch').innerText
                     .match(/epoch\\s+(\\d+)/); return m && Number(m[1]) >= 5; }""")
    wait_for_new_frames(page, frames)
    first = epoch(page)
    page.wait_for_function(
        """(e) => Number(document.querySelector('.initviz-epoch').innerText
                   .match(/epoch\\s+(\\d+)/)[1]) > e""", arg=first)
    page.click(".initviz-play")  # pause
    wait_until_settled(page)
    assert fingerprint(page) != before, "playing did not change the figures"
    assert CELL_ERROR not in page.inner_text("body")
    page.errors.check()


def test_scale_slider_redraws(page, voila_server):
    open_app(page, voila_server)
    readout = page.locator(".initviz-scale .widget-readout")
    old_value = readout.inner_text()
    before, frames = fingerprint(page), total_frames(page)
    handle = page.locator(".initviz-scale .noUi-handle")
    handle.focus()
    for _ in range(30):  # 0.3 decades up
        handle.press("ArrowRight")
    page.wait_for_function("(old) => document.querySelector('.initviz-scale .widget-readout')"
                           ".innerText !== old", arg=old_value)
    wait_for_new_frames(page, frames)
    wait_until_settled(page)
    assert readout.inner_text() != old_value
    assert fingerprint(page) != before, "moving the scale slider did not change the figures"
    page.errors.check()


def test_initializer_dropdown_redraws(page, voila_server):
    open_app(page, voila_server)
    select = page.locator(".initviz-initializer select")
    options = select.locator("option").all_inner_texts()
    current = select.evaluate("(s) => s.options[s.selectedIndex].text")
    choice = next(o for o in options if o != current and "zeros" not in o.lower())
    before, frames = fingerprint(page), total_frames(page)
    select.select_option(label=choice)
    wait_for_new_frames(page, frames)
    wait_until_settled(page)
    assert select.evaluate("(s) => s.options[s.selectedIndex].text") == choice
    assert fingerprint(page) != before, f"choosing {choice!r} did not change the figures"
    page.errors.check()
