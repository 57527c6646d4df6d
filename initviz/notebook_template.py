"""The explorer notebook, generated from one place.

``notebooks/explorer.ipynb`` (the Voila entry point in the repository and on Binder) and the
notebook that ``initviz app`` serves from a temporary directory are both this function's output;
``tests/test_notebooks.py`` checks that the saved file has not drifted from it.

Standard library only: the command line imports this module before starting Voila.
"""
from __future__ import annotations

import json
from pathlib import Path

TITLE = "# initviz: what does `kernel_initializer` do?"

INTRO = (
    "Pick an initializer and a scale, press **Play**, and watch what happens to the activations "
    "and gradients of every layer while the network trains."
)

CODE = "%matplotlib widget\nfrom initviz import Explorer\nExplorer()"

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

LANGUAGE_INFO = {
    "name": "python",
    "mimetype": "text/x-python",
    "file_extension": ".py",
    "pygments_lexer": "ipython3",
    "codemirror_mode": {"name": "ipython", "version": 3},
    "nbconvert_exporter": "python",
}


def explorer_notebook() -> dict:
    """Return the explorer notebook as nbformat 4 JSON (a plain dict, no outputs)."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)},
        "cells": [
            {
                "cell_type": "markdown",
                "id": "initviz-title",
                "metadata": {},
                "source": f"{TITLE}\n\n{INTRO}",
            },
            {
                "cell_type": "code",
                "id": "initviz-explorer",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": CODE,
            },
        ],
    }


def write_explorer_notebook(path: str | Path) -> Path:
    """Write :func:`explorer_notebook` to ``path`` (a file name) and return the path."""
    path = Path(path)
    path.write_text(json.dumps(explorer_notebook(), indent=1) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # regenerate the repository copy: python -m initviz.notebook_template
    target = Path(__file__).resolve().parent.parent / "notebooks" / "explorer.ipynb"
    print(write_explorer_notebook(target))
