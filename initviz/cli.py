"""The ``initviz`` command line.

    initviz app [--port N] [--no-browser] [--ip IP] [--token T | --no-token] [--max-kernels N]
                                                       serve the explorer with standalone Voila
    initviz binder-link OWNER/REPO [--voila] [--ref REF]   print Binder badge Markdown
    initviz figure [--preset NAME] [--initializer NAME] [--depth N] ... [-o out.png]
                                                       render a static dashboard for slides
    initviz --help | --version

Commands live in the ``COMMANDS`` registry (name -> :class:`Command`): to add one, write a
``configure(parser)`` that declares its arguments and a ``run(args) -> int``, and register it.

This module imports only the standard library at import time; each command imports what it
needs when it runs. Bad arguments print a one-line message and exit non-zero (2 for usage
errors, 1 for failures at run time), never a traceback.
"""
from __future__ import annotations

import argparse
import ipaddress
import re
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

PROG = "initviz"
DEFAULT_PORT = 8866
DEFAULT_IP = "127.0.0.1"
STARTUP_TIMEOUT = 120.0  # seconds to wait for Voila to accept connections

BINDER_BASE = "https://mybinder.org/v2/gh"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
LESSON_URLPATH = "lab/tree/notebooks/lesson.ipynb"
APP_URLPATH = "voila/render/notebooks/explorer.ipynb"

# Settings passed to Voila on the command line (they take precedence over any voila.json).
VOILA_ARGS = (
    "--template=lab",
    "--theme=light",
    "--strip_sources=True",
    "--show_tracebacks=True",
    "--VoilaExecutor.timeout=60",
    "--MappingKernelManager.cull_idle_timeout=600",
    "--MappingKernelManager.cull_interval=60",
    # No preheated kernels (voila.json has a pool for a classroom server): one local user opens
    # the page once, and a pool would keep a second kernel (~120 MB) idle for nothing.
)


class CommandError(Exception):
    """A failure to report as ``initviz: error: <message>`` with exit status 1."""


class UsageError(CommandError):
    """A bad argument found when the command runs (e.g. a Config value): exit status 2."""


class Command(NamedTuple):
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# ---------------------------------------------------------------- argument types


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, got {port}")
    return port


_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def ip_or_host(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if _HOSTNAME.match(text):
        return text
    raise argparse.ArgumentTypeError(f"not an IP address or host name: {text!r}")


def access_token(text: str) -> str:
    if len(text) < 8 or not re.fullmatch(r"[A-Za-z0-9._~-]+", text):
        raise argparse.ArgumentTypeError(
            "a token must be at least 8 letters, digits or ._~- (it goes in a URL)")
    return text


def kernel_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of kernels: {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"--max-kernels must be at least 1, got {count}")
    return count


def is_public(ip: str) -> bool:
    """Whether Voila listening on ``ip`` can be reached from other machines (not loopback)."""
    if ip.lower() in ("localhost", "localhost.localdomain"):
        return False
    try:
        return not ipaddress.ip_address(ip).is_loopback
    except ValueError:  # a host name other than localhost: assume it is reachable
        return True


_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def github_repo(text: str) -> str:
    owner, slash, repo = text.partition("/")
    if (not slash or not _OWNER.match(owner) or not _REPO.match(repo)
            or repo in {".", ".."} or repo.endswith(".git")):
        raise argparse.ArgumentTypeError(
            f"expected a GitHub repository as OWNER/REPO (e.g. jane/initviz), got {text!r}")
    return text


def git_ref(text: str) -> str:
    if not text or any(c.isspace() or c in "~^:?*[\\" for c in text) or ".." in text:
        raise argparse.ArgumentTypeError(f"not a valid git branch, tag or commit: {text!r}")
    return text


# ---------------------------------------------------------------- binder-link


def binder_url(repo: str, *, voila: bool = False, ref: str = "main") -> str:
    """The mybinder.org URL opening the lesson in JupyterLab, or the app in Voila."""
    from urllib.parse import quote

    urlpath = APP_URLPATH if voila else LESSON_URLPATH
    return f"{BINDER_BASE}/{repo}/{quote(ref, safe='')}?urlpath={quote(urlpath, safe='')}"


def binder_badge(repo: str, *, voila: bool = False, ref: str = "main") -> str:
    """Markdown for a Binder badge (the text to paste into course material)."""
    alt = "Open the initviz app on Binder" if voila else "Open the initviz lesson on Binder"
    return f"[![{alt}]({BINDER_BADGE})]({binder_url(repo, voila=voila, ref=ref)})"


def _configure_binder_link(p: argparse.ArgumentParser) -> None:
    p.add_argument("repo", type=github_repo, metavar="OWNER/REPO",
                   help="the GitHub repository holding initviz (with its binder/ folder)")
    p.add_argument("--voila", action="store_true",
                   help="open the explorer app in Voila instead of the lesson in JupyterLab")
    p.add_argument("--ref", type=git_ref, default="main",
                   help="branch, tag or commit to build (default: main)")


def _run_binder_link(args: argparse.Namespace) -> int:
    print(binder_badge(args.repo, voila=args.voila, ref=args.ref))
    return 0


# ---------------------------------------------------------------- app


def _configure_app(p: argparse.ArgumentParser) -> None:
    p.epilog = ("Serving a class: --ip 0.0.0.0 listens on every address of this machine; a "
                "token is then required (printed in the URL), tracebacks are hidden from "
                "visitors, and --max-kernels caps the pages served at once (about 140 MB and "
                "up to one core each).")
    p.add_argument("--port", type=port_number, default=None,
                   help=f"port to listen on (default: {DEFAULT_PORT}, or the next free one)")
    p.add_argument("--ip", type=ip_or_host, default=DEFAULT_IP,
                   help=f"address to listen on (default: {DEFAULT_IP}, this machine only)")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open a web browser, just print the URL")
    access = p.add_mutually_exclusive_group()
    access.add_argument("--token", type=access_token, default=None, metavar="TOKEN",
                        help="the token visitors need (default: none on this machine only; "
                             "a random one, printed in the URL, on any other address)")
    access.add_argument("--no-token", action="store_true",
                        help="serve without a token even on a public address (anyone who can "
                             "reach the port gets a kernel)")
    p.add_argument("--max-kernels", type=kernel_count, default=None, metavar="N",
                   help="serve at most N pages at once; the next visitor gets a page saying "
                        "the server is full (default: no limit)")


def _port_free(ip: str, port: int) -> bool:
    import socket

    try:
        infos = socket.getaddrinfo(ip, port, type=socket.SOCK_STREAM)
    except OSError:
        return False
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind(addr)
        except OSError:
            return False
    return True


def _choose_port(ip: str, requested: int | None) -> int:
    if requested is not None:
        if not _port_free(ip, requested):
            raise CommandError(f"port {requested} on {ip} is in use (or not available); "
                               "choose another with --port")
        return requested
    for port in range(DEFAULT_PORT, DEFAULT_PORT + 50):
        if _port_free(ip, port):
            return port
    raise CommandError(f"no free port in {DEFAULT_PORT}-{DEFAULT_PORT + 49}; use --port")


def _wait_until_listening(proc, ip: str, port: int, timeout: float) -> None:
    import socket
    import time

    host = "127.0.0.1" if ip in ("0.0.0.0", "") else ("::1" if ip == "::" else ip)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CommandError(f"Voila exited during startup (status {proc.returncode}); "
                               "see its messages above")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise CommandError(f"Voila did not start listening on port {port} within {timeout:.0f} s")


# Serving beyond this machine (initviz app --ip on a non-loopback address): visitors see a short
# message where a cell failed; the traceback (server paths) goes to the server's log only.
PUBLIC_VOILA_ARGS = (
    "--show_tracebacks=False",
    "--VoilaExecutor.cell_error_instruction=The details are in the server log.",
)
KERNEL_LIMIT_CLASS = "initviz.serving.LimitedKernelManager"


def voila_command(notebook: str, *, port: int, ip: str, public: bool = False,
                  token: bool = False, max_kernels: int | None = None) -> list[str]:
    """The standalone-Voila command line that serves ``notebook`` (and nothing else).

    ``public``: tracebacks hidden from visitors. ``token``: a token is required, read by Voila
    from the environment variable JUPYTER_TOKEN (so it is not in the process list).
    ``max_kernels``: at most that many pages at once (:mod:`initviz.serving`).
    """
    options = list(VOILA_ARGS)
    if public:
        options = [o for o in options if not o.startswith("--show_tracebacks=")]
        options += PUBLIC_VOILA_ARGS
    if token:
        options.append("--Voila.auto_token=True")
    if max_kernels is not None:
        options += [f"--VoilaConfiguration.multi_kernel_manager_class={KERNEL_LIMIT_CLASS}",
                    f"--LimitedKernelManager.max_kernels={max_kernels}"]
    return [sys.executable, "-m", "voila", notebook, f"--port={port}", f"--Voila.ip={ip}",
            "--Voila.port_retries=0", "--no-browser", *options]


def app_access(args: argparse.Namespace) -> tuple[bool, str | None]:
    """``(public, token)`` for ``initviz app``: on a non-loopback address a token is required,
    ``--token``'s or a fresh random one, unless ``--no-token`` (warned on stderr)."""
    import secrets

    public = is_public(args.ip)
    if args.token is not None:
        return public, args.token
    if not public:
        return False, None
    if args.no_token:
        print(f"{PROG} app: warning: serving on {args.ip} without a token: anyone who can "
              "reach this port gets a kernel on this machine", file=sys.stderr, flush=True)
        return True, None
    return True, secrets.token_urlsafe(24)


def _exit_on_signal(signum, frame):  # turns SIGTERM into SystemExit, so cleanup runs
    raise SystemExit(128 + signum)


def _run_app(args: argparse.Namespace) -> int:
    import importlib.util
    import os
    import shutil
    import signal
    import subprocess
    import tempfile
    from pathlib import Path

    from initviz.notebook_template import write_explorer_notebook

    for module in ("voila", "ipykernel"):
        if importlib.util.find_spec(module) is None:
            raise CommandError(f"{module} is not installed in this Python ({sys.executable}); "
                               "reinstall initviz: python -m pip install initviz")

    public, token = app_access(args)
    port = _choose_port(args.ip, args.port)
    # Stop Voila and its kernels when this process is told to stop (not only on Ctrl+C).
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _exit_on_signal)
    workdir = Path(tempfile.mkdtemp(prefix="initviz-app-"))
    try:
        notebook = write_explorer_notebook(workdir / "explorer.ipynb")
        (workdir / "voila.json").write_text("{}\n", encoding="utf-8")
        cmd = voila_command(notebook.name, port=port, ip=args.ip, public=public,
                            token=token is not None, max_kernels=args.max_kernels)
        env = dict(os.environ)
        env.pop("JUPYTER_TOKEN", None)
        if token is not None:
            env["JUPYTER_TOKEN"] = token
        # Voila reads voila.json from its working directory: run it in the temporary folder so
        # a voila.json wherever the user happens to be cannot change what is served.
        proc = subprocess.Popen(cmd, cwd=workdir, env=env)
        try:
            _wait_until_listening(proc, args.ip, port, STARTUP_TIMEOUT)
            shown = f"[{args.ip}]" if ":" in args.ip else args.ip
            url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
            print(f"\ninitviz explorer: {url}\n(press Ctrl+C to stop)\n", flush=True)
            if not args.no_browser:
                import webbrowser

                webbrowser.open(url)
            return proc.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            if proc.poll() is None:
                proc.terminate()  # Voila shuts its kernels down on SIGTERM
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- figure

DEFAULT_FIGURE = "initviz-figure.png"
DEFAULT_EPOCHS = 200
MAX_EPOCHS = 1_000_000


def _field_value(spec) -> Callable[[str], object]:
    """argparse type for a Config field: the same parser a share link uses (the value's range
    is checked by Config, whose one-line message ``figure_config`` reports)."""
    def parse(text: str) -> object:
        try:
            return spec.parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = spec.kind  # argparse names the type in its messages
    return parse


def epoch_count(text: str) -> int:
    try:
        epochs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of epochs: {text!r}") from None
    if not 0 <= epochs <= MAX_EPOCHS:
        raise argparse.ArgumentTypeError(f"epochs must be from 0 to {MAX_EPOCHS}, got {epochs}")
    return epochs


def dots_per_inch(text: str) -> int:
    try:
        dpi = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a dpi value: {text!r}") from None
    if not 20 <= dpi <= 600:
        raise argparse.ArgumentTypeError(f"dpi must be from 20 to 600, got {dpi}")
    return dpi


def _configure_figure(p: argparse.ArgumentParser) -> None:
    p.epilog = ("Options left out take the preset's value (with --preset) or the default shown. "
                "Example: initviz figure --initializer he_normal --activation relu --depth 10 "
                "--epochs 200 -o he.png")
    p.add_argument("-o", "--output", default=DEFAULT_FIGURE, metavar="PATH",
                   help=f"image to write; .png, .svg or .pdf (default: {DEFAULT_FIGURE})")
    p.add_argument("--epochs", type=epoch_count, default=DEFAULT_EPOCHS, metavar="N",
                   help=f"epochs to train before drawing (default: {DEFAULT_EPOCHS})")
    p.add_argument("--dpi", type=dots_per_inch, default=110, metavar="N",
                   help="resolution of a PNG (default: 110, a 1375 x 726 image)")
    p.add_argument("--preset", metavar="NAME",
                   help="start from a lesson preset (he_relu, zeros, identity_exploding, ...; "
                        "see initviz.core.presets)")
    from initviz.core.config import FIELDS, format_value  # the table of Config fields

    group = p.add_argument_group("network and training (initviz.core.config.Config)")
    for name, spec in FIELDS.items():
        flag = "--" + name.replace("_", "-")
        kwargs = {} if spec.kind == "name" else {"type": _field_value(spec)}
        metavar = {"name": "NAME", "int": "N", "float": "X", "batch": "N",
                   "bool": "true|false", "params": "K:V,...", "widths": "N,N,..."}[spec.kind]
        short = spec.kind != "name" or len(spec.names()) <= 12  # not the 27 initializers
        limits = f"; {spec.range_text}" if short else ""
        group.add_argument(flag, dest=name, default=argparse.SUPPRESS, metavar=metavar,
                           help=f"{spec.help} (default: {format_value(spec.default)}{limits})",
                           **kwargs)


def figure_config(args: argparse.Namespace):
    """The Config the options ask for: the preset (or ``Config()``) with the given fields."""
    from initviz.core import presets
    from initviz.core.config import FIELDS, Config

    changes = {name: getattr(args, name) for name in FIELDS if hasattr(args, name)}
    try:
        base = presets.config(args.preset) if args.preset else Config()
        return base.replace(**changes)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _run_figure(args: argparse.Namespace) -> int:
    from pathlib import Path

    config = figure_config(args)  # bad values are reported before anything is trained
    output = Path(args.output)
    suffix = output.suffix.lower().lstrip(".")
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        raise UsageError(f"cannot tell the image format from {args.output!r}; end it with "
                         f".png, .svg or .pdf (supported: {', '.join(sorted(formats))})")
    if not output.parent.is_dir():
        raise UsageError(f"folder {str(output.parent)!r} does not exist (for -o {args.output})")

    from initviz.plots.static import render_dashboard

    try:
        trainer = render_dashboard(config, args.epochs, output, dpi=args.dpi)
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error.strerror or error}") from None
    loss = trainer.history.last("loss")
    status = trainer.status
    if trainer.diverged:
        status = f"diverged at epoch {trainer.diverged_epoch}"
    loss_text = f"final loss {loss:.4g}" if loss == loss else "no loss recorded"
    setting = config.to_query() or "the default setting"
    print(f"wrote {output} ({setting}): epoch {trainer.epoch}, {loss_text}, {status}")
    return 0


# ---------------------------------------------------------------- registry and main

COMMANDS: dict[str, Command] = {
    "app": Command("serve the explorer app in your browser (standalone Voila)",
                   _configure_app, _run_app),
    "binder-link": Command("print Binder badge Markdown for course material",
                           _configure_binder_link, _run_binder_link),
    "figure": Command("render a static dashboard for slides (PNG, SVG or PDF)",
                      _configure_figure, _run_figure),
}


def _version() -> str:
    from initviz import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="initviz: see what a neural network's weight initializer does.",
        epilog=f"Run '{PROG} COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help)
        command.configure(p)
        p.set_defaults(_run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
