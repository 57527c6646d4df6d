"""The signal propagation tabs in the real Voila page: each renders when opened and follows the
explorer's controls (an activation or scale change redraws it with new content)."""
from __future__ import annotations

import pytest
from servers import CANVAS_STATE, open_app, open_tab

pytestmark = pytest.mark.browser


def _figure(page, css: str) -> dict | None:
    """CANVAS_STATE of the tab's figure canvas once it received a frame (None before)."""
    states = page.evaluate(CANVAS_STATE, f".{css} canvas")
    return states[0] if states else None


def _wait_drawn(page, css: str, summary: str, old_text: str = "", old_hash=None) -> dict:
    """Wait until the tab's figure is painted (several colours, visible) and its summary line
    shows text other than ``old_text``; with ``old_hash`` until the pixels changed too."""
    page.wait_for_function(
        """([fig, summary, oldText]) => {
             const c = document.querySelector(fig);
             const s = document.querySelector(summary);
             return c && (c.__initvizFrames || 0) > 0 && c.offsetParent !== null
                    && s && s.innerText.trim().length > 0 && s.innerText !== oldText;
           }""", arg=[f".{css} canvas", summary, old_text], timeout=60_000)
    if old_hash is not None:
        page.wait_for_function(
            """([sel, old]) => { const states = (%s)(sel);
                                  return states.length && states[0].hash !== old; }""" % CANVAS_STATE,
            arg=[f".{css} canvas", old_hash], timeout=60_000)
    state = _figure(page, css)
    assert state and state["visible"] and state["colours"] > 3, state
    return state


def _choose_activation(page, name: str) -> None:
    page.locator(".initviz-activation select").select_option(label=name)


def test_signal_tabs_render_and_follow_the_controls(page, voila_server):
    open_app(page, voila_server)

    # Signal through depth: the default tanh network, then ReLU
    open_tab(page, "Signal through depth")
    summary = ".initviz-signal-depth-summary"
    state = _wait_drawn(page, "initviz-signal-depth-figure", summary)
    text = page.locator(summary).inner_text()
    assert "theory ×" in text, text
    _choose_activation(page, "relu")
    state = _wait_drawn(page, "initviz-signal-depth-figure", summary, text, state["hash"])
    assert page.locator(summary).inner_text() != text

    # Jacobian spectrum: follows the scale slider
    open_tab(page, "Jacobian spectrum")
    summary = ".initviz-spectrum-summary"
    state = _wait_drawn(page, "initviz-spectrum-figure", summary)
    text = page.locator(summary).inner_text()
    assert "relu" in text and "within 10% of 1" in text, text
    handle = page.locator(".initviz-scale .noUi-handle")
    handle.focus()
    for _ in range(20):  # 0.2 decades up
        handle.press("ArrowRight")
    _wait_drawn(page, "initviz-spectrum-figure", summary, text, state["hash"])
    page.wait_for_function(  # intermediate values may be drawn first: wait for the last one
        "(s) => document.querySelector(s).innerText.includes('× 1.58')", arg=summary,
        timeout=60_000)

    # Order and chaos: the phase plane of the current activation, then of tanh
    open_tab(page, "Order and chaos")
    summary = ".initviz-order-chaos-summary"
    state = _wait_drawn(page, "initviz-order-chaos-figure", summary)
    text = page.locator(summary).inner_text()
    assert "χ1 =" in text, text
    _choose_activation(page, "tanh")
    _wait_drawn(page, "initviz-order-chaos-figure", summary, text, state["hash"])
    assert "χ1 =" in page.locator(summary).inner_text()
    # 6 xi is computed off the loop for tanh (seconds), then drawn: no error on the way
    page.wait_for_function(
        """() => { const s = document.querySelector('.initviz-order-chaos-status');
                   return s && !/computing/.test(s.innerText); }""", timeout=120_000)
    assert page.locator(".initviz-errors").inner_text().strip() == ""
    page.errors.check()
