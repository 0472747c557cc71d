"""Notebook 06's claim checks fail when their claim is false (no training: synthetic values).

Each test takes a ``claim-check`` cell's source from the committed notebook, runs it in a
namespace of made-up numbers that make its claims true (it passes) and then in one that
makes a claim false (``AssertionError`` naming the claim). The structure tests keep the
notebook's rules: claim checks hidden and silent, no prose built in code, visible code no
longer than the Markdown.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers import autoencoder as ae
from helpers import ledger
from helpers.paths import REPO_ROOT
from tests.claims import claim_source, hidden_claim_cells

NOTEBOOK = REPO_ROOT / "notebooks" / "06_fashion_autoencoder_features.ipynb"
CELLS = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
SPLITS = ("train", "validation", "test")


def _source(cell) -> str:
    return "".join(cell["source"])


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def run_check(source: str, **names) -> None:
    exec(compile(source, "<claim check>", "exec"), {"ae": ae, "ledger": ledger, **names})


# ------------------------------------------------------------------ reconstruction


def _reconstruction(identity=0.028, relu=0.029, pca=0.015, mean=0.087, falling=True):
    final_mse = pd.DataFrame(
        {split: [relu, identity, pca, mean] for split in SPLITS},
        index=["relu", "identity", ae.PCA_ROW, ae.MEAN_ROW],
    )
    epochs = np.arange(1, 21)
    histories = {}
    for activation, end in (("relu", relu), ("identity", identity)):
        curve = end + (0.2 - end) * np.exp(-epochs / 5) if falling else np.full(20, end)
        histories[activation] = pd.DataFrame({f"{s}_loss": curve for s in SPLITS}, index=epochs)
    return {"final_mse": final_mse, "histories": histories, "profile": "default"}


def test_reconstruction_claims_hold_for_values_that_make_them_true():
    run_check(claim_source(NOTEBOOK, "final_mse"), **_reconstruction())


@pytest.mark.parametrize(
    ("values", "claim"),
    [
        ({"identity": 0.014}, "still worse than PCA-32"),  # identity beats PCA-32
        ({"falling": False}, "still falling"),  # curves flat at the end
        ({"identity": 0.030}, "identity ends marginally lower"),  # relu ends lower
        ({"identity": 0.020}, "close together"),  # identity far lower
        ({"relu": 0.09}, "beat the mean image"),
    ],
)
def test_reconstruction_claims_fail_when_made_false(values, claim):
    with pytest.raises(AssertionError, match=claim):
        run_check(claim_source(NOTEBOOK, "final_mse"), **_reconstruction(**values))


def test_default_only_claims_are_skipped_at_the_smoke_profile():
    values = _reconstruction(identity=0.030)  # relu lower: a default-profile claim only
    values["profile"] = "smoke"
    run_check(claim_source(NOTEBOOK, "final_mse"), **values)


# ------------------------------------------------------------------ the original's loop


def _replays(mse=(0.2, 0.2, 0.2), warnings=3, identity=0.24):
    return {
        "relu": {"train_mse": list(mse), "convergence_warnings": warnings},
        "identity": {"train_mse": [identity] * len(mse), "convergence_warnings": len(mse)},
    }


def test_replay_claims():
    source = claim_source(NOTEBOOK, "replays.items()")
    run_check(source, replays=_replays(), profile="default")
    with pytest.raises(AssertionError, match="same relu network"):
        run_check(source, replays=_replays(mse=(0.2, 0.19, 0.18)), profile="smoke")
    with pytest.raises(AssertionError, match="warns"):
        run_check(source, replays=_replays(warnings=0), profile="smoke")
    with pytest.raises(AssertionError, match="after one epoch relu is lower"):
        run_check(source, replays=_replays(identity=0.19), profile="default")
    run_check(source, replays=_replays(identity=0.19), profile="smoke")


# ------------------------------------------------------------------ classifiers


def _summary(train, validation, test, converged=False):
    return {
        "train_accuracy": train,
        "validation_accuracy": validation,
        "test_accuracy": test,
        "n_iter": 200,
        "converged": converged,
    }


def _classifiers(relu=0.64, identity=0.66, pca=0.74, raw=0.82, converged=False, falling=True):
    summaries = {
        "relu bottleneck": _summary(relu, relu, relu),
        "identity bottleneck": _summary(identity, identity, identity),
        "PCA-32": _summary(pca, pca, pca, converged),
        "raw pixels": _summary(raw, raw, raw),
    }
    curve = [2.0, 1.5, 1.2] if falling else [2.0, 1.2, 1.2]
    return {
        "accuracies": ae.accuracy_table(summaries),
        "classifiers": {name: SimpleNamespace(loss_curve_=curve) for name in summaries},
        "profile": "default",
    }


def test_classifier_claims_hold_for_values_that_make_them_true():
    run_check(claim_source(NOTEBOOK, "accuracies["), **_classifiers())


@pytest.mark.parametrize(
    ("values", "claim"),
    [
        ({"identity": 0.80}, "PCA-32 beats both bottlenecks"),
        ({"pca": 0.85}, "raw pixels beat every summary"),
        ({"converged": True}, "no classifier converges"),
        ({"falling": False}, "loss still falls"),
        ({"identity": 0.72}, "within a few points"),
        ({"identity": 0.687}, "change of seed moves them more"),  # more than a seed moved
    ],
)
def test_classifier_claims_fail_when_made_false(values, claim):
    with pytest.raises(AssertionError, match=claim):
        run_check(claim_source(NOTEBOOK, "accuracies["), **_classifiers(**values))


def test_the_seed_claim_reads_the_committed_seed_moves():
    largest = max(
        ae.seed_moves("feature_classifier", ("relu", "identity"), "test_accuracy").values()
    )
    assert 0 < largest < 0.05  # so the 3-point gap of the test above exceeds it


# ------------------------------------------------------------------ the checks section


def _checks(relu_fast=0.787, identity_fast=0.775, replay=0.55, pca_train=0.93):
    slow = _classifiers()["accuracies"]
    summaries = {
        name: _summary(*row[["train", "validation", "test"]]) for name, row in slow.iterrows()
    }
    check = {
        "relu bottleneck": _summary(0.8, 0.79, relu_fast),
        "identity bottleneck": _summary(0.83, 0.79, identity_fast),
        "PCA-32": _summary(pca_train, 0.85, 0.84),
    }
    replays = {a: _summary(replay, replay, replay) for a in ("relu", "identity")}
    return {
        "summaries": summaries,
        "check_summaries": check,
        "replay_summaries": replays,
        "profile": "default",
    }


def test_check_claims():
    source = claim_source(NOTEBOOK, "check_summaries")
    run_check(source, **_checks())
    with pytest.raises(AssertionError, match="replay scores lower"):
        run_check(source, **_checks(replay=0.75))
    with pytest.raises(AssertionError, match="within a few points"):
        run_check(source, **_checks(relu_fast=0.70))
    with pytest.raises(AssertionError, match="PCA-32 still leads"):
        run_check(source, **_checks(relu_fast=0.86))
    with pytest.raises(AssertionError, match="fits its training images"):
        run_check(source, **_checks(pca_train=0.85))


# ------------------------------------------------------------------ notebook rules


def test_claim_checks_are_hidden_silent_and_present():
    for cell in hidden_claim_cells(NOTEBOOK, at_least=5):
        assert cell["cell_type"] == "code"
        assert cell.get("outputs", []) == [], "a claim check prints nothing"
        assert "assert" in _source(cell) and "print(" not in _source(cell)


def test_no_code_cell_builds_prose_and_plumbing_is_hidden():
    code = [cell for cell in CELLS if cell["cell_type"] == "code"]
    for cell in code:
        assert "rendered-prose" not in _tags(cell)
        assert "Markdown(" not in _source(cell)
    hidden = [cell for cell in code if "hide-input" in _tags(cell)]
    assert "parameters" in _tags(code[0]) and "start_run(" in _source(code[1])
    assert "run.finish(payload)" in _source(code[-1])
    assert hidden == [code[0], code[1], code[-1]]
    for cell in hidden:
        assert cell["metadata"]["jupyter"]["source_hidden"] is True
    assert sum("start_run(" in _source(c) or "run.finish(" in _source(c) for c in code) == 2


def test_visible_code_is_no_longer_than_the_markdown():
    def lines(cell):
        return len(_source(cell).splitlines())

    markdown = sum(lines(c) for c in CELLS if c["cell_type"] == "markdown")
    visible = sum(
        lines(c)
        for c in CELLS
        if c["cell_type"] == "code" and not c["metadata"].get("jupyter", {}).get("source_hidden")
    )
    assert visible <= markdown, f"{visible} visible code lines, {markdown} Markdown lines"


def test_hand_out_tags_are_kept():
    tags = [set(_tags(cell)) for cell in CELLS]
    assert sum("exercise" in t for t in tags) == 2
    assert any({"reveals-answer", "hide-input"} <= t for t in tags)
