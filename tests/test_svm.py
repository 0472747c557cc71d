"""Tests for helpers.svm: exact hard-margin SVMs, KKT certificates, cross-checks."""

from fractions import Fraction

import numpy as np
import pytest

from helpers.svm import (
    candidate_support_sets,
    check_kkt,
    classify,
    decision_value,
    functional_margins,
    max_margin_hyperplane,
    scipy_primal,
    sklearn_hard_margin,
    solve_linear_exact,
    solve_support_vector_equations,
    vertex_certificates,
)

# problem 1: A..F; problem 2: A..D
P1_X = [(0, 0), (1, 0), (0, 1), (1, 1), (2, 2), (2, 0)]
P1_Y = [1, 1, 1, -1, -1, -1]
P2_X = [(1, 2), (2, 3), (3, 3), (4, 1)]
P2_Y = [1, 1, -1, -1]


def test_solve_linear_exact():
    assert solve_linear_exact([[2, 1], [1, 3]], [3, 5]) == [Fraction(4, 5), Fraction(7, 5)]
    assert solve_linear_exact([[1, 2], [2, 4]], [1, 2]) is None
    # needs a row swap (zero first pivot)
    assert solve_linear_exact([[0, 1], [1, 0]], [2, 3]) == [3, 2]


def test_problem_1_exact_solution():
    solution = max_margin_hyperplane(P1_X, P1_Y)
    assert solution.w == (-2, -2) and solution.b == 3
    assert solution.on_margin == (1, 2, 3, 5)  # B, C, D, F
    assert solution.margin_width_squared == Fraction(1, 2)
    assert solution.margin_width == pytest.approx(2**-0.5, abs=1e-15)
    assert solution.kkt.optimal
    # y_i (w . x_i + b) for A..F: only A (3) and E (5) are off the margin
    assert functional_margins(P1_X, P1_Y, solution.w, solution.b) == [3, 1, 1, 1, 5, 1]


def test_problem_1_multipliers_are_not_unique():
    solution = max_margin_hyperplane(P1_X, P1_Y)
    certificates = vertex_certificates(P1_X, P1_Y, solution)
    assert {1: 2, 2: 2, 3: 4} in certificates
    assert {1: 4, 3: 2, 5: 2} in certificates
    # the midpoint of the two is a certificate with alpha > 0 on all four margin points
    middle = {1: 3, 2: 1, 3: 3, 5: 1}
    points = [tuple(Fraction(c) for c in p) for p in P1_X]
    assert check_kkt(
        points, P1_Y, solution.w, solution.b, {i: Fraction(a) for i, a in middle.items()}
    ).optimal


def test_problem_2_exact_solution_and_query():
    solution = max_margin_hyperplane(P2_X, P2_Y)
    assert solution.w == (-2, 0) and solution.b == 5
    assert solution.on_margin == (1, 2)  # B, C
    assert solution.certificate == {1: 2, 2: 2}
    assert solution.margin_width == 1.0
    assert decision_value(solution.w, solution.b, (1, 3)) == 3
    assert classify(solution.w, solution.b, (1, 3)) == 1
    assert classify(solution.w, solution.b, (Fraction(5, 2), 0)) == 0


def test_kkt_rejects_a_separating_but_not_maximal_hyperplane():
    points = [tuple(Fraction(c) for c in p) for p in P2_X]
    # x1 = 2.5 scaled so that no point lies on the margin lines: feasible, not optimal
    report = check_kkt(
        points, P2_Y, (Fraction(-4), Fraction(0)), Fraction(10), {1: Fraction(2), 2: Fraction(2)}
    )
    assert report.primal_feasible
    assert not report.w_from_alphas and not report.complementary_slackness
    assert not report.optimal
    # a tilted separating line through the gap is feasible but has no KKT certificate
    tilted = solve_support_vector_equations(points, P2_Y, (0, 2))  # pretend A, C are SVs
    alphas, w, b = tilted
    assert not check_kkt(points, P2_Y, w, b, alphas).optimal


def test_infeasible_data_raises():
    with pytest.raises(ValueError, match="not linearly separable"):
        max_margin_hyperplane([(0, 0), (1, 1), (0, 1), (1, 0)], [1, 1, -1, -1])
    with pytest.raises(ValueError, match="labels"):
        max_margin_hyperplane([(0, 0), (1, 1)], [1, 0])


@pytest.mark.parametrize("X, y", [(P1_X, P1_Y), (P2_X, P2_Y)])
def test_sklearn_and_scipy_agree_with_the_exact_solution(X, y):
    exact = max_margin_hyperplane(X, y)
    w_exact = np.array([float(c) for c in exact.w])
    w_sk, b_sk, support, alphas = sklearn_hard_margin(X, y)
    assert np.max(np.abs(w_sk - w_exact)) < 1e-6
    assert abs(b_sk - float(exact.b)) < 1e-6
    assert set(support) <= set(exact.on_margin)
    assert all(a > 0 for a in alphas.values())
    w_qp, b_qp = scipy_primal(X, y)
    assert np.max(np.abs(w_qp - w_exact)) < 1e-6
    assert abs(b_qp - float(exact.b)) < 1e-6


def test_candidate_support_sets_problem_2():
    rows = {c.support: c for c in candidate_support_sets(P2_X, P2_Y)}
    assert rows[(1, 2)].status == "optimal"
    # B, C, D on the margin: w = (-2, -1), b = 8 separates, but alpha_D = -1/2 < 0
    bcd = rows[(1, 2, 3)]
    assert bcd.status == "negative alpha"
    assert bcd.w == (-2, -1) and bcd.b == 8 and bcd.alphas[3] == Fraction(-1, 2)
    assert rows[(0, 2)].status == "infeasible"
    assert rows[(0, 1, 2, 3)].status == "singular"
    assert [c.status for c in rows.values()].count("optimal") == 1


def test_theory_write_up_states_the_verified_answers():
    from helpers.paths import REPO_ROOT

    text = (REPO_ROOT / "theory" / "svm_margin.md").read_text(encoding="utf-8")
    for expected in (
        "$w = (-2, -2)$",
        "$b = 3$",
        "\\approx 0.7071",
        "$w = (-2, 0)$",
        "$b = 5$",
        "(5/2, 3, -1/2)",
    ):
        assert expected in text
