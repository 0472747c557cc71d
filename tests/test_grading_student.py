"""make student: exercise cells become stubs that raise a clear TO DO, outputs are cleared."""

from __future__ import annotations

import json

import pytest

from tools.student import write_student_version


def _fixture_notebook() -> dict:
    def code(source, tags=(), **metadata):
        return {
            "cell_type": "code",
            "execution_count": 3,
            "id": f"c{len(source)}",
            "metadata": {"tags": list(tags), **metadata},
            "source": source,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "0.49\n"}],
        }

    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3"}},
        "cells": [
            {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Backprop"},
            code("x = 1\n"),
            code(
                "y_pred = 0.3 * 0.3 + 0.4  # the answer\n",
                ["exercise"],
                exercise="compute y_pred for the first sample",
            ),
            code("print(y_pred)\n"),
        ],
    }


def test_exercise_cells_become_to_do_stubs(tmp_path):
    source = tmp_path / "01_fixture.ipynb"
    source.write_text(json.dumps(_fixture_notebook()))
    out = tmp_path / "student"
    lines = write_student_version([source], out)
    assert lines[0].endswith("(1 exercise cell(s))")
    notebook = json.loads((out / "01_fixture.ipynb").read_text())
    cells = notebook["cells"]
    assert all(
        c["outputs"] == [] and c["execution_count"] is None
        for c in cells
        if c["cell_type"] == "code"
    )
    stub = cells[2]["source"]
    assert "0.3 * 0.3" not in stub  # the answer is gone
    assert cells[1]["source"] == "x = 1\n" and cells[3]["source"] == "print(y_pred)\n"
    with pytest.raises(
        NotImplementedError, match=r"TO DO \(exercise 1 of 01_fixture\): compute y_pred"
    ):
        exec(compile(stub, "stub", "exec"), {})  # the stub is our own generated code
    template = (out / "answers-template.toml").read_text()
    assert "[backprop.sample1]" in template
    assert json.loads((source).read_text())["cells"][2]["outputs"]  # source untouched


def test_notebook_without_exercises_is_copied_cleared(tmp_path):
    notebook = _fixture_notebook()
    notebook["cells"][2]["metadata"]["tags"] = []
    source = tmp_path / "02_plain.ipynb"
    source.write_text(json.dumps(notebook))
    lines = write_student_version([source], tmp_path / "student")
    assert "no cell tagged 'exercise' yet" in lines[0]
    cells = json.loads((tmp_path / "student" / "02_plain.ipynb").read_text())["cells"]
    assert cells[2]["source"].startswith("y_pred = ") and cells[2]["outputs"] == []
