"""The lesson notebook's shape (predict first, then the answer) and the README's promises.

tests/test_notebooks.py executes the lesson; here: its structure, and that what README.md shows
(the ten-line API snippet, the Quick start, the files and presets it names) stays true.
"""
from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest

from conftest import REPO

LESSON = REPO / "notebooks" / "lesson.ipynb"
README = REPO / "README.md"


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README.md has no section '## {title}'"
    return match.group(1)


def code_blocks(markdown: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", markdown, re.S | re.M)


# ---------------------------------------------------------------- README


def test_readme_api_snippet_runs_and_says_what_the_prose_says():
    (snippet,) = code_blocks(readme_section("The core API in ten lines"), "python")
    assert len(snippet.strip().splitlines()) == 10
    assert "from initviz import Config, Trainer\n" in snippet  # the public API's short import
    result = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True,
                            timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("(13, 13)") and abs(float(lines[0].split()[-1]) - 0.05) < 0.005
    runs = {}
    for line in lines[1:]:
        name, first, last, loss, status = re.match(
            r"(\w+) \[\s*(\S+)\s+(\S+)\s*\] (\S+) (\w+)", line).groups()
        runs[name] = float(first), float(last), float(loss)
    glorot_first, glorot_last, glorot_loss = runs["glorot_normal"]
    he_first, he_last, he_loss = runs["he_normal"]
    assert glorot_last < 1e-4 * glorot_first and glorot_loss > 0.6  # stalls
    assert he_last > 0.1 and he_loss < 0.3  # trains


def test_readme_quick_start_is_two_commands_in_one_block():
    blocks = code_blocks(readme_section("Quick start"), "bash")
    assert len(blocks) == 1
    install_and_run, install_and_test = blocks[0].strip().splitlines()
    assert install_and_run.endswith("initviz app")
    assert install_and_test.endswith('python -m pip install -e ".[test]" && python -m pytest')


def test_readme_links_point_at_files_that_exist():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(((?!https?://)[^)#\s]+)\)", text)
    assert "docs/screenshot.png" in targets
    for target in targets:
        assert (REPO / target).exists(), f"README.md links to missing {target}"
    assert (REPO / "docs" / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_readme_lists_every_preset():
    from initviz.core import presets

    section = readme_section("Use in a course")
    for name in presets.names():
        assert f"`{name}`" in section, f"preset {name} missing from README's course section"


# ---------------------------------------------------------------- lesson notebook


@pytest.fixture(scope="module")
def lesson():
    nb = nbformat.read(LESSON, as_version=4)
    nbformat.validate(nb)
    return nb


def test_lesson_is_saved_clean_with_a_kernelspec(lesson):
    assert lesson.metadata.kernelspec == {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    assert lesson.metadata.language_info.name == "python"
    code = [c for c in lesson.cells if c.cell_type == "code"]
    assert code[0].source.startswith("%matplotlib widget")
    for cell in code:
        assert not cell.outputs and cell.execution_count is None, "saved without outputs"


def test_lesson_imports_the_public_api_and_no_widget_module_for_compare(lesson):
    code = [c.source for c in lesson.cells if c.cell_type == "code"]
    assert re.search(r"^from initviz import .*\bConfig\b.*\bcompare\b", code[0], re.M), code[0]
    for source in code:
        for long_path in ("initviz.app.features.compare", "initviz.core.training"):
            assert long_path not in source, f"the lesson imports {long_path}:\n{source}"


def test_lesson_cells_only_call_the_package(lesson):
    for cell in lesson.cells:
        if cell.cell_type != "code":
            continue
        for pattern in (r"^\s*(async\s+)?def\s", r"^\s*class\s", r"\blambda\b", r"^\s*for\s",
                        r"^\s*while\s", r"^\s*if\s"):
            assert not re.search(pattern, cell.source, re.M), (
                f"logic in the lesson ({pattern}); move it into initviz:\n{cell.source}")


def test_every_exercise_asks_first_then_answers(lesson):
    cells = lesson.cells
    questions = [i for i, c in enumerate(cells)
                 if c.cell_type == "markdown" and "**Predict first:**" in c.source]
    assert len(questions) >= 8
    for i in questions:
        assert cells[i + 1].cell_type == "code", f"no code right after question cell {i}"
        answer = next(c for c in cells[i + 2:] if c.cell_type == "markdown")
        assert "**What you should see:**" in answer.source, f"question cell {i} is never answered"


def test_lesson_covers_the_design_lessons(lesson):
    text = "\n".join(c.source for c in lesson.cells)
    for needle in ("Dense(13, input_dim=13, kernel_initializer='normal', activation='relu')",
                   'initializers.get("normal")', "glorot_uniform", "symmetry.measure",
                   '"zeros"', '"ones"', "positive_uniform", "too_small", "too_large",
                   "identity_exploding", "identity_vanishing", "he_normal", "tanh",
                   "theory.predict", "compare(", "glorot_relu_deep", "Explorer("):
        assert needle in text, f"the lesson never mentions {needle}"


# ---------------------------------------------------------------- the seed model (Your model)


def _yourmodel_cells() -> list:
    nb = nbformat.read(LESSON, as_version=4)
    return [c for c in nb.cells if "yourmodel" in c.metadata.get("tags", [])]


def test_the_lesson_opens_with_the_seed_model_under_sgd_and_adam():
    nb = nbformat.read(LESSON, as_version=4)
    cells = _yourmodel_cells()
    assert [c.cell_type for c in cells] == ["markdown", "code", "markdown"]
    first = nb.cells.index(cells[0])
    assert nb.cells[first + 3].source.startswith("## 2.")  # right after section 1
    namespace: dict = {}
    exec("from initviz import Trainer\n" + cells[1].source, namespace)
    sgd, adam = namespace["under_sgd"], namespace["under_adam"]
    said = cells[2].source
    assert "sizes [13, 13, 1]" in said and adam.network.sizes == [13, 13, 1]
    assert namespace["seed_model"].optimizer == "adam"
    assert f"starts at {adam.history.loss[0]:.2f}" in said
    assert f"{sgd.history.loss[-1]:.2f} under SGD" in said
    assert f"{adam.history.loss[-1]:.2f} under Adam" in said
