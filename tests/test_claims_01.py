"""Notebook 01's claim checks fail when their claims are made false.

Each test reads a claim-check cell's source from the committed notebook and runs it in a
namespace built from values computed here: once with values that make the claim true
(the cell must pass, printing nothing) and once with values that make it false (the cell
must raise ``AssertionError``).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from helpers import backprop
from helpers.backprop import Params, finite_difference_check, train_sequence
from helpers.paths import NOTEBOOKS_DIR
from tests.claims import claim_source, hidden_claim_cells, run_printed

NOTEBOOK = NOTEBOOKS_DIR / "01_backprop_by_hand.ipynb"
INITIAL = Params(w1=Fraction("0.1"), b1=Fraction("0.2"), w2=Fraction("0.3"), b2=Fraction("0.4"))
SAMPLES = [(1, 3), (2, 4), (3, 5)]
ETA = Fraction("0.01")


def run_claim(source: str, **values) -> str:
    """Execute a claim check with :mod:`helpers.backprop` and ``values``; its printed text."""
    namespace = {**vars(backprop), "Fraction": Fraction, "TOLERANCE": 1e-12, **values}
    return run_printed(source, NOTEBOOK, namespace)


def test_every_claim_check_is_hidden_and_tagged():
    for cell in hidden_claim_cells(NOTEBOOK, at_least=6):
        assert cell.get("outputs", []) == []  # prints nothing


def test_trajectory_claim_holds_for_the_task_and_fails_when_errors_shrink():
    source = claim_source(NOTEBOOK, "each step's error is larger")
    assert run_claim(source, records=train_sequence(INITIAL, SAMPLES, ETA)) == ""
    # the same samples in reverse order: targets fall, and so do the errors
    with pytest.raises(AssertionError, match="claim"):
        run_claim(source, records=train_sequence(INITIAL, SAMPLES[::-1], ETA))


def test_kink_claim_fails_when_z1_reaches_zero():
    source = claim_source(NOTEBOOK, "z1 > 0 in all three steps")
    run_claim(source, records=train_sequence(INITIAL, SAMPLES, ETA))
    at_kink = Params(w1=Fraction(0), b1=Fraction(0), w2=Fraction("0.3"), b2=Fraction("0.4"))
    with pytest.raises(AssertionError, match="z1 > 0"):
        run_claim(source, records=train_sequence(at_kink, SAMPLES, ETA))


def test_finite_difference_claim_fails_on_a_wrong_gradient():
    source = claim_source(NOTEBOOK, "exactly equal")
    records = train_sequence(INITIAL, SAMPLES, ETA)
    table, largest = finite_difference_check(records)
    run_claim(source, fd_table=table, fd_max=largest)
    wrong = table.copy()
    wrong.iloc[0, wrong.columns.get_loc("|difference| (exact)")] = "1/1000000"
    with pytest.raises(AssertionError, match="exactly equal"):
        run_claim(source, fd_table=wrong, fd_max=largest)


def test_sklearn_claim_fails_beyond_float_rounding():
    source = claim_source(NOTEBOOK, "MLPRegressor takes the same three steps")
    run_claim(source, sk_max=5.6e-17)
    with pytest.raises(AssertionError, match="float64 rounding"):
        run_claim(source, sk_max=1e-13)
