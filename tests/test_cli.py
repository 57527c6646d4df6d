"""The ``initviz`` command line: help, version, binder-link, figure, argument errors, and ``app``."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import REPO, free_port

import initviz
from initviz import cli

CLI = [sys.executable, "-m", "initviz.cli"]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("app", "binder-link", "figure"):
        assert command in result.stdout
    assert "Traceback" not in result.stderr


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"initviz {initviz.__version__}"


def test_console_script_if_installed():
    script = shutil.which("initviz", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("initviz is not pip-installed in this environment")
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == f"initviz {initviz.__version__}"


def test_cli_import_is_light():
    code = ("import sys, initviz.cli; heavy = {'numpy', 'matplotlib', 'ipywidgets', 'voila'}"
            " & set(sys.modules); print(sorted(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_binder_link_lesson():
    result = run("binder-link", "jane/initviz-course")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "[![Open the initviz lesson on Binder](https://mybinder.org/badge_logo.svg)]"
        "(https://mybinder.org/v2/gh/jane/initviz-course/main"
        "?urlpath=lab%2Ftree%2Fnotebooks%2Flesson.ipynb)\n")


def test_binder_link_voila_and_ref():
    result = run("binder-link", "jane/initviz", "--voila", "--ref", "v1.2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "[![Open the initviz app on Binder](https://mybinder.org/badge_logo.svg)]"
        "(https://mybinder.org/v2/gh/jane/initviz/v1.2"
        "?urlpath=voila%2Frender%2Fnotebooks%2Fexplorer.ipynb)\n")


@pytest.mark.parametrize("args, message", [
    ((), "usage"),
    (("nonsense",), "invalid choice"),
    (("binder-link",), "required"),
    (("binder-link", "just-a-name"), "OWNER/REPO"),
    (("binder-link", "a/b/c"), "OWNER/REPO"),
    (("binder-link", "-bad/repo"), "OWNER/REPO"),
    (("binder-link", "jane/initviz", "--ref", "a b"), "--ref"),
    (("app", "--port", "0"), "between 1 and 65535"),
    (("app", "--port", "70000"), "between 1 and 65535"),
    (("app", "--port", "http"), "not a port number"),
    (("app", "--ip", "not an ip!"), "--ip"),
    (("app", "--bogus"), "unrecognized arguments"),
    (("figure", "--depth", "x"), "expected a whole number"),
    (("figure", "--scale", "big"), "expected a decimal number"),
    (("figure", "--epochs", "-1"), "epochs must be from 0"),
    (("figure", "--dpi", "5"), "dpi must be from 20 to 600"),
    (("figure", "--bogus"), "unrecognized arguments"),
])
def test_bad_arguments_exit_nonzero_with_a_message(args, message):
    result = run(*args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_app_refuses_a_busy_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        result = run("app", "--no-browser", "--port", str(s.getsockname()[1]))
    assert result.returncode == 1
    assert "in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_voila_settings_match_voila_json():
    """``initviz app`` passes on its command line what the repository's voila.json says."""
    conf = json.loads((REPO / "voila.json").read_text())
    args = set(cli.VOILA_ARGS)
    vc = conf["VoilaConfiguration"]
    assert f"--theme={vc['theme']}" in args
    assert f"--template={vc['template']}" in args
    assert f"--strip_sources={vc['strip_sources']}" in args
    assert f"--show_tracebacks={vc['show_tracebacks']}" in args
    assert f"--VoilaExecutor.timeout={conf['VoilaExecutor']['timeout']}" in args
    culling = conf["MappingKernelManager"]
    assert f"--MappingKernelManager.cull_idle_timeout={culling['cull_idle_timeout']}" in args
    assert f"--MappingKernelManager.cull_interval={culling['cull_interval']}" in args


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


class App(NamedTuple):
    proc: subprocess.Popen
    url: str  # as printed, token included
    log: Path  # Voila's messages (stderr)


def _start_app(tmp_path: Path, *args: str) -> App:
    """``initviz app --no-browser ARGS`` started; returns once it printed its URL."""
    log_path = tmp_path / "app.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*CLI, "app", "--no-browser", *args], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # the URL is printed once Voila is ready
        line = proc.stdout.readline().decode()
        if not line and proc.poll() is not None:
            break
        if "http://" in line:
            return App(proc, line.split("initviz explorer:", 1)[1].strip(), log_path)
    _stop_app(App(proc, "", log_path))
    pytest.fail(f"initviz app printed no URL:\n{log_path.read_text()[-3000:]}")


def _stop_app(app: App) -> None:
    try:
        os.kill(app.proc.pid, signal.SIGTERM)  # initviz app stops Voila and its kernels
        app.proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    finally:
        try:
            os.killpg(app.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        app.proc.stdout.close()


@pytest.fixture
def start_app(tmp_path):
    started = []

    def start(*args: str) -> App:
        app = _start_app(tmp_path, *args)
        started.append(app)
        return app

    yield start
    for app in started:
        _stop_app(app)


def test_app_serves_only_the_explorer(start_app):
    port = free_port()
    app = start_app("--port", str(port))
    assert app.url == f"http://127.0.0.1:{port}/", app.log.read_text()  # no token on loopback
    base = f"http://127.0.0.1:{port}"
    status, body = _get(base + "/")
    assert status == 200
    assert "initviz" in body and "Explorer()" not in body  # rendered, sources stripped
    for path in ("/tree", "/api/contents", "/api/kernels", "/api/sessions", "/api/terminals",
                 "/lab", "/edit/explorer.ipynb", "/files/explorer.ipynb",
                 "/voila/files/explorer.ipynb"):
        status, body = _get(base + path)
        assert status != 200 or ('"content"' not in body and '"type"' not in body), path
        assert status != 200, f"{path} is exposed ({status})"


# ---------------------------------------------------------------- public serving


@pytest.mark.parametrize("args, message", [
    (("--token", "short"), "at least 8"),
    (("--token", "has space in it"), "at least 8"),
    (("--token", "abcdefgh123", "--no-token"), "not allowed with"),
    (("--max-kernels", "0"), "at least 1"),
    (("--max-kernels", "many"), "not a number of kernels"),
])
def test_bad_serving_options_exit_2_with_a_message(args, message):
    result = run("app", "--no-browser", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def _access(*argv: str) -> tuple[bool, str | None]:
    return cli.app_access(cli.build_parser().parse_args(["app", *argv]))


@pytest.mark.parametrize("ip, public", [
    ("127.0.0.1", False), ("127.0.0.2", False), ("::1", False), ("localhost", False),
    ("0.0.0.0", True), ("::", True), ("192.0.2.10", True), ("lab.example.org", True),
])
def test_a_token_is_required_beyond_loopback(ip, public):
    assert cli.is_public(ip) is public
    is_public, token = _access("--ip", ip)
    assert is_public is public
    if public:
        assert token is not None and len(token) >= 32  # secrets.token_urlsafe(24)
        assert token != _access("--ip", ip)[1], "a fresh token each time"
    else:
        assert token is None
    assert _access("--ip", ip, "--token", "course-2026-x") == (public, "course-2026-x")


def test_no_token_opts_out_with_a_warning(capsys):
    assert _access("--ip", "0.0.0.0", "--no-token") == (True, None)
    assert "without a token" in capsys.readouterr().err
    assert _access("--ip", "127.0.0.1", "--no-token") == (False, None)
    assert capsys.readouterr().err == "", "no warning on this machine only"


# In a page Voila rendered, the explorer's cell output (the kernel ran Explorer()).
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _no_redirect_get(url: str) -> tuple[int, str, str]:
    """GET without following redirects: (status, Location header, body)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        return (response.status, response.getheader("Location") or "",
                response.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def test_public_app_needs_the_printed_token(start_app):
    """On 0.0.0.0 (reached here through 127.0.0.1 only) the page needs the URL's token; the
    token is handed to Voila in its environment, not on its command line."""
    port = free_port()
    app = start_app("--ip", "0.0.0.0", "--port", str(port))
    assert app.url.startswith(f"http://0.0.0.0:{port}/?token=")
    token = app.url.split("?token=", 1)[1]
    base = f"http://127.0.0.1:{port}"
    status, location, _ = _no_redirect_get(base + "/")
    assert status == 302 and "/login" in location, (status, location)
    status, _, body = _no_redirect_get(base + "/?token=wrong-token-123")
    assert status in (302, 403), status
    assert "initviz" not in body
    status, _, body = _no_redirect_get(f"{base}/?token={token}")
    assert status == 200 and WIDGET_VIEW in body
    cmdlines = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdlines.append((Path("/proc") / pid / "cmdline").read_bytes())
        except OSError:  # exited meanwhile
            pass
    voila = [c for c in cmdlines if b"voila" in c and f"--port={port}".encode() in c]
    assert voila, "the Voila process was not found"
    assert all(token.encode() not in c for c in cmdlines), "the token is in a command line"


FAILING_NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "cells": [{"cell_type": "code", "id": "fails", "metadata": {}, "execution_count": None,
               "outputs": [], "source": "raise RuntimeError('secret-server-detail /srv/x')"}],
}


@pytest.mark.parametrize("public", [False, True])
def test_public_serving_hides_tracebacks_and_logs_them(tmp_path, public):
    """The command line ``initviz app`` runs, on a notebook whose cell raises: served publicly,
    the visitor sees a short message and the server's log the error; locally, the traceback."""
    from servers import Server

    (tmp_path / "fails.ipynb").write_text(json.dumps(FAILING_NOTEBOOK))
    (tmp_path / "voila.json").write_text("{}")
    port = free_port()
    cmd = cli.voila_command("fails.ipynb", port=port, ip="127.0.0.1", public=public)
    server = Server(cmd, url=f"http://127.0.0.1:{port}", cwd=tmp_path, log=tmp_path / "v.log")
    try:
        server.wait_ready("/")  # renders the notebook once
        status, body = _get(server.url + "/")
    finally:
        server.stop()
    log = (tmp_path / "v.log").read_text()
    assert status == 200
    assert "secret-server-detail" in log, "the error is logged on the server"
    if public:
        assert "secret-server-detail" not in body and "Traceback" not in body
        assert "There was an error when executing cell" in body
        assert "The details are in the server log." in body
        assert "--show_tracebacks=True" not in body, "no advice meant for the operator"
    else:
        assert "secret-server-detail" in body


def test_max_kernels_answers_the_next_page_with_a_full_page(start_app):
    """With --max-kernels 1 the first page gets the app and its kernel; the second a 503 page
    saying the server is full, and no second kernel is started."""
    from initviz.serving import FULL_MESSAGE

    port = free_port()
    app = start_app("--port", str(port), "--max-kernels", "1")
    first_status, first = _get(app.url)
    assert first_status == 200 and WIDGET_VIEW in first
    try:
        with urllib.request.urlopen(app.url, timeout=60) as response:
            second_status, second = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        second_status, second = error.code, error.read().decode()
    assert second_status == 503
    assert FULL_MESSAGE.format(max_kernels=1) in second
    assert WIDGET_VIEW not in second
    assert "Voila exited" not in app.log.read_text()
    assert "Refused a new kernel: 1 of 1 running" in app.log.read_text()


def test_kernel_limit_reclaims_kernels_no_page_is_connected_to():
    """A kernel whose page went away (Voila's shutdown on unload never arrives) gives its place
    to the next page; a kernel with a page connected does not; then the next start is refused."""
    import asyncio

    from tornado.web import HTTPError

    from initviz.serving import LimitedKernelManager

    async def scenario():
        manager = LimitedKernelManager(max_kernels=1, reclaim_after=0.0)
        try:
            abandoned = await manager.start_kernel(kernel_name="python3")
            kept = await manager.start_kernel(kernel_name="python3")
            assert manager.list_kernel_ids() == [kept], "the unconnected kernel was reclaimed"
            manager.notify_connect(kept)  # a page's websocket
            try:
                await manager.start_kernel(kernel_name="python3")
            except HTTPError as error:
                refused = error.status_code
            else:
                refused = None
            assert refused == 503
            assert manager.list_kernel_ids() == [kept]
            assert abandoned != kept
        finally:
            await manager.shutdown_all(now=True)

    asyncio.run(scenario())


# ---------------------------------------------------------------- figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, "not a PNG file"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_figure_writes_a_png(tmp_path):
    from initviz.plots.static import FIGSIZE

    out = tmp_path / "he.png"
    result = run("figure", "--initializer", "he_normal", "--activation", "relu", "--depth", "10",
                 "--epochs", "30", "--dpi", "60", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert out.stat().st_size > 20_000  # six panels, not an empty canvas
    assert png_size(out) == (round(FIGSIZE[0] * 60), round(FIGSIZE[1] * 60))
    assert str(out) in result.stdout
    assert "epoch 30" in result.stdout and "final loss" in result.stdout
    assert "initializer=he_normal" in result.stdout


def test_figure_reports_divergence_and_writes_svg(tmp_path):
    out = tmp_path / "exploding.svg"
    result = run("figure", "--preset", "identity_exploding", "--epochs", "20", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "diverged at epoch" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("--initializer", "he_nromal"), "did you mean 'he_normal'"),
    (("--activation", "rleu"), "did you mean 'relu'"),
    (("--preset", "he_rlu"), "did you mean 'he_relu'"),
    (("--depth", "99"), "depth must be from 1 to 50"),
    (("--learning-rate", "0"), "learning_rate must be"),
    (("-o", "figure.jpeg2000"), "cannot tell the image format"),
    (("-o", "no/such/folder/out.png"), "does not exist"),
])
def test_figure_bad_values_exit_2_with_one_line(tmp_path, args, message):
    result = subprocess.run([*CLI, "figure", "--epochs", "1", *args], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no usage dump
    assert "Traceback" not in result.stderr + result.stdout
    assert not list(tmp_path.iterdir()), "nothing is written on bad input"


def test_figure_options_are_the_config_fields_with_their_defaults():
    from initviz.core.config import FIELDS, Config, format_value

    parser = cli.build_parser()
    figure = next(a for a in parser._subparsers._group_actions[0].choices.values()
                  if a.prog.endswith("figure"))
    options = {a.dest: a for a in figure._actions if a.dest in FIELDS}
    assert sorted(options) == sorted(Config.field_names())  # every field, once
    for name, action in options.items():
        assert action.option_strings == ["--" + name.replace("_", "-")]
        assert f"(default: {format_value(getattr(Config(), name))}" in action.help, name
    # the CLI refuses what Config refuses, with Config's message
    args = parser.parse_args(["figure", "--depth", "12", "--noise", "0.5"])
    assert cli.figure_config(args) == Config(depth=12, noise=0.5)


def test_figure_options_change_the_preset():
    from initviz.core import presets
    from initviz.core.training import Config

    args = cli.build_parser().parse_args(
        ["figure", "--preset", "he_relu", "--depth", "30", "--learning-rate", "0.05",
         "--batch-size", "none", "--initializer", "HeUniform"])
    assert cli.figure_config(args) == presets.config("he_relu").replace(
        depth=30, learning_rate=0.05, initializer="he_uniform")
    plain = cli.build_parser().parse_args(["figure", "--batch-size", "64"])
    assert cli.figure_config(plain) == Config(batch_size=64)
