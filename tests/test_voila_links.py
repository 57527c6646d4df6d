"""Hostile and careless share links opened on the real Voila app in headless Chromium: no script
runs, no traceback replaces the app, the valid keys apply, and the kernel stays in its budget."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from initviz.core.config import memory_budget

pytestmark = pytest.mark.browser

APP_PATH = "/voila/render/explorer.ipynb"
CELL_ERROR = "There was an error when executing cell"
# a payload that sets a flag if any HTML from the link is ever parsed as markup
XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'

LINKS = [  # (query, the depth the app must show: valid keys apply)
    ("?n_samples=100000&depth=50&width=512", "50"),
    ("?noise=1e308&depth=12", "12"),
    ("?dataset=sine&noise=1e308&depth=12", "12"),
    ("?hide=n_samples&depth=12", "12"),
    ("?scale=" + "1" * 16_000 + "x", "6"),
    ("?theme=dark&utm_source=forum&fbclid=abc&depth=12", "12"),
    ("?depth=12&" + quote(XSS) + "=1&initializer=" + quote(XSS), "12"),
    ("?preset=" + quote(XSS) + "&hide=" + quote(XSS) + "&depth=12", "12"),
]


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.mark.parametrize("query, depth", LINKS, ids=[f"link{i}" for i in range(len(LINKS))])
def test_a_hostile_link_shows_the_app(page, voila_server, query, depth):
    page.goto(voila_server.url + APP_PATH + query, wait_until="domcontentloaded")
    page.wait_for_selector(".initviz-app", state="visible", timeout=60_000)
    page.wait_for_function("!document.querySelector('#loading')", timeout=60_000)
    page.wait_for_timeout(300)  # a late onerror handler would have fired by now
    assert page.evaluate("window.__pwned === undefined"), "markup from the link ran"
    text = page.inner_text("body")
    assert CELL_ERROR not in text and "Traceback" not in text, text[:2000]
    assert page.locator(".initviz-depth .widget-readout").inner_text().strip() == depth
    notice = page.locator(".initviz-link-notice").inner_text()
    if "noise=1e308" in query or "xx" in query or "%3C" in query:
        assert "Ignored in the link" in notice, notice
    if "theme=dark&utm" in query:
        assert notice.strip() == "", notice  # Voila's own and tracking keys: not a word
    for pid in voila_server.kernel_pids():
        assert _rss(pid) < memory_budget(), f"kernel {pid} uses {_rss(pid) / 2**20:.0f} MB"
    page.errors.check()
