"""The explorer notebook in JupyterLab 4 (Chromium): its widgets and ipympl figure render.

JupyterLab runs with binder/overrides.json as its application settings override, as on Binder
(comms not sent over kernel subshells, which ipykernel 7 would otherwise use).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.request

import pytest
from conftest import NOTEBOOKS, REPO, Server, free_port
from servers import canvases, wait_for_a_drawn_figure

pytestmark = pytest.mark.browser

OVERRIDES = REPO / "binder" / "overrides.json"
KERNELS_SETTINGS = "@jupyterlab/apputils-extension:kernels-settings"


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    app_settings = root / "app-settings"
    app_settings.mkdir()
    shutil.copy(OVERRIDES, app_settings / "overrides.json")
    port = free_port()
    env = {**os.environ,
           "JUPYTERLAB_SETTINGS_DIR": str(root / "user-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(root / "runtime")}
    cmd = [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser",
           f"--port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", "--ServerApp.password=",
           f"--ServerApp.root_dir={NOTEBOOKS}",
           f"--LabApp.app_settings_dir={app_settings}",
           "--LabApp.expose_app_in_browser=True",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    server = Server(cmd, url=f"http://127.0.0.1:{port}", cwd=root, log=root / "lab.log", env=env)
    try:
        server.wait_ready("/lab")
        yield server
    finally:
        server.stop()


def test_override_disables_comms_over_subshells(lab_server):
    url = f"{lab_server.url}/lab/api/settings/{KERNELS_SETTINGS}"
    with urllib.request.urlopen(url, timeout=30) as response:
        settings = json.load(response)
    # an override changes the schema's default; no user setting may undo it here
    assert settings["schema"]["properties"]["commsOverSubshells"]["default"] == "disabled"
    assert settings["settings"].get("commsOverSubshells", "disabled") == "disabled"


def test_explorer_notebook_renders_in_lab(page, lab_server):
    page.goto(f"{lab_server.url}/lab/tree/explorer.ipynb?reset", wait_until="domcontentloaded")
    # the notebook is open and its kernel (named in the notebook's metadata) is idle
    page.wait_for_function(
        """() => {
             const app = window.jupyterapp;
             const widget = app && app.shell && app.shell.currentWidget;
             const kernel = widget && widget.sessionContext && widget.sessionContext.session
                            && widget.sessionContext.session.kernel;
             return kernel && kernel.status === 'idle';
           }""", timeout=120_000)
    assert page.get_by_role("dialog").count() == 0, "JupyterLab asked something (kernel choice?)"
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".jp-OutputArea .initviz-app", state="visible", timeout=120_000)
    wait_for_a_drawn_figure(page)
    for hook in (".initviz-play", ".initviz-epoch", ".initviz-scale", ".initviz-initializer"):
        assert page.locator(f".jp-OutputArea {hook}").count() >= 1, f"{hook} missing"
    colours = [c["colours"] for c in canvases(page) if c["visible"]]
    assert colours and min(colours) > 5, f"figure canvas looks blank ({colours})"
    errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"],'
                          ' .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')
    assert errors.count() == 0, errors.all_inner_texts()
    page.errors.check()
