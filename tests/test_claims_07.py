"""Notebook 07's claim checks fail when their claim is made false.

Each test takes a claim-check cell's source from the committed notebook and runs it on
made-up values: values that make the claim true pass, and changing one of them so the
claim is false raises ``AssertionError``. No training.
"""

import pandas as pd
import pytest

from helpers import experiments as ex
from helpers.paths import NOTEBOOKS_DIR
from tests.claims import claim_source, hidden_claim_cells

NOTEBOOK = NOTEBOOKS_DIR / "07_experiments.ipynb"


def data_namespace(**changes):
    n0, T1, config = 1000, 6300, "tanh/random"
    namespace = {
        "profile": "default",
        "ex": ex,
        "data_verdict": ex.STEPS,
        "differences": pd.DataFrame({"steps": [0.05, 0.08, 0.07], "images": [0.01, 0.02, 0.0]}),
        "effects": {"steps": {"mean": 0.07}, "images": {"mean": 0.02}},
        "data_runs": pd.DataFrame(
            {"n_train": [n0, n0, 8000], "steps": [T1, 900, 900], "test_accuracy": [0.4, 0.3, 0.35]}
        ),
        "n0": n0,
        "T1": T1,
        "config": config,
        "ORIGINAL": {config: {"test_accuracy": 0.849}},
    }
    namespace.update(changes)
    return namespace


def test_the_data_or_steps_claim_holds_on_true_values_and_fails_on_false_ones():
    source = claim_source(NOTEBOOK, "data_verdict == ex.STEPS")
    exec(source, data_namespace())
    with pytest.raises(AssertionError):
        exec(source, data_namespace(data_verdict=ex.IMAGES))
    with pytest.raises(AssertionError):  # images as strong as steps
        exec(source, data_namespace(effects={"steps": {"mean": 0.03}, "images": {"mean": 0.02}}))
    with pytest.raises(AssertionError):  # one seed's longer run did worse
        exec(
            source,
            data_namespace(differences=pd.DataFrame({"steps": [0.05, -0.01], "images": [0, 0]})),
        )
    exec(source, data_namespace(profile="smoke", data_verdict=ex.IMAGES))  # default only


def test_the_summary_of_the_three_sentences_fails_when_a_verdict_flips():
    source = claim_source(NOTEBOOK, "bottleneck_sentence")
    namespace = {
        "profile": "default",
        "ex": ex,
        "data_verdict": ex.STEPS,
        "sensitivity_sentence": ex.PARTLY,
        "bottleneck_sentence": ex.UNRESOLVED,
        "saturation": {"linear_code": ex.NO},
    }
    exec(source, dict(namespace))
    for name, flipped in (
        ("sensitivity_sentence", ex.HOLDS),
        ("bottleneck_sentence", ex.HOLDS),
        ("saturation", {"linear_code": ex.YES}),
    ):
        with pytest.raises(AssertionError):
            exec(source, {**namespace, name: flipped})


def test_every_claim_check_is_hidden():
    hidden_claim_cells(NOTEBOOK, at_least=4)
