"""The deployment files, checked offline: deploy/jupyterhub/z2jh-values.yaml against Zero to
JupyterHub's values schema and the measured per-student figures, the course hub's config, the
image's Dockerfile and the servers' settings.

Kubernetes, Helm and Docker cannot run here: the Zero to JupyterHub values are validated against
the part of the chart's own values.schema.yaml that they use (tests/data, with the commit it came
from), the Dockerfile is read, not built. The course hub itself runs for real in tests/test_hub.py.
"""
from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
import yaml
from conftest import REPO

DEPLOY = REPO / "deploy"
VALUES = yaml.safe_load((DEPLOY / "jupyterhub" / "z2jh-values.yaml").read_text())
SCHEMA = json.loads((REPO / "tests" / "data" / "z2jh_values_schema_subset.json").read_text())
SIZING = json.loads((DEPLOY / "jupyterhub" / "sizing.json").read_text())
SERVER = json.loads((DEPLOY / "jupyter_server_config.json").read_text())
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
STUDENT = SIZING["per_student"]
MEASURED = SIZING["measured"]


def megabytes(spec: str) -> float:
    """Kubernetes / JupyterHub quantity ("512M", "1G") in MiB."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG])", spec)
    assert match, f"not a memory quantity: {spec!r}"
    return float(match[1]) * {"K": 2**-10, "M": 1, "G": 2**10}[match[2]]


# ---------------------------------------------------------------- Zero to JupyterHub


def test_values_match_the_charts_schema():
    jsonschema.validate(VALUES, SCHEMA)


@pytest.mark.parametrize("path, bad", [
    (("singleuser", "memory", "limt"), "1G"),          # misspelt key
    (("singleuser", "cpu", "limit"), "1"),             # a string where the chart wants a number
    (("singleuser", "storage", "type"), "ephemeral"),  # not one of dynamic, static, none
    (("cull", "timeout"), 3600.5),
    (("scheduling", "userPlaceholder", "replicas"), "40"),
    (("hub", "config", "jupyterhub"), {}),             # traitlets sections start with a capital
])
def test_the_schema_check_catches_mistakes(path, bad):
    values = copy.deepcopy(VALUES)
    node = values
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(values, SCHEMA)


def test_values_open_the_app_with_the_measured_figures():
    single = VALUES["singleuser"]
    assert single["defaultUrl"] == "/voila/render/explorer.ipynb"
    assert single["memory"] == {"guarantee": STUDENT["mem_guarantee"],
                                "limit": STUDENT["mem_limit"]}
    assert single["cpu"] == {"guarantee": STUDENT["cpu_guarantee"],
                             "limit": STUDENT["cpu_limit"]}
    assert single["storage"]["type"] == "none"


def test_per_student_figures_cover_what_was_measured():
    """A server with max_kernels pages fits the guarantee; with the largest network too, the
    limit; a playing page's core fits the CPU limit; the guarantee is the share under which ten
    playing pages on two cores all kept moving."""
    pages = SERVER["LimitedKernelManager"]["max_kernels"]
    typical = MEASURED["server_mb"] + pages * MEASURED["kernel_mb"]
    assert typical <= megabytes(STUDENT["mem_guarantee"])
    assert typical + MEASURED["largest_network_mb"] <= megabytes(STUDENT["mem_limit"])
    assert megabytes(STUDENT["mem_guarantee"]) <= megabytes(STUDENT["mem_limit"])
    assert STUDENT["cpu_guarantee"] >= MEASURED["cpu_shared_floor_cores"]
    assert STUDENT["cpu_limit"] >= MEASURED["cpu_playing_cores"]


def test_a_class_arriving_at_once_has_room_and_idle_servers_stop():
    scheduling = VALUES["scheduling"]
    assert scheduling["userPlaceholder"] == {"enabled": True, "replicas": SIZING["class_size"]}
    assert scheduling["podPriority"]["enabled"], "placeholders are evicted by priority"
    assert VALUES["hub"]["concurrentSpawnLimit"] >= SIZING["class_size"]
    assert VALUES["cull"] == {"enabled": True,
                              "timeout": SIZING["culling"]["server_idle_seconds"],
                              "every": SIZING["culling"]["server_cull_every_seconds"]}


def test_values_do_not_ship_an_open_door():
    config = VALUES["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] not in ("dummy", "null")
    assert not config["JupyterHub"].get("admin_access")


def test_image_is_the_package_version():
    from initviz import __version__

    image = VALUES["singleuser"]["image"]
    assert image["tag"] == __version__
    assert f"{image['name']}:{image['tag']}" in DOCKERFILE  # the build command says the same


# ---------------------------------------------------------------- the image


def test_dockerfile_installs_the_package_and_serves_the_app():
    assert re.search(r"^COPY \. /tmp/initviz$", DOCKERFILE, re.M)
    assert "pip install /tmp/initviz" in DOCKERFILE
    # the notebook written by the installed package into the server's root_dir
    assert "write_explorer_notebook" in DOCKERFILE
    root = re.search(r'"root_dir": "([^"]+)"', DOCKERFILE)[1]
    assert f"w('{root}/explorer.ipynb')" in DOCKERFILE
    assert VALUES["singleuser"]["defaultUrl"].endswith("/explorer.ipynb")
    assert ("COPY deploy/jupyter_server_config.json "
            "/etc/jupyter/jupyter_server_config.d/initviz.json") in DOCKERFILE
    # repo2docker's rules: `jupyter notebook` on PATH, run by a non-root user with uid 1000
    assert '"notebook>=7,<8"' in DOCKERFILE
    assert re.search(r"^ARG NB_UID=1000$", DOCKERFILE, re.M)
    assert re.search(r"^USER \$\{NB_UID\}$", DOCKERFILE, re.M)
    # the single-user server's JupyterHub: the chart's major version
    major = re.search(r"^ARG JUPYTERHUB_VERSION=(\d+)$", DOCKERFILE, re.M)[1]
    assert major == SCHEMA["x-z2jh"]["appVersion"].split(".")[0]


# ---------------------------------------------------------------- the servers' settings


def test_server_settings_agree_with_voila_json_and_public_serving():
    """The hub's servers serve the app as voila.json says, with tracebacks hidden as
    ``initviz app`` does when public, and cull idle kernels as voila.json does."""
    from initviz import cli

    voila = json.loads((REPO / "voila.json").read_text())
    for key in ("template", "theme", "strip_sources"):
        assert SERVER["VoilaConfiguration"][key] == voila["VoilaConfiguration"][key]
    assert SERVER["VoilaConfiguration"]["show_tracebacks"] is False
    assert "--show_tracebacks=False" in cli.PUBLIC_VOILA_ARGS
    instruction = SERVER["VoilaExecutor"]["cell_error_instruction"]
    assert f"--VoilaExecutor.cell_error_instruction={instruction}" in cli.PUBLIC_VOILA_ARGS
    assert SERVER["VoilaExecutor"]["timeout"] == voila["VoilaExecutor"]["timeout"]
    for key in ("cull_idle_timeout", "cull_interval"):
        assert SERVER["MappingKernelManager"][key] == voila["MappingKernelManager"][key]
    assert SERVER["ServerApp"]["kernel_manager_class"] == cli.KERNEL_LIMIT_CLASS


# ---------------------------------------------------------------- the course hub's config


@pytest.fixture
def hub_config(tmp_path, monkeypatch):
    """deploy/jupyterhub/jupyterhub_config.py loaded as JupyterHub loads it (no hub started)."""
    from traitlets.config import Config

    monkeypatch.setenv("INITVIZ_NOTEBOOK_DIR", str(tmp_path / "notebooks"))
    monkeypatch.delenv("INITVIZ_MAX_STUDENTS", raising=False)
    config = Config()
    path = DEPLOY / "jupyterhub" / "jupyterhub_config.py"
    namespace = {"get_config": lambda: config, "__file__": str(path), "__name__": "config"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return config, tmp_path / "notebooks"


def test_hub_config_opens_the_app_from_the_installed_package(hub_config):
    from initviz.notebook_template import explorer_notebook

    config, notebook_dir = hub_config
    spawner = config.Spawner
    assert spawner.default_url == VALUES["singleuser"]["defaultUrl"]
    notebook = notebook_dir / "explorer.ipynb"
    assert spawner.notebook_dir == str(notebook_dir)
    assert json.loads(notebook.read_text()) == explorer_notebook()
    assert "--LimitedKernelManager.max_kernels=2" in spawner.args
    assert "--VoilaConfiguration.show_tracebacks=False" in spawner.args
    assert "--MappingKernelManager.cull_idle_timeout=600" in spawner.args
    assert len(spawner.args) == sum(len(traits) for traits in SERVER.values())


def test_hub_config_limits_are_the_z2jh_ones_and_fit_the_machine(hub_config):
    import importlib.util
    import os

    config, _ = hub_config
    spawner = config.Spawner
    single = VALUES["singleuser"]
    assert (spawner.mem_guarantee, spawner.mem_limit) == (single["memory"]["guarantee"],
                                                          single["memory"]["limit"])
    assert (spawner.cpu_guarantee, spawner.cpu_limit) == (single["cpu"]["guarantee"],
                                                          single["cpu"]["limit"])
    students = config.JupyterHub.active_server_limit
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    assert 1 <= students <= os.cpu_count() / STUDENT["cpu_guarantee"]
    assert students * megabytes(STUDENT["mem_guarantee"]) <= memory_mb - 2048
    assert config.JupyterHub.concurrent_spawn_limit == students
    if importlib.util.find_spec("jupyterhub_idle_culler") is None:
        assert "services" not in config.JupyterHub  # (the hub logs that it is missing)
        return
    culler = config.JupyterHub.services[0]
    assert culler["name"] == "idle-culler"
    assert f"--timeout={SIZING['culling']['server_idle_seconds']}" in culler["command"]


# ---------------------------------------------------------------- README "Teaching a class"


def _teaching_section() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("## Teaching a class")
    return text[start:text.index("\n## ", start + 1)]


def test_readme_sizing_is_computed_from_the_figures():
    """The per-student figures and the table of README.md "Teaching a class" are sizing.json's:
    a node holds min((memory - 2 GiB) / mem_guarantee, cores / cpu_guarantee) students."""
    import math

    text = _teaching_section()
    pages = SERVER["LimitedKernelManager"]["max_kernels"]
    guarantee, limit = megabytes(STUDENT["mem_guarantee"]), megabytes(STUDENT["mem_limit"])
    assert f"**{guarantee:.0f} MiB guaranteed** (the server, {MEASURED['server_mb']} MB, with" in text
    assert f"{'two' if pages == 2 else pages} pages of {MEASURED['kernel_mb']} MB)" in text
    assert f"**{limit / 1024:.0f} GiB limit**" in text
    assert f"adds {MEASURED['largest_network_mb']} MB" in text
    assert f"**{STUDENT['cpu_guarantee']} core guaranteed**" in text
    assert f"**{STUDENT['cpu_limit']:.0f} core limit**" in text
    rows = re.findall(r"^\| (\d+) cores, (\d+) GiB[^|]*\| (\d+) \| (\d+) \| (\d+) \|$", text, re.M)
    assert len(rows) >= 3, "the sizing table"
    for cores, memory, per_node, for_40, for_200 in (map(int, row) for row in rows):
        holds = int(min((memory * 1024 - 2048) // guarantee, cores / STUDENT["cpu_guarantee"]))
        assert per_node == holds, (cores, memory)
        assert (for_40, for_200) == (math.ceil(40 / holds), math.ceil(200 / holds))
    replicas = VALUES["scheduling"]["userPlaceholder"]["replicas"]
    assert f"keep {replicas} placeholder pods" in text
