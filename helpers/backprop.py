"""Backpropagation by hand for the 1-1-1 ReLU network of the theory section.

The network maps a scalar ``x`` to a scalar prediction::

    z1     = w1 * x + b1            (pre-activation of the single hidden unit)
    h      = relu(z1)               (hidden activation)
    y_pred = w2 * h + b2            (identity output)
    E      = 1/2 * (y - y_pred)**2  (squared error of one sample)

Every function here works on plain numbers, so the same code runs in exact
arithmetic (:class:`fractions.Fraction`) and in floating point. The chain rule
gives, with ``delta = dE/dy_pred = y_pred - y``::

    dE/dw2 = delta * h
    dE/db2 = delta
    dE/dw1 = delta * w2 * relu'(z1) * x
    dE/db1 = delta * w2 * relu'(z1)

ReLU is not differentiable at 0; :func:`relu_grad` uses relu'(0) = 0, the
convention of scikit-learn (``delta[Z == 0] = 0`` in
``sklearn.neural_network._base.inplace_relu_derivative``). A plain SGD step
subtracts ``eta`` times each gradient, all four computed from the parameters
*before* the step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from fractions import Fraction
from numbers import Real

#: The parameter names in a fixed order (used for tables and results keys).
PARAM_NAMES = ("w1", "b1", "w2", "b2")


@dataclass(frozen=True)
class _FourValues:
    """One value per parameter, in :data:`PARAM_NAMES` order (Fractions or floats)."""

    w1: Real
    b1: Real
    w2: Real
    b2: Real

    def as_dict(self) -> dict[str, Real]:
        """``{"w1": ..., "b1": ..., "w2": ..., "b2": ...}`` in :data:`PARAM_NAMES` order."""
        return {name: getattr(self, name) for name in PARAM_NAMES}


@dataclass(frozen=True)
class Params(_FourValues):
    """The four parameters of the network (Fractions or floats)."""


@dataclass(frozen=True)
class Gradients(_FourValues):
    """dE/d(parameter) for one sample, same field names as :class:`Params`."""


@dataclass(frozen=True)
class ForwardPass:
    """Intermediate values of the forward pass of one sample."""

    z1: Real
    hidden: Real
    y_pred: Real


@dataclass(frozen=True)
class StepRecord:
    """Everything computed in one SGD step on the sample ``(x, y)``."""

    x: Real
    y: Real
    before: Params
    forward: ForwardPass
    error: Real
    grads: Gradients
    after: Params


def relu(z: Real) -> Real:
    """ReLU: ``max(z, 0)``, keeping the number type (a Fraction stays a Fraction)."""
    # BEGIN SOLUTION
    return z if z > 0 else type(z)(0)
    # END SOLUTION


def relu_grad(z: Real) -> int:
    """relu'(z): 1 for z > 0, 0 for z <= 0 (convention relu'(0) = 0, as scikit-learn)."""
    # BEGIN SOLUTION
    return 1 if z > 0 else 0
    # END SOLUTION


def forward(params: Params, x: Real) -> ForwardPass:
    """Forward pass: ``z1 = w1 x + b1``, ``h = relu(z1)``, ``y_pred = w2 h + b2``."""
    # BEGIN SOLUTION
    z1 = params.w1 * x + params.b1
    hidden = relu(z1)
    return ForwardPass(z1=z1, hidden=hidden, y_pred=params.w2 * hidden + params.b2)
    # END SOLUTION


def squared_error(y: Real, y_pred: Real) -> Real:
    """E = 1/2 (y - y_pred)^2 (exact when both are Fractions)."""
    # BEGIN SOLUTION
    return (y - y_pred) ** 2 / 2
    # END SOLUTION


def gradients(params: Params, x: Real, y: Real) -> Gradients:
    """dE/dw1, dE/db1, dE/dw2, dE/db2 at ``params`` for one sample, by the chain rule.

    ``delta_out = dE/dy_pred = y_pred - y``; the output layer is linear, so
    ``dE/dw2 = delta_out * h`` and ``dE/db2 = delta_out``. The error reaching the
    hidden pre-activation is ``delta_hidden = delta_out * w2 * relu'(z1)``, and
    ``z1 = w1 x + b1`` gives ``dE/dw1 = delta_hidden * x``, ``dE/db1 = delta_hidden``.
    """
    # BEGIN SOLUTION
    fwd = forward(params, x)
    delta_out = fwd.y_pred - y
    delta_hidden = delta_out * params.w2 * relu_grad(fwd.z1)
    return Gradients(
        w1=delta_hidden * x,
        b1=delta_hidden,
        w2=delta_out * fwd.hidden,
        b2=delta_out,
    )
    # END SOLUTION


def sgd_step(params: Params, x: Real, y: Real, eta: Real) -> StepRecord:
    """One plain SGD step ``p_new = p - eta * dE/dp`` on the sample ``(x, y)``.

    All four gradients use the parameters before the step (no in-place mixing).
    """
    fwd = forward(params, x)
    grads = gradients(params, x, y)
    # BEGIN SOLUTION
    after = Params(
        **{name: getattr(params, name) - eta * getattr(grads, name) for name in PARAM_NAMES}
    )
    # END SOLUTION
    return StepRecord(
        x=x,
        y=y,
        before=params,
        forward=fwd,
        error=squared_error(y, fwd.y_pred),
        grads=grads,
        after=after,
    )


def train_sequence(
    params: Params, samples: Iterable[tuple[Real, Real]], eta: Real
) -> list[StepRecord]:
    """SGD through ``samples`` once, one sample at a time, in the given order."""
    records = []
    for x, y in samples:
        record = sgd_step(params, x, y, eta)
        records.append(record)
        params = record.after
    return records


def error_at(params: Params, x: Real, y: Real) -> Real:
    """E(params) for one sample: the function the finite differences differentiate."""
    return squared_error(y, forward(params, x).y_pred)


def central_difference_gradients(
    params: Params, x: Real, y: Real, step: Real = Fraction(1, 10**6)
) -> Gradients:
    """Numerical gradients ``(E(p + h) - E(p - h)) / (2h)``, one parameter at a time.

    Uses only :func:`forward` and :func:`squared_error`, never :func:`gradients`.
    E is a quadratic polynomial in each single parameter as long as the step does
    not move z1 across the ReLU kink, and the central difference of a quadratic is
    its exact derivative, so with Fractions (and ``step`` smaller than ``|z1| / |x|``
    and ``|z1|``) the result equals the analytic gradient exactly.
    """
    values = {}
    for field in fields(Params):
        name = field.name
        value = getattr(params, name)
        plus = error_at(replace(params, **{name: value + step}), x, y)
        minus = error_at(replace(params, **{name: value - step}), x, y)
        values[name] = (plus - minus) / (2 * step)
    return Gradients(**values)


def sklearn_sgd_trajectory(
    initial: Params, samples: Sequence[tuple[Real, Real]], eta: float
) -> list[Params]:
    """The same SGD steps done by scikit-learn's ``MLPRegressor`` backpropagation.

    Configured to perform exactly the hand update: one hidden ReLU unit, identity
    output, squared error with sklearn's 1/2 factor (``squared_loss`` is
    ``0.5 * mean((y - y_pred)**2)``, so for one sample the gradient is ``dE/dp``),
    ``solver="sgd"`` with ``momentum=0`` (the update is ``-eta * grad``), no L2
    (``alpha=0``), constant learning rate, batch size 1 and no shuffling.

    ``partial_fit`` initialises the weights randomly on its first call (and takes
    one step with them); that throwaway call is made first, then the weights are
    overwritten in place with ``initial`` and each sample gets one ``partial_fit``.
    Returns the float64 parameters after each step (``len(samples)`` entries).
    """
    import numpy as np
    from sklearn.neural_network import MLPRegressor

    model = MLPRegressor(
        hidden_layer_sizes=(1,),
        activation="relu",
        solver="sgd",
        alpha=0.0,
        batch_size=1,
        learning_rate="constant",
        learning_rate_init=float(eta),
        momentum=0.0,
        nesterovs_momentum=False,
        shuffle=False,
        random_state=0,
    )
    first_x, first_y = samples[0]
    model.partial_fit(np.array([[float(first_x)]]), np.array([float(first_y)]))
    model.coefs_[0][...] = float(initial.w1)
    model.intercepts_[0][...] = float(initial.b1)
    model.coefs_[1][...] = float(initial.w2)
    model.intercepts_[1][...] = float(initial.b2)

    trajectory = []
    for x, y in samples:
        model.partial_fit(np.array([[float(x)]]), np.array([float(y)]))
        trajectory.append(
            Params(
                w1=float(model.coefs_[0][0, 0]),
                b1=float(model.intercepts_[0][0]),
                w2=float(model.coefs_[1][0, 0]),
                b2=float(model.intercepts_[1][0]),
            )
        )
    return trajectory


def max_abs_difference(first: Params | Gradients, second: Params | Gradients) -> float:
    """Largest ``|first.p - second.p|`` over the four parameters, as a float."""
    return max(
        abs(float(getattr(first, name)) - float(getattr(second, name))) for name in PARAM_NAMES
    )


def fraction_text(value: Real) -> str:
    """Exact ``"num/den"`` text of a Fraction (``"3/10"``; integers as ``"3"``)."""
    return str(Fraction(value))


def step_table_rows(
    record: StepRecord, fmt: Callable[[Real], str] = lambda v: f"{float(v):.12f}"
) -> list[dict]:
    """Rows ``{"quantity", "exact", "decimal"}`` describing one step, for a DataFrame."""
    rows = [
        ("x", record.x),
        ("y", record.y),
        ("z1 = w1 x + b1", record.forward.z1),
        ("h = relu(z1)", record.forward.hidden),
        ("relu'(z1)", relu_grad(record.forward.z1)),
        ("y_pred = w2 h + b2", record.forward.y_pred),
        ("E = 1/2 (y - y_pred)^2", record.error),
    ]
    rows += [(f"dE/d{name}", value) for name, value in record.grads.as_dict().items()]
    rows += [(f"{name} new", value) for name, value in record.after.as_dict().items()]
    return [
        {"quantity": label, "exact": fraction_text(value), "decimal": fmt(value)}
        for label, value in rows
    ]


# --- Tables and checks that notebook 01 shows (no solution regions below) ---------------


def steps_table(records: Sequence[StepRecord]):
    """Every step's quantities in one DataFrame, indexed by ``(step, quantity)``.

    Columns: ``exact`` (the fraction) and ``decimal`` (12 places): :func:`step_table_rows`
    of each record, steps numbered from 1.
    """
    import pandas as pd

    rows = [
        {"step": step, **row}
        for step, record in enumerate(records, start=1)
        for row in step_table_rows(record)
    ]
    return pd.DataFrame(rows).set_index(["step", "quantity"])


def trajectory_table(initial: Params, records: Sequence[StepRecord]):
    """The parameters after each step (step 0: ``initial``), to 10 decimals.

    ``y_pred`` and ``E`` are the forward pass of that step's sample, before its update.
    """
    import pandas as pd

    def ten(value: Real) -> str:
        return f"{float(value):.10f}"

    rows = [{"step": 0, "sample": "", "y_pred": "", "E": "", **_texts(initial, ten)}]
    rows += [
        {
            "step": step,
            "sample": f"({record.x}, {record.y})",
            "y_pred": ten(record.forward.y_pred),
            "E": ten(record.error),
            **_texts(record.after, ten),
        }
        for step, record in enumerate(records, start=1)
    ]
    return pd.DataFrame(rows).set_index("step")


def _texts(values: _FourValues, fmt: Callable[[Real], str]) -> dict[str, str]:
    return {name: fmt(value) for name, value in values.as_dict().items()}


def finite_difference_check(records: Sequence[StepRecord]):
    """Chain-rule gradients against :func:`central_difference_gradients`, step by step.

    Returns ``(table, largest)``: one row per step and gradient (both values to 12
    decimals and their exact absolute difference), and the largest absolute difference
    of the two as floats.
    """
    import pandas as pd

    rows, largest = [], 0.0
    for step, record in enumerate(records, start=1):
        numeric = central_difference_gradients(record.before, record.x, record.y)
        for name in PARAM_NAMES:
            analytic, approx = getattr(record.grads, name), getattr(numeric, name)
            largest = max(largest, abs(float(analytic) - float(approx)))
            rows.append(
                {
                    "step": step,
                    "gradient": f"dE/d{name}",
                    "chain rule": f"{float(analytic):.12f}",
                    "finite difference": f"{float(approx):.12f}",
                    "|difference| (exact)": fraction_text(abs(analytic - approx)),
                }
            )
    return pd.DataFrame(rows).set_index(["step", "gradient"]), largest


def sklearn_check(records: Sequence[StepRecord], sklearn_params: Sequence[Params]):
    """The exact parameters after each step against ``MLPRegressor``'s (15 decimals).

    Returns ``(table, largest)``: one row per step and parameter, and the largest
    absolute difference (:func:`max_abs_difference` over the steps).
    """
    import pandas as pd

    rows = []
    for step, (record, other) in enumerate(zip(records, sklearn_params, strict=True), start=1):
        for name in PARAM_NAMES:
            exact, theirs = getattr(record.after, name), getattr(other, name)
            rows.append(
                {
                    "step": step,
                    "parameter": name,
                    "exact (Fraction)": f"{float(exact):.15f}",
                    "MLPRegressor": f"{theirs:.15f}",
                    "|difference|": f"{abs(float(exact) - theirs):.1e}",
                }
            )
    largest = max(
        max_abs_difference(record.after, other)
        for record, other in zip(records, sklearn_params, strict=True)
    )
    return pd.DataFrame(rows).set_index(["step", "parameter"]), largest


def _cut(value: Fraction, digits: int = 3) -> Fraction:
    """``value`` cut (not rounded) to ``digits`` decimals, as the original carried it."""
    return Fraction(int(value * 10**digits), 10**digits)


def _short(value: Real) -> str:
    return f"{float(value):g}"


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def original_replays(initial: Params, eta: Real) -> dict[str, tuple[Fraction, str]]:
    """The original's own arithmetic, redone exactly from the values it wrote.

    Keys are ledger ids without ``backprop.``; values ``(replay, how it is computed)``.
    Every update of the original is ``p + eta (y - used)``; its step 2 starts from its
    step-1 results cut to three digits (``w1`` uncut) and puts its error E where
    ``y_pred`` belongs. The original's values come from the ledger.
    """
    from helpers import ledger

    def said(name: str) -> Fraction:
        return Fraction(repr(ledger.original(f"backprop.{name}")))

    def update(start, target, used):
        return start + eta * (target - used), (
            f"{_short(start)}+{_short(eta)}*({target}-{_short(used)})"
        )

    def predict(values, x):
        w1, b1, w2, b2 = values
        how = f"relu({_short(w1)}*{x}+{_short(b1)})*{_short(w2)}+{_short(b2)}"
        return relu(w1 * x + b1) * w2 + b2, how

    def error(target, y_pred):
        return (target - y_pred) ** 2 / 2, f"({target}-{_short(y_pred)})^2/2"

    y1, y2, e2, y3 = map(said, ("step1.y_pred", "step2.y_pred", "step2.error", "step3.y_pred"))
    carried = {name: _cut(said(f"step1.{name}")) for name in PARAM_NAMES}
    step2 = {name: said(f"step2.{name}") for name in PARAM_NAMES}
    start = initial.as_dict()
    return {
        "step1.y_pred": predict(start.values(), 1),
        "step1.error": error(3, y1),
        **{f"step1.{name}": update(start[name], 3, y1) for name in PARAM_NAMES},
        "step2.y_pred": predict(carried.values(), 2),
        "step2.error": error(4, y2),
        **{f"step2.{name}": update(carried[name], 4, e2) for name in ("w2", "b2", "b1")},
        "step2.w1": update(said("step1.w1"), 4, e2),
        "step3.y_pred": predict(step2.values(), 3),
        "step3.error": error(5, y3),
        **{f"final.{name}": update(step2[name], 5, y3) for name in PARAM_NAMES},
    }


def original_comparison(
    initial: Params, eta: Real, records: Sequence[StepRecord], profile: str = "default"
):
    """Every hand-worked number of the original (the ledger) next to the verified one.

    One row per ledger entry of the section: the original's text, the verified value (10
    decimals), whether they differ by more than the original's last written digit, the
    replay of the original's own arithmetic (:func:`original_replays`), whether the
    replay reproduces what it wrote, and the ledger's reason for the difference.
    """
    import pandas as pd

    from helpers import ledger

    replays = original_replays(initial, eta)
    verified: dict[str, Real] = {"summary.b2_start": initial.b2}
    for step, record in enumerate(records, start=1):
        prefix = f"step{step}" if step < len(records) else "final"
        verified[f"step{step}.y_pred"] = record.forward.y_pred
        verified[f"step{step}.error"] = record.error
        verified.update({f"{prefix}.{n}": getattr(record.after, n) for n in PARAM_NAMES})
    steps = {"step1": 1, "step2": 2, "step3": 3, "final": 3, "summary": 0}
    quantities = {"error": "E", "b2_start": "b2 start (summary)"}
    rows = []
    for item in ledger.group_entries("Backpropagation by hand (Section A)"):
        name = item.id.removeprefix("backprop.")
        step, quantity = name.split(".")
        written = repr(item.original)
        said, last_digit = Fraction(written), Fraction(1, 10 ** _decimals(written))
        replay_text, how, reproduced = "", "(a misquote, nothing to replay)", "n/a"
        if name in replays:
            replay, how = replays[name]
            replay_text = f"{float(replay):.6f}"
            reproduced = "yes" if abs(replay - said) < last_digit else "no (slip)"
        rows.append(
            {
                "step": steps[step],
                "quantity": quantities.get(quantity, quantity),
                "original": written,
                "verified": f"{float(verified[name]):.10f}",
                "differs": "yes" if abs(verified[name] - said) > last_digit else "no",
                "replay": replay_text,
                "replay = original?": reproduced,
                "replay computed as": how,
                "what went wrong (the ledger's reason)": item.reason_for(profile)
                or "agrees (to the digits it wrote)",
            }
        )
    return pd.DataFrame(rows).set_index(["step", "quantity"])


def written_forms(value: Real) -> set[str]:
    """How a write-up may show ``|value|``: its exact decimal expansion or 10 decimals.

    Every input of the hand-worked problem is a decimal, so every value's expansion
    terminates; the 10-decimal rounding drops trailing zeros when it is exact.
    """
    from decimal import Decimal, localcontext

    value = abs(Fraction(value))
    with localcontext() as context:
        context.prec = 200
        exact = str(Decimal(value.numerator) / Decimal(value.denominator))
    rounded = f"{float(value):.10f}"
    if rounded.endswith("0") and Fraction(rounded) == value:
        rounded = rounded.rstrip("0")
    return {exact, rounded}


def missing_from_text(records: Sequence[StepRecord], text: str) -> list[list[str]]:
    """The step values (y_pred, E, gradients, new parameters) that ``text`` never shows.

    Each missing value is listed as its :func:`written_forms`; an empty list means the
    text quotes all ten values of every step.
    """
    values = []
    for record in records:
        values += [record.forward.y_pred, record.error]
        values += [*record.after.as_dict().values(), *record.grads.as_dict().values()]
    return [
        sorted(written_forms(v))
        for v in values
        if not any(form in text for form in written_forms(v))
    ]
