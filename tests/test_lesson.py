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


def test_the_normalization_section_quotes_what_the_code_prints(lesson):
    """Section 10 (issue 16): every number its answers quote, from the same calls (SGD, moons,
    300 epochs, seed 0)."""
    from initviz import Trainer, compare
    from initviz.core import presets, symmetry, theory

    text = "\n".join(c.source for c in lesson.cells)
    for needle in ('presets.config("batchnorm_rescue")', 'presets.config("batchnorm_zeros")',
                   'presets.config("residual_deep")', 'presets.config("residual_scaled")'):
        assert needle in text
    rescued = compare(presets.config("batchnorm_rescue").replace(normalization="none"),
                      presets.config("batchnorm_rescue"), epochs=300)
    assert f"{rescued.final_loss_a:.3f}" == "0.692" and f"{rescued.final_loss_b:.3f}" == "0.004"
    assert 0.6 < rescued.history_b.test_loss[-1] < 1.0  # "about 0.8" (sensitive to rounding)
    zeros = Trainer(presets.config("batchnorm_zeros")).run(300)
    assert round(zeros.history.last("loss"), 3) == 0.692
    assert set(symmetry.measure(zeros.network).distinct_units) == {1}
    with_bn = presets.config("batchnorm_rescue")
    std = {scale: theory.measure(Trainer(with_bn.replace(scale=scale))).activation_std[-1]
           for scale in (10.0, 1.0, 0.1)}
    assert round(std[10.0], 1) == round(std[1.0], 1) == 0.6  # "std 0.6 at scale 10 and at 1"
    assert 0.0003 < std[0.1] < 0.0008  # "about 0.0005"
    deep = theory.measure(Trainer(presets.config("residual_deep"))).activation_std
    scaled = theory.measure(Trainer(presets.config("residual_scaled"))).activation_std
    assert 1.5e6 < deep[-1] < 3e6 and 1.5 < (deep[-1] / deep[0]) ** (1 / 29) < 1.7
    assert round(scaled[-1], 1) == 8.5
    result = compare(presets.config("residual_deep"), presets.config("residual_scaled"),
                     epochs=300)
    assert result.trainer_a.diverged and result.trainer_a.diverged_epoch == 1
    assert f"{result.final_loss_b:.3f}" == "0.115"
    assert "A diverged at epoch 1" in result.summary()
    assert "B reached loss 0.115 after 300 epochs" in result.summary()
