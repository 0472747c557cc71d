"""Notebook 03's claim checks fail when their claim is made false.

Each test reads a claim-check cell's source from the committed notebook and executes it
in a namespace of synthetic values: values that make the claim true pass, values that
make it false raise ``AssertionError``. No training, no data.
"""

from __future__ import annotations

import ast

import numpy as np
import pytest

from helpers import scratch_original
from helpers import scratch_study as study
from helpers.paths import REPO_ROOT
from tests.claims import claim_source, hidden_claim_cells

NOTEBOOK = REPO_ROOT / "notebooks" / "03_scratch_nn_activation_init.ipynb"


def test_claim_checks_are_hidden_silent_asserts_with_messages():
    for cell in hidden_claim_cells(NOTEBOOK, at_least=10):
        assert not any(o.get("output_type") == "stream" for o in cell.get("outputs", []))
        tree = ast.parse("".join(cell["source"]))
        asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
        assert asserts, "a claim check asserts something"
        assert all(node.msg is not None for node in asserts), "every assert names its claim"
        assert not any(
            isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print"
            for node in ast.walk(tree)
        )


# ------------------------------------------------- the fast path equals the loop


def _fast_path_namespace(diff: float, moved: bool) -> dict:
    start = [np.zeros((3, 2))]
    return {"np": np, "diff": diff, "W_start": start, "W": [start[0] + (0.5 if moved else 0)]}


def test_fast_path_claim_holds_for_equal_weights():
    exec(claim_source(NOTEBOOK, "the fast path reaches"), _fast_path_namespace(1e-13, moved=True))


@pytest.mark.parametrize(("diff", "moved"), [(1e-6, True), (1e-13, False)])
def test_fast_path_claim_fails_when_made_false(diff, moved):
    with pytest.raises(AssertionError):
        exec(claim_source(NOTEBOOK, "the fast path reaches"), _fast_path_namespace(diff, moved))


# ------------------------------------------- relu and leaky relu train; the others not


def _finals(**changed: float) -> dict:
    """Final metrics shaped like the default run's: the four He runs fit and generalise,
    sigmoid/tanh learn slowly (tanh overfits), every zero run sits at a class share."""
    test = {"relu": 0.91, "leaky_relu": 0.90, "sigmoid": 0.4, "tanh": 0.3}
    finals = {}
    for key in study.CONFIG_KEYS:
        activation, init = key.split("/")
        acc = 0.112 if init == "zero" else test[activation]
        train = acc + (0.3 if activation == "tanh" and init != "zero" else 0.02)
        finals[key] = {"test_accuracy": acc, "train_accuracy": train, "val_accuracy": acc}
    for key, value in changed.items():
        finals[key.replace("__", "/")]["test_accuracy"] = value
    return finals


def _accuracy_namespace(finals: dict, profile: str = "default") -> dict:
    return {"np": np, "study": study, "finals": finals, "profile": profile}


def test_training_claims_hold_for_the_default_runs_shape():
    exec(claim_source(NOTEBOOK, "only these four do"), _accuracy_namespace(_finals()))


@pytest.mark.parametrize(
    "changed",
    [
        {"relu__normal": 0.5},  # relu/normal no longer fits
        {"tanh__random": 0.95},  # a tanh run as good as the He runs
        {"sigmoid__random": 0.1},  # sigmoid stops learning
    ],
)
def test_training_claims_fail_when_made_false(changed):
    with pytest.raises(AssertionError):
        exec(claim_source(NOTEBOOK, "only these four do"), _accuracy_namespace(_finals(**changed)))


def test_training_claims_are_only_checked_at_the_default_profile():
    exec(
        claim_source(NOTEBOOK, "only these four do"),
        _accuracy_namespace(_finals(relu__normal=0.1), "smoke"),
    )


# ------------------------------------------------------- the learning-rate replay


def _replay_namespace(misses: dict) -> dict:
    return {"np": np, "misses": misses, "scratch_original": scratch_original}


def test_replay_claim_holds_when_only_0_002_reproduces_the_losses():
    exec(
        claim_source(NOTEBOOK, "lr 0.002 reproduces"),
        _replay_namespace({0.002: 9e-16, 0.001: 4e-4, 0.0021: 3e-5}),
    )


@pytest.mark.parametrize(
    "misses",
    [
        {0.002: 1e-6, 0.001: 4e-4, 0.0021: 3e-5},  # 0.002 misses too
        {0.002: 9e-16, 0.001: 4e-4, 0.0021: 1e-16},  # another rate fits as well
    ],
)
def test_replay_claim_fails_when_made_false(misses):
    with pytest.raises(AssertionError):
        exec(claim_source(NOTEBOOK, "lr 0.002 reproduces"), _replay_namespace(misses))
