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

import pytest

import initviz
from conftest import REPO, free_port
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


def test_app_serves_only_the_explorer(tmp_path):
    port = free_port()
    log = open(tmp_path / "app.log", "wb")
    proc = subprocess.Popen([*CLI, "app", "--no-browser", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        url_line = ""
        while time.monotonic() < deadline and not url_line:  # the URL is printed once ready
            line = proc.stdout.readline().decode()
            if not line and proc.poll() is not None:
                break
            if "http://" in line:
                url_line = line
        assert f"http://127.0.0.1:{port}/" in url_line, (tmp_path / "app.log").read_text()
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
    finally:
        os.kill(proc.pid, signal.SIGTERM)  # initviz app stops Voila and its kernels
        try:
            proc.wait(timeout=30)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            log.close()


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
