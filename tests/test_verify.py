"""The verification of a re-run against the committed run (helpers/verify.py)."""

import copy
import json

import pytest

from helpers import verify
from helpers.paths import RESULTS_DIR

RULES = {
    "toy": {
        "acc": {"kind": "abs", "tolerance": 0.01},
        "best": {"kind": "one_of", "values": ["adam", "sgd"]},
    }
}
COMMITTED = {"acc": 0.90, "best": "adam", "n": 8000, "loss": 0.25, "names": ["a", "b"]}


def test_flatten_names_every_leaf_by_its_path():
    assert verify.flatten({"a": {"b": 1, "c": [2, {"d": 3}]}, "e": {}}) == {
        "a/b": 1,
        "a/c/0": 2,
        "a/c/1/d": 3,
        "e": {},
    }


def test_ranked_records_are_keyed_by_candidate():
    ranked = {"grid": [{"candidate": 8, "mean": 0.85}, {"candidate": 4, "mean": 0.84}]}
    swapped = {"grid": [{"candidate": 4, "mean": 0.84}, {"candidate": 8, "mean": 0.85}]}
    assert (
        verify.flatten(ranked)
        == verify.flatten(swapped)
        == {
            "grid/candidate=8/candidate": 8,
            "grid/candidate=8/mean": 0.85,
            "grid/candidate=4/candidate": 4,
            "grid/candidate=4/mean": 0.84,
        }
    )


def test_identical_run_agrees_and_counts_each_kind():
    verdict = verify.compare("toy", COMMITTED, copy.deepcopy(COMMITTED), RULES)
    assert not verdict.failures
    assert verdict.counts == {"exact": 3, "numerical": 1, "abs": 1, "one_of": 1}
    assert verdict.lines("ref") == ["All 6 values agree with the committed run (ref). Verified."]


@pytest.mark.parametrize(
    "change, fails",
    [
        ({"acc": 0.905}, False),  # within the measured tolerance
        ({"acc": 0.92}, True),  # outside it
        ({"best": "sgd"}, False),  # a measured outcome
        ({"best": "lbfgs"}, True),  # never seen
        ({"loss": 0.25 * (1 + 1e-12)}, False),  # last-digit noise of arithmetic
        ({"loss": 0.2501}, True),  # a real change of an untrained float
        ({"n": 8001}, True),  # exact
        ({"n": 8000.0}, True),  # a float where the committed run has an int
    ],
)
def test_a_change_is_caught_exactly_when_it_exceeds_its_rule(change, fails):
    rerun = {**COMMITTED, **change}
    verdict = verify.compare("toy", COMMITTED, rerun, RULES)
    assert bool(verdict.failures) == fails


def test_missing_and_new_values_are_failures():
    rerun = {k: v for k, v in COMMITTED.items() if k != "n"} | {"extra": 1}
    failures = verify.compare("toy", COMMITTED, rerun, RULES).failures
    assert any(f.startswith("n: in the committed run, missing") for f in failures)
    assert any(f.startswith("extra: new in the re-run") for f in failures)


def test_check_raises_with_every_disagreement(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(verify, "load_tolerances", lambda: RULES)
    verdict_file = tmp_path / "toy.verdict.json"
    with pytest.raises(verify.VerificationError, match=r"acc: committed 0.9, re-run 0.99"):
        verify.check(
            "toy", "default", {**COMMITTED, "acc": 0.99}, COMMITTED, verdict_file=verdict_file
        )
    assert "5 of 6 values agree with the committed run" in capsys.readouterr().out
    record = json.loads(verdict_file.read_text(encoding="utf-8"))
    assert record["notebook"] == "toy" and len(record["failures"]) == 1


def test_report_mode_prints_instead_of_raising(monkeypatch, capsys):
    monkeypatch.setattr(verify, "load_tolerances", lambda: RULES)
    verify.check("toy", "default", {**COMMITTED, "acc": 0.99}, COMMITTED, mode="report")
    out = capsys.readouterr().out
    assert "5 of 6 values agree" in out and "  acc: committed 0.9, re-run 0.99" in out


def test_accept_mode_makes_the_run_its_own_reference(monkeypatch, capsys):
    monkeypatch.setattr(verify, "load_tolerances", lambda: RULES)
    verify.check("toy", "default", {**COMMITTED, "acc": 0.5}, COMMITTED, mode="accept")
    assert "All 6 values agree" in capsys.readouterr().out


def test_other_profiles_have_nothing_to_verify_against(capsys):
    verify.check("03_scratch_nn", "smoke", {"a": 1}, None)
    assert "nothing to verify against" in capsys.readouterr().out


def test_approx_marks_a_trained_number():
    from helpers import formatting

    assert formatting.approx(0.91304) == "≈0.9130"
    assert formatting.approx_format(".2f")(1.0) == "≈1.00"


# -------------------------------------------------- the committed runs and tolerances


def committed_payloads():
    return {
        path.stem: json.loads(path.read_text())["results"]
        for path in sorted(RESULTS_DIR.glob("0*.json"))
    }


def test_every_committed_run_verifies_against_itself():
    rules = verify.load_tolerances()
    for name, payload in committed_payloads().items():
        assert not verify.compare(name, payload, copy.deepcopy(payload), rules).failures


#: Accuracies whose seeds decide whether training has left its initial plateau by the end of
#: the epoch budget (05's slow sgd after 25 epochs): another seed moves them by a quarter or
#: more, so their tolerance is that wide. Any other accuracy must stay well inside it.
PLATEAU_EDGE = {
    ("05_fashion_grid_search", f"grid/candidate={c}/mean_cv_accuracy") for c in (1, 13, 15)
}


def test_tolerance_file_covers_only_values_the_committed_runs_have():
    payloads = committed_payloads()
    wide = set()
    for name, leaves in verify.load_tolerances().items():
        measured = {leaf for leaf in leaves if not leaf.startswith("conclusions/")}  # grading's
        assert measured <= set(verify.flatten(payloads[name])), name
        for leaf, rule in leaves.items():
            if rule["kind"] == "abs":  # a tolerance, not a licence for any value
                assert 0 < rule["tolerance"], (name, leaf)
                if leaf.endswith("accuracy") and rule["tolerance"] >= 0.25:
                    wide.add((name, leaf))
                    seed = max(m for v, m in rule["moves"].items() if v.startswith("seed-"))
                    machine = [m for v, m in rule["moves"].items() if not v.startswith("seed-")]
                    assert max(machine, default=0) < seed, (name, leaf, "wide because of seeds")
    assert wide <= PLATEAU_EDGE, sorted(wide - PLATEAU_EDGE)


def test_perturbed_committed_accuracy_is_caught():
    """A deliberate change (a bug, a changed seed) of a learning network's accuracy fails."""
    payload = committed_payloads()["03_scratch_nn"]
    rerun = copy.deepcopy(payload)
    rerun["configs"]["relu/random"]["test_accuracy"] -= 0.05
    failures = verify.compare("03_scratch_nn", payload, rerun).failures
    assert [f.split(":")[0] for f in failures] == ["configs/relu/random/test_accuracy"]


# ------------------------------------------------------------------- in-run tolerances


def with_in_run_rules(**rules):
    return {**COMMITTED, verify.IN_RUN_RULES: rules}


def test_in_run_rules_of_the_committed_run_decide_and_are_not_compared_themselves():
    committed = with_in_run_rules(loss={"kind": "abs", "tolerance": 0.01, "basis": "seeds"})
    rerun = {**copy.deepcopy(COMMITTED), "loss": 0.255}
    rerun[verify.IN_RUN_RULES] = {"loss": {"kind": "abs", "tolerance": 1.0}}  # ignored
    verdict = verify.compare("toy", committed, rerun, RULES)
    assert not verdict.failures
    assert verdict.compared == 6  # the rules are not values
    rerun["loss"] = 0.27
    failures = verify.compare("toy", committed, rerun, RULES).failures
    assert failures == ["loss: committed 0.25, re-run 0.27 (allowed: within 0.01; seeds)"]


def test_a_measured_tolerance_wins_over_an_in_run_one():
    committed = with_in_run_rules(acc={"kind": "abs", "tolerance": 0.5})
    rerun = {**copy.deepcopy(COMMITTED), "acc": 0.95}
    assert verify.compare("toy", committed, rerun, RULES).failures  # RULES: within 0.01


def test_malformed_in_run_rules_are_an_error():
    with pytest.raises(ValueError, match="not a rule"):
        verify.compare("toy", with_in_run_rules(acc={"kind": "roughly"}), COMMITTED, {})
    with pytest.raises(ValueError, match="tolerance"):
        verify.compare("toy", with_in_run_rules(acc={"kind": "abs"}), COMMITTED, {})


def test_seed_tolerance_per_statistic():
    assert verify.seed_tolerance(0.01, 3) == pytest.approx(4 * 2**0.5 * 0.01)
    assert verify.seed_tolerance(0.01, 3, "mean") == pytest.approx(4 * (2 / 3) ** 0.5 * 0.01)
    assert verify.seed_tolerance(0.01, 17, "std") == pytest.approx(4 * 0.01 / 4)
    with pytest.raises(ValueError):
        verify.seed_tolerance(0.01, 1)
    with pytest.raises(ValueError):
        verify.seed_tolerance(0.01, 3, "median")


def test_a_seed_tolerance_is_never_wider_than_its_quantity():
    # a spread of 0.3 on an accuracy of 0.11 would otherwise allow 1.7 either way
    assert verify.seed_tolerance(0.3, 3, "value", value=0.11) == pytest.approx(0.11)
    assert verify.seed_tolerance(0.3, 3, "mean", value=-0.05) == pytest.approx(0.05)
    assert verify.seed_tolerance(0.01, 3, "mean", value=0.9) == pytest.approx(
        4 * (2 / 3) ** 0.5 * 0.01
    )
    # a standard deviation over 3 seeds may move by at most itself (4 / sqrt(2) > 1)
    assert verify.seed_tolerance(0.02, 3, "std") == pytest.approx(0.02)
    with pytest.raises(ValueError):
        verify.seed_tolerance(0.01, 3, "mean", value=float("nan"))


def test_abs_rule_rounds_up_to_three_digits_and_choice_rule_lists_the_outcomes():
    assert verify.abs_rule(0.012341, "x") == {"kind": "abs", "tolerance": 0.0124, "basis": "x"}
    assert verify.abs_rule(0.0, "x")["tolerance"] == 0.0
    assert verify.choice_rule({"yes"}, "yes") is None
    assert verify.choice_rule({"no", "yes"}, "no")["values"] == ["no", "yes"]
