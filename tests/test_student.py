"""The hand-out: solution markers, cell tags, no leaked answers, self-checks that work."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers.paths import REPO_ROOT
from tools import leaks
from tools.student import (
    EXERCISE_HELPERS,
    REMOVED_CODE,
    REMOVED_MARKDOWN,
    MarkerError,
    solution_regions,
    strip_solutions,
    student_notebook,
    write_handout,
    write_zip,
)

VENV = REPO_ROOT / ".venv"

MARKED = '''\
def relu(z):
    """max(z, 0)."""
    # BEGIN SOLUTION
    return max(z, 0)
    # END SOLUTION


def step(p, g):
    checked = float(p)
    # BEGIN SOLUTION
    new = checked - 0.1 * g
    # END SOLUTION
    return new
'''


def test_regions_become_to_do_raises_and_code_around_them_stays():
    stripped, count = strip_solutions(MARKED, "helpers/toy.py")
    assert count == 2
    assert "max(z, 0)\n" not in stripped.replace('"""max(z, 0)."""', "")
    assert "0.1 * g" not in stripped and "BEGIN SOLUTION" not in stripped
    assert '"""max(z, 0)."""' in stripped and "checked = float(p)" in stripped
    namespace: dict = {}
    exec(compile(stripped, "toy", "exec"), namespace)  # our own generated stub code
    with pytest.raises(
        NotImplementedError, match=r"TO DO: write this part of relu\(\) in helpers/toy.py"
    ):
        namespace["relu"](1)
    with pytest.raises(NotImplementedError, match=r"step\(\)"):
        namespace["step"](1, 2)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a def"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
        ("def f():\n    return 1\n    # END SOLUTION\n", "without a BEGIN"),
        (
            "def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION\n",
            "inside the region",
        ),
        (
            "def f():\n    # BEGIN SOLUTION\n    if 1:\n        x = 1\n        # END SOLUTION\n",
            "indented unlike",
        ),
        ("def f():\n    # BEGIN SOLUTION\n\n    # END SOLUTION\n", "empty"),
    ],
)
def test_bad_markers_are_refused_with_file_and_line(source, message):
    with pytest.raises(MarkerError, match=message) as caught:
        strip_solutions(source, "helpers/bad.py")
    assert "helpers/bad.py, line" in str(caught.value)


def test_exercise_helpers_have_regions_in_every_function_students_write():
    wanted = {
        "backprop.py": "relu relu_grad forward squared_error gradients sgd_step",
        "svm.py": "weight_from_alphas decision_value functional_margins"
        " solve_support_vector_equations margin_width margin_width_squared"
        " max_margin_hyperplane classify",
        "scratch_nn.py": "sigmoid sigmoid_grad tanh tanh_grad relu relu_grad leaky_relu"
        " leaky_relu_grad init_random init_normal init_zero pre_activation output_error"
        " hidden_error weight_gradient bias_gradient sgd_update",
    }
    for name in EXERCISE_HELPERS:
        text = (REPO_ROOT / "helpers" / name).read_text(encoding="utf-8")
        assert {r.function for r in solution_regions(text, name)} == set(wanted[name].split())


def _notebook(*cells):
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}


def _cell(kind, source, tags=()):
    cell = {"cell_type": kind, "id": source[:8], "metadata": {"tags": list(tags)}, "source": source}
    if kind == "code":
        cell.update(
            outputs=[{"output_type": "stream", "name": "stdout", "text": "w = (-2, -2)"}],
            execution_count=4,
        )
    return cell


def test_notebook_tags_stub_remove_and_keep():
    notebook = _notebook(
        _cell("markdown", "The answer is $w = (-2, -2)$.", ["reveals-answer"]),
        _cell("code", "plt.title('b = 3')", ["reveals-answer"]),
        _cell("code", "solution = solve()", ["solution"]),
        _cell("code", "x = 1\n# BEGIN SOLUTION\ny = secret(x)\n# END SOLUTION\nprint(y)\n"),
        _cell("code", "print(solution)"),
        _cell("markdown", "Plain prose."),
    )
    converted, count = student_notebook(notebook, "02_demo")
    cells = converted["cells"]
    assert count == 2
    assert cells[0]["source"] == REMOVED_MARKDOWN and cells[1]["source"] == REMOVED_CODE
    assert (
        "solve()" not in cells[2]["source"]
        and "TO DO (exercise 1 of 02_demo)" in cells[2]["source"]
    )
    assert "secret" not in cells[3]["source"]
    assert cells[3]["source"].startswith("x = 1\nraise NotImplementedError(") and cells[3][
        "source"
    ].endswith("print(y)\n")
    assert cells[4]["source"] == "print(solution)" and cells[5]["source"] == "Plain prose."
    assert all(c.get("outputs", []) == [] for c in cells)
    assert len(cells) == 6  # numbering unchanged


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    root = tmp_path_factory.mktemp("handout")
    write_handout(root / "student", root / "student.zip")
    return root


def test_handout_stands_alone_without_reference_files(handout):
    folder = handout / "student"
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    for needed in (
        "README.md",
        "Makefile",
        "requirements.txt",
        "selfcheck.py",
        "answers-template.toml",
        "helpers/data.py",
        "notebooks/02_svm_margins.ipynb",
    ):
        assert needed in names
    assert not any(n.startswith(("results/", "theory/", "tests/", "tools/")) for n in names)
    # the ledger keeps the original's experiment numbers (notebooks 03-07 import them)
    # but not its hand-worked answers, right ones included
    ledger = (folder / "helpers" / "ledger.toml").read_text()
    full = (REPO_ROOT / "helpers" / "ledger.toml").read_text()
    assert 'id = "backprop.' in full and 'id = "svm.' in full
    assert 'id = "backprop.' not in ledger and 'id = "svm.' not in ledger
    assert 'id = "scratch.' in ledger
    for path in (folder / "notebooks").glob("*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        parameters = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
        assert len(parameters) == 1 and '"verify": "accept"' in "".join(parameters[0]["source"])
    with zipfile.ZipFile(handout / "student.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"student/{n}" for n in names)
    for path in (folder / "notebooks").glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            assert cell.get("outputs", []) == [] and "attachments" not in cell


def test_handout_leaks_no_reference_answer(handout):
    needles = leaks.reference_needles()
    assert len(needles) > 60  # the numbers and the solution lines are really searched
    assert {"(-2, -2)", "return a_below.T @ error"} <= {n.text for n in needles}
    hits = leaks.find_leaks([handout / "student", handout / "student.zip"], needles)
    assert hits == [], "\n".join(f"{h.where}: {h.needle.text} ({h.needle.what})" for h in hits)


def test_leak_test_catches_a_planted_reference_value(handout, tmp_path):
    folder = tmp_path / "student"
    shutil.copytree(handout / "student", folder)
    needles = leaks.reference_needles()
    number = next(n for n in needles if n.what.startswith("backprop.sample2.y_pred"))
    notebook = folder / "notebooks" / "01_backprop_by_hand.ipynb"
    data = json.loads(notebook.read_text())
    data["cells"][0]["source"] += f"\n\nHint: the prediction comes out near {number.text}."
    notebook.write_text(json.dumps(data, indent=1))
    svm = folder / "helpers" / "svm.py"
    svm.write_text(svm.read_text() + "\n# classify: value = decision_value(w, b, x)\n")
    write_zip(folder, tmp_path / "student.zip")
    hits = {
        (h.where, h.needle.text)
        for h in leaks.find_leaks([folder, tmp_path / "student.zip"], needles)
    }
    assert hits == {
        ("notebooks/01_backprop_by_hand.ipynb", number.text),
        ("student.zip!student/notebooks/01_backprop_by_hand.ipynb", number.text),
        ("helpers/svm.py", "value = decision_value(w, b, x)"),
        ("student.zip!student/helpers/svm.py", "value = decision_value(w, b, x)"),
    }


def test_a_number_needle_counts_only_inside_a_number_that_rounds_to_it():
    needle = leaks.Needle("0.8498", "an answer", number=True)
    assert leaks._occurs(needle, "best 0.8498 here") and leaks._occurs(needle, "(0.8498)")
    assert leaks._occurs(needle, "0.849812")  # the answer at more digits: still a leak
    assert not leaks._occurs(needle, "original = 0.8498571428571429")  # rounds to 0.8499
    assert not leaks._occurs(needle, "10.8498")  # another number
    assert leaks._occurs(leaks.Needle("0.8498", "a line"), "0.8498571")  # plain text needle


def _make_check(folder: Path) -> subprocess.CompletedProcess:
    """The hand-out's own ``make check``, with this repository's .venv (no install)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(folder), "check", f"VENV={VENV}", "STAMP="],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip


def test_raw_handout_reports_to_do_for_every_exercise(handout):
    result = _make_check(handout / "student")
    assert result.returncode != 0
    lines = [
        line for line in result.stdout.splitlines() if line.startswith(("PASS", "TO DO", "FAIL"))
    ]
    assert len(lines) >= 26 and all(line.startswith("TO DO") for line in lines), result.stdout


@pytest.fixture
def filled(handout, tmp_path):
    folder = tmp_path / "filled"
    shutil.copytree(handout / "student", folder)
    for name in EXERCISE_HELPERS:
        shutil.copyfile(REPO_ROOT / "helpers" / name, folder / "helpers" / name)
    return folder


def test_handout_with_the_reference_filled_in_passes_make_check(filled):
    result = _make_check(filled)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "26 passed, 0 to do, 0 failed of 26" in result.stdout


def test_self_check_fails_a_planted_bug_with_a_hint_and_no_answer(filled):
    path = filled / "helpers" / "backprop.py"
    text = path.read_text()
    assert text.count("return 1 if z > 0 else 0") == 1
    path.write_text(text.replace("return 1 if z > 0 else 0", "return 1 if z >= 0 else 0"))
    result = subprocess.run(
        [sys.executable, "selfcheck.py"], cwd=filled, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(filled)}, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1 and failed[0].startswith(
        "FAIL   backprop.relu_grad: the convention at the kink"
    )


def test_without_its_reveals_answer_tags_notebook_02_would_leak(handout, tmp_path):
    folder = tmp_path / "student"
    shutil.copytree(handout / "student", folder)
    notebook = json.loads((REPO_ROOT / "notebooks" / "02_svm_margins.ipynb").read_text())
    tagged = 0
    for cell in notebook["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "reveals-answer" in tags:
            tags.remove("reveals-answer")
            tagged += 1
    assert tagged >= 5
    converted, _ = student_notebook(notebook, "02_svm_margins")
    (folder / "notebooks" / "02_svm_margins.ipynb").write_text(json.dumps(converted))
    found = {h.needle.text for h in leaks.find_leaks([folder])}
    assert {"(-2, -2)", "b = 3", "-2x_1 - 2x_2 + 3"} <= found
