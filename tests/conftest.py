"""Shared fixtures: free ports, servers run as subprocesses, a headless Chromium.

Browser tests (``@pytest.mark.browser``) drive Debian's chromium (/usr/bin/chromium) with
Playwright. Without it they are skipped, unless the environment variable CI is set: in CI a
missing browser is a failure, not a skip.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from servers import CHROMIUM, CHROMIUM_ARGS, COUNT_FRAMES, REPO, Server, free_port, start_voila  # noqa: F401 (Server, start_voila: for the test modules)

# INITVIZ_TEST_NOTEBOOKS points the servers at another folder (for debugging the harness).
NOTEBOOKS = Path(os.environ.get("INITVIZ_TEST_NOTEBOOKS", REPO / "notebooks"))

# Kernels started by the servers below (and by nbclient) import the checkout's initviz, even
# when it is not pip-installed in this environment.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)


@pytest.fixture
def port() -> int:
    return free_port()


# ---------------------------------------------------------------- explorers (headless)


def feature_of(explorer, cls):
    """The explorer's feature (tab) of class ``cls``."""
    return next(f for f in explorer.features if isinstance(f, cls))


def assert_no_errors(explorer) -> None:
    """Nothing landed in the Output under the app (callbacks' exceptions go there)."""
    assert not explorer.errors.outputs, explorer.errors.outputs


# ---------------------------------------------------------------- servers


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory):
    """Voila serving notebooks/ with the repository's voila.json (read from the working dir)."""
    server = start_voila(NOTEBOOKS, tmp_path_factory.mktemp("voila") / "voila.log")
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- browser


def _browser_unavailable() -> str | None:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed (python -m pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _browser_unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need Chromium in CI: {reason}")
        pytest.skip(f"browser test skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# Voila's lab template loads the Font Awesome icon font's CSS from a CDN; offline that request
# fails with ERR_NAME_NOT_RESOLVED. That console error is expected, no other.
FONT_CDN_URLS = ("https://cdn.jsdelivr.net/npm/@fortawesome/", "https://fonts.googleapis.com/",
                 "https://fonts.gstatic.com/")


def _expected_console_error(text: str, url: str) -> bool:
    return "ERR_NAME_NOT_RESOLVED" in text and url.startswith(FONT_CDN_URLS)


class PageErrors(list):
    """Console errors and uncaught page errors seen by a page, as strings."""

    def check(self) -> None:
        assert not self, "errors in the page:\n" + "\n".join(e[:500] for e in self)


@pytest.fixture
def page(browser):
    """A fresh page (own context) counting canvas frames; ``page.errors`` collects errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)
    context.add_init_script(COUNT_FRAMES)
    page = context.new_page()
    errors = PageErrors()

    def on_console(msg):
        if msg.type == "error":
            url = (msg.location or {}).get("url", "")
            if not _expected_console_error(msg.text, url):
                errors.append(f"console: {msg.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.errors = errors
    try:
        yield page
    finally:
        context.close()


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: the quick tests report first."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
