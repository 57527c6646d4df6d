"""Regenerate docs/screenshot.png from the running app.

Starts standalone Voila on a free port against notebooks/explorer.ipynb (from the repository root,
so voila.json applies, with this checkout on PYTHONPATH), opens it in headless Chromium with
Playwright, waits for the dashboard to be drawn, presses play for a few seconds (until the epoch
counter reaches --epochs), pauses, and takes a full-page screenshot::

    python docs/screenshot.py                      # docs/screenshot.png, 1400 x 1000 viewport
    python docs/screenshot.py --epochs 600 --query "preset=he_relu" -o /tmp/he.png

Needs voila, ipykernel, ipympl and playwright (the test extra) and Debian's chromium at
/usr/bin/chromium (or INITVIZ_CHROMIUM); Playwright's own browser download is not used.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("INITVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FIGURE_CANVAS = "div.jupyter-matplotlib-figure canvas"

# ipympl paints each frame it receives with drawImage on the figure's canvas: count them so we
# can wait for "drawn" and "no new frame for a while" instead of guessing.
COUNT_FRAMES = """
(() => {
  const original = CanvasRenderingContext2D.prototype.drawImage;
  window.__frames = 0;
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {
    window.__frames += 1;
    return original.apply(this, args);
  };
})();
"""
SETTLED = """(quiet) => {
  const now = performance.now(), n = window.__frames || 0;
  if (window.__seen !== n) { window.__seen = n; window.__since = now; }
  return now - window.__since > quiet;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_voila(port: int, log) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "voila", "notebooks/explorer.ipynb", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--no-browser"]
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(proc: subprocess.Popen, url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"voila exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"voila did not answer at {url} within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # Voila shuts its kernels down
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # anything left in its session
    except (ProcessLookupError, PermissionError):
        pass


EPOCH_AT_LEAST = """(n) => {
  const m = document.querySelector('.initviz-epoch').innerText.match(/epoch\\s+(\\d+)/);
  return m && Number(m[1]) >= n;
}"""


def screenshot(url: str, out: Path, epochs: int, width: int, height: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(90_000)
            page.add_init_script(COUNT_FRAMES)
            page.goto(url, wait_until="domcontentloaded")
            page.wait_for_selector(".initviz-app", state="visible")
            page.wait_for_function("!document.querySelector('#loading')")
            if "There was an error when executing cell" in page.inner_text("body"):
                raise SystemExit("the notebook failed in Voila; see the page")
            page.wait_for_function(
                "(sel) => Array.from(document.querySelectorAll(sel))"
                ".some((c) => c.width > 0 && c.offsetParent !== null)", arg=FIGURE_CANVAS)
            page.wait_for_function("() => (window.__frames || 0) > 0")
            page.click(".initviz-play")
            page.wait_for_function(EPOCH_AT_LEAST, arg=epochs, polling=50, timeout=120_000)
            page.click(".initviz-play")  # pause, so the picture is one finished frame
            page.wait_for_function(SETTLED, arg=800, polling=100)
            epoch = page.locator(".initviz-epoch").inner_text()
            page.screenshot(path=str(out), full_page=True)
            print(f"wrote {out} ({epoch.strip()})")
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--epochs", type=int, default=300,
                        help="play until the epoch counter reaches this (default 300)")
    parser.add_argument("--query", default="", help="share-link settings, e.g. preset=he_relu")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args(argv)

    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = start_voila(port, log)
        try:
            base = f"http://127.0.0.1:{port}/"
            wait_ready(proc, base)
            url = base + (f"?{args.query.lstrip('?')}" if args.query else "")
            screenshot(url, args.output, args.epochs, args.width, args.height)
        except BaseException:
            stop(proc)
            log.seek(0)
            sys.stderr.write(log.read().decode("utf-8", "replace")[-3000:])
            raise
        stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
