"""Notebook 02's claim checks fail when their claims are made false.

Each test reads a claim-check cell's source from the committed notebook and runs it in a
namespace built here: once with the notebook's own problem (the cell must pass, printing
nothing) and once with the other problem's values, which make the claim false (the cell
must raise ``AssertionError``).
"""

from __future__ import annotations

import pytest

from helpers import svm
from helpers.paths import NOTEBOOKS_DIR
from helpers.svm import candidate_support_sets, max_margin_hyperplane
from tests.claims import claim_source, hidden_claim_cells, run_printed

NOTEBOOK = NOTEBOOKS_DIR / "02_svm_margins.ipynb"
PROBLEM_1 = {
    "names": ["A", "B", "C", "D", "E", "F"],
    "X": [(0, 0), (1, 0), (0, 1), (1, 1), (2, 2), (2, 0)],
    "y": [1, 1, 1, -1, -1, -1],
}
PROBLEM_2 = {
    "names": ["A", "B", "C", "D"],
    "X": [(1, 2), (2, 3), (3, 3), (4, 1)],
    "y": [1, 1, -1, -1],
}


def run_claim(source: str, **values) -> str:
    """Execute a claim check with :mod:`helpers.svm` and ``values``; its printed text."""
    return run_printed(source, NOTEBOOK, {**vars(svm), **values})


def test_every_claim_check_is_hidden_and_tagged():
    for cell in hidden_claim_cells(NOTEBOOK, at_least=6):
        assert cell.get("outputs", []) == []  # prints nothing


def test_one_optimal_candidate_claim_fails_for_a_problem_with_two():
    source = claim_source(NOTEBOOK, "exactly one candidate passes")
    candidates_2 = candidate_support_sets(PROBLEM_2["X"], PROBLEM_2["y"])
    assert run_claim(source, PROBLEM_2=PROBLEM_2, candidates_2=candidates_2) == ""
    # problem 1's candidates, labelled as problem 2's: two optimal sets, not one
    with pytest.raises(AssertionError, match="exactly one"):
        run_claim(
            source,
            PROBLEM_2=PROBLEM_1,
            candidates_2=candidate_support_sets(PROBLEM_1["X"], PROBLEM_1["y"]),
        )


def test_two_optimal_candidates_claim_fails_for_a_problem_with_one():
    source = claim_source(NOTEBOOK, "two candidate sets pass every KKT condition")
    run_claim(source, candidates_1=candidate_support_sets(PROBLEM_1["X"], PROBLEM_1["y"]))
    with pytest.raises(AssertionError, match="two candidate sets"):
        run_claim(source, candidates_1=candidate_support_sets(PROBLEM_2["X"], PROBLEM_2["y"]))


def test_vertical_hyperplane_claim_fails_for_a_slanted_one():
    source = claim_source(NOTEBOOK, "the hyperplane is vertical")
    solution_2 = max_margin_hyperplane(PROBLEM_2["X"], PROBLEM_2["y"])
    query = (1, 3)
    values = {
        "PROBLEM_2": PROBLEM_2,
        "query_value": svm.decision_value(solution_2.w, solution_2.b, query),
        "query_class": svm.classify(solution_2.w, solution_2.b, query),
    }
    run_claim(source, solution_2=solution_2, **values)
    # problem 1 in problem 2's place: its optimal hyperplane is slanted
    slanted = max_margin_hyperplane(PROBLEM_1["X"], PROBLEM_1["y"])
    assert slanted.w[1] != 0
    with pytest.raises(AssertionError, match="vertical"):
        run_claim(source, solution_2=slanted, **{**values, "PROBLEM_2": PROBLEM_1})
