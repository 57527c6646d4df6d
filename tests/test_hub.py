"""deploy/jupyterhub/jupyterhub_config.py under a real JupyterHub: two students log in with
headless Chromium, each gets the explorer at /user/NAME/voila/render/explorer.ipynb and trains.

The shipped config runs as it is; a test config layered over it (``load_subconfig``) swaps only
the authenticator (``dummy``) and the spawner (``simple``: local processes as this user) and puts
everything on 127.0.0.1 (plus ``--allow-root``, since the tests run as root here). The proxy is
configurable-http-proxy from npm: on PATH, or its path in INITVIZ_CHP (.ci/run installs it).
Skipped without jupyterhub or the proxy, unless CI is set: then that is a failure.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import COUNT_FRAMES
from servers import REPO, Server, free_port

pytestmark = pytest.mark.browser

HUB_CONFIG = REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py"
SIZING = json.loads((REPO / "deploy" / "jupyterhub" / "sizing.json").read_text())
MAX_KERNELS = json.loads((REPO / "deploy" / "jupyter_server_config.json").read_text())[
    "LimitedKernelManager"]["max_kernels"]
APP_URL = "/voila/render/explorer.ipynb"
STUDENTS = ("ada", "grace")

TEST_CONFIG = """
import os
c = get_config()
load_subconfig({shipped!r})
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.Authenticator.allow_all = True
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.args.append("--allow-root")
# the test's environment reaches the servers and kernels (PYTHONPATH: this checkout's initviz)
c.Spawner.env_keep.extend(["JUPYTER_PATH", "JUPYTER_CONFIG_PATH"])
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.pid_file = {state!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {state!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {state!r} + "/cookie_secret"
"""


def _missing() -> tuple[str | None, str | None]:
    """(reason it cannot run, the proxy's path)."""
    import importlib.util

    chp = os.environ.get("INITVIZ_CHP") or shutil.which("configurable-http-proxy")
    if importlib.util.find_spec("jupyterhub") is None:
        return "jupyterhub is not installed (python -m pip install -e '.[test]')", chp
    if not chp or not os.access(chp, os.X_OK):
        return ("configurable-http-proxy not found (npm install --prefix DIR "
                "configurable-http-proxy; set INITVIZ_CHP to DIR/node_modules/.bin/"
                "configurable-http-proxy)"), chp
    return None, chp


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    reason, chp = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the hub test must run in CI: {reason}")
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("hub")
    homes = state / "home"
    homes.mkdir()
    port = free_port()
    config = state / "test_config.py"
    config.write_text(TEST_CONFIG.format(
        shipped=str(HUB_CONFIG), homes=str(homes), port=port, hub_port=free_port(),
        api_port=free_port(), chp=chp, state=str(state)))
    env = dict(os.environ, INITVIZ_NOTEBOOK_DIR=str(state / "notebooks"))
    server = Server([sys.executable, "-m", "jupyterhub", "-f", str(config)],
                    url=f"http://127.0.0.1:{port}", cwd=state, log=state / "hub.log", env=env)
    server.notebook_dir = state / "notebooks"
    try:
        server.wait_ready("/hub/login", timeout=120)
        yield server
    finally:
        server.stop()


def _log_in_and_train(browser, hub, name: str) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(120_000)
    context.add_init_script(COUNT_FRAMES)
    page = context.new_page()
    try:
        page.goto(hub.url + "/hub/login", wait_until="domcontentloaded")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", "any password (dummy authenticator)")
        page.click("input[type=submit], button[type=submit]")
        # the hub spawns the server and redirects to its default URL: the app
        page.wait_for_url(f"**/user/{name}{APP_URL}*", timeout=180_000)
        page.wait_for_selector(".initviz-app", state="visible", timeout=180_000)
        page.wait_for_function("!document.querySelector('#loading')")
        page.wait_for_function("(window.__initvizFrames || 0) > 0")
        body = page.inner_text("body")
        assert "There was an error when executing cell" not in body, body[:2000]
        page.click(".initviz-play")
        page.wait_for_function(
            """() => { const m = document.querySelector('.initviz-epoch').innerText
                         .match(/epoch\\s+(\\d+)/); return m && Number(m[1]) >= 20; }""")
        first = int(page.locator(".initviz-epoch").inner_text().split()[1])
        page.wait_for_function(
            """(e) => Number(document.querySelector('.initviz-epoch').innerText
                       .match(/epoch\\s+(\\d+)/)[1]) > e""", arg=first)
        return {"url": page.url, "epoch": page.locator(".initviz-epoch").inner_text()}
    finally:
        context.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _rss_mb(pid: int, field: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _bytes(spec: str) -> int:
    return int(float(spec[:-1]) * {"K": 2**10, "M": 2**20, "G": 2**30}[spec[-1]])


def test_two_students_each_get_the_app_and_train(browser, hub):
    assert (hub.notebook_dir / "explorer.ipynb").exists(), "written from the installed package"
    seen = {name: _log_in_and_train(browser, hub, name) for name in STUDENTS}
    for name, result in seen.items():
        assert f"/user/{name}{APP_URL}" in result["url"], result
    # each student's server (a child of the hub) with its kernels fits the memory guarantee
    servers = {}
    for pid in _children(hub.proc.pid):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        if "jupyterhub.singleuser" in cmdline:
            user = Path(f"/proc/{pid}/environ").read_bytes().split(b"JUPYTERHUB_USER=")[1]
            kernels = [k for k in _children(pid)
                       if b"ipykernel" in Path(f"/proc/{k}/cmdline").read_bytes()]
            servers[user.split(b"\0")[0].decode()] = (pid, kernels)
    assert sorted(servers) == sorted(STUDENTS), servers
    guarantee_mb = _bytes(SIZING["per_student"]["mem_guarantee"]) / 2**20
    for name, (pid, kernels) in servers.items():
        assert len(kernels) == 1, f"{name}: one page, one kernel ({kernels})"
        server_mb, kernel_mb = _rss_mb(pid), _rss_mb(kernels[0])
        print(f"{name}: server {server_mb:.0f} MB, kernel {kernel_mb:.0f} MB (VmHWM)")
        total = server_mb + MAX_KERNELS * kernel_mb
        assert total <= guarantee_mb, (
            f"{name}: server {server_mb:.0f} MB + {MAX_KERNELS} x "
            f"kernel {kernel_mb:.0f} MB exceeds mem_guarantee {guarantee_mb:.0f} MB")
    log = hub.log_path.read_text(errors="replace")
    assert "Starting service 'idle-culler'" in log, "the idle culler service was not started"
    limit = f"initviz kernel limit: at most {MAX_KERNELS} kernels"
    assert log.count(limit) == len(STUDENTS), (
        "each student's server runs initviz.serving.LimitedKernelManager")
