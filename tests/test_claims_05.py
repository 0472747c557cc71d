"""Notebook 05's claim checks fail when their claims are false (no training).

The numbers that make the claims true are the committed run's (``results/``); a test then
changes one of them so that a claim no longer holds and expects ``AssertionError``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers import mlp_study
from helpers.paths import REPO_ROOT
from tests.claims import claim_source, hidden_claim_cells

NOTEBOOK = REPO_ROOT / "notebooks" / "05_fashion_grid_search.ipynb"
RESULTS = REPO_ROOT / "results" / "05_fashion_grid_search.json"


def test_every_claim_check_is_hidden_and_prints_nothing():
    for cell in hidden_claim_cells(NOTEBOOK, at_least=4):
        assert "print(" not in "".join(cell["source"])
        assert not cell.get("outputs")


def _committed():
    payload = json.loads(RESULTS.read_text(encoding="utf-8"))
    payload = payload.get("results", payload)
    table = pd.DataFrame(payload["grid"]).set_index("candidate").sort_values("rank", kind="stable")
    return payload, table


def _comparison_namespace(table):
    original = mlp_study.original_grid_table()
    return {
        "per_candidate": mlp_study.compare_with_original(table, original),
        "spearman": mlp_study.rank_correlation(table, original),
        "profile": "default",
    }


COMPARISON = "claim: the largest disagreements go both ways"


def test_comparison_claims_hold_on_the_committed_run():
    _, table = _committed()
    exec(claim_source(NOTEBOOK, COMPARISON), _comparison_namespace(table))


def test_disagreements_of_one_kind_break_the_both_ways_claim():
    _, table = _committed()
    original = mlp_study.original_grid_table()
    # every candidate a little above the original's score: all differences of one sign
    table["mean_cv_accuracy"] = original.loc[table.index, "mean_cv_accuracy"] + 0.02
    with pytest.raises(AssertionError, match="go both ways"):
        exec(claim_source(NOTEBOOK, COMPARISON), _comparison_namespace(table))


def test_sgd_scoring_above_the_original_breaks_its_claim():
    _, table = _committed()
    slow_sgd = (table["solver"] == "sgd") & (table["learning_rate_init"] < 1e-3)
    table.loc[slow_sgd.idxmax(), "mean_cv_accuracy"] = 0.95  # one slow sgd candidate
    with pytest.raises(AssertionError, match="sgd at the smaller rates scores below"):
        exec(claim_source(NOTEBOOK, COMPARISON), _comparison_namespace(table))


def _pixel_namespace(raw_changes=None, original_std=None):
    payload, table = _committed()
    raw = pd.DataFrame(payload["unscaled_pixel_check"]).set_index("candidate")
    raw = raw.rename(
        columns={
            "mean_cv_accuracy_unscaled": "mean_cv_accuracy",
            "std_cv_accuracy_unscaled": "std_cv_accuracy",
            "mean_epochs_run_unscaled": "mean_epochs_run",
        }
    )
    raw = table.loc[raw.index, ["solver", "learning_rate_init", "batch_size"]].join(raw)
    for (candidate, column), value in (raw_changes or {}).items():
        raw.loc[candidate, column] = value
    original = mlp_study.original_grid_table()
    if original_std is not None:
        original.loc[5, "std_cv_accuracy"] = original_std
    return {
        "raw_check": mlp_study.raw_pixel_comparison(raw, table, original),
        "RAW_PIXEL_CHECK_CANDIDATES": mlp_study.RAW_PIXEL_CHECK_CANDIDATES,
        "N_EPOCHS": payload["max_epochs"],
        "ORIGINAL_GRID_FOLDS": mlp_study.ORIGINAL_GRID_FOLDS,
        "min_fold_std_with_one_at": mlp_study.min_fold_std_with_one_at,
        "profile": "default",
    }


PIXELS = "claim: unscaled pixels raise slow sgd's score a lot"


def test_unscaled_pixel_claims_hold_on_the_committed_run():
    exec(claim_source(NOTEBOOK, PIXELS), _pixel_namespace())


@pytest.mark.parametrize(
    "changes, claim",
    [
        ({(13, "mean_cv_accuracy"): 0.2}, "raise slow sgd's score a lot"),
        ({(5, "mean_cv_accuracy"): 0.45}, "fast sgd falls to near chance"),
        ({(5, "mean_epochs_run"): 50.0}, "stops early"),
        ({(4, "mean_cv_accuracy"): 0.62}, "far above the original's score"),
    ],
)
def test_unscaled_pixel_claims_fail_when_made_false(changes, claim):
    with pytest.raises(AssertionError, match=claim):
        exec(claim_source(NOTEBOOK, PIXELS), _pixel_namespace(changes))


def test_a_wide_original_fold_spread_breaks_the_no_collapsed_fold_claim():
    # with a std over folds of 0.2, one fold near chance is possible: the claim is false
    with pytest.raises(AssertionError, match="rules out even one of its folds"):
        exec(claim_source(NOTEBOOK, PIXELS), _pixel_namespace(original_std=0.2))


def test_grid_claims_fail_when_slow_sgd_catches_up():
    _, table = _committed()
    source = claim_source(NOTEBOOK, "claim: the strong group beats sgd at small rates")
    exec(source, {"table": table, "profile": "default"})
    slow_sgd = (table["solver"] == "sgd") & (table["learning_rate_init"] == 1e-4)
    table.loc[slow_sgd & (table["batch_size"] == 128), "mean_cv_accuracy"] = 0.84
    with pytest.raises(AssertionError, match="beats sgd at small rates"):
        exec(source, {"table": table, "profile": "default", "np": np})
