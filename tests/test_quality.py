"""The code stays lint-clean (ruff, the whole repository) and type-clean (mypy, initviz/core):
both configured in pyproject.toml, both installed by the test extra."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    exe = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(exe).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (python -m pip install -e '.[test]')")
        pytest.skip(f"{name} not installed")
    return exe


def test_ruff_finds_nothing():
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "."], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_mypy_finds_nothing_in_the_core():
    result = subprocess.run([_tool("mypy"), "--no-incremental"], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
