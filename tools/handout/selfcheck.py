"""Self-checks for the hand-out: ``make check`` (or ``python selfcheck.py``).

Each exercise (a function you write in ``helpers/``) is checked on its own: shapes,
central finite differences of your own functions, and small worked cases that are NOT
the graded problems. Every check prints PASS, TO DO (the function still raises the
hand-out's NotImplementedError) or FAIL with a hint; none prints a graded answer.
Passing every check does not guarantee full marks: the autograder runs other cases.

Usage: ``python selfcheck.py [NAME ...]`` (names as printed, e.g. ``backprop.forward``;
none: all). Exit status 0 when every selected check passes, 1 otherwise.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from fractions import Fraction as F

import numpy as np

CHECKS: list[tuple[str, Callable[[], None]]] = []


class CheckFailed(AssertionError):
    """A check's hint for the student."""


def check(name: str):
    def register(function):
        CHECKS.append((name, function))
        return function

    return register


def expect(condition: bool, hint: str) -> None:
    if not condition:
        raise CheckFailed(hint)


def close(actual, desired, rtol=1e-5, atol=1e-7) -> bool:
    actual = np.asarray(actual, dtype=float)
    desired = np.asarray(desired, dtype=float)
    return actual.shape == desired.shape and bool(
        np.allclose(actual, desired, rtol=rtol, atol=atol)
    )


def numeric_gradient(function, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``function(x)`` for every entry of ``x``."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + step
        plus = function(x)
        x[index] = saved - step
        minus = function(x)
        x[index] = saved
        grad[index] = (plus - minus) / (2 * step)
    return grad


# ------------------------------------------------------------------ backprop (notebook 01)


def _bp():
    from helpers import backprop

    return backprop


CASE = {"w1": F(1, 2), "b1": F(-1, 5), "w2": F(3, 2), "b2": F(1, 10)}


@check("backprop.relu")
def _relu():
    bp = _bp()
    expect(bp.relu(F(3, 7)) == F(3, 7), "relu(z) is z for z > 0")
    expect(bp.relu(F(-3, 7)) == 0, "relu(z) is 0 for z < 0")
    expect(isinstance(bp.relu(F(-3, 7)), F), "keep the number type: a Fraction in, a Fraction out")


@check("backprop.relu_grad")
def _relu_grad():
    bp = _bp()
    expect(bp.relu_grad(F(2, 9)) == 1 and bp.relu_grad(F(-2, 9)) == 0, "1 for z > 0, 0 for z < 0")
    expect(
        bp.relu_grad(F(0)) == 0, "the convention at the kink: read the docstring (scikit-learn's)"
    )


@check("backprop.forward")
def _forward():
    bp = _bp()
    out = bp.forward(bp.Params(**CASE), F(2))
    expect(out.z1 == F(4, 5), "z1 = w1 x + b1 (case w1=1/2, b1=-1/5, x=2)")
    expect(out.hidden == F(4, 5), "h = relu(z1)")
    expect(out.y_pred == F(13, 10), "y_pred = w2 h + b2, identity output")
    negative = bp.forward(bp.Params(**CASE), F(-2))
    expect(
        negative.hidden == 0 and negative.y_pred == F(1, 10), "with z1 < 0 the hidden unit is off"
    )


@check("backprop.squared_error")
def _squared_error():
    bp = _bp()
    expect(bp.squared_error(F(1), F(13, 10)) == F(9, 200), "E = 1/2 (y - y_pred)^2, with the 1/2")


@check("backprop.gradients")
def _gradients():
    bp = _bp()
    for x, y in ((F(2), F(1)), (F(3, 4), F(-1, 2)), (F(-2), F(1))):
        params = bp.Params(**CASE)
        mine = bp.gradients(params, x, y)
        numeric = bp.central_difference_gradients(params, x, y)
        for name in bp.PARAM_NAMES:
            expect(
                getattr(mine, name) == getattr(numeric, name),
                f"dE/d{name} at x={x}, y={y} disagrees with central differences of your own"
                " forward pass and error: follow the chain rule in the module docstring",
            )


@check("backprop.sgd_step")
def _sgd_step():
    bp = _bp()
    params, eta = bp.Params(**CASE), F(1, 4)
    record = bp.sgd_step(params, F(3, 4), F(-1, 2), eta)
    grads = bp.gradients(params, F(3, 4), F(-1, 2))
    for name in bp.PARAM_NAMES:
        expect(
            getattr(record.after, name) == getattr(params, name) - eta * getattr(grads, name),
            f"{name} after the step: p - eta * dE/dp, every gradient taken before the step",
        )


# ----------------------------------------------------------------------- SVM (notebook 02)

TOY_X = [(0, 0), (1, 0), (3, 3), (4, 2)]
TOY_Y = [-1, -1, 1, 1]


def _svm():
    from helpers import svm

    return svm


@check("svm.decision_value")
def _decision_value():
    svm = _svm()
    expect(svm.decision_value((F(1), F(-2)), F(1, 2), (F(3), F(1))) == F(3, 2), "f(x) = w . x + b")


@check("svm.classify")
def _classify():
    svm = _svm()
    w, b = (F(1), F(-2)), F(1, 2)
    expect(svm.classify(w, b, (F(3), F(1))) == 1, "sign(w . x + b): +1 on the positive side")
    expect(svm.classify(w, b, (F(0), F(1))) == -1, "sign(w . x + b): -1 on the negative side")
    expect(svm.classify(w, b, (F(3, 2), F(1))) == 0, "0 exactly on the hyperplane")


@check("svm.weight_from_alphas")
def _weight_from_alphas():
    svm = _svm()
    X = svm.as_fraction_points(TOY_X)
    w = svm.weight_from_alphas(X, TOY_Y, {1: F(1, 4), 2: F(1, 4)})
    expect(tuple(w) == (F(1, 2), F(3, 4)), "w = sum over the alphas of alpha_i y_i x_i")


@check("svm.functional_margins")
def _functional_margins():
    svm = _svm()
    X = svm.as_fraction_points(TOY_X)
    margins = svm.functional_margins(X, TOY_Y, (F(1), F(0)), F(-2))
    expect(list(margins) == [2, 1, 1, 2], "y_i (w . x_i + b), one per point, in order")


@check("svm.solve_support_vector_equations")
def _support_equations():
    svm = _svm()
    X = svm.as_fraction_points([(0, 0), (2, 2)])
    solved = svm.solve_support_vector_equations(X, [-1, 1], [0, 1])
    expect(solved is not None, "the system of two points on the margin is not singular")
    alphas, w, b = solved
    expect(
        tuple(w) == (F(1, 2), F(1, 2)) and b == -1, "y_i f(x_i) = 1 on S and sum alpha_i y_i = 0"
    )
    expect(alphas == {0: F(1, 4), 1: F(1, 4)}, "the multipliers solve the same system")


@check("svm.max_margin_hyperplane")
def _max_margin():
    svm = _svm()
    solution = svm.max_margin_hyperplane(TOY_X, TOY_Y)
    margins = svm.functional_margins(svm.as_fraction_points(TOY_X), TOY_Y, solution.w, solution.b)
    expect(min(margins) == 1, "at the optimum the closest points have y_i f(x_i) = 1")
    expect(solution.kkt.optimal, "the KKT conditions must hold")
    expect(
        set(solution.on_margin) == {i for i, m in enumerate(margins) if m == 1},
        "on_margin: every point with y_i f(x_i) = 1",
    )
    expect(
        abs(solution.margin_width - 2 / float(np.sqrt(float(solution.w_norm_squared)))) < 1e-12
        and solution.margin_width_squared * solution.w_norm_squared == 4,
        "the margin width is the distance between f = +1 and f = -1",
    )


# ------------------------------------------------------------- scratch network (notebook 03)


def _nn():
    from helpers import scratch_nn

    return scratch_nn


ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu")
Z = np.array([[-2.3, -0.7, 0.4], [1.9, -0.05, 0.8]])


def _activation_check(name: str):
    def run():
        nn = _nn()
        f, f_grad = nn.ACTIVATIONS[name]
        a = f(Z.copy())
        expect(a.shape == Z.shape, f"{name}(z) keeps the shape of z")
        buffer = Z.copy()
        expect(
            f(buffer, out=buffer) is buffer and close(buffer, a),
            f"{name}(z, out=z) writes into out and returns it",
        )
        if name == "sigmoid":
            expect(
                close(f(np.zeros(3)), [0.5] * 3) and close(f(np.array([40.0, -40.0])), [1.0, 0.0]),
                "sigmoid(0) = 1/2, tends to 1 and 0",
            )
        if name == "relu":
            expect(close(a, np.where(Z > 0, Z, 0.0)), "relu keeps positives, zeroes negatives")
        if name == "leaky_relu":
            expect(close(f(np.array([-3.0, 2.0])), [-0.03, 2.0]), "slope 0.01 below zero")
        numeric = numeric_gradient(lambda z: float(f(z.copy()).sum()), Z)
        derivative = f_grad(a.copy())
        expect(derivative.shape == Z.shape, f"{name}_grad(a) keeps the shape")
        expect(
            close(derivative, numeric, rtol=1e-4, atol=1e-6),
            f"{name}_grad(a) (a = {name}(z)) disagrees with central differences of your {name}(z)",
        )
        if name in ("relu", "leaky_relu"):
            kink = f_grad(np.zeros(2))
            expect(
                close(kink, [0.0 if name == "relu" else 0.01] * 2),
                "the derivative at the kink: read the module docstring",
            )

    return run


for _name in ACTIVATION_NAMES:
    check(f"scratch_nn.{_name}")(_activation_check(_name))


def _init_check(kind: str):
    def run():
        nn = _nn()
        init = nn.INITIALISATIONS[kind]
        for activation, fan_in in (("relu", 300), ("tanh", 300)):
            W = init(fan_in, 400, activation, np.random.default_rng(7))
            expect(W.shape == (fan_in, 400), "shape (fan_in, fan_out)")
            expect(W.dtype == np.float64, "dtype as asked (float64 by default)")
            std = float(W.std())
            if kind == "zero":
                expect(not W.any(), "all zeros")
                continue
            relu_family = activation == "relu"
            if kind == "random":
                limit = np.sqrt(6 / fan_in) if relu_family else 1.0
                expect(
                    abs(W).max() <= limit and abs(W).max() > 0.95 * limit,
                    f"U(-r, r) with r for {activation}: see the docstring",
                )
            else:
                scale = np.sqrt(2 / fan_in) if relu_family else 1.0
                expect(
                    abs(std - scale) < 0.03 * scale,
                    f"N(0, s^2) with s for {activation}: see the docstring",
                )
            W32 = init(4, 3, activation, np.random.default_rng(7), dtype=np.float32)
            expect(W32.dtype == np.float32, "honour dtype=")

    return run


for _kind in ("random", "normal", "zero"):
    check(f"scratch_nn.init_{_kind}")(_init_check(_kind))


RNG = np.random.default_rng(2024)
A = RNG.normal(size=(5, 4))
W = RNG.normal(size=(4, 3))
B = RNG.normal(size=3)
G = RNG.normal(size=(5, 3))


@check("scratch_nn.pre_activation")
def _pre_activation():
    nn = _nn()
    z = nn.pre_activation(A, W, B)
    expect(np.shape(z) == (5, 3), "z_l has shape (B, n_l)")
    expect(close(z[0], A[0] @ W + B), "row i: a_{l-1}[i] W_l + b_l")


@check("scratch_nn.output_error")
def _output_error():
    nn = _nn()
    y = np.array([2, 0, 1, 2, 1])
    d = nn.output_error(G.copy(), y)
    expect(np.shape(d) == G.shape, "d_L has the shape of the logits")
    numeric = numeric_gradient(lambda z: nn.cross_entropy(z, y), G)
    expect(close(d, numeric), "d_L = dJ/dz_L of the MEAN cross-entropy (mind the 1/B)")


@check("scratch_nn.weight_gradient")
def _weight_gradient():
    nn = _nn()
    dW = nn.weight_gradient(A, G)
    expect(np.shape(dW) == W.shape, "dJ/dW_l has the shape of W_l (n_{l-1}, n_l)")
    numeric = numeric_gradient(lambda w: float((G * (A @ w + B)).sum()), W)
    expect(close(dW, numeric), "dJ/dW_l from a_{l-1} and d_l (check the transpose)")


@check("scratch_nn.bias_gradient")
def _bias_gradient():
    nn = _nn()
    db = nn.bias_gradient(G)
    expect(np.shape(db) == B.shape, "dJ/db_l has shape (n_l,)")
    numeric = numeric_gradient(lambda b: float((G * (A @ W + b)).sum()), B)
    expect(close(db, numeric), "b_l is added to every row: sum the error over rows")


@check("scratch_nn.hidden_error")
def _hidden_error():
    nn = _nn()
    for name in ACTIVATION_NAMES:
        f = nn.ACTIVATIONS[name].function
        z_below = RNG.normal(size=(5, 4)) + 0.05  # no entry sits on the kink
        d = nn.hidden_error(G, W, f(z_below.copy()), name)
        numeric = numeric_gradient(lambda z, f=f: float((G * (f(z.copy()) @ W)).sum()), z_below)
        expect(
            np.shape(d) == z_below.shape and close(d, numeric, rtol=1e-4, atol=1e-6),
            f"d_(l-1) for {name}: the chain rule through W_l and f'",
        )


@check("scratch_nn.backward_reference")
def _backward_reference():
    nn = _nn()
    rng = np.random.default_rng(11)
    sizes = (4, 5, 3, 3)
    weights = [rng.normal(size=(m, n)) * 0.7 for m, n in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(size=n) * 0.1 for n in sizes[1:]]
    X, y = rng.normal(size=(6, 4)), np.array([0, 1, 2, 0, 1, 2])
    for name in ("tanh", "sigmoid"):
        layers = nn.forward_reference(weights, biases, X, name)
        dW, db = nn.backward_reference(weights, layers, y, name)

        def loss_w(w, k, name=name):
            ws = [w if i == k else v for i, v in enumerate(weights)]
            return nn.cross_entropy(nn.forward_reference(ws, biases, X, name)[-1], y)

        def loss_b(b, k, name=name):
            bs = [b if i == k else v for i, v in enumerate(biases)]
            return nn.cross_entropy(nn.forward_reference(weights, bs, X, name)[-1], y)

        for k in range(len(weights)):
            expect(
                close(
                    dW[k],
                    numeric_gradient(lambda w, k=k: loss_w(w, k), weights[k]),
                    rtol=1e-4,
                    atol=1e-7,
                ),
                f"dJ/dW_{k + 1} ({name} network) disagrees with central differences of the loss",
            )
            expect(
                close(
                    db[k],
                    numeric_gradient(lambda b, k=k: loss_b(b, k), biases[k]),
                    rtol=1e-4,
                    atol=1e-7,
                ),
                f"dJ/db_{k + 1} ({name} network) disagrees with central differences of the loss",
            )


@check("scratch_nn.sgd_update")
def _sgd_update():
    nn = _nn()
    weights, biases = [np.ones((2, 2))], [np.zeros(2)]
    dW, db = [np.full((2, 2), 2.0)], [np.array([1.0, -1.0])]
    new_w, new_b = nn.sgd_update(weights, biases, dW, db, 0.25)
    expect(
        close(new_w[0], np.full((2, 2), 0.5)) and close(new_b[0], [-0.25, 0.25]),
        "theta - learning_rate * gradient, for weights AND biases",
    )
    expect(
        close(weights[0], np.ones((2, 2))) and close(biases[0], [0.0, 0.0]),
        "return new arrays; leave the inputs unchanged",
    )


# ------------------------------------------------------------------------------ the runner


def run(names: list[str] | None = None, out=sys.stdout) -> dict[str, str]:
    """Run the checks; returns ``{name: "pass" | "to do" | "fail"}``."""
    statuses = {}
    selected = [(n, f) for n, f in CHECKS if not names or n in names]
    unknown = set(names or ()) - {n for n, _ in CHECKS}
    if unknown:
        raise SystemExit(f"unknown check(s): {', '.join(sorted(unknown))}")
    for name, function in selected:
        try:
            function()
        except NotImplementedError as exc:
            statuses[name] = "to do"
            print(f"TO DO  {name}: {exc}", file=out)
        except CheckFailed as exc:
            statuses[name] = "fail"
            print(f"FAIL   {name}: {exc}", file=out)
        except Exception as exc:  # the student's code raised: show where, not a graded value
            statuses[name] = "fail"
            where = traceback.extract_tb(exc.__traceback__)[-1]
            print(
                f"FAIL   {name}: {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})",
                file=out,
            )
        else:
            statuses[name] = "pass"
            print(f"PASS   {name}", file=out)
    counts = {s: sum(v == s for v in statuses.values()) for s in ("pass", "to do", "fail")}
    total = len(statuses)
    print(
        f"{counts['pass']} passed, {counts['to do']} to do, {counts['fail']} failed of {total}",
        file=out,
    )
    return statuses


def main(argv: list[str] | None = None) -> int:
    statuses = run(list(sys.argv[1:] if argv is None else argv))
    return 0 if all(s == "pass" for s in statuses.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
