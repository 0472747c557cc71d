"""`make regressions` (tools/regressions.py): the plants, the decision, the runs (stubbed)."""

from __future__ import annotations

import copy
import json

import pytest

from helpers.paths import REPO_ROOT
from helpers.results import load_committed, save_results
from helpers.verify import flatten, in_run_rules, load_tolerances, without_in_run_rules
from tools import regressions, tolerances

PATCHES = [(name, patch) for name, reg in regressions.REGRESSIONS.items() for patch in reg.patches]
RULES = {
    regressions.RESULTS_NAME: {
        "configs/relu/normal/test_accuracy": {"kind": "abs", "tolerance": 0.01},
        "configs/relu/normal/test_loss": {"kind": "abs", "tolerance": 0.05},
    }
}
PAYLOAD = {
    "settings": {"learning_rate": 0.002, "split_seed": 42, "train_seed": 2024},
    "configs": {"relu/normal": {"test_accuracy": 0.9, "test_loss": 0.3, "epochs_run": 100}},
}


def moved(**changes):
    """PAYLOAD with ``{"leaf/path": value}`` changes (keys may hold a slash, as
    ``relu/normal`` does: the path is matched key by key)."""
    payload = copy.deepcopy(PAYLOAD)
    for path, value in changes.items():
        node, rest = payload, path
        while True:
            key = next(k for k in node if rest == k or rest.startswith(f"{k}/"))
            if rest == key:
                node[key] = value
                break
            node, rest = node[key], rest[len(key) + 1 :]
    return payload


@pytest.mark.parametrize(("name", "patch"), PATCHES, ids=[name for name, _ in PATCHES])
def test_each_patch_finds_its_text_exactly_once_in_the_current_sources(name, patch):
    text = (REPO_ROOT / patch.path).read_text(encoding="utf-8")
    assert text.count(patch.old) == 1, f"{name}: {patch.old!r} not once in {patch.path}"
    assert patch.new != patch.old


def test_the_code_regressions_plant_a_patch_and_the_seed_one_a_run_option():
    planted = {name: bool(reg.patches) for name, reg in regressions.REGRESSIONS.items()}
    assert planted == {
        "learning-rate-80pc": True,
        "first-layer-update-halved": True,
        "unmeasured-seed": False,
    }
    assert not regressions.CONTROL.patches and not regressions.CONTROL.options


def test_the_patch_lands_in_the_copy_only(tmp_path):
    (name, patch), *_ = PATCHES
    original = (REPO_ROOT / patch.path).read_text(encoding="utf-8")
    target = tmp_path / patch.path
    target.parent.mkdir(parents=True)
    target.write_text(original, encoding="utf-8")
    patch.apply(tmp_path)
    planted = target.read_text(encoding="utf-8")
    assert patch.new in planted and patch.old not in planted
    assert (REPO_ROOT / patch.path).read_text(encoding="utf-8") == original


def test_a_missing_text_is_an_error_naming_the_file_and_the_text(tmp_path):
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "scratch_kernels.py").write_text("x = learning_rate\n")
    patch = regressions.Patch("helpers/scratch_kernels.py", "lr / batch", "0.8 * lr / batch")
    with pytest.raises(regressions.PatchError, match=r"helpers/scratch_kernels.py.*'lr / batch'"):
        patch.apply(tmp_path)
    twice = regressions.Patch("helpers/scratch_kernels.py", "e", "E")
    with pytest.raises(regressions.PatchError, match="2 times"):
        twice.apply(tmp_path)
    absent = regressions.Patch("helpers/gone.py", "a", "b")
    with pytest.raises(regressions.PatchError, match="helpers/gone.py: file not found"):
        absent.apply(tmp_path)


def test_a_value_outside_its_tolerance_is_caught():
    outcome = regressions.compare_runs(
        PAYLOAD, moved(**{"configs/relu/normal/test_accuracy": 0.85}), RULES
    )
    assert outcome.caught and outcome.outside == 1 and outcome.compared == 6
    assert outcome.examples == [
        {
            "leaf": "configs/relu/normal/test_accuracy",
            "committed": 0.9,
            "rerun": 0.85,
            "allowed": "±0.01",
        }
    ]


def test_values_within_their_tolerance_are_not_caught():
    rerun = moved(
        **{"configs/relu/normal/test_accuracy": 0.905, "configs/relu/normal/test_loss": 0.33}
    )
    outcome = regressions.compare_runs(PAYLOAD, rerun, RULES)
    assert not outcome.caught and outcome.outside == 0 and outcome.examples == []


def test_the_examples_are_the_values_farthest_outside_their_tolerance():
    rerun = moved(
        **{
            "configs/relu/normal/test_accuracy": 0.85,  # 5 tolerances away
            "configs/relu/normal/test_loss": 0.4,  # 2 tolerances away
            "configs/relu/normal/epochs_run": 99,  # compared exactly: after those
        }
    )
    outcome = regressions.compare_runs(PAYLOAD, rerun, RULES, n_examples=3)
    assert outcome.outside == 3
    assert [(e["leaf"], e["allowed"]) for e in outcome.examples] == [
        ("configs/relu/normal/test_accuracy", "±0.01"),
        ("configs/relu/normal/test_loss", "±0.05"),
        ("configs/relu/normal/epochs_run", "exact"),
    ]
    assert len(regressions.compare_runs(PAYLOAD, rerun, RULES, n_examples=1).examples) == 1


def test_only_the_seed_regression_leaves_the_seed_settings_aside():
    aside = {name: reg.leave_aside for name, reg in regressions.REGRESSIONS.items()}
    assert aside["unmeasured-seed"] is tolerances.is_setting
    assert all(v is None for k, v in aside.items() if k != "unmeasured-seed")
    assert regressions.CONTROL.leave_aside is None
    # another seed, trained numbers unchanged: the settings alone would catch it ...
    seed_only = moved(**{"settings/train_seed": 2524})
    assert regressions.compare_runs(PAYLOAD, seed_only, RULES).caught
    # ... so they are left aside, and then only trained numbers can
    seed = regressions.REGRESSIONS["unmeasured-seed"]
    outcome = regressions.compare_runs(PAYLOAD, seed_only, RULES, seed.leave_aside)
    assert not outcome.caught and outcome.compared == 4
    assert outcome.left_aside == ["settings/split_seed", "settings/train_seed"]
    trained = moved(**{"settings/train_seed": 2524, "configs/relu/normal/test_loss": 0.5})
    assert regressions.compare_runs(PAYLOAD, trained, RULES, seed.leave_aside).caught


def test_leaving_aside_follows_the_leaf_paths_of_flatten():
    payload = {
        "a": {"seed": 1, "keep": 2},
        "b": {"seed": 3},
        "grid": [{"candidate": 4, "seed": 5, "score": 0.5}],
        "seeds": [6, 7],
        "in_run_tolerances": {"a/keep": {"kind": "abs", "tolerance": 1.0}},
    }
    kept = regressions.without_leaves(payload, tolerances.is_setting)
    assert kept == {
        "a/keep": 2,
        "grid/candidate=4/candidate": 4,
        "grid/candidate=4/score": 0.5,
        "in_run_tolerances": payload["in_run_tolerances"],
    }
    # compare reads the flattened payload as it reads the nested one
    assert flatten(without_in_run_rules(kept)) == {
        leaf: value
        for leaf, value in flatten(without_in_run_rules(payload)).items()
        if not tolerances.is_setting(leaf)
    }
    assert in_run_rules(kept) == in_run_rules(payload)


def test_the_seed_offset_is_outside_the_measured_set():
    measured = {
        info["options"]["seed_offset"]
        for name, info in tolerances.VARIANTS.items()
        if tolerances.variant_kind(name) == "seed"
    }
    assert measured and regressions.UNMEASURED_SEED_OFFSET not in measured
    options = regressions.REGRESSIONS["unmeasured-seed"].options
    assert options == {"seed_offset": regressions.UNMEASURED_SEED_OFFSET}


@pytest.fixture
def stubbed_runs(tmp_path, monkeypatch):
    """Runs with the notebook stubbed: each writes the committed results, changed as the
    test says, where the run options tell it; the calls are recorded."""
    monkeypatch.setattr(regressions, "WORK_DIR", tmp_path / "regressions")
    monkeypatch.setattr(regressions, "SUMMARY_FILE", tmp_path / "regressions" / "summary.json")
    monkeypatch.setattr(regressions, "check_import", lambda copy: None)
    calls = []
    changes = {}

    def execute(notebook, output, profile, run_options, failed_dir, log_output, env):
        calls.append({"notebook": notebook, "profile": profile, **run_options, "env": env})
        payload = copy.deepcopy(load_committed(regressions.RESULTS_NAME))
        name = notebook.parents[1].name
        for leaf, value in changes.get(name, {}).items():
            payload["configs"]["relu/normal"][leaf] = value
        if "seed_offset" in run_options:
            payload["settings"]["train_seed"] += run_options["seed_offset"]
        save_results(regressions.RESULTS_NAME, profile, payload, run_options["output_dir"])
        return []

    monkeypatch.setattr(regressions.pipeline, "execute", execute)
    return calls, changes


def test_a_run_plants_in_a_copy_and_runs_the_copy(stubbed_runs, tmp_path):
    calls, changes = stubbed_runs
    changes["learning-rate-80pc"] = {"test_accuracy": 0.5}
    reg = regressions.REGRESSIONS["learning-rate-80pc"]
    record = regressions.run_one(reg, "[1/1] test")
    copy_root = tmp_path / "regressions" / "learning-rate-80pc"
    planted = (copy_root / reg.patches[0].path).read_text(encoding="utf-8")
    assert reg.patches[0].new in planted
    (call,) = calls
    assert call["notebook"] == copy_root / regressions.NOTEBOOK
    assert call["profile"] == "default" and call["verify"] == "report"
    assert call["output_dir"].startswith(str(copy_root))
    assert call["env"]["PYTHONPATH"] == str(copy_root)
    assert record["caught"] and record["ok"] and record["outside"] == 1
    assert record["examples"][0]["leaf"] == "configs/relu/normal/test_accuracy"
    assert record["left_aside"] == []


def test_the_summary_and_the_exit_status(stubbed_runs, capsys):
    calls, changes = stubbed_runs
    changes["learning-rate-80pc"] = {"test_accuracy": 0.5}
    changes["first-layer-update-halved"] = {"test_loss": 9.0}
    # the seed regression changes only its seed: not caught, so the target fails
    assert regressions.main([]) == 1
    summary = json.loads(regressions.SUMMARY_FILE.read_text(encoding="utf-8"))
    by_name = {r["name"]: r for r in summary["runs"]}
    assert list(by_name) == ["control", *regressions.REGRESSIONS]
    assert by_name["control"]["outside"] == 0 and by_name["control"]["ok"]
    assert by_name["unmeasured-seed"]["left_aside"] == [
        "settings/split_seed",
        "settings/train_seed",
    ]
    assert not by_name["unmeasured-seed"]["caught"] and not summary["all_as_required"]
    assert [c["seed_offset"] for c in calls if "seed_offset" in c] == [500]
    out = capsys.readouterr().out
    assert "NOT every run as required" in out and "e.g. configs/relu/normal/test_loss" in out
    # when it does catch it, the target passes; naming regressions leaves the control out
    changes["unmeasured-seed"] = {"val_accuracy": 0.1}
    calls.clear()
    assert regressions.main(["unmeasured-seed"]) == 0
    assert len(calls) == 1


def test_the_control_fails_the_target_when_it_disagrees(stubbed_runs):
    calls, changes = stubbed_runs
    changes["control"] = {"test_accuracy": 0.5}
    changes["learning-rate-80pc"] = {"test_accuracy": 0.5}
    assert regressions.main(["learning-rate-80pc", "--control"]) == 1
    assert len(calls) == 2


def test_the_committed_tolerances_cover_notebook_03():
    assert load_tolerances().get(regressions.RESULTS_NAME)


def test_a_run_the_notebook_itself_refuses_is_caught_and_other_failures_are_errors(
    stubbed_runs, monkeypatch
):
    reg = regressions.REGRESSIONS["first-layer-update-halved"]

    def refused(*args, **kwargs):
        raise regressions.pipeline.NotebookFailed(
            "03.ipynb: cell 13 (execution count 9) raised AssertionError: the fast path "
            "reaches the loop's weights"
        )

    monkeypatch.setattr(regressions.pipeline, "execute", refused)
    record = regressions.run_one(reg, "[1/1] test")
    assert record["caught"] and record["ok"] and "AssertionError" in record["stopped_by"]
    assert "stopped by the notebook's own checks" in regressions.table([record])

    def broken(*args, **kwargs):
        raise regressions.pipeline.NotebookFailed("03.ipynb: cell 2 raised ImportError: no")

    monkeypatch.setattr(regressions.pipeline, "execute", broken)
    record = regressions.run_one(reg, "[1/1] test")
    assert "error" in record and not record["ok"]
    control = regressions.CONTROL
    monkeypatch.setattr(regressions.pipeline, "execute", refused)
    assert not regressions.run_one(control, "[1/1] control")["ok"]  # the control must agree
