"""The original submission's numbers are typed in one place: helpers/ledger.toml.

Every other file a reader sees (the course code, the tooling, every notebook cell, the
README outside its generated block, the theory write-ups) must read them from the ledger,
not repeat them. This test looks for each of the original's distinctive numbers (non-integer
values with at least three significant digits, written as the submission printed them) and
fails naming the file, the cell and the ledger entry of every copy it finds.
"""

from __future__ import annotations

import json
import re

import pytest

from helpers import ledger
from helpers.paths import REPO_ROOT

GENERATED = re.compile(r"<!-- results:start -->.*?<!-- results:end -->", re.S)


def _numbers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, float) and not value.is_integer():
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)


def _significant_digits(text: str) -> int:
    return len(text.replace(".", "").replace("-", "").lstrip("0"))


def distinctive_originals() -> dict[str, str]:
    """``{the number as the submission wrote it: ledger id}`` for distinctive numbers."""
    found: dict[str, str] = {}
    for item in ledger.load_ledger():
        for number in _numbers(item.original):
            text = repr(number)
            if _significant_digits(text) >= 3:
                found.setdefault(text, item.id)
    return found


ORIGINALS = distinctive_originals()
PATTERN = re.compile(
    r"(?<![\d.])("
    + "|".join(re.escape(t) for t in sorted(ORIGINALS, key=len, reverse=True))
    + r")(?!\d)"
)


def copies(text: str) -> list[str]:
    """The ledger ids of the original's numbers that ``text`` repeats."""
    return [f"{m.group(1)} ({ORIGINALS[m.group(1)]})" for m in PATTERN.finditer(text)]


def texts_to_check() -> list[tuple[str, str]]:
    """``(where, text)`` for every file and notebook cell that must not repeat an original."""
    items: list[tuple[str, str]] = []
    for path in sorted(
        [*(REPO_ROOT / "helpers").glob("*.py"), *(REPO_ROOT / "tools").rglob("*.py")]
    ):
        if path.name == "ledger.py" and path.parent.name == "helpers":
            continue  # the ledger's own reader; its docstring shows the file format
        items.append((str(path.relative_to(REPO_ROOT)), path.read_text(encoding="utf-8")))
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            items.append((f"{path.name} cell {index}", "".join(cell["source"])))
    for path in [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "theory").glob("*.md"))]:
        # the README's report block is generated from the ledger (tests/test_report.py)
        items.append((path.name, GENERATED.sub("", path.read_text(encoding="utf-8"))))
    return items


def test_the_ledger_has_distinctive_numbers_to_look_for():
    assert len(ORIGINALS) > 100
    assert ORIGINALS["0.7793"] == "backprop.step2.y_pred"
    assert "0.8488571428571429" in ORIGINALS


@pytest.mark.parametrize(
    "text",
    [
        "original = 62.55",
        "the original's 0.613 for that candidate",
        "    (4, 0.612625, 0.017750, 17),",
        '"relu/random": dict(train_accuracy=0.10226785714285715)',
    ],
)
def test_a_typed_copy_is_caught(text):
    assert copies(text)


@pytest.mark.parametrize("text", ["0.61", "10.6131", "0.7793001", "2.30118", "learning rate 0.002"])
def test_other_numbers_are_not_copies(text):
    assert not copies(text)


def test_no_original_number_is_typed_outside_the_ledger():
    found = [
        f"{where}: {', '.join(hits)}" for where, text in texts_to_check() if (hits := copies(text))
    ]
    assert not found, "the original's numbers typed outside helpers/ledger.toml:\n" + "\n".join(
        found
    )
