"""Notebook 04's claim checks fail when their claims are false (no training).

Each test takes a ``claim-check`` cell's source from the committed notebook and runs it
on synthetic numbers: ones that make its claims true (it passes) and ones that make a
claim false (``AssertionError``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import mlp_study
from helpers.paths import REPO_ROOT
from tests.claims import claim_source, hidden_claim_cells

NOTEBOOK = REPO_ROOT / "notebooks" / "04_fashion_mlp_activations.ipynb"
N_EPOCHS = 100


def test_every_claim_check_is_hidden_and_prints_nothing():
    for cell in hidden_claim_cells(NOTEBOOK, at_least=3):
        assert "print(" not in "".join(cell["source"])
        assert not cell.get("outputs")


def _history(final_accuracy, reach, plateau=0, final_loss=0.45, gap=0.02):
    """A synthetic 100-epoch history: validation accuracy crosses 0.80 at ``reach`` (None:
    never) and ends at ``final_accuracy``; validation loss stays at ln 10 for ``plateau``
    epochs, then falls steadily to ``final_loss``."""
    epochs = np.arange(1, N_EPOCHS + 1)
    if reach is None:
        accuracy = np.linspace(0.1, final_accuracy, N_EPOCHS)
    else:
        accuracy = np.interp(epochs, [1, reach, N_EPOCHS], [0.1, 0.8, final_accuracy])
    loss = np.full(N_EPOCHS, np.log(10))
    loss[plateau:] = np.linspace(np.log(10) - 0.1, final_loss, N_EPOCHS - plateau)
    frame = pd.DataFrame(index=pd.Index(epochs, name="epoch"))
    for split in mlp_study.SPLITS:
        frame[f"{split}_loss"] = loss - (0.02 if split == "train" else 0.0)
        frame[f"{split}_accuracy"] = accuracy + (gap if split == "train" else 0.0)
    return frame


def _histories(**changes):
    settings = {
        "logistic": dict(final_accuracy=0.38, reach=None, plateau=22, final_loss=1.7),
        "tanh": dict(final_accuracy=0.839, reach=35, plateau=1),
        "relu": dict(final_accuracy=0.843, reach=37, plateau=1),
        "identity": dict(final_accuracy=0.833, reach=28, plateau=0),
    }
    for name, change in changes.items():
        settings[name] = {**settings[name], **change}
    return {name: _history(**kwargs) for name, kwargs in settings.items()}


def _final_namespace(histories, profile="default"):
    final = mlp_study.final_epoch_table(histories, accuracy_threshold=0.8)
    val_se = mlp_study.accuracy_standard_error(float(final["validation_accuracy"].iloc[0]), 1600)
    return {
        "final": final,
        "histories": histories,
        "val_se": val_se,
        "N_EPOCHS": N_EPOCHS,
        "profile": profile,
        "pd": pd,
        "np": np,
    }


FINAL = "claim: logistic has the lowest final"
CURVES = "claim: logistic stays near chance"


def test_final_epoch_claims_hold_on_numbers_that_make_them_true():
    exec(claim_source(NOTEBOOK, FINAL), _final_namespace(_histories()))


@pytest.mark.parametrize(
    "changes, claim",
    [
        ({"logistic": {"final_accuracy": 0.9, "reach": 50}}, "lowest final train accuracy"),
        ({"identity": {"final_accuracy": 0.78, "reach": None}}, "end within two standard"),
        ({"relu": {"reach": 60}}, "within half the epochs"),
        ({"tanh": {"gap": 0.08}}, "only a few points above"),
    ],
)
def test_final_epoch_claims_fail_when_made_false(changes, claim):
    with pytest.raises(AssertionError, match=claim):
        exec(claim_source(NOTEBOOK, FINAL), _final_namespace(_histories(**changes)))


def test_a_validation_loss_rising_at_the_end_breaks_the_still_learning_claim():
    histories = _histories()
    loss = histories["relu"]["validation_loss"].to_numpy().copy()
    loss[-10:] = loss[-11] + np.linspace(0.01, 0.1, 10)  # overfitting: loss turns up
    histories["relu"]["validation_loss"] = loss
    with pytest.raises(AssertionError, match="still fall over the last ten epochs"):
        exec(claim_source(NOTEBOOK, FINAL), _final_namespace(histories))


def test_default_only_claims_are_not_checked_at_the_smoke_profile():
    histories = _histories(logistic={"final_accuracy": 0.9, "reach": 50})
    exec(claim_source(NOTEBOOK, FINAL), _final_namespace(histories, profile="smoke"))


def _curves_namespace(histories):
    return {
        "histories": histories,
        "plateau_epochs": mlp_study.plateau_epochs,
        "MLP_ACTIVATIONS": mlp_study.MLP_ACTIVATIONS,
        "profile": "default",
    }


def test_plateau_claims_hold_and_fail():
    exec(claim_source(NOTEBOOK, CURVES), _curves_namespace(_histories()))
    with pytest.raises(AssertionError, match="stays near chance"):
        exec(claim_source(NOTEBOOK, CURVES), _curves_namespace(_histories(logistic={"plateau": 3})))
    with pytest.raises(AssertionError, match="leave chance level much sooner"):
        exec(claim_source(NOTEBOOK, CURVES), _curves_namespace(_histories(tanh={"plateau": 12})))


def test_epoch_mechanism_claims_fail_when_adam_is_not_restarted():
    source = claim_source(NOTEBOOK, "claim: one warning per fit call")
    rows = {"calls": [3, 3], "adam_steps": [50, 150], "steps_if_continuous": [150, 150]}
    rows |= {"convergence_warnings": [3, 0], "train_log_loss": [1.969, 1.968]}
    exec(source, {"mechanisms": pd.DataFrame(rows)})
    rows["adam_steps"] = [150, 150]  # the refit loop kept Adam's state: the claim is false
    with pytest.raises(AssertionError, match="only the last epoch's steps"):
        exec(source, {"mechanisms": pd.DataFrame(rows)})
