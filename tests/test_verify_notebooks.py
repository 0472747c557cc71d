"""`make verify` catches a deliberate change of a committed result (nbval, end to end).

A copy of the repository's notebook 01 with its committed results runs under nbval from a
temporary folder (its own ``helpers`` first on the path, so results are read there):
unchanged it passes; a perturbed number in ``results/01_backprop_by_hand.json`` fails the
verification cell; a perturbed number in the notebook's stored output fails nbval's text
comparison. Notebook 01 takes seconds; the same cell ends every notebook.
"""

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from helpers.paths import REPO_ROOT
from tools.verify import NBVAL_ARGS

NOTEBOOK = "01_backprop_by_hand.ipynb"


@pytest.fixture
def repo_copy(tmp_path):
    for name in ("helpers", "results", "theory"):
        shutil.copytree(
            REPO_ROOT / name,
            tmp_path / name,
            ignore=shutil.ignore_patterns("__pycache__", "figures"),
        )
    for name in (".nbval-sanitize.cfg", "conftest.py"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    (tmp_path / "notebooks").mkdir()
    shutil.copy(REPO_ROOT / "notebooks" / NOTEBOOK, tmp_path / "notebooks" / NOTEBOOK)
    return tmp_path


def nbval(root):
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, *NBVAL_ARGS, "-q", f"notebooks/{NOTEBOOK}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )


def test_unchanged_copy_verifies(repo_copy):
    result = nbval(repo_copy)
    assert result.returncode == 0, result.stdout[-3000:]


def test_perturbed_committed_result_fails(repo_copy):
    path = repo_copy / "results" / "01_backprop_by_hand.json"
    document = json.loads(path.read_text())
    document["results"]["final"]["w2"]["float"] += 1e-6
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    result = nbval(repo_copy)
    assert result.returncode != 0
    assert "VerificationError" in result.stdout
    assert "final/w2/float: committed" in result.stdout


def test_perturbed_stored_output_fails(repo_copy):
    path = repo_copy / "notebooks" / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    verdict = next(c for c in nb.cells if c.cell_type == "code" and "run.finish(" in c.source)
    index = nb.cells.index(verdict)

    def shown_text(output):  # what nbval compares: a printed stream or a result's text
        if output.get("output_type") == "stream":
            return output, "text"
        return output.get("data", {}), "text/plain"

    target = next(
        (holder, key)
        for c in reversed(nb.cells[:index])
        if c.cell_type == "code"
        for holder, key in map(shown_text, c.outputs)
        if any(ch.isdigit() for ch in "".join(holder.get(key, "")))
    )
    holder, key = target
    text = "".join(holder[key])
    digit = next(i for i, ch in enumerate(text) if ch.isdigit())
    changed = "1" if text[digit] != "1" else "2"
    holder[key] = text[:digit] + changed + text[digit + 1 :]
    nbformat.write(nb, path)
    result = nbval(repo_copy)
    assert result.returncode != 0
    assert "Cell outputs differ" in result.stdout
