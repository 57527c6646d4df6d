"""Servers and browser settings shared by the browser tests (conftest.py) and
benchmarks/bench_browser.py. Plain Python, no pytest: the benchmark imports it too."""
from __future__ import annotations

import os
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
