"""Nothing is clipped at any width a class uses: Voila at three widths (and 150% zoom), and
JupyterLab with its file browser open; the presentation toggle in the page.

Every control's label, readout and dropdown, every button, tab title and figure canvas is
measured with getBoundingClientRect() against the viewport and against each ancestor whose
overflow-x is not visible, and its own text must not overflow its box (tests/layout_probe.py).
"""
from __future__ import annotations

import pytest
from layout_probe import CLIPPED
from test_lab import lab_server  # noqa: F401 (the fixture)
from test_voila import open_app

pytestmark = pytest.mark.browser

MEASURED = ".initviz-app .widget-label, .initviz-app .widget-readout, .initviz-app select"


def assert_nothing_clipped(page, where: str) -> None:
    clipped = page.evaluate(CLIPPED)
    assert not clipped, f"{where}: clipped elements:\n" + "\n".join(map(str, clipped[:15]))
    counts = page.evaluate(f"""() => [document.querySelectorAll('{MEASURED}').length,
        Array.from(document.querySelectorAll('.initviz-app div.jupyter-matplotlib-figure canvas'))
          .filter((c) => c.offsetParent !== null).length]""")
    assert counts[0] >= 20 and counts[1] >= 1, f"{where}: too little measured {counts}"


# 933 CSS px: a 1400 px projector screen at 150% browser zoom
@pytest.mark.parametrize("width", [933, 1024, 1400, 2560])
def test_voila_nothing_clipped(page, voila_server, width):
    page.set_viewport_size({"width": width, "height": 900})
    open_app(page, voila_server)
    assert_nothing_clipped(page, f"Voila at {width} px")
    canvas = page.locator(".initviz-app div.jupyter-matplotlib-figure canvas").first.bounding_box()
    controls = page.locator(".initviz-controls").bounding_box()
    if width >= 1024:  # the dashboard beside the controls, as wide as the rest allows
        assert canvas["x"] >= controls["x"] + controls["width"] - 1
    else:  # stacked: the controls above the plots
        assert canvas["y"] >= controls["y"] + controls["height"] - 1
    page.errors.check()


def test_presentation_toggle_in_the_page(page, voila_server):
    page.set_viewport_size({"width": 1400, "height": 900})
    open_app(page, voila_server)
    size = "(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)"
    before = page.evaluate(size, ".initviz-depth .widget-label")
    page.click(".initviz-presentation")
    page.wait_for_selector(".initviz-presenting")
    page.wait_for_timeout(1500)  # the dashboard redrawn at presentation sizes
    assert page.evaluate(size, ".initviz-depth .widget-label") >= before + 2
    assert_nothing_clipped(page, "presentation mode at 1400 px")
    page.click(".initviz-presentation")
    page.wait_for_function("() => !document.querySelector('.initviz-presenting')")
    page.errors.check()


def test_lab_with_file_browser_nothing_clipped(page, lab_server):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{lab_server.url}/lab/tree/explorer.ipynb?reset", wait_until="domcontentloaded")
    page.wait_for_function(
        """() => { const app = window.jupyterapp; const w = app && app.shell && app.shell.currentWidget;
             const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
             return k && k.status === 'idle'; }""", timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('filebrowser:activate')")
    page.wait_for_selector(".jp-FileBrowser", state="visible")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".jp-OutputArea .initviz-app", state="visible", timeout=120_000)
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.initviz-app div.jupyter-matplotlib-figure canvas'))
             .some((c) => c.width > 0 && c.offsetParent !== null && c.__initvizFrames > 0)""",
        timeout=60_000)
    page.wait_for_timeout(1000)
    browser_box = page.locator(".jp-FileBrowser").bounding_box()
    assert browser_box and browser_box["width"] > 100  # the file browser is open
    controls = page.locator(".initviz-controls").bounding_box()
    assert controls["width"] >= 300  # not squeezed to nothing
    assert_nothing_clipped(page, "JupyterLab 1280 px with the file browser")
    page.errors.check()
