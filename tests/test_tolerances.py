"""Deriving tolerances from measured moves (tools/tolerances.py)."""

import pytest

from helpers import verify
from tools import tolerances


def test_a_value_no_variant_moved_keeps_the_default_comparison():
    assert tolerances.derive_rule(0.25, {"seed-1": 0.25, "threads-1": 0.25 * (1 + 1e-13)}) is None
    assert tolerances.derive_rule(100, {"seed-1": 100}) is None
    assert tolerances.derive_rule("relu", {"seed-1": "relu"}) is None


def test_a_moved_number_gets_twice_its_largest_move():
    rule = tolerances.derive_rule(0.913, {"seed-1": 0.905, "threads-1": 0.913, "seed-2": 0.92})
    assert rule["kind"] == "abs"
    assert rule["tolerance"] == pytest.approx(tolerances.SAFETY * 0.008)
    assert rule["moves"] == {
        "seed-1": pytest.approx(0.008),
        "threads-1": 0.0,
        "seed-2": pytest.approx(0.007),
    }
    # the derived rule accepts every measured variant, and not much more
    for value in (0.905, 0.92):
        assert verify.agrees(0.913, value, rule)
    assert not verify.agrees(0.913, 0.94, rule)


def test_machine_sized_moves_get_a_relative_floor():
    rule = tolerances.derive_rule(2.0, {"threads-1": 2.0 + 4e-9})
    assert rule["tolerance"] == pytest.approx(2e-6)


def test_a_moved_choice_must_be_one_of_the_outcomes_seen():
    rule = tolerances.derive_rule("relu", {"seed-1": "tanh", "seed-2": "relu", "t": None})
    assert rule == {"kind": "one_of", "values": ["relu", "tanh", None], "moved_in": ["seed-1", "t"]}
    assert verify.agrees("relu", "tanh", rule) and not verify.agrees("relu", "identity", rule)


def test_a_numeric_best_parameter_is_a_choice():
    assert tolerances.is_choice("best_params/batch_size")
    assert tolerances.is_choice("ranking_by_validation_accuracy/0")
    assert not tolerances.is_choice("original_best_params_test_accuracy")
    rule = tolerances.derive_rule(64, {"seed-1": 128}, choice=True)
    assert rule["kind"] == "one_of" and rule["values"] == [64, 128]
    assert not verify.agrees(64, 96, rule)


def test_a_verdict_never_gets_a_rule():
    assert tolerances.is_verdict("sensitivity/relu/verdicts/learning_rate")
    assert tolerances.is_verdict("bottleneck/sentence")
    assert tolerances.is_verdict("data_vs_steps/verdict")
    assert not tolerances.is_verdict("sensitivity/relu/comparisons/learning_rate_random/gaps")


def test_seeds_are_settings():
    assert tolerances.is_setting("settings/train_seed")
    assert tolerances.is_setting("seeds/cv")
    assert not tolerances.is_setting("configs/relu/random/test_accuracy")


def test_every_variant_is_described_and_only_kernel_families_set_the_kernel():
    for name, info in tolerances.VARIANTS.items():
        what = info.get("env") or info.get("options") or info.get("recorded_from")
        assert info["about"] and what, name
        assert ("OPENBLAS_CORETYPE" in info.get("env", {})) == name.startswith("openblas-"), name
        assert tolerances.variant_kind(name) == ("seed" if name.startswith("seed-") else "machine")


def test_a_variant_needing_a_cpu_feature_runs_only_where_the_cpu_has_it(monkeypatch):
    monkeypatch.setattr(tolerances, "cpu_has", lambda flag: False)
    assert not tolerances.runnable("openblas-skylakex")
    assert tolerances.runnable("openblas-nehalem")
    assert tolerances.measure("openblas-skylakex") == 0  # skipped, said, not failed
    monkeypatch.setattr(tolerances, "cpu_has", lambda flag: flag == "avx512f")
    assert tolerances.runnable("openblas-skylakex")


def test_a_conclusion_another_seed_decides_otherwise_allows_both(tmp_path, monkeypatch):
    import json

    from helpers.paths import RESULTS_DIR

    folder = tmp_path / "seed-1" / "results"
    folder.mkdir(parents=True)
    for name in ("03_scratch_nn", "04_fashion_mlp_activations", "06_fashion_autoencoder_features"):
        document = json.loads((RESULTS_DIR / f"{name}.json").read_text())
        if name == "03_scratch_nn":  # another seed: leaky relu ahead of relu
            configs = document["results"]["configs"]
            configs["leaky_relu/random"]["test_accuracy"] = (
                configs["relu/random"]["test_accuracy"] + 0.001
            )
        (folder / f"{name}.json").write_text(json.dumps(document))
    monkeypatch.setattr(tolerances, "variant_dir", lambda variant: tmp_path / variant)
    rules: dict = {}
    tolerances.add_conclusion_rules(rules)
    assert rules == {
        "03_scratch_nn": {
            "conclusions/scratch_best_activation_random": {
                "kind": "one_of",
                "values": ["relu", "leaky_relu"],
                "moved_in": ["seed-1"],
            }
        }
    }


def test_peers_share_the_first_and_last_part_of_their_path():
    assert tolerances.peer_name("configs/relu/random/test_accuracy") == "configs/*/test_accuracy"
    assert tolerances.peer_name("pca_mse/test") != tolerances.peer_name("ae_mse/relu/test")
    assert tolerances.peer_name("spearman") == "spearman"


def test_a_value_that_moved_little_by_chance_gets_its_peers_typical_move():
    leaves = {
        "configs/a/test_accuracy": tolerances.derive_rule(0.9, {"seed-1": 0.901}),
        "configs/b/test_accuracy": tolerances.derive_rule(0.9, {"seed-1": 0.92}),
        "configs/c/test_accuracy": tolerances.derive_rule(0.9, {"seed-1": 0.93}),
        "configs/a/test_loss": tolerances.derive_rule(0.3, {"seed-1": 0.31}),
    }
    tolerances.widen_to_peers(leaves)
    assert leaves["configs/a/test_accuracy"]["tolerance"] == pytest.approx(2 * 0.02)
    assert leaves["configs/c/test_accuracy"]["tolerance"] == pytest.approx(2 * 0.03)
    assert leaves["configs/a/test_loss"]["tolerance"] == pytest.approx(2 * 0.01)


def test_derive_skips_only_a_notebook_that_carries_its_own_tolerances(tmp_path, monkeypatch):
    # nothing measured: 07 keeps the tolerances measured within its own run, 03 cannot
    monkeypatch.setattr(tolerances, "variant_dir", lambda variant: tmp_path / variant)
    monkeypatch.setattr(tolerances, "add_conclusion_rules", lambda rules: None)
    assert tolerances.derive(["07"])["notebooks"] == {}
    with pytest.raises(SystemExit, match="no measurement of 03_scratch_nn"):
        tolerances.derive(["03"])


def _fake_git(calls, commits=("3634a44",), missing=("07_experiments.json",)):
    """A subprocess.run stand-in for ``git cat-file -e`` and ``git show``."""
    import subprocess

    def run(command, **kwargs):
        calls.append(command[1:])
        target = command[-1]
        if command[1] == "cat-file":
            commit = target.split(":")[0].split("^")[0]
            exists = commit in commits and not any(target.endswith(m) for m in missing)
            return subprocess.CompletedProcess(command, 0 if exists else 128, "", "")
        return subprocess.CompletedProcess(command, 0, '{"from": "git"}', "")

    return run


def _committed(tmp_path, monkeypatch):
    committed = tmp_path / "results"
    committed.mkdir()
    for name in (
        "03_scratch_nn.json",
        "04_fashion_mlp_activations.json",
        "05_fashion_grid_search.json",
        "07_experiments.json",
    ):
        (committed / name).write_text("{}")
    monkeypatch.setattr(tolerances, "RESULTS_DIR", committed)
    monkeypatch.setattr(tolerances, "MEASURE_DIR", tmp_path / "measured")
    return committed


def test_recorded_hosts_are_read_from_git_skipping_notebooks_the_commit_lacks(
    tmp_path, monkeypatch, capsys
):
    import subprocess

    _committed(tmp_path, monkeypatch)
    calls = []
    monkeypatch.setattr(subprocess, "run", _fake_git(calls))
    out = tmp_path / "measured" / "earlier-host" / "results"
    out.mkdir(parents=True)
    (out / "07_experiments.json").write_text("stale")  # from an older copy
    assert tolerances.copy_recorded("earlier-host") == 0
    shown = [call[-1] for call in calls if call[0] == "show"]
    # 03 and 05 excluded (their default profiles changed after it), 07 missing
    assert shown == ["3634a44:results/04_fashion_mlp_activations.json"]
    assert sorted(p.name for p in out.iterdir()) == ["04_fashion_mlp_activations.json"]
    assert (out / "04_fashion_mlp_activations.json").read_text() == '{"from": "git"}'
    assert "07_experiments.json: not in 3634a44" in capsys.readouterr().out


def test_a_recorded_commit_the_checkout_lacks_is_an_error_not_a_skip(tmp_path, monkeypatch):
    import subprocess

    _committed(tmp_path, monkeypatch)
    monkeypatch.setattr(subprocess, "run", _fake_git([], commits=()))  # a shallow clone
    with pytest.raises(SystemExit, match="784335a, which this checkout does not have"):
        tolerances.copy_recorded("previous-host")
    assert not (tmp_path / "measured" / "previous-host" / "results").exists()


def test_the_summary_shows_seed_moves_apart_from_machine_moves(tmp_path, monkeypatch):
    import json

    committed = tmp_path / "99_toy.json"
    committed.write_text(json.dumps({"results": {"acc": 0.9, "best": "adam", "loss": 0.3}}))
    monkeypatch.setattr(tolerances, "committed_path", lambda notebook: committed)
    document = {
        "method": "test",
        "variants": {
            "threads-1": {"env": {"OPENBLAS_NUM_THREADS": "1"}, "kind": "machine", "about": "t"},
            "seed-1": {"options": {"seed_offset": 1}, "kind": "seed", "about": "s"},
        },
        "notebooks": {
            "99_toy": {
                "acc": {
                    "kind": "abs",
                    "tolerance": 0.02,
                    "moves": {"threads-1": 0.001, "seed-1": 0.01},
                    "peer_median_move": 0.002,
                },
                "loss": {
                    "kind": "abs",
                    "tolerance": 0.1,
                    "moves": {"threads-1": 0.05, "seed-1": 0.01},
                    "peer_median_move": 0.002,
                },
                "best": {"kind": "one_of", "values": ["adam", "sgd"], "moved_in": ["seed-1"]},
            }
        },
    }
    text = tolerances.summary_markdown(document)
    assert "*Machines:*" in text and "*Seeds:*" in text
    assert "| `acc` | 0.9 | 0.001 | 0.01 | 0.002 | ± 0.02 | seeds |" in text
    assert "| `loss` | 0.3 | 0.05 | 0.01 | 0.002 | ± 0.1 | machine |" in text
    assert "| `best` | 'adam' | - | moved | - | one of `adam`, `sgd` | seeds |" in text
