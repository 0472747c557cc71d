"""How a test calls one function, the same for the reference and for a submission.

``call(modules, name, args)`` builds the inputs from JSON-able ``args`` (Fractions as
``"n/d"`` text, arrays as nested lists), calls the function and returns a JSON-able
result (Fractions as text, arrays as ``{"shape", "dtype", "data"}``). The parent process
runs it on the reference helpers for the expected value; the sandboxed child runs it on
the submission. Nothing here is secret: the expected values never leave the parent.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np


def fr(text) -> Fraction:
    return Fraction(str(text))


def out(value) -> Any:
    """A result as JSON: Fractions exact, arrays with shape and dtype."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Fraction):
        return {"fraction": f"{value.numerator}/{value.denominator}"}
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "dtype": str(value.dtype), "data": value.tolist()}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, dict):
        return {str(k): out(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [out(v) for v in value]
    if value is None or isinstance(value, (int, float, str)):
        return value
    raise TypeError(f"the function returned a {type(value).__name__}, not a number or array")


def _params(bp, args: dict):
    return bp.Params(**{k: fr(v) for k, v in args["params"].items()})


def _array(value) -> np.ndarray:
    return np.array(value, dtype=np.float64)


def _backprop(bp, name: str, a: dict):
    if name == "relu":
        return bp.relu(fr(a["z"]))
    if name == "relu_grad":
        return int(bp.relu_grad(fr(a["z"])))
    if name == "forward":
        result = bp.forward(_params(bp, a), fr(a["x"]))
        return {"z1": result.z1, "hidden": result.hidden, "y_pred": result.y_pred}
    if name == "squared_error":
        return bp.squared_error(fr(a["y"]), fr(a["y_pred"]))
    if name == "gradients":
        return bp.gradients(_params(bp, a), fr(a["x"]), fr(a["y"])).as_dict()
    if name == "sgd_step":
        return bp.sgd_step(_params(bp, a), fr(a["x"]), fr(a["y"]), fr(a["eta"])).after.as_dict()
    raise KeyError(name)


def _points(a: dict) -> list[tuple[Fraction, ...]]:
    return [tuple(fr(c) for c in p) for p in a["X"]]


def _svm(svm, name: str, a: dict):
    if name == "decision_value":
        return svm.decision_value([fr(c) for c in a["w"]], fr(a["b"]), [fr(c) for c in a["x"]])
    if name == "classify":
        return int(svm.classify([fr(c) for c in a["w"]], fr(a["b"]), [fr(c) for c in a["x"]]))
    if name == "weight_from_alphas":
        alphas = {int(k): fr(v) for k, v in a["alphas"].items()}
        return list(svm.weight_from_alphas(_points(a), a["y"], alphas))
    if name == "functional_margins":
        w = [fr(c) for c in a["w"]]
        return list(svm.functional_margins(_points(a), a["y"], w, fr(a["b"])))
    if name == "solve_support_vector_equations":
        solved = svm.solve_support_vector_equations(_points(a), a["y"], a["support"])
        if solved is None:
            return None
        alphas, w, b = solved
        return {"alphas": {str(k): v for k, v in alphas.items()}, "w": list(w), "b": b}
    if name == "max_margin_hyperplane":
        s = svm.max_margin_hyperplane(a["X"], a["y"])
        return {
            "w": list(s.w),
            "b": s.b,
            "on_margin": sorted(int(i) for i in s.on_margin),
            "margin_width_squared": s.margin_width_squared,
            "margin_width": float(s.margin_width),
        }
    raise KeyError(name)


def _nn(nn, name: str, a: dict):
    if name == "activation":
        return nn.ACTIVATIONS[a["activation"]].function(_array(a["z"]))
    if name == "derivative":
        return nn.ACTIVATIONS[a["activation"]].derivative(_array(a["a"]))
    if name == "init":
        init = nn.INITIALISATIONS[a["kind"]]
        rng = np.random.default_rng(a["seed"])
        W = init(a["fan_in"], a["fan_out"], a["activation"], rng)
        return {
            "shape": list(np.shape(W)),
            "dtype": str(getattr(W, "dtype", "")),
            "max_abs": float(np.abs(W).max()),
            "std": float(np.std(W)),
            "mean": float(np.mean(W)),
        }
    if name == "pre_activation":
        return nn.pre_activation(_array(a["a_below"]), _array(a["W"]), _array(a["b"]))
    if name == "output_error":
        return nn.output_error(_array(a["logits"]), np.array(a["y"]))
    if name == "hidden_error":
        return nn.hidden_error(
            _array(a["error"]), _array(a["W"]), _array(a["a_below"]), a["activation"]
        )
    if name == "weight_gradient":
        return nn.weight_gradient(_array(a["a_below"]), _array(a["error"]))
    if name == "bias_gradient":
        return nn.bias_gradient(_array(a["error"]))
    if name == "backward_reference":
        weights = [_array(w) for w in a["weights"]]
        biases = [_array(b) for b in a["biases"]]
        layers = nn.forward_reference(weights, biases, _array(a["X"]), a["activation"])
        dW, db = nn.backward_reference(weights, layers, np.array(a["y"]), a["activation"])
        return {"dW": list(dW), "db": list(db)}
    if name == "sgd_update":
        new_w, new_b = nn.sgd_update(
            [_array(w) for w in a["weights"]],
            [_array(b) for b in a["biases"]],
            [_array(g) for g in a["dW"]],
            [_array(g) for g in a["db"]],
            a["learning_rate"],
        )
        return {"weights": list(new_w), "biases": list(new_b)}
    raise KeyError(name)


def call(modules: dict, name: str, args: dict) -> Any:
    """``name`` is ``"<module>.<call>"``; ``modules`` maps module names to modules."""
    module_name, _, call_name = name.partition(".")
    handler = {"backprop": _backprop, "svm": _svm, "scratch_nn": _nn}[module_name]
    return out(handler(modules[module_name], call_name, args))
