"""helpers.svm_checks: notebook 02's text and its solver cross-check."""

import dataclasses
from fractions import Fraction

import pytest

from helpers.svm import max_margin_hyperplane
from helpers.svm_checks import (
    check_against_solvers,
    constraint_table,
    decimal_text,
    hyperplane_text,
    point_names,
    solution_record,
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
