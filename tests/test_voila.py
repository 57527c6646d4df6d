"""The Voila app in headless Chromium: it loads cleanly, draws, and reacts to its controls."""
from __future__ import annotations

import pytest
from servers import (
    CELL_ERROR,
    canvases,
    epoch,
    open_app,
    total_frames,
    wait_for_new_frames,
    wait_until_settled,
)

pytestmark = pytest.mark.browser


def fingerprint(page) -> list[int]:
    return [c["hash"] for c in canvases(page) if c["visible"]]


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
