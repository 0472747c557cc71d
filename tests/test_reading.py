"""The notebooks read as a textbook: prose in Markdown, plumbing out of sight.

* no code cell builds prose (``IPython.display.Markdown`` or a ``rendered-prose`` tag);
* across the notebooks, lines of visible code (cells whose input no rendering hides) are
  no more than lines of Markdown;
* the plumbing (parameters, setup, results) and every claim check hide their input, in
  the book (tags) and in JupyterLab (``jupyter.source_hidden``);
* no committed notebook carries papermill's injected-parameters cell.
"""

from __future__ import annotations

import nbformat
import pytest

from tools.pipeline import list_notebooks

NOTEBOOKS = list_notebooks()
HIDDEN_TAGS = {"remove-input", "hide-input", "remove-cell"}


def hidden(cell) -> bool:
    tags = set(cell.metadata.get("tags", []))
    return bool(tags & HIDDEN_TAGS) or cell.metadata.get("jupyter", {}).get("source_hidden", False)


def lines(cell) -> int:
    return sum(1 for line in cell.source.splitlines() if line.strip())


def read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_cell_builds_prose(path):
    for cell in read(path).cells:
        if cell.cell_type != "code":
            continue
        assert "rendered-prose" not in cell.metadata.get("tags", []), cell.source[:80]
        assert "Markdown(" not in cell.source, f"{path.name}: {cell.source[:80]}"


def test_visible_code_is_no_more_than_the_markdown():
    code = markdown = 0
    for path in NOTEBOOKS:
        for cell in read(path).cells:
            if cell.cell_type == "markdown":
                markdown += lines(cell)
            elif cell.cell_type == "code" and not hidden(cell):
                code += lines(cell)
    assert code <= markdown, f"{code} lines of visible code against {markdown} of Markdown"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plumbing_and_claim_checks_hide_their_input(path):
    cells = [c for c in read(path).cells if c.cell_type == "code"]
    plumbing = [
        c
        for c in cells
        if "parameters" in c.metadata.get("tags", [])
        or "start_run(" in c.source
        or "run.finish(" in c.source
    ]
    assert len(plumbing) >= 3, f"{path.name}: parameters, setup and results cells"
    claims = [c for c in cells if "claim-check" in c.metadata.get("tags", [])]
    for cell in plumbing + claims:
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, cell.source[:60]
        assert set(cell.metadata.get("tags", [])) & HIDDEN_TAGS, cell.source[:60]
    for cell in claims:
        assert "remove-input" in cell.metadata["tags"], cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_checks_its_claims(path):
    claims = [c for c in read(path).cells if "claim-check" in c.metadata.get("tags", [])]
    assert claims, f"{path.name} has no claim check"
    for cell in claims:
        assert "assert " in cell.source, cell.source[:60]
