"""A single-machine JupyterHub for a class: every student gets the initviz explorer after login.

    python -m pip install "initviz[hub]"          # initviz, JupyterHub, jupyterhub-idle-culler
    npm install -g configurable-http-proxy        # the hub's proxy (Node.js)
    jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Each student's server is a ``jupyterhub-singleuser`` process in this Python environment, opening
Voila at ``/user/NAME/voila/render/explorer.ipynb``. The explorer notebook is written from the
INSTALLED initviz (initviz.notebook_template) into a folder all students can read, at hub start;
no checkout is needed. Per-student figures (memory, CPU, server culling) come from sizing.json
beside this file, where each is explained and measured; the servers' own settings (Voila, kernel
limit and culling) from deploy/jupyter_server_config.json. README.md "Teaching a class" sizes a
class.

Environment variables (all optional):
    INITVIZ_NOTEBOOK_DIR   where the explorer notebook is written (default: the environment's
                           share/initviz/notebooks, readable by every user)
    INITVIZ_MAX_STUDENTS   servers running at once (default: what this machine's cores and
                           memory hold at the per-student guarantees, see below)

Authentication (replace the default before a class)
---------------------------------------------------
Out of the box this uses JupyterHub's defaults: PAM (the machine's own user accounts) and the
LocalProcessSpawner (each student's server runs as their own Unix user; the hub runs as root).
Only users listed in ``students.txt`` beside this file (one name a line) may log in; teachers
listed in ``teachers.txt`` are hub admins. To use your institution's login instead, install an
authenticator and set it here, for example GitHub or any OAuth2/OpenID Connect provider::

    python -m pip install oauthenticator
    c.JupyterHub.authenticator_class = "github"            # or "generic-oauth", "google", ...
    c.OAuthenticator.oauth_callback_url = "https://hub.example.org/hub/oauth_callback"
    c.OAuthenticator.client_id = "..."                     # from the provider's app settings
    c.OAuthenticator.client_secret = "..."
    c.OAuthenticator.allowed_organizations = {"my-course"}  # GitHub; or allowed_users

With an authenticator whose users have no Unix account, use a spawner that needs none (e.g.
``c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"``, or
``jupyterhub.spawner.SimpleLocalProcessSpawner`` for a trusted class: every server then runs as
the hub's user). For an LMS (Moodle, Canvas), ``ltiauthenticator`` does the same. Nothing else in
this file depends on the authenticator or the spawner: tests/test_hub.py runs this very file with
only the two swapped (``dummy`` authenticator, ``simple`` spawner) and two students who train.

Limits: ``Spawner.mem_limit`` / ``cpu_limit`` / ``*_guarantee`` are set for spawners that
enforce them (DockerSpawner, SystemdSpawner, KubeSpawner). The LocalProcessSpawner cannot: it
only passes them to the server as MEM_LIMIT / CPU_LIMIT. On one machine the hub's
``active_server_limit`` (below) keeps the class within what the machine holds, and each server
runs at most ``max_kernels`` pages (deploy/jupyter_server_config.json).
"""
import importlib.util
import json
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (defined by JupyterHub when it loads this file)

HERE = Path(__file__).resolve().parent
SIZING = json.loads((HERE / "sizing.json").read_text(encoding="utf-8"))
STUDENT = SIZING["per_student"]
APP_NOTEBOOK = "explorer.ipynb"


# ---------------------------------------------------------------- the app, from the package


def write_app_notebooks(folder: Path) -> Path:
    """Write the explorer notebook of the installed initviz into ``folder`` (world-readable)."""
    from initviz.notebook_template import explorer_notebook, write_explorer_notebook

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / APP_NOTEBOOK
    try:
        current = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current != explorer_notebook():  # the installed version changed, or first start
        write_explorer_notebook(target)
    folder.chmod(0o755)
    target.chmod(0o644)
    return folder


NOTEBOOK_DIR = write_app_notebooks(Path(os.environ.get(
    "INITVIZ_NOTEBOOK_DIR", Path(sys.prefix) / "share" / "initviz" / "notebooks")))

# The students' servers run in this same environment (the one with initviz and JupyterHub).
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.notebook_dir = str(NOTEBOOK_DIR)
c.Spawner.default_url = f"/voila/render/{APP_NOTEBOOK}"


def server_args(config: dict) -> list[str]:
    """jupyter_server config (``{"Class": {"trait": value}}``) as command-line arguments."""
    return [f"--{section}.{trait}={value}"
            for section, traits in config.items() for trait, value in traits.items()]


# The students' servers: Voila as initviz app serves it, no tracebacks for visitors (the server's
# log has them), at most max_kernels pages per student (initviz.serving.LimitedKernelManager:
# kernels with no page connected give their place first, since Voila's shutdown from a closed
# page never arrives, voila#1458), idle kernels culled. One home, shared with the container
# image (deploy/Dockerfile copies it into /etc/jupyter/jupyter_server_config.d/).
SERVER_CONFIG = json.loads((HERE.parent / "jupyter_server_config.json").read_text("utf-8"))
c.Spawner.args = server_args(SERVER_CONFIG)

# ---------------------------------------------------------------- per-student resources

c.Spawner.mem_guarantee = STUDENT["mem_guarantee"]
c.Spawner.mem_limit = STUDENT["mem_limit"]
c.Spawner.cpu_guarantee = STUDENT["cpu_guarantee"]
c.Spawner.cpu_limit = STUDENT["cpu_limit"]


def bytes_of(spec: str) -> int:
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    return int(float(spec[:-1]) * units[spec[-1]]) if spec[-1] in units else int(spec)


def machine_holds() -> int:
    """Students this machine runs at their guarantees: its cores / cpu_guarantee and its memory
    (less 2 GiB for the system and the hub) / mem_guarantee, whichever is smaller."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = 8 * 2**30
    by_memory = (memory - 2 * 2**30) // bytes_of(STUDENT["mem_guarantee"])
    by_cpu = (os.cpu_count() or 1) / STUDENT["cpu_guarantee"]
    return max(1, int(min(by_memory, by_cpu)))


# The next student past this limit is told the hub is busy and to try again later.
MAX_STUDENTS = int(os.environ.get("INITVIZ_MAX_STUDENTS", machine_holds()))
c.JupyterHub.active_server_limit = MAX_STUDENTS
# A class logs in at once: servers start in parallel, and on a busy machine slowly.
c.JupyterHub.concurrent_spawn_limit = MAX_STUDENTS
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# ---------------------------------------------------------------- culling idle servers

if importlib.util.find_spec("jupyterhub_idle_culler") is not None:
    c.JupyterHub.services = [{
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                    f"--timeout={SIZING['culling']['server_idle_seconds']}",
                    f"--cull-every={SIZING['culling']['server_cull_every_seconds']}"],
    }]
    c.JupyterHub.load_roles = [{
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }]
else:  # pip install jupyterhub-idle-culler (part of initviz[hub])
    print("jupyterhub_config: jupyterhub-idle-culler is not installed: idle servers are not "
          "stopped (only idle kernels are)", file=sys.stderr)

# ---------------------------------------------------------------- who may log in


def names_in(path: Path) -> set[str]:
    if not path.exists():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


c.Authenticator.allowed_users = names_in(HERE / "students.txt")
c.Authenticator.admin_users = names_in(HERE / "teachers.txt")
