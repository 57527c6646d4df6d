"""Imports point one way: core (NumPy only) <- plots (matplotlib) <- app (ipywidgets, ipympl).

Checked twice: dynamically, by importing in a fresh interpreter and looking at sys.modules, and
statically, by parsing every module's import statements (including lazy ones inside functions).
"""
import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import initviz

ROOT = Path(initviz.__file__).parent
UI = {"matplotlib", "ipywidgets", "IPython", "ipympl", "ipykernel", "voila", "traitlets"}
WIDGETS = {"ipywidgets", "IPython", "ipympl", "ipykernel", "voila"}


def _fresh(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints a JSON object as its last line."""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=ROOT.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def _core_modules() -> list[str]:
    return sorted(f"initviz.core.{m.name}" for m in pkgutil.iter_modules([str(ROOT / "core")]))


def test_core_and_all_its_submodules_import_without_ui_libraries():
    modules = ["initviz.core", *_core_modules()]
    assert {"initviz.core.network", "initviz.core.training", "initviz.core.theory",
            "initviz.core.codegen"} <= set(modules)
    found = _fresh(
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    assert not UI & set(found), sorted(UI & set(found))
    assert "torch" not in found and "keras" not in found


def test_import_initviz_is_light():
    found = _fresh("import initviz, json, sys\n"
                   "print(json.dumps(sorted(sys.modules)))\n")
    roots = {m.split(".")[0] for m in found}
    assert not (UI | {"numpy"}) & roots, sorted((UI | {"numpy"}) & roots)
    assert not any(m.startswith("initviz.app") or m.startswith("initviz.plots") for m in found)


def test_import_initviz_core_is_light():
    found = _fresh("import initviz.core, json, sys\n"
                   "print(json.dumps(sorted(sys.modules)))\n")
    roots = {m.split(".")[0] for m in found}
    assert not (UI | {"numpy"}) & roots, sorted((UI | {"numpy"}) & roots)
    loaded = [m for m in found if m.startswith("initviz.")]
    assert loaded == ["initviz.core", "initviz.core._lazy"], loaded  # names load on first use


def test_the_public_api_names_load_the_core_only_until_explorer_is_touched():
    found = _fresh(
        "import json, sys\n"
        "from initviz import Config, Trainer, Network, compare\n"
        "from initviz.core import Config as C, Trainer as T, Network as N\n"
        "import initviz.core.compare, initviz.core.network, initviz.core.training\n"
        "same = [Config is C is initviz.core.training.Config, Trainer is T is initviz.core.training.Trainer,\n"
        "        Network is N is initviz.core.network.Network, compare is initviz.core.compare.compare]\n"
        "core = sorted({m.split('.')[0] for m in sys.modules})\n"
        "import initviz\n"
        "explorer = initviz.Explorer\n"
        "from initviz.app.explorer import Explorer\n"
        "print(json.dumps({'same': same, 'core': core, 'explorer': explorer is Explorer,\n"
        "                  'ui': sorted({m.split('.')[0] for m in sys.modules})}))\n")
    assert all(found["same"]), found["same"]
    assert "numpy" in found["core"] and not UI & set(found["core"]), sorted(UI & set(found["core"]))
    assert found["explorer"] and {"ipywidgets", "matplotlib"} <= set(found["ui"])


def test_unknown_public_names_raise_attribute_error():
    import initviz.core

    for module in (initviz, initviz.core):
        with pytest.raises(AttributeError, match="no attribute 'Explorerr'"):
            module.Explorerr  # noqa: B018


def _imports(path: Path) -> set[str]:
    """Top-level package names imported anywhere in a file (absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, package
    return files


@pytest.mark.parametrize("path", _files("core"), ids=lambda p: p.name)
def test_core_imports_numpy_and_itself_only(path):
    for name in _imports(path):
        root = name.split(".")[0]
        assert root not in UI, f"{path.name} imports {name}"
        assert not name.startswith(("initviz.plots", "initviz.app", "initviz.cli")), (
            f"{path.name} imports {name}: core must not import the layers above it")


@pytest.mark.parametrize("path", _files("plots"), ids=lambda p: p.name)
def test_plots_import_no_widgets(path):
    for name in _imports(path):
        assert name.split(".")[0] not in WIDGETS, f"{path.name} imports {name}"
        assert not name.startswith(("initviz.app", "initviz.cli")), f"{path.name} imports {name}"


def test_the_static_check_sees_lazy_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import numpy as np\n"
                      "def f():\n    import matplotlib.pyplot as plt\n"
                      "    from ipywidgets import Button\n"
                      "from . import sibling\n")
    assert _imports(sample) == {"numpy", "matplotlib.pyplot", "ipywidgets"}
