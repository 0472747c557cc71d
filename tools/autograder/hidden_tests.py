"""The hidden tests of the code exercises: inputs, points, what each covers, a hint.

Kept out of the hand-out (``make student`` copies nothing from ``tools/``); in the
Gradescope zip they sit in ``/autograder/source``, which the sandboxed child may not
read. Only the inputs are ever sent to the child; the expected values are computed in
the grading process from the reference helpers. The cases differ from the self-checks'
and from the graded hand-worked problems.

``covers`` names every function of the submission whose result a test's cases depend
on: a bug in one function costs exactly the tests that cover it (the planted-bug tests
check this).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class HiddenTest:
    name: str
    module: str  # backprop, svm or scratch_nn
    cases: tuple[dict, ...]  # {"call": "<module>.<function>", "args": {...}}
    covers: frozenset[str]  # "<module>.<function>" of the submission
    hint: str
    points: int = 1
    compare: str = "exact"  # exact, close or init
    visibility: str = "visible"  # Gradescope: visible, hidden, after_due_date, after_published
    extra: dict = field(default_factory=dict)


P1 = {"w1": "2/3", "b1": "-1/4", "w2": "-3/5", "b2": "1/3"}


def _bp(name, cases, covers, hint):
    return HiddenTest(
        f"backprop.{name}",
        "backprop",
        tuple({"call": f"backprop.{call}", "args": args} for call, args in cases),
        frozenset(f"backprop.{c}" for c in covers),
        hint,
    )


def _svm(name, cases, covers, hint):
    return HiddenTest(
        f"svm.{name}",
        "svm",
        tuple({"call": f"svm.{call}", "args": args} for call, args in cases),
        frozenset(f"svm.{c}" for c in covers),
        hint,
    )


def _nn(name, cases, covers, hint, compare="close"):
    return HiddenTest(
        f"scratch_nn.{name}",
        "scratch_nn",
        tuple({"call": f"scratch_nn.{call}", "args": args} for call, args in cases),
        frozenset(f"scratch_nn.{c}" for c in covers),
        hint,
        compare=compare,
    )


def _backprop_tests() -> list[HiddenTest]:
    step_cases = [("3/2", "1/5"), ("-2", "1/2"), ("1/3", "-4/3")]
    return [
        _bp(
            "relu",
            [("relu", {"z": z}) for z in ("7/3", "-5/11", "1/1000")],
            ["relu"],
            "relu(z) = max(z, 0), as an exact Fraction",
        ),
        _bp(
            "relu_grad",
            [("relu_grad", {"z": z}) for z in ("5/2", "-1/9", "0")],
            ["relu_grad"],
            "relu'(z) for z > 0, z < 0 and at the kink (the docstring's convention)",
        ),
        _bp(
            "forward",
            [("forward", {"params": P1, "x": x}) for x in ("3/2", "-2")],
            ["relu", "forward"],
            "z1, then h = relu(z1), then the identity output",
        ),
        _bp(
            "squared_error",
            [("squared_error", {"y": "2/7", "y_pred": "-1/3"})],
            ["squared_error"],
            "E = 1/2 (y - y_pred)^2",
        ),
        _bp(
            "gradients",
            [("gradients", {"params": P1, "x": x, "y": y}) for x, y in step_cases],
            ["relu", "relu_grad", "forward", "gradients"],
            "the chain rule: the output error, then through w2 and relu'(z1)",
        ),
        _bp(
            "sgd_step",
            [("sgd_step", {"params": P1, "x": x, "y": y, "eta": "1/8"}) for x, y in step_cases],
            ["relu", "relu_grad", "forward", "gradients", "sgd_step"],
            "p - eta * dE/dp for all four parameters, gradients from before the step",
        ),
    ]


SVM_X = [["0", "0"], ["1", "2"], ["3", "0"], ["4", "3"], ["2", "5"], ["5", "1"]]
SVM_Y = [-1, -1, -1, 1, 1, 1]


def _svm_tests() -> list[HiddenTest]:
    w, b = ["3/2", "-1"], "-1/2"
    return [
        _svm(
            "decision_value",
            [("decision_value", {"w": w, "b": b, "x": x}) for x in (["2", "5/3"], ["-1", "1"])],
            ["decision_value"],
            "f(x) = w . x + b",
        ),
        _svm(
            "classify",
            [("classify", {"w": w, "b": b, "x": x}) for x in (["2", "1"], ["0", "1"], ["1", "1"])],
            ["decision_value", "classify"],
            "the sign of f(x), and 0 exactly on the hyperplane",
        ),
        _svm(
            "weight_from_alphas",
            [
                (
                    "weight_from_alphas",
                    {"X": SVM_X, "y": SVM_Y, "alphas": {"1": "1/3", "3": "1/6", "4": "1/6"}},
                )
            ],
            ["weight_from_alphas"],
            "w = sum of alpha_i y_i x_i over the given alphas",
        ),
        _svm(
            "functional_margins",
            [("functional_margins", {"X": SVM_X, "y": SVM_Y, "w": ["1/2", "1/2"], "b": "-2"})],
            ["decision_value", "functional_margins"],
            "y_i f(x_i) for every point, in order",
        ),
        _svm(
            "solve_support_vector_equations",
            [
                ("solve_support_vector_equations", {"X": SVM_X, "y": SVM_Y, "support": s})
                for s in ([1, 3], [1, 2, 4], [0, 4])
            ],
            ["weight_from_alphas", "solve_support_vector_equations"],
            "the square system: y_i f(x_i) = 1 on S, and sum alpha_i y_i = 0",
        ),
        _svm(
            "max_margin_hyperplane",
            [("max_margin_hyperplane", {"X": SVM_X, "y": SVM_Y})],
            [
                "decision_value",
                "functional_margins",
                "weight_from_alphas",
                "solve_support_vector_equations",
                "max_margin_hyperplane",
                "margin_width",
                "margin_width_squared",
            ],
            "w, b, the points on the margin and the width 2/||w||",
        ),
    ]


def _arrays(seed: int) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    return {
        "a_below": rng.normal(size=(3, 4)).round(6).tolist(),
        "W": rng.normal(size=(4, 2)).round(6).tolist(),
        "b": rng.normal(size=2).round(6).tolist(),
        "error": rng.normal(size=(3, 2)).round(6).tolist(),
        "logits": (rng.normal(size=(3, 2)) * 3).round(6).tolist(),
    }


ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
Z = [[-41.0, -2.5, -0.3, 0.0], [0.2, 1.7, 3.9, 38.0]]


def _reference_activation(name: str, z: np.ndarray) -> np.ndarray:
    """The parent's own activation, to give each derivative test its input a = f(z)."""
    return {
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
        "tanh": np.tanh,
        "relu": lambda v: np.maximum(v, 0.0),
        "leaky_relu": lambda v: np.where(v > 0, v, 0.01 * v),
    }[name](z)


def _nn_tests() -> list[HiddenTest]:
    tests = []
    for name in ACTIVATIONS:
        tests.append(
            _nn(
                name,
                [("activation", {"activation": name, "z": Z})],
                [name],
                f"{name}(z) elementwise, any shape, no overflow for large |z|",
            )
        )
    for name in ACTIVATIONS:
        a = _reference_activation(name, np.array(Z)).tolist()
        tests.append(
            _nn(
                f"{name}_grad",
                [("derivative", {"activation": name, "a": a})],
                [f"{name}_grad"],
                f"{name}'(z) written through a = {name}(z)",
            )
        )
    for kind in ("random", "normal", "zero"):
        cases = [
            ("init", {"kind": kind, "fan_in": 500, "fan_out": 300, "activation": act, "seed": 5})
            for act in ("leaky_relu", "sigmoid")
        ]
        tests.append(
            _nn(
                f"init_{kind}",
                cases,
                [f"init_{kind}"],
                "the distribution and scale of the docstring, for each activation family",
                compare="init",
            )
        )
    one, two = _arrays(1), _arrays(2)
    tests += [
        _nn(
            "pre_activation",
            [("pre_activation", {k: d[k] for k in ("a_below", "W", "b")}) for d in (one, two)],
            ["pre_activation"],
            "a_{l-1} W_l + b_l, one row per example",
        ),
        _nn(
            "output_error",
            [("output_error", {"logits": d["logits"], "y": [1, 0, 1]}) for d in (one, two)],
            ["output_error"],
            "(softmax(z_L) - Y) / B: the gradient of the MEAN loss",
        ),
        _nn(
            "hidden_error",
            [
                (
                    "hidden_error",
                    {
                        "error": one["error"],
                        "W": one["W"],
                        "a_below": _reference_activation(act, np.array(one["a_below"])).tolist(),
                        "activation": act,
                    },
                )
                for act in ACTIVATIONS
            ],
            ["hidden_error", *(f"{act}_grad" for act in ACTIVATIONS)],
            "(d_l W_l^T) times f'(z_{l-1}) elementwise",
        ),
        _nn(
            "weight_gradient",
            [
                ("weight_gradient", {"a_below": d["a_below"], "error": d["error"]})
                for d in (one, two)
            ],
            ["weight_gradient"],
            "a_{l-1}^T d_l, shaped like W_l",
        ),
        _nn(
            "bias_gradient",
            [("bias_gradient", {"error": d["error"]}) for d in (one, two)],
            ["bias_gradient"],
            "b_l is added to every row: sum d_l over the rows",
        ),
    ]
    rng = np.random.default_rng(9)
    sizes = (3, 4, 3)
    net = {
        "weights": [
            (rng.normal(size=(m, n)) * 0.8).round(6).tolist()
            for m, n in zip(sizes[:-1], sizes[1:], strict=True)
        ],
        "biases": [(rng.normal(size=n) * 0.3).round(6).tolist() for n in sizes[1:]],
        "X": rng.normal(size=(5, 3)).round(6).tolist(),
        "y": [0, 2, 1, 2, 0],
    }
    tests.append(
        _nn(
            "backward_reference",
            [("backward_reference", {**net, "activation": act}) for act in ("tanh", "relu")],
            [
                "pre_activation",
                "tanh",
                "relu",
                "tanh_grad",
                "relu_grad",
                "output_error",
                "hidden_error",
                "weight_gradient",
                "bias_gradient",
            ],
            "the whole backward pass: every layer's dW and db",
        )
    )
    grads = {
        "dW": [
            (rng.normal(size=(m, n))).round(6).tolist()
            for m, n in zip(sizes[:-1], sizes[1:], strict=True)
        ],
        "db": [(rng.normal(size=n)).round(6).tolist() for n in sizes[1:]],
    }
    tests.append(
        _nn(
            "sgd_update",
            [
                (
                    "sgd_update",
                    {
                        "weights": net["weights"],
                        "biases": net["biases"],
                        **grads,
                        "learning_rate": 0.05,
                    },
                )
            ],
            ["sgd_update"],
            "theta - learning_rate * gradient, for every weight and bias",
        )
    )
    return tests


def hidden_tests() -> list[HiddenTest]:
    """Every hidden code test, in report order."""
    return _backprop_tests() + _svm_tests() + _nn_tests()
