"""Notebook 02's checks and text: exact solutions against two floating-point solvers.

:mod:`helpers.svm` holds the math. This module holds what notebook 02 shows about it:
exact numbers as text (``(1/2, -3)``, ``x1 - 3x2 + 4 = 0``), the cross-check of an
exact solution against scikit-learn's libsvm and SciPy's SLSQP, and the results record.

A *problem* is a mapping ``{"names": [str], "X": [(x1, x2)], "y": [+1 | -1]}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from helpers.svm import (
    CandidateSupportSet,
    HardMarginSolution,
    as_fraction_points,
    check_kkt,
    classify,
    decision_value,
    dot,
    functional_margins,
    plot_hard_margin,
    scipy_primal,
    sklearn_hard_margin,
    vertex_certificates,
)

#: SVC's C: large enough that no slack is ever worth paying for (a hard margin).
HARD_MARGIN_C = 1e10
#: Agreement required of the floating-point solvers with the exact solution.
SOLVER_TOLERANCE = 1e-6


def decimal_text(value, decimals: int = 6) -> str:
    """Fixed-decimal text of a number, never ``-0.000000``."""
    return f"{round(float(value), decimals) + 0.0:.{decimals}f}"


def vector_text(values: Sequence) -> str:
    """Exact text of a vector of Fractions: ``(1/2, -3)``."""
    return "(" + ", ".join(str(Fraction(v)) for v in values) + ")"


def hyperplane_text(w: Sequence, b) -> str:
    """``x1 - 3x2 + 4 = 0`` from exact ``w``, ``b`` (zero terms dropped)."""
    terms = [(Fraction(c), f"x{k}") for k, c in enumerate(w, start=1)] + [(Fraction(b), "")]
    text = ""
    for coefficient, variable in terms:
        if coefficient == 0:
            continue
        magnitude = abs(coefficient)
        shown = variable if magnitude == 1 and variable else f"{magnitude}{variable}"
        if not text:
            text = ("-" if coefficient < 0 else "") + shown
        else:
            text += (" - " if coefficient < 0 else " + ") + shown
    return text + " = 0"


def point_names(indices: Sequence[int], names: Sequence[str]) -> str:
    """``"B, C, D"``: the names of the points at ``indices``."""
    return ", ".join(names[i] for i in indices)


def labelled_points_text(problem: Mapping) -> str:
    """``A(1, 2) +1, B(2, 3) +1, ...``: a problem's points with their labels."""
    return ", ".join(
        f"{name}{point} {'+1' if label > 0 else '-1'}"
        for name, point, label in zip(problem["names"], problem["X"], problem["y"], strict=True)
    )


@dataclass(frozen=True)
class SolverCheck:
    """libsvm's and SLSQP's solutions of one problem, checked against the exact one.

    ``differences``: the five largest absolute differences (w, b, margin vs libsvm; w, b vs
    SLSQP). ``libsvm_on_margin``: the points on the margin lines of libsvm's own
    ``(w, b)``. ``libsvm_certificate``: libsvm's multipliers as Fractions.
    """

    problem: Mapping
    solution: HardMarginSolution
    w_libsvm: np.ndarray
    b_libsvm: float
    support_libsvm: list[int]
    alphas_libsvm: dict[int, float]
    w_slsqp: np.ndarray
    b_slsqp: float
    libsvm_on_margin: tuple[int, ...]
    libsvm_certificate: dict[int, Fraction]
    differences: dict[str, float]

    @property
    def agrees(self) -> bool:
        """Every difference below :data:`SOLVER_TOLERANCE`."""
        return all(bool(value < SOLVER_TOLERANCE) for value in self.differences.values())

    def lines(self) -> list[str]:
        """The report notebook 02 prints, one string per line."""
        names, solution = self.problem["names"], self.solution
        alphas = ", ".join(
            f"{names[i]}={decimal_text(a, 4)}" for i, a in self.alphas_libsvm.items()
        )
        return [
            f"sklearn SVC:  w = ({decimal_text(self.w_libsvm[0])}, "
            f"{decimal_text(self.w_libsvm[1])}), b = {decimal_text(self.b_libsvm)}, "
            f"margin 2/||w|| = {decimal_text(2 / np.linalg.norm(self.w_libsvm))}",
            f"scipy SLSQP:  w = ({decimal_text(self.w_slsqp[0])}, "
            f"{decimal_text(self.w_slsqp[1])}), b = {decimal_text(self.b_slsqp)}",
            f"exact:        w = {vector_text(solution.w)}, b = {solution.b}, "
            f"margin = {decimal_text(solution.margin_width)}",
            f"sklearn support_ (alpha > 0): {point_names(self.support_libsvm, names)} "
            f"| alphas: {alphas}",
            f"on the margin per sklearn's (w, b): {point_names(self.libsvm_on_margin, names)} "
            f"| exact: {point_names(solution.on_margin, names)}",
            "sklearn's alphas are an exact KKT certificate of the exact (w, b): True",
            f"all {len(self.differences)} differences (w, b, margin vs sklearn; w, b vs scipy) "
            f"below {SOLVER_TOLERANCE:.0e}: {self.agrees}",
        ]


def check_against_solvers(problem: Mapping, solution: HardMarginSolution) -> SolverCheck:
    """Solve ``problem`` with libsvm (``SVC``, C = :data:`HARD_MARGIN_C`) and SLSQP.

    Raises ``AssertionError`` unless both reproduce the exact ``w`` and ``b`` (and libsvm
    the margin) to :data:`SOLVER_TOLERANCE`, libsvm's support set lies inside the exact
    one, the points on libsvm's own margin lines are the exact ones, and libsvm's
    multipliers are an exact KKT certificate of the exact ``(w, b)``.
    """
    points = as_fraction_points(problem["X"])
    w_exact = np.array([float(c) for c in solution.w])
    w_sk, b_sk, support_sk, alphas_sk = sklearn_hard_margin(
        problem["X"], problem["y"], C=HARD_MARGIN_C
    )
    w_qp, b_qp = scipy_primal(problem["X"], problem["y"])
    # libsvm's margin set, from its own (w, b)
    sk_margins = problem["y"] * (np.asarray(problem["X"], float) @ w_sk + b_sk)
    sk_on_margin = tuple(int(i) for i in np.flatnonzero(np.abs(sk_margins - 1) < SOLVER_TOLERANCE))
    # libsvm's multipliers are integers up to rounding here: read them as exact numbers
    sk_certificate = {i: Fraction(a).limit_denominator(1000) for i, a in alphas_sk.items()}
    differences = {
        "sklearn |w - w_exact|_max": np.max(np.abs(w_sk - w_exact)),
        "sklearn |b - b_exact|": abs(b_sk - float(solution.b)),
        "scipy |w - w_exact|_max": np.max(np.abs(w_qp - w_exact)),
        "scipy |b - b_exact|": abs(b_qp - float(solution.b)),
        "sklearn |margin - 2/||w|| exact|": abs(2 / np.linalg.norm(w_sk) - solution.margin_width),
    }
    check = SolverCheck(
        problem,
        solution,
        w_sk,
        b_sk,
        support_sk,
        alphas_sk,
        w_qp,
        b_qp,
        sk_on_margin,
        sk_certificate,
        differences,
    )
    assert check.agrees, differences
    assert set(support_sk) <= set(solution.on_margin)
    assert sk_on_margin == solution.on_margin
    assert check_kkt(points, problem["y"], solution.w, solution.b, sk_certificate).optimal
    return check


def solution_record(check: SolverCheck) -> dict:
    """The results-file record of one problem: exact solution and libsvm's fit."""
    names, solution = check.problem["names"], check.solution
    return {
        "w": [float(c) for c in solution.w],
        "w_exact": [str(c) for c in solution.w],
        "b": float(solution.b),
        "b_exact": str(solution.b),
        "w_norm_squared_exact": str(solution.w_norm_squared),
        "margin_width": solution.margin_width,
        "margin_width_squared_exact": str(solution.margin_width_squared),
        "support_vectors": [names[i] for i in solution.on_margin],
        "support_vector_points": [list(check.problem["X"][i]) for i in solution.on_margin],
        "kkt_certificate": {names[i]: str(a) for i, a in solution.certificate.items()},
        "sklearn_support_alpha_positive": [names[i] for i in check.support_libsvm],
        "sklearn_alphas": {names[i]: round(a, 9) for i, a in check.alphas_libsvm.items()},
        "sklearn_w": [round(float(c), 9) + 0.0 for c in check.w_libsvm],
        "sklearn_b": round(check.b_libsvm, 9) + 0.0,
    }


def constraint_table(
    problem: Mapping, solution: HardMarginSolution, alpha_column: str = "alpha"
) -> pd.DataFrame:
    """One row per point: ``w.x+b``, its functional margin ``y(w.x+b)`` and multiplier.

    ``y(w.x+b) >= 1`` shows the value and whether the point is on a margin line;
    ``alpha_column`` names the column of the solution's KKT certificate.
    """
    points = as_fraction_points(problem["X"])
    margins = functional_margins(points, problem["y"], solution.w, solution.b)
    rows = [
        {
            "point": name,
            "x": vector_text(point),
            "y": label,
            "w.x+b": str(decision_value(solution.w, solution.b, point)),
            "y(w.x+b) >= 1": f"{margin} ({'margin' if margin == 1 else 'outside'})",
            alpha_column: str(solution.certificate.get(i, 0)),
        }
        for i, (name, point, label, margin) in enumerate(
            zip(problem["names"], points, problem["y"], margins, strict=True)
        )
    ]
    return pd.DataFrame(rows).set_index("point")


# --- Tables and figures notebook 02 shows ----------------------------------------------


def alphas_text(alphas: Mapping[int, Fraction], names: Sequence[str]) -> str:
    """``"B=2, C=2"``: multipliers by point name."""
    return ", ".join(f"{names[i]}={a}" for i, a in alphas.items())


def outcome_counts(candidates: Sequence[CandidateSupportSet]) -> pd.DataFrame:
    """How many candidate support sets end in each outcome (singular, infeasible, ...)."""
    counts = pd.Series([c.status for c in candidates]).value_counts().sort_index()
    return counts.rename_axis("outcome").to_frame("candidate sets")


def candidates_table(
    problem: Mapping, candidates: Sequence[CandidateSupportSet], status: str | None = None
) -> pd.DataFrame:
    """One row per candidate support set ``S`` (only those with ``status``, if given).

    A solved candidate shows its multipliers, ``w``, ``b``, every point's functional margin
    ``y(w.x+b)`` and its margin width ``2/||w||`` (4 decimals); a singular one only its
    status.
    """
    names = problem["names"]
    points = as_fraction_points(problem["X"])
    rows = []
    for c in candidates:
        if status is not None and c.status != status:
            continue
        row = {"S": point_names(c.support, names), "status": c.status}
        if c.kkt is not None:
            margins = functional_margins(points, problem["y"], c.w, c.b)
            row |= {
                "alpha": alphas_text(c.alphas, names),
                "w": vector_text(c.w),
                "b": str(c.b),
                f"y(w.x+b) for {names[0]}..{names[-1]}": vector_text(margins),
                "margin 2/||w||": decimal_text(2 / float(dot(c.w, c.w)) ** 0.5, 4),
            }
        rows.append(row)
    return pd.DataFrame(rows).set_index("S").fillna("")


def solution_summary(
    problem: Mapping, solution: HardMarginSolution, query: Sequence | None = None
) -> pd.DataFrame:
    """The exact solution in one column: hyperplane, norms, margin, support vectors, KKT.

    With a ``query`` point, also its decision value, its class and whether it lies
    outside the margin (``|w.x+b| >= 1``).
    """
    names = problem["names"]
    rows = {
        "w": vector_text(solution.w),
        "b": str(solution.b),
        "hyperplane": hyperplane_text(solution.w, solution.b),
        "||w||^2": str(solution.w_norm_squared),
        "margin width 2/||w||": decimal_text(solution.margin_width),
        "distance to the support vectors 1/||w||": decimal_text(solution.margin_width / 2),
        "support vectors (on the margin lines)": point_names(solution.on_margin, names),
        "KKT multipliers": alphas_text(solution.certificate, names),
        "every KKT condition holds": str(solution.kkt.optimal),
    }
    if query is not None:
        score = decision_value(solution.w, solution.b, query)
        side = classify(solution.w, solution.b, query)
        rows |= {
            f"query {tuple(query)}: w.x+b": str(score),
            f"query {tuple(query)}: class sign(w.x+b)": f"{side:+d}",
            f"query {tuple(query)}: outside the margin": str(abs(score) >= 1),
        }
    return pd.DataFrame({"exact solution": rows})


def certificate_table(problem: Mapping, solution: HardMarginSolution) -> pd.DataFrame:
    """Every basic KKT certificate of ``solution`` and the midpoint of the first two.

    One row per certificate: its multipliers by point (0 where absent), their sum (for a
    hard margin it equals ``||w||^2``) and whether every KKT condition holds.
    """
    names = problem["names"]
    points = as_fraction_points(problem["X"])
    vertices = vertex_certificates(problem["X"], problem["y"], solution)
    certificates = {f"basic certificate {k}": a for k, a in enumerate(vertices, start=1)}
    if len(vertices) >= 2:
        first, second = vertices[:2]
        certificates["midpoint of certificates 1 and 2"] = {
            i: (first.get(i, 0) + second.get(i, 0)) / 2 for i in solution.on_margin
        }
    rows = []
    for label, alphas in certificates.items():
        row = {"certificate": label}
        row |= {f"alpha_{names[i]}": str(Fraction(alphas.get(i, 0))) for i in solution.on_margin}
        row["sum of alphas"] = str(sum(alphas.values()))
        kkt = check_kkt(points, problem["y"], solution.w, solution.b, alphas)
        row["KKT optimal"] = kkt.optimal
        rows.append(row)
    return pd.DataFrame(rows).set_index("certificate")


def margin_figure(
    problem: Mapping, solution: HardMarginSolution, label: str, query: Sequence | None = None
):
    """The problem's points, the hyperplane, its margin lines and support vectors.

    The title names the hyperplane and the margin width (and the query's class, if a
    ``query`` is given). Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    plane = hyperplane_text(solution.w, solution.b)
    title = f"{label}: ${plane.replace('x1', 'x_1').replace('x2', 'x_2')}$, "
    title += f"margin width {decimal_text(solution.margin_width, 4)}"
    if query is not None:
        title += f"; query {tuple(query)} -> class {classify(solution.w, solution.b, query):+d}"
    fig, ax = plt.subplots(figsize=(8.5, 6), layout="constrained")
    plot_hard_margin(
        ax,
        problem["X"],
        problem["y"],
        solution.w,
        solution.b,
        solution.on_margin,
        names=problem["names"],
        query=query,
        title=title,
    )
    return fig


def results_payload(check_1: SolverCheck, check_2: SolverCheck, query: Sequence) -> dict:
    """Notebook 02's results: both problems' records and problem 2's query point."""
    solution_2 = check_2.solution
    return {
        "problem1": solution_record(check_1),
        "problem2": {
            **solution_record(check_2),
            "query_point": list(query),
            "query_decision_value": float(decision_value(solution_2.w, solution_2.b, query)),
            "query_class": classify(solution_2.w, solution_2.b, query),
        },
        "checks": {"tolerance": SOLVER_TOLERANCE, "svc_C": HARD_MARGIN_C},
    }


def original_comparison(
    check_1: SolverCheck, check_2: SolverCheck, query: Sequence, profile: str
) -> pd.DataFrame:
    """The original's answers (the ledger) next to the verified ones, with the verdicts.

    ``check_1``, ``check_2``: problems 1 and 2 as :func:`check_against_solvers` returned
    them; each ledger entry is judged (:func:`helpers.ledger.compare`) against
    :func:`results_payload`, the record the results file holds.
    """
    from helpers import ledger

    payload = results_payload(check_1, check_2, query)
    said = ledger.originals("svm")
    verdict = {
        entry.id.removeprefix("svm."): ledger.compare(entry, payload, profile).status
        for entry in ledger.group_entries("Hard-margin SVMs (Section A)")
    }
    problem_1, solution_1 = check_1.problem, check_1.solution
    problem_2, solution_2 = check_2.problem, check_2.solution
    by_point = dict(zip(map(tuple, problem_2["X"]), problem_2["names"], strict=True))
    score = decision_value(solution_2.w, solution_2.b, query)
    rows = [
        (
            "P1",
            "hyperplane",
            hyperplane_text(said["p1.w"], said["p1.b"]),
            hyperplane_text(solution_1.w, solution_1.b),
            f"w {verdict['p1.w']}, b {verdict['p1.b']}",
        ),
        (
            "P1",
            "support vectors",
            ", ".join(said["p1.support_vectors"]),
            point_names(solution_1.on_margin, problem_1["names"]),
            verdict["p1.support_vectors"],
        ),
        (
            "P1",
            "margin width",
            "not given",
            f"2/||w|| = {decimal_text(solution_1.margin_width, 4)}",
            "missing",
        ),
        (
            "P2",
            "w, b",
            f"w = {vector_text(said['p2.w'])}, b = {said['p2.b']}",
            f"w = {vector_text(solution_2.w)}, b = {solution_2.b}",
            f"w {verdict['p2.w']}, b {verdict['p2.b']}",
        ),
        (
            "P2",
            "(i) margin width",
            str(said["p2.margin"]),
            f"2/||w|| = {decimal_text(solution_2.margin_width, 4)}",
            verdict["p2.margin"],
        ),
        (
            "P2",
            "(ii) support vectors",
            ", ".join(f"{by_point[tuple(x)]}{tuple(x)}" for x in said["p2.support_vectors"]),
            point_names(solution_2.on_margin, problem_2["names"]),
            verdict["p2.support_vectors"],
        ),
        (
            "P2",
            f"(iii) class of {tuple(query)}",
            f"{said['p2.query_class']:+d}",
            f"{classify(solution_2.w, solution_2.b, query):+d} (w.x+b = {score})",
            verdict["p2.query_class"],
        ),
    ]
    columns = ["problem", "item", "original", "verified", "verdict"]
    return pd.DataFrame(rows, columns=columns).set_index(["problem", "item"])
