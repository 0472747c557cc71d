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
