"""helpers.svm_checks: notebook 02's text and its solver cross-check."""

import dataclasses
import json
from fractions import Fraction

import pytest

from helpers.paths import REPO_ROOT
from helpers.svm import candidate_support_sets, max_margin_hyperplane
from helpers.svm_checks import (
    candidates_table,
    certificate_table,
    check_against_solvers,
    constraint_table,
    decimal_text,
    hyperplane_text,
    margin_figure,
    original_comparison,
    outcome_counts,
    point_names,
    results_payload,
    solution_record,
    solution_summary,
    vector_text,
)

PROBLEM = {
    "names": ["A", "B", "C", "D"],
    "X": [(1, 2), (2, 3), (3, 3), (4, 1)],
    "y": [1, 1, -1, -1],
}


def test_exact_text():
    assert vector_text([Fraction(-2), Fraction(1, 2)]) == "(-2, 1/2)"
    assert hyperplane_text([-2, 0], 5) == "-2x1 + 5 = 0"
    assert hyperplane_text([-2, -2], 3) == "-2x1 - 2x2 + 3 = 0"
    assert hyperplane_text([1, -1], 0) == "x1 - x2 = 0"
    assert decimal_text(-1e-9) == "0.000000"
    assert point_names([1, 2], PROBLEM["names"]) == "B, C"


def test_solvers_agree_with_the_exact_solution():
    solution = max_margin_hyperplane(PROBLEM["X"], PROBLEM["y"])
    check = check_against_solvers(PROBLEM, solution)
    assert check.agrees and point_names(solution.on_margin, PROBLEM["names"]) == "B, C"
    assert check.lines()[-1].endswith("below 1e-06: True")
    record = solution_record(check)
    assert record["w_exact"] == ["-2", "0"] and record["b_exact"] == "5"
    table = constraint_table(PROBLEM, solution)
    assert list(table["y(w.x+b) >= 1"]) == [
        "3 (outside)",
        "1 (margin)",
        "1 (margin)",
        "3 (outside)",
    ]


def test_a_wrong_exact_solution_fails_the_cross_check():
    solution = max_margin_hyperplane(PROBLEM["X"], PROBLEM["y"])
    wrong = dataclasses.replace(solution, b=Fraction(9, 2))
    with pytest.raises(AssertionError):
        check_against_solvers(PROBLEM, wrong)


SQUARE = {  # four margin points: the multipliers are not unique
    "names": ["A", "B", "C", "D", "E", "F"],
    "X": [(0, 0), (1, 0), (0, 1), (1, 1), (2, 2), (2, 0)],
    "y": [1, 1, 1, -1, -1, -1],
}


def test_candidate_tables():
    candidates = candidate_support_sets(PROBLEM["X"], PROBLEM["y"])
    counts = outcome_counts(candidates)["candidate sets"]
    assert counts["optimal"] == 1 and counts.sum() == len(candidates)
    table = candidates_table(PROBLEM, candidates)
    assert table.loc["B, C", "status"] == "optimal" and table.loc["B, C", "b"] == "5"
    assert table.loc["A, B, C, D", "w"] == ""  # singular: no solution to show
    assert list(candidates_table(PROBLEM, candidates, status="optimal").index) == ["B, C"]


def test_solution_summary_with_and_without_a_query():
    solution = max_margin_hyperplane(PROBLEM["X"], PROBLEM["y"])
    summary = solution_summary(PROBLEM, solution, query=(1, 3))["exact solution"]
    assert summary["support vectors (on the margin lines)"] == "B, C"
    assert summary["query (1, 3): class sign(w.x+b)"] == "+1"
    assert summary["query (1, 3): outside the margin"] == "True"
    assert not any("query" in row for row in solution_summary(PROBLEM, solution).index)


def test_certificate_table_adds_the_midpoint_of_two_certificates():
    solution = max_margin_hyperplane(SQUARE["X"], SQUARE["y"])
    table = certificate_table(SQUARE, solution)
    assert len(table) == 3 and table["KKT optimal"].all()
    midpoint = table.iloc[-1]
    assert all(Fraction(midpoint[f"alpha_{n}"]) > 0 for n in "BCDF")
    assert set(table["sum of alphas"]) == {str(solution.w_norm_squared)}
    unique = certificate_table(PROBLEM, max_margin_hyperplane(PROBLEM["X"], PROBLEM["y"]))
    assert len(unique) == 1  # one certificate, no midpoint


def test_margin_figure_title_names_the_hyperplane():
    import matplotlib.pyplot as plt

    solution = max_margin_hyperplane(PROBLEM["X"], PROBLEM["y"])
    figure = margin_figure(PROBLEM, solution, "Demo", query=(1, 3))
    title = figure.axes[0].get_title()
    plt.close(figure)
    assert title.startswith("Demo: $-2x_1 + 5 = 0$, margin width 1.0000")
    assert title.endswith("query (1, 3) -> class +1")


def test_results_payload_is_the_committed_record_and_matches_the_original():
    checks = [
        check_against_solvers(p, max_margin_hyperplane(p["X"], p["y"])) for p in (SQUARE, PROBLEM)
    ]
    payload = results_payload(*checks, (1, 3))
    committed = json.loads((REPO_ROOT / "results" / "02_svm_margins.json").read_text())
    exact = json.loads(json.dumps(payload))  # as the results file stores it
    for key in ("problem1", "problem2", "checks"):
        assert set(exact[key]) == set(committed["results"][key])
        for field, value in exact[key].items():
            if not field.startswith("sklearn_"):  # libsvm's floats: verified with a tolerance
                assert committed["results"][key][field] == value, (key, field)
    verdicts = original_comparison(*checks, (1, 3), "default")["verdict"]
    assert verdicts[("P1", "margin width")] == "missing"
    assert all("matches" in v for v in verdicts.drop(("P1", "margin width")))
