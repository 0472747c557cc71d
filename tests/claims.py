"""A notebook's claim-check cells, for ``tests/test_claims_*.py``.

Each of those modules takes a ``claim-check`` cell's source from the committed notebook
and executes it in a namespace of values that make its claim true, then false. Imported
as ``tests.claims`` (the repository root is on ``sys.path``: the root ``conftest.py``);
``tests/conftest.py`` has pytest rewrite its asserts, so a failure shows the values.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path


def claim_cells(notebook: Path) -> list[dict]:
    """The cells of ``notebook`` tagged ``claim-check``, in order (read from disk each time)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells if "claim-check" in cell["metadata"].get("tags", [])]


def claim_source(notebook: Path, marker: str) -> str:
    """The source of the one claim-check cell of ``notebook`` that contains ``marker``."""
    sources = ["".join(cell["source"]) for cell in claim_cells(notebook)]
    found = [source for source in sources if marker in source]
    assert len(found) == 1, f"{len(found)} claim-check cells contain {marker!r}"
    return found[0]


def hidden_claim_cells(notebook: Path, at_least: int) -> list[dict]:
    """The claim-check cells of ``notebook``, after asserting that there are at least
    ``at_least`` and that each one's input is removed from the book and hidden in Jupyter."""
    cells = claim_cells(notebook)
    assert len(cells) >= at_least
    for cell in cells:
        assert "remove-input" in cell["metadata"]["tags"]
        assert cell["metadata"]["jupyter"]["source_hidden"] is True
    return cells


def run_printed(source: str, notebook: Path, namespace: dict) -> str:
    """Execute a claim check of ``notebook`` in ``namespace``; the text it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, str(notebook), "exec"), namespace)
    return printed.getvalue()
