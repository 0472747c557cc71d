"""Hard-margin linear SVMs solved exactly, from the support-vector equations.

For points ``x_i`` (rows of ``X``) with labels ``y_i`` in {+1, -1}, the hard-margin
SVM is the convex problem::

    minimise 1/2 ||w||^2   subject to   y_i (w . x_i + b) >= 1   for every i.

Its solution is characterised by the KKT conditions: there are multipliers
``alpha_i >= 0`` with

* ``w = sum_i alpha_i y_i x_i`` (stationarity in w),
* ``sum_i alpha_i y_i = 0`` (stationarity in b),
* every constraint ``y_i (w . x_i + b) >= 1`` holds (primal feasibility),
* ``alpha_i > 0`` only where ``y_i (w . x_i + b) = 1`` (complementary slackness).

Because the problem is convex, any ``(w, b, alpha)`` meeting all four is the
optimum (the maximum-margin hyperplane), and ``w`` is unique. The margin width
(distance between the lines ``w . x + b = +1`` and ``-1``) is ``2 / ||w||``.

Given a guess ``S`` of support vectors, the *support-vector equations*
``y_i (w . x_i + b) = 1`` for i in S together with the two stationarity
conditions form the square linear system (in ``alpha_S`` and ``b``)::

    sum_{j in S} alpha_j y_j (x_j . x_i) + b = y_i     (i in S)
    sum_{j in S} alpha_j y_j               = 0

:func:`candidate_support_sets` solves it exactly (Fractions) for every ``S``;
:func:`max_margin_hyperplane` returns the first solution (smallest ``S`` first)
that passes the KKT check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from math import sqrt

Vector = tuple[Fraction, ...]


def as_fraction_points(points: Sequence[Sequence]) -> list[Vector]:
    """Points as tuples of Fractions (ints and decimal strings are exact)."""
    return [tuple(Fraction(c) for c in point) for point in points]


def dot(u: Sequence, v: Sequence):
    """Inner product ``u . v`` (exact for Fractions)."""
    return sum(a * b for a, b in zip(u, v, strict=True))


def solve_linear_exact(matrix: Sequence[Sequence], rhs: Sequence) -> list[Fraction] | None:
    """Solve the square system ``matrix @ x = rhs`` exactly by Gauss-Jordan elimination.

    Returns the unique solution as Fractions, or ``None`` when the matrix is singular.
    """
    n = len(matrix)
    rows = [[Fraction(a) for a in row] + [Fraction(r)] for row, r in zip(matrix, rhs, strict=True)]
    if any(len(row) != n + 1 for row in rows):
        raise ValueError("matrix must be square and match rhs")
    for col in range(n):
        pivot = next((r for r in range(col, n) if rows[r][col] != 0), None)
        if pivot is None:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        pivot_value = rows[col][col]
        rows[col] = [a / pivot_value for a in rows[col]]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * p for a, p in zip(rows[r], rows[col], strict=True)]
    return [row[n] for row in rows]


def weight_from_alphas(
    X: Sequence[Vector], y: Sequence[int], alphas: dict[int, Fraction]
) -> Vector:
    """``w = sum_i alpha_i y_i x_i`` over the indices in ``alphas``."""
    dim = len(X[0])
    # BEGIN SOLUTION
    return tuple(sum((alphas[i] * y[i] * X[i][k] for i in alphas), Fraction(0)) for k in range(dim))
    # END SOLUTION


def decision_value(w: Sequence, b, x: Sequence):
    """``f(x) = w . x + b``; its sign is the predicted class."""
    # BEGIN SOLUTION
    return dot(w, x) + b
    # END SOLUTION


def functional_margins(X: Sequence[Vector], y: Sequence[int], w: Sequence, b) -> list:
    """``y_i (w . x_i + b)`` for every point (>= 1 for all i means feasible)."""
    # BEGIN SOLUTION
    return [y_i * decision_value(w, b, x_i) for x_i, y_i in zip(X, y, strict=True)]
    # END SOLUTION


def solve_support_vector_equations(X: Sequence[Vector], y: Sequence[int], support: Sequence[int]):
    """Solve the support-vector equations for the candidate set ``support``.

    Unknowns: ``alpha_j`` (j in ``support``) and ``b``. Equations: for i in
    ``support``, ``sum_j alpha_j y_j (x_j . x_i) + b = y_i`` (i.e. ``y_i f(x_i) = 1``,
    using ``y_i^2 = 1``), plus ``sum_j alpha_j y_j = 0``.
    Returns ``(alphas: dict index -> Fraction, w, b)`` or ``None`` if singular.
    """
    support = list(support)
    # BEGIN SOLUTION
    matrix = [[y[j] * dot(X[j], X[i]) for j in support] + [1] for i in support]
    matrix.append([y[j] for j in support] + [0])
    rhs = [y[i] for i in support] + [0]
    # END SOLUTION
    solution = solve_linear_exact(matrix, rhs)
    if solution is None:
        return None
    alphas = dict(zip(support, solution[:-1], strict=True))
    b = solution[-1]
    return alphas, weight_from_alphas(X, y, alphas), b


@dataclass(frozen=True)
class KKTReport:
    """Which KKT conditions hold for ``(w, b, alphas)`` (all True: optimal)."""

    alphas_nonnegative: bool
    alphas_balance: bool  # sum alpha_i y_i == 0
    w_from_alphas: bool  # w == sum alpha_i y_i x_i
    primal_feasible: bool  # y_i (w . x_i + b) >= 1 for all i
    complementary_slackness: bool  # alpha_i > 0 only on the margin

    @property
    def optimal(self) -> bool:
        """All five conditions hold: (w, b) is the maximum-margin hyperplane."""
        return all(
            (
                self.alphas_nonnegative,
                self.alphas_balance,
                self.w_from_alphas,
                self.primal_feasible,
                self.complementary_slackness,
            )
        )


def check_kkt(
    X: Sequence[Vector], y: Sequence[int], w: Sequence, b, alphas: dict[int, Fraction]
) -> KKTReport:
    """Check the KKT conditions exactly (use Fractions; floats compare with ==)."""
    margins = functional_margins(X, y, w, b)
    return KKTReport(
        alphas_nonnegative=all(a >= 0 for a in alphas.values()),
        alphas_balance=sum(alphas[i] * y[i] for i in alphas) == 0,
        w_from_alphas=tuple(weight_from_alphas(X, y, alphas)) == tuple(w),
        primal_feasible=all(m >= 1 for m in margins),
        complementary_slackness=all(margins[i] == 1 for i, a in alphas.items() if a > 0),
    )


@dataclass(frozen=True)
class HardMarginSolution:
    """The exact maximum-margin hyperplane ``w . x + b = 0`` of a separable set.

    ``certificate`` holds the multipliers of one KKT certificate (indices with
    alpha > 0); ``on_margin`` lists every point with ``y_i (w . x_i + b) = 1``, the
    support vectors in the geometric sense (it can contain points whose alpha is 0
    when the multipliers are not unique).
    """

    w: Vector
    b: Fraction
    certificate: dict[int, Fraction]
    on_margin: tuple[int, ...]
    kkt: KKTReport

    @property
    def w_norm_squared(self) -> Fraction:
        """``||w||^2`` (exact)."""
        return dot(self.w, self.w)

    @property
    def margin_width_squared(self) -> Fraction:
        """``(2 / ||w||)^2 = 4 / ||w||^2`` (exact)."""
        # BEGIN SOLUTION
        return 4 / self.w_norm_squared
        # END SOLUTION

    @property
    def margin_width(self) -> float:
        """Distance between the two margin lines, ``2 / ||w||``."""
        # BEGIN SOLUTION
        return 2 / sqrt(self.w_norm_squared)
        # END SOLUTION


@dataclass(frozen=True)
class CandidateSupportSet:
    """One candidate support set ``S`` and what its support-vector equations give."""

    support: tuple[int, ...]
    alphas: dict[int, Fraction] | None  # None: the equations are singular
    w: Vector | None
    b: Fraction | None
    kkt: KKTReport | None

    @property
    def status(self) -> str:
        """``"singular"``, ``"infeasible"`` (some point violates its constraint),
        ``"negative alpha"`` (feasible but not optimal) or ``"optimal"``."""
        if self.kkt is None:
            return "singular"
        if not self.kkt.primal_feasible:
            return "infeasible"
        if not self.kkt.alphas_nonnegative:
            return "negative alpha"
        return "optimal" if self.kkt.optimal else "not optimal"


def candidate_support_sets(
    X: Sequence[Sequence], y: Sequence[int], max_size: int | None = None
) -> list[CandidateSupportSet]:
    """Solve the support-vector equations for every candidate support set.

    Candidates: index sets with both classes present, sizes 2 .. ``max_size``
    (default: all points), in lexicographic order within each size. Each is
    solved exactly and checked with :func:`check_kkt`.
    """
    points = as_fraction_points(X)
    labels = [int(label) for label in y]
    if set(labels) != {1, -1}:
        raise ValueError("labels must be +1 and -1, both present")
    max_size = len(points) if max_size is None else max_size
    rows = []
    for size in range(2, max_size + 1):
        for support in combinations(range(len(points)), size):
            if len({labels[i] for i in support}) < 2:
                continue
            solved = solve_support_vector_equations(points, labels, support)
            if solved is None:
                rows.append(CandidateSupportSet(support, None, None, None, None))
                continue
            alphas, w, b = solved
            rows.append(
                CandidateSupportSet(support, alphas, w, b, check_kkt(points, labels, w, b, alphas))
            )
    return rows


def max_margin_hyperplane(X: Sequence[Sequence], y: Sequence[int]) -> HardMarginSolution:
    """Exact hard-margin SVM of a linearly separable set, certified by KKT.

    Goes through :func:`candidate_support_sets` (smallest sets first) and returns
    the first ``(w, b, alpha)`` that passes :func:`check_kkt`. Raises
    ``ValueError`` if none does (the set is not linearly separable).
    """
    points = as_fraction_points(X)
    labels = [int(label) for label in y]
    for candidate in candidate_support_sets(points, labels):
        if candidate.kkt is not None and candidate.kkt.optimal:
            # BEGIN SOLUTION
            margins = functional_margins(points, labels, candidate.w, candidate.b)
            on_margin = tuple(i for i, m in enumerate(margins) if m == 1)
            # END SOLUTION
            certificate = {i: a for i, a in candidate.alphas.items() if a > 0}
            return HardMarginSolution(
                w=candidate.w,
                b=candidate.b,
                certificate=certificate,
                on_margin=on_margin,
                kkt=candidate.kkt,
            )
    raise ValueError("no KKT solution: the points are not linearly separable")


def vertex_certificates(
    X: Sequence[Sequence], y: Sequence[int], solution: HardMarginSolution
) -> list[dict[int, Fraction]]:
    """Every basic KKT certificate of ``solution``: multipliers ``alpha >= 0`` on a
    subset of the on-margin points that reproduce the same ``w`` and ``b``.

    When more points lie on the margin than are needed, the multipliers are not
    unique (the hyperplane still is); every certificate is a convex combination
    of the ones listed here. Returns them as ``{index: alpha}`` dicts (alpha > 0 only),
    deduplicated, in the order the subsets are enumerated.
    """
    points = as_fraction_points(X)
    labels = [int(label) for label in y]
    found: list[dict[int, Fraction]] = []
    for size in range(2, len(solution.on_margin) + 1):
        for support in combinations(solution.on_margin, size):
            solved = solve_support_vector_equations(points, labels, support)
            if solved is None:
                continue
            alphas, w, b = solved
            if w != solution.w or b != solution.b or any(a < 0 for a in alphas.values()):
                continue
            positive = {i: a for i, a in alphas.items() if a > 0}
            if positive not in found:
                found.append(positive)
    return found


def classify(w: Sequence, b, x: Sequence) -> int:
    """Predicted class ``sign(w . x + b)``: +1, -1, or 0 exactly on the hyperplane."""
    # BEGIN SOLUTION
    value = decision_value(w, b, x)
    return (value > 0) - (value < 0)
    # END SOLUTION


def sklearn_hard_margin(X: Sequence[Sequence], y: Sequence[int], C: float = 1e10):
    """scikit-learn's ``SVC(kernel="linear", C=C)`` fit (a very large C: hard margin).

    Returns ``(w: ndarray (d,), b: float, support: list of indices with alpha > 0,
    alphas: dict index -> alpha)``; ``dual_coef_`` holds ``alpha_i y_i``.
    """
    import numpy as np
    from sklearn.svm import SVC

    model = SVC(kernel="linear", C=C, tol=1e-12)
    model.fit(np.asarray([[float(c) for c in p] for p in X]), np.asarray(y))
    support = [int(i) for i in model.support_]
    alphas = {i: float(abs(coef)) for i, coef in zip(support, model.dual_coef_[0], strict=True)}
    order = sorted(support)
    return (model.coef_[0].copy(), float(model.intercept_[0]), order, {i: alphas[i] for i in order})


def scipy_primal(X: Sequence[Sequence], y: Sequence[int]):
    """Minimise ``1/2 ||w||^2`` s.t. ``y_i (w . x_i + b) >= 1`` with SciPy's SLSQP.

    An independent numerical check of the exact solution (a generic QP solve of
    the primal, no support-vector reasoning). Returns ``(w ndarray (d,), b float)``.
    """
    import numpy as np
    from scipy.optimize import minimize

    points = np.asarray([[float(c) for c in p] for p in X])
    labels = np.asarray(y, dtype=float)
    dim = points.shape[1]

    def objective(theta):
        return 0.5 * float(theta[:dim] @ theta[:dim])

    def objective_grad(theta):
        return np.concatenate([theta[:dim], [0.0]])

    constraints = {
        "type": "ineq",
        "fun": lambda theta: labels * (points @ theta[:dim] + theta[dim]) - 1.0,
        "jac": lambda theta: labels[:, None] * np.hstack([points, np.ones((len(points), 1))]),
    }
    result = minimize(
        objective,
        np.zeros(dim + 1),
        jac=objective_grad,
        method="SLSQP",
        constraints=[constraints],
        options={"ftol": 1e-15, "maxiter": 500},
    )
    if not result.success:
        raise RuntimeError(f"SLSQP failed: {result.message}")
    return result.x[:dim], float(result.x[dim])


def plot_hard_margin(
    ax,
    X: Sequence[Sequence],
    y: Sequence[int],
    w: Sequence,
    b,
    support: Sequence[int],
    names: Sequence[str] | None = None,
    query: Sequence | None = None,
    title: str = "",
) -> None:
    """Draw the points by class, ``w . x + b = 0``, the margin lines ``= +-1``,
    circles around ``support`` and an optional query point, on the Axes ``ax``.

    Assumes two features and ``w[1] != 0`` or ``w[0] != 0`` (vertical lines handled).
    """
    import numpy as np

    points = np.asarray([[float(c) for c in p] for p in X])
    labels = np.asarray(y)
    w = np.asarray([float(c) for c in w])
    b = float(b)
    for label, marker, color, text in (
        (1, "o", "tab:blue", "class +1"),
        (-1, "s", "tab:red", "class -1"),
    ):
        chosen = points[labels == label]
        ax.scatter(
            chosen[:, 0], chosen[:, 1], marker=marker, color=color, s=60, label=text, zorder=3
        )
    sv = points[list(support)]
    ax.scatter(
        sv[:, 0],
        sv[:, 1],
        s=260,
        facecolors="none",
        edgecolors="black",
        linewidths=1.5,
        label="support vectors",
        zorder=4,
    )
    if query is not None:
        ax.scatter(
            [float(query[0])],
            [float(query[1])],
            marker="*",
            s=250,
            color="tab:green",
            edgecolors="black",
            label="query point",
            zorder=5,
        )
    if names is not None:
        for (px, py), name in zip(points, names, strict=True):
            ax.annotate(name, (px, py), textcoords="offset points", xytext=(8, 6))

    lo = points.min(axis=0) - 1.0
    hi = points.max(axis=0) + 1.0
    for level, style, text in (
        (0, "-", "hyperplane w.x+b=0"),
        (1, "--", "margin w.x+b=+1"),
        (-1, ":", "margin w.x+b=-1"),
    ):
        if abs(w[1]) > 1e-12:
            xs = np.array([lo[0], hi[0]])
            ys = (level - b - w[0] * xs) / w[1]
        else:
            xs = np.full(2, (level - b) / w[0])
            ys = np.array([lo[1], hi[1]])
        ax.plot(xs, ys, style, color="black", label=text)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=9)
    ax.grid(alpha=0.3)
