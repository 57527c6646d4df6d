"""Servers, browser settings and page helpers shared by the browser tests (conftest.py,
test_voila*.py, test_lab.py) and benchmarks/bench_browser.py. Plain Python, no pytest: the
benchmark imports it too.

Page helpers find the app by initviz's own ``initviz-*`` classes and public roles (``role=tab``),
not by the private classes of Lumino or JupyterLab."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("INITVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SERVER_START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def voila_command(notebooks: Path, port: int, *options: str) -> list[str]:
    """``python -m voila notebooks/`` on 127.0.0.1:port (voila.json read from the working dir)."""
    return [sys.executable, "-m", "voila", str(notebooks), f"--port={port}",
            "--Voila.ip=127.0.0.1", "--no-browser", "--Voila.port_retries=0", *options]


# ipympl paints every frame it receives with drawImage on the figure's canvas: count them per
# canvas (and in total) so tests can wait for "a new frame arrived" instead of sleeping; the
# times of a canvas's last frames (at most 4000) are for benchmarks/bench_browser.py's rates.
COUNT_FRAMES = """
(() => {
  const original = CanvasRenderingContext2D.prototype.drawImage;
  window.__initvizFrames = 0;
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {
    const canvas = this.canvas;
    canvas.__initvizFrames = (canvas.__initvizFrames || 0) + 1;
    (canvas.__initvizTimes = canvas.__initvizTimes || []).push(performance.now());
    if (canvas.__initvizTimes.length > 4000) canvas.__initvizTimes.splice(0, 2000);
    window.__initvizFrames += 1;
    return original.apply(this, args);
  };
})();
"""


def start_voila(notebooks: Path, log: Path, *options: str) -> Server:
    """Voila serving ``notebooks`` with the repository's voila.json (read from the working
    directory) and ``options``, started and ready; its kernels import this checkout's initviz
    even when it is not pip-installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    port = free_port()
    server = Server(voila_command(notebooks, port, *options), url=f"http://127.0.0.1:{port}",
                    cwd=REPO, log=log, env=env)
    try:
        server.wait_ready("/")
    except Exception:
        server.stop()
        raise
    return server


class Server:
    """A server subprocess in its own process group (so its kernels die with it)."""

    def __init__(self, cmd: list[str], *, url: str, cwd: Path, log: Path,
                 env: dict | None = None) -> None:
        self.cmd, self.url, self.log_path = cmd, url, log
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def wait_ready(self, path: str = "", timeout: float = SERVER_START_TIMEOUT) -> None:
        """Wait until GET url+path answers 200, failing early if the process died."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.cmd[:4]} exited with {self.proc.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as error:
                last = error
            time.sleep(0.25)
        raise RuntimeError(f"{self.url + path} not ready after {timeout:.0f} s ({last}):\n"
                           f"{self.log_tail()}")

    def kernel_pids(self) -> set[int]:
        """The server's kernel processes (its ipykernel children)."""
        pids = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.proc.pid and b"ipykernel" in cmdline:
                pids.add(int(entry.name))
        return pids

    def stop(self) -> None:
        """SIGTERM (servers shut their kernels down), then SIGKILL the whole group."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything left: kernels, children
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


# ---------------------------------------------------------------- pages (Playwright)

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
    """CANVAS_STATE of every figure canvas that received a frame."""
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


def wait_until(predicate, timeout: float, message) -> None:
    """Poll ``predicate()`` every 0.2 s for ``timeout`` seconds; else fail with ``message``
    (a string, or a callable giving one)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(0.2)


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
        errors = [e[:300] for e in getattr(page, "errors", [])]
        raise AssertionError(f"no figure was drawn within {timeout / 1000:.0f} s; canvases "
                             f"[width, height, frames]: {sizes}; page errors: {errors}") from None


def wait_for_app(page, timeout: float = 90_000) -> None:
    """The app is on the page, Voila's loading screen gone, and no cell failed."""
    page.wait_for_selector(".initviz-app", state="visible", timeout=timeout)
    page.wait_for_function("!document.querySelector('#loading')", timeout=timeout)
    assert CELL_ERROR not in page.inner_text("body")


def load_app(page, url: str, timeout: float = 90_000) -> None:
    """Open ``url`` (the app's page, with any query) and wait for the app (``wait_for_app``)."""
    page.goto(url, wait_until="domcontentloaded")
    wait_for_app(page, timeout)


def open_app(page, server: Server, query: str = "") -> None:
    """The explorer's Voila page, loaded, its figures drawn and settled."""
    load_app(page, server.url + APP_PATH + query)
    wait_for_a_drawn_figure(page)
    wait_until_settled(page)


def open_tab(page, title: str) -> None:
    """Click the feature tab whose title contains ``title`` (by its ARIA role)."""
    page.locator(".initviz-tabs").get_by_role("tab", name=title).first.click()


def selected_text(page, selector: str) -> str:
    """The text of the selected option of the dropdown inside ``selector``."""
    return page.locator(f"{selector} select").evaluate("(s) => s.options[s.selectedIndex].text")
