"""Prose never types a trained number: numbers live in outputs, sentences in Markdown.

The mechanism, used everywhere: a Markdown cell says how and why, and every number a
notebook computes by training reaches the reader through a code cell's output (a table, a
figure, a printed line), written behind ``≈`` (``helpers.verify.approx``) so that nbval
masks its last digits and the notebook's verification checks it. A sentence that depends
on such numbers states the finding qualitatively ("relu trains; every zero-initialised
network stays at the class shares") and is backed by a *claim check*: a hidden cell
(tags ``claim-check`` and ``remove-input``) of ``assert`` statements over the computed
values, which fails the run when the claim stops being true.

This test reads every executed notebook. It collects the trained numbers its outputs show
(every number behind ``≈``) and fails on any number in a Markdown cell, outside LaTeX math
and code spans, that equals one of them or lies within 3 % of one: a typed copy, or a
stale one that no longer agrees with the output it describes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers.paths import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TRAINED = re.compile(r"≈([-+]?\d+(?:\.\d+)?)")
# math ($...$, $$...$$) and code (`...`) hold formulas and settings, not results
NOT_PROSE = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`", re.S)
DECIMAL = re.compile(r"(?<![\w.])(\d+\.\d+)(?![\w.])")
CLOSE = 0.03


def _texts(output: dict) -> list[str]:
    texts = []
    if "text" in output:
        texts.append("".join(output["text"]))
    for mime in ("text/plain", "text/markdown"):
        if mime in output.get("data", {}):
            value = output["data"][mime]
            texts.append("".join(value) if isinstance(value, list) else value)
    return texts


def trained_numbers(cells: list[dict]) -> set[float]:
    """Every number the outputs print behind ``≈``, also as a percentage."""
    found: set[float] = set()
    for cell in cells:
        for output in cell.get("outputs", []):
            for text in _texts(output):
                for match in TRAINED.finditer(text):
                    value = float(match.group(1))
                    found |= {value, 100 * value}
    return {v for v in found if v != 0}


def _significant(text: str) -> int:
    return len(text.replace(".", "").lstrip("0"))


def typed_trained_numbers(markdown: str, trained: set[float]) -> list[str]:
    """Prose numbers (two or more significant digits) equal or close to a trained number."""
    prose = NOT_PROSE.sub(" ", markdown)
    hits = []
    for match in DECIMAL.finditer(prose):
        text = match.group(1)
        if _significant(text) < 2:
            continue
        value = float(text)
        near = [t for t in trained if abs(value - t) <= CLOSE * abs(t)]
        if near:
            closest = min(near, key=lambda t: abs(value - t))
            hits.append(f"{text} (an output shows ≈{closest:g})")
    return hits


def test_a_typed_or_stale_trained_number_is_caught():
    trained = trained_numbers([{"outputs": [{"text": ["tanh/normal test accuracy ≈0.2080\n"]}]}])
    assert typed_trained_numbers("tanh/normal reaches 0.208 on the test set.", trained)
    assert typed_trained_numbers("tanh/normal reaches 0.211 on the test set.", trained)  # stale
    assert typed_trained_numbers("that is 20.8 % of the test images", trained)


def test_math_code_and_unrelated_numbers_are_not_prose_numbers():
    trained = trained_numbers([{"outputs": [{"data": {"text/plain": "loss ≈2.3020"}}]}])
    assert not typed_trained_numbers(r"the loss of a guess is $\ln 10 \approx 2.303$", trained)
    assert not typed_trained_numbers("`learning_rate_init=2.30`", trained)
    assert not typed_trained_numbers("a learning rate of 0.002, 1.5 times the width", trained)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_markdown_cell_types_a_trained_number(path: Path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    trained = trained_numbers(cells)
    found = [
        f"cell {index}: {', '.join(hits)}"
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "markdown"
        and (hits := typed_trained_numbers("".join(cell["source"]), trained))
    ]
    assert not found, (
        f"{path.name}: Markdown types trained numbers; show them in a table or figure and "
        "state the sentence qualitatively, backed by a claim check:\n" + "\n".join(found)
    )
