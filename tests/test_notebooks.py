"""Every notebook runs top to bottom headless; explorer.ipynb is the packaged template."""
from __future__ import annotations

import nbformat
import pytest
from conftest import REPO
from nbclient import NotebookClient

from initviz.notebook_template import explorer_notebook

NOTEBOOK_PATHS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert (REPO / "notebooks" / "explorer.ipynb") in NOTEBOOK_PATHS


@pytest.mark.timeout(360)
@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=[p.name for p in NOTEBOOK_PATHS])
def test_notebook_runs_headless(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", f"{path.name}: {output}"


def _normalise(cells):
    return [{"cell_type": c["cell_type"], "source": c["source"]} for c in cells]


def test_explorer_notebook_is_the_template():
    saved = nbformat.read(REPO / "notebooks" / "explorer.ipynb", as_version=4)
    generated = nbformat.from_dict(explorer_notebook())
    nbformat.validate(generated)
    assert _normalise(saved.cells) == _normalise(generated.cells), (
        "notebooks/explorer.ipynb drifted from initviz/notebook_template.py; regenerate it with "
        "python -m initviz.notebook_template")
    assert saved.metadata.kernelspec.name == "python3"
    assert saved.metadata.kernelspec.display_name == "Python 3 (ipykernel)"
    assert saved.metadata.language_info.name == "python"
    for cell in saved.cells:
        assert not cell.get("outputs"), "explorer.ipynb is saved without outputs"



def test_voila_renders_the_explorer_with_the_repository_settings(voila_server):
    """Without a browser: Voila (with voila.json) runs the explorer notebook without errors."""
    import json
    import urllib.request

    with urllib.request.urlopen(voila_server.url + "/voila/render/explorer.ipynb",
                                timeout=120) as response:
        assert response.status == 200
        page = response.read().decode("utf-8", "replace")
    assert "There was an error when executing cell" not in page
    assert "Explorer()" not in page  # strip_sources
    assert "theme-light" in page
    culling = json.loads((REPO / "voila.json").read_text())["MappingKernelManager"]
    expected = (f"Culling kernels with idle durations > {culling['cull_idle_timeout']} seconds "
                f"at {culling['cull_interval']} second intervals")
    assert expected in voila_server.log_path.read_text(), "voila.json's culling not applied"
