"""Tests for helpers.backprop: the chain-rule gradients and the three SGD steps.

The expected numbers here are worked out independently (by hand, in the
comments) or come from finite differences of E, so changing any gradient
formula in helpers/backprop.py makes a test fail.
"""

from fractions import Fraction

import numpy as np
import pytest

from helpers.backprop import (
    PARAM_NAMES,
    Gradients,
    Params,
    central_difference_gradients,
    error_at,
    finite_difference_check,
    forward,
    gradients,
    max_abs_difference,
    missing_from_text,
    original_comparison,
    original_replays,
    relu,
    relu_grad,
    sgd_step,
    sklearn_check,
    sklearn_sgd_trajectory,
    squared_error,
    step_table_rows,
    steps_table,
    train_sequence,
    trajectory_table,
    written_forms,
)

INITIAL = Params(w1=Fraction("0.1"), b1=Fraction("0.2"), w2=Fraction("0.3"), b2=Fraction("0.4"))
SAMPLES = [(1, 3), (2, 4), (3, 5)]
ETA = Fraction("0.01")


def F(text: str) -> Fraction:
    return Fraction(text)


def test_relu_and_its_derivative_convention():
    assert relu(F("0.3")) == F("0.3")
    assert relu(F("-2")) == 0
    assert relu(0.0) == 0.0
    assert relu_grad(F("0.3")) == 1
    assert relu_grad(F("-0.3")) == 0
    assert relu_grad(0) == 0  # the stated convention relu'(0) = 0 (as scikit-learn)


def test_forward_and_error_first_sample():
    fwd = forward(INITIAL, 1)
    assert fwd.z1 == F("0.3")  # 0.1 * 1 + 0.2
    assert fwd.hidden == F("0.3")
    assert fwd.y_pred == F("0.49")  # 0.3 * 0.3 + 0.4
    assert squared_error(3, fwd.y_pred) == F("3.15005")  # (2.51)^2 / 2
    assert squared_error(F("1"), F("3")) == 2


def test_gradients_at_an_asymmetric_point_by_hand():
    # w1=2, b1=-1, w2=3, b2=1/2, x=5, y=7: z1 = 9, h = 9, y_pred = 27.5,
    # delta = 20.5; dE/dw2 = 20.5*9, dE/db2 = 20.5, dE/dw1 = 20.5*3*5, dE/db1 = 20.5*3
    params = Params(w1=F("2"), b1=F("-1"), w2=F("3"), b2=F("1/2"))
    grads = gradients(params, 5, 7)
    assert grads == Gradients(w1=F("307.5"), b1=F("61.5"), w2=F("184.5"), b2=F("20.5"))


def test_gradients_first_step_by_hand():
    # delta = 0.49 - 3 = -2.51; h = 0.3, w2 = 0.3, x = 1
    grads = gradients(INITIAL, 1, 3)
    assert grads.b2 == F("-2.51")
    assert grads.w2 == F("-0.753")  # delta * h
    assert grads.b1 == F("-0.753")  # delta * w2 * 1
    assert grads.w1 == F("-0.753")  # delta * w2 * 1 * x


def _random_params(rng: np.random.Generator) -> Params:
    """Params as exact Fractions with z1 kept well away from the ReLU kink for x in 1..3."""
    values = [Fraction(int(v), 1000) for v in rng.integers(-3000, 3000, size=4)]
    w1, b1, w2, b2 = values
    return Params(w1=abs(w1) + F("0.1"), b1=abs(b1) + F("0.1"), w2=w2, b2=b2)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("x, y", [(1, 3), (2, -4), (3, 5)])
def test_gradients_equal_exact_central_differences(seed, x, y):
    params = _random_params(np.random.default_rng(seed))
    numeric = central_difference_gradients(params, x, y)
    # E is quadratic in each parameter away from the kink: the central difference is exact
    assert gradients(params, x, y) == numeric


@pytest.mark.parametrize("x, y", [(1, 3), (2, -4), (3, 5)])
def test_gradients_match_float_central_differences(x, y):
    params = Params(w1=0.7, b1=0.25, w2=-1.3, b2=0.4)
    numeric = central_difference_gradients(params, x, y, step=1e-6)
    assert max_abs_difference(gradients(params, x, y), numeric) < 1e-6


def test_inactive_hidden_unit_blocks_first_layer_gradients():
    # z1 = -1 * 2 + 0.5 < 0: no gradient reaches w1, b1; the output layer still learns
    params = Params(w1=F("-1"), b1=F("0.5"), w2=F("2"), b2=F("1"))
    grads = gradients(params, 2, 4)
    assert grads.w1 == 0 and grads.b1 == 0
    assert grads.w2 == 0  # h = 0
    assert grads.b2 == F("-3")  # y_pred = 1
    # exactly at the kink (z1 = 0) the stated convention relu'(0) = 0 applies
    at_kink = gradients(Params(w1=F("1"), b1=F("-2"), w2=F("2"), b2=F("1")), 2, 4)
    assert at_kink.w1 == 0 and at_kink.b1 == 0


def test_sgd_step_uses_parameters_before_the_step():
    record = sgd_step(INITIAL, 1, 3, ETA)
    grads = gradients(INITIAL, 1, 3)
    for name in PARAM_NAMES:
        assert getattr(record.after, name) == getattr(INITIAL, name) - ETA * getattr(grads, name)
    assert record.after == Params(w1=F("0.10753"), b1=F("0.20753"), w2=F("0.30753"), b2=F("0.4251"))
    assert record.error == F("3.15005")


def test_three_steps_exact_trajectory():
    records = train_sequence(INITIAL, SAMPLES, ETA)
    assert [r.x for r in records] == [1, 2, 3]
    # step 2 by hand from the step-1 parameters: z1 = 0.10753*2 + 0.20753 = 0.42259,
    # y_pred = 0.30753 * 0.42259 + 0.4251 = 0.5550591027
    assert records[1].forward.z1 == F("0.42259")
    assert records[1].forward.y_pred == F("0.5550591027")
    assert records[1].after.b2 == F("0.4251") + ETA * (4 - F("0.5550591027"))
    assert records[2].before == records[1].after
    final = records[2].after
    assert float(final.w1) == pytest.approx(0.170710538706402, abs=1e-14)
    assert float(final.b1) == pytest.approx(0.232121588482623, abs=1e-14)
    assert float(final.w2) == pytest.approx(0.348348875280396, abs=1e-14)
    assert float(final.b2) == pytest.approx(0.503007602993092, abs=1e-14)
    assert [round(float(r.error), 10) for r in records] == [3.15005, 5.9338088929, 9.4430731374]


def test_error_at_matches_forward():
    assert error_at(INITIAL, 1, 3) == F("3.15005")


def test_sklearn_mlp_reproduces_the_exact_steps():
    exact = train_sequence(INITIAL, SAMPLES, ETA)
    sk = sklearn_sgd_trajectory(INITIAL, SAMPLES, 0.01)
    assert len(sk) == 3
    for record, params in zip(exact, sk, strict=True):
        assert max_abs_difference(record.after, params) < 1e-12


def test_step_table_rows_cover_all_quantities():
    rows = step_table_rows(sgd_step(INITIAL, 1, 3, ETA))
    labels = [row["quantity"] for row in rows]
    assert labels[:7] == [
        "x",
        "y",
        "z1 = w1 x + b1",
        "h = relu(z1)",
        "relu'(z1)",
        "y_pred = w2 h + b2",
        "E = 1/2 (y - y_pred)^2",
    ]
    assert {f"dE/d{n}" for n in PARAM_NAMES} <= set(labels)
    assert rows[labels.index("w2 new")]["exact"] == "30753/100000"
    assert rows[labels.index("y_pred = w2 h + b2")]["decimal"] == "0.490000000000"


def test_theory_write_up_shows_the_verified_final_parameters():
    from helpers.paths import REPO_ROOT

    text = (REPO_ROOT / "theory" / "backprop_relu.md").read_text(encoding="utf-8")
    final = train_sequence(INITIAL, SAMPLES, ETA)[-1].after
    for value in final.as_dict().values():
        assert f"{float(value):.10f}" in text


def test_steps_and_trajectory_tables():
    records = train_sequence(INITIAL, SAMPLES, ETA)
    steps = steps_table(records)
    assert steps.index.names == ["step", "quantity"] and len(steps) == 3 * 15
    assert steps.loc[(1, "z1 = w1 x + b1"), "exact"] == "3/10"
    trajectory = trajectory_table(INITIAL, records)
    assert list(trajectory.index) == [0, 1, 2, 3]
    assert trajectory.loc[0, "w1"] == "0.1000000000" and trajectory.loc[0, "E"] == ""
    assert trajectory.loc[1, "sample"] == "(1, 3)" and trajectory.loc[1, "y_pred"] == "0.4900000000"


def test_finite_difference_check_is_exact_away_from_the_kink():
    table, largest = finite_difference_check(train_sequence(INITIAL, SAMPLES, ETA))
    assert largest == 0.0 and len(table) == 12
    assert set(table["|difference| (exact)"]) == {"0"}


def test_sklearn_check_reports_the_largest_difference():
    records = train_sequence(INITIAL, SAMPLES, ETA)
    floats = [Params(**{k: float(v) for k, v in r.after.as_dict().items()}) for r in records]
    table, largest = sklearn_check(records, floats)
    assert largest == 0.0 and set(table["|difference|"]) == {"0.0e+00"}
    shifted = [Params(**{**p.as_dict(), "b2": p.b2 + 1e-3}) for p in floats]
    assert sklearn_check(records, shifted)[1] == pytest.approx(1e-3)


def test_replays_redo_the_originals_arithmetic():
    replays = original_replays(INITIAL, ETA)
    value, how = replays["step1.y_pred"]
    assert value == F("0.49") and how == "relu(0.1*1+0.2)*0.3+0.4"
    assert replays["step1.w2"][1] == "0.3+0.01*(3-0.49)"


def test_original_comparison_finds_the_two_arithmetic_slips():
    table = original_comparison(INITIAL, ETA, train_sequence(INITIAL, SAMPLES, ETA))
    slips = set(table.index[table["replay = original?"] == "no (slip)"])
    assert slips == {(1, "b2"), (2, "E")}
    assert set(table.index[table["differs"] == "no"]) == {(1, "y_pred"), (1, "E")}
    assert table.loc[(0, "b2 start (summary)"), "replay = original?"] == "n/a"


def test_written_forms_and_missing_values():
    assert written_forms(F("-0.753")) == {"0.753"}
    assert written_forms(F("0.123456789012")) == {"0.123456789012", "0.1234567890"}
    records = train_sequence(INITIAL, SAMPLES[:1], ETA)
    assert len(missing_from_text(records, "")) == 10
    quoted = " ".join(sorted(written_forms(records[0].forward.y_pred)))
    assert len(missing_from_text(records, quoted)) == 9
