"""Notebook 07's helpers: helpers/experiments.py and helpers/bottleneck_sweep.py."""

import copy

import numpy as np
import pandas as pd
import pytest

from helpers import bottleneck_sweep as sweep
from helpers import experiments as ex
from helpers import scratch_study as study
from helpers import seeds, verify
from helpers.data import Splits
from helpers.scratch_nn import ScratchMLP

# ----------------------------------------------------------------------------- fixtures


def tiny_splits(n_train=300, n_test=60, seed=0) -> Splits:
    """Random 784-pixel 'images' with labels that depend on them (learnable, fast)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_train + 2 * n_test, 784))
    y = (X[:, :10].argmax(axis=1)).astype(np.int64)
    a, b = n_train, n_train + n_test
    return Splits(X[:a], y[:a], X[a:b], y[a:b], X[b:], y[b:])


def run_one(splits, key="tanh/random", n_train=300, checkpoints=(6,), seed=5, keep=True, lr=0.002):
    return ex.train_with_checkpoints(
        key,
        n_train,
        checkpoints,
        lr,
        128,
        seed,
        keep,
        X_train=splits.X_train,
        y_train=splits.y_train,
        X_test=splits.X_test,
        y_test=splits.y_test,
    )


def fake_table(means, std=0.01, n_seeds=3):
    """Records with one metric: condition x seed, spread +-std around each mean."""
    offsets = np.linspace(-1, 1, n_seeds) * std * np.sqrt(n_seeds - 1) / np.sqrt(2)
    rows = []
    for condition, mean in means.items():
        for seed, offset in enumerate(offsets):
            rows.append({"condition": condition, "seed": seed, "test_accuracy": mean + offset})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- one run


def test_whole_epochs_equal_run_study_bitwise():
    splits = tiny_splits()
    runs = study.run_study(splits, 2, configs=["tanh/random"], seed=5, log_every=0, stream=None)
    model = runs["tanh/random"].model
    result = run_one(splits, checkpoints=(2 * ex.steps_per_epoch(300),))
    mine, theirs = result["weights"] + result["biases"], model.weights + model.biases
    assert len(mine) == len(theirs) == 10
    assert all(np.array_equal(a, b) for a, b in zip(mine, theirs, strict=True))


def test_a_checkpoint_inside_an_epoch_does_not_change_the_run():
    splits = tiny_splits()
    both = run_one(splits, checkpoints=(2, 5))
    early = run_one(splits, checkpoints=(2,))
    late = run_one(splits, checkpoints=(5,))
    assert both["metrics"][2] == early["metrics"][2]
    assert both["metrics"][5] == late["metrics"][5]
    assert both["metrics"][2] != both["metrics"][5]  # training moved in between


def test_only_the_first_n_images_are_used():
    splits = tiny_splits()
    result = run_one(splits, n_train=100, checkpoints=(1,))
    model = ex.rebuild_model(result)
    assert result["metrics"][1]["train_accuracy"] == model.score(
        splits.X_train[:100], splits.y_train[:100]
    )


@pytest.mark.parametrize("checkpoints, n_train", [((), 10), ((0, 3), 10), ((3,), 0), ((3,), 301)])
def test_bad_run_arguments_are_refused(checkpoints, n_train):
    with pytest.raises(ValueError):
        run_one(tiny_splits(), n_train=n_train, checkpoints=checkpoints)


def test_config_rng_is_run_studys_stream_and_refuses_unknown_keys():
    a = ex.config_rng(7, "relu/normal").random(3)
    children = np.random.SeedSequence(7).spawn(len(study.CONFIG_KEYS))
    index = study.CONFIG_KEYS.index("relu/normal")
    assert np.array_equal(a, np.random.Generator(np.random.PCG64(children[index])).random(3))
    with pytest.raises(ValueError, match="unknown configuration"):
        ex.config_rng(7, "relu/xavier")


@pytest.mark.parametrize("n, steps", [(1, 1), (128, 1), (129, 2), (8000, 63), (1000, 8)])
def test_steps_per_epoch(n, steps):
    assert ex.steps_per_epoch(n) == steps


# ------------------------------------------------------------------------------ grids


def test_data_vs_steps_grid_evaluates_every_size_at_every_step_count():
    tasks = ex.data_vs_steps_tasks(["tanh/random"], (100, 400, 200), 10, (1, 2))
    assert len(tasks) == 3 * 2
    assert {args[2] for args in tasks.values()} == {(10, 30, 70)}
    assert [args[1] for args in tasks.values()] == [400, 400, 200, 200, 100, 100]
    assert all(
        args[3] == study.LEARNING_RATE and args[4] == study.BATCH_SIZE for args in tasks.values()
    )


def test_sensitivity_grid_keeps_the_weights_of_every_run():
    tasks = ex.sensitivity_tasks(1000, 3, (1, 2, 3))
    assert len(tasks) == 2 * 2 * 3 * 3
    assert {args[2] for args in tasks.values()} == {(24,)}
    assert all(args[6] for args in tasks.values())
    assert {args[3] for args in tasks.values()} == set(ex.SENSITIVITY_LEARNING_RATES)


def test_records_has_one_row_per_checkpoint():
    splits = tiny_splits()
    tasks = {"a": ("tanh/random", 200, (1, 3), 0.002, 128, 5, False)}
    table = ex.records({"a": run_one(splits, n_train=200, checkpoints=(1, 3))}, tasks)
    assert list(table["steps"]) == [1, 3]
    assert set(ex.METRICS) <= set(table.columns)


# ------------------------------------------------------------------ summaries, tolerances


def test_summary_means_stds_and_seed_tolerances():
    table = fake_table({"a": 0.5, "b": 0.8}, std=0.02)
    summary = ex.summarise(table, ["condition"], ["test_accuracy"])
    assert summary.loc["a", ("test_accuracy", "mean")] == pytest.approx(0.5)
    assert summary.loc["b", ("test_accuracy", "std")] == pytest.approx(0.02)
    assert summary.loc["a", ("test_accuracy", "tol_value")] == pytest.approx(4 * np.sqrt(2) * 0.02)
    assert summary.loc["a", ("test_accuracy", "tol_mean")] == pytest.approx(
        4 * np.sqrt(2 / 3) * 0.02
    )
    assert summary.loc["a", ("test_accuracy", "tol_std")] == pytest.approx(4 * 0.02 / np.sqrt(2))


def test_a_small_spread_is_widened_to_its_peers_median():
    table = pd.concat(
        [
            fake_table({"quiet": 0.5}, std=0.001),
            fake_table({"b": 0.6}, std=0.02),
            fake_table({"c": 0.7}, std=0.03),
        ]
    )
    summary = ex.summarise(table, ["condition"], ["test_accuracy"])
    tol = summary[("test_accuracy", "tol_value")]
    assert tol["quiet"] == pytest.approx(tol["b"])  # the median spread (0.02), not 0.001
    assert tol["c"] > tol["b"]


def test_condition_results_give_rules_that_verify_catches_changes_with():
    table = pd.concat(
        [fake_table({"a": 0.5}, std=0.02), fake_table({"b": 0.7}, std=0.0)], ignore_index=True
    )
    summary = ex.summarise(table, ["condition"], ["test_accuracy"])
    section, rules = ex.condition_results(table, summary, "exp/conditions", ["test_accuracy"])
    assert set(section) == {"condition=a", "condition=b"}
    assert section["condition=a"]["runs"]["0"]["test_accuracy"] == table["test_accuracy"][0]
    assert "exp/conditions/condition=a/runs/0/test_accuracy" in rules
    assert "exp/conditions/condition=a/mean/test_accuracy" in rules
    # b has no spread of its own but its peer has: widened, it gets a rule too
    assert "exp/conditions/condition=b/mean/test_accuracy" in rules
    committed = {"exp": {"conditions": section}, verify.IN_RUN_RULES: rules}
    within, beyond = copy.deepcopy(committed), copy.deepcopy(committed)
    within["exp"]["conditions"]["condition=a"]["mean"]["test_accuracy"] += 0.01
    beyond["exp"]["conditions"]["condition=a"]["mean"]["test_accuracy"] += 0.2
    assert not verify.compare("x", committed, within, {}).failures
    assert len(verify.compare("x", committed, beyond, {}).failures) == 1


def test_no_spread_anywhere_means_no_rule():
    table = fake_table({"a": 0.5, "b": 0.7}, std=0.0)
    summary = ex.summarise(table, ["condition"], ["test_accuracy"])
    _, rules = ex.condition_results(table, summary, "exp", ["test_accuracy"])
    assert rules == {}


def test_mean_std_frame_prints_behind_approx():
    summary = ex.summarise(fake_table({"a": 0.5}, std=0.02), ["condition"], ["test_accuracy"])
    assert ex.mean_std_frame(summary, ["test_accuracy"]).iloc[0, 0] == "≈0.5000 ± ≈0.0200"


# ------------------------------------------------------------------------------ verdicts


@pytest.mark.parametrize(
    "step, data, expected",
    [
        (0.20, 0.01, "the number of SGD steps"),
        (0.01, 0.20, "the number of training images"),
        (0.20, 0.19, "both, about equally"),
        (0.30, 0.10, "both, the step count more"),
        (0.10, 0.30, "both, the data more"),
        (0.01, -0.01, "neither (unexplained at this scale)"),
    ],
)
def test_gap_rule(step, data, expected):
    assert ex.gap_rule(step, data, step_se=0.02, data_se=0.02, diff_se=0.02) == expected


def test_a_verdict_near_its_threshold_may_flip_and_one_far_from_it_may_not():
    rule = ex.sensitivity_rule
    outcome, how = ex.verdict_rule(
        rule, {"setting_spread": 0.10, "seed_spread": 0.02}, {"setting_spread": 0.01}
    )
    assert (outcome, how) == ("yes", None)
    outcome, how = ex.verdict_rule(
        rule, {"setting_spread": 0.03, "seed_spread": 0.02}, {"setting_spread": 0.02}
    )
    assert outcome == "yes" and how["kind"] == "one_of" and how["values"] == ["yes", "no"]


def test_derived_tolerance_is_the_largest_change_of_the_result():
    tolerance = ex.derived_tolerance(
        lambda a, b: (a - b) / a, {"a": 1.0, "b": 0.5}, {"a": 0.1, "b": 0.1}
    )
    assert tolerance == pytest.approx(
        max(abs((a - b) / a - 0.5) for a in (0.9, 1.1) for b in (0.4, 0.6))
    )


def test_gap_verdict_on_a_made_up_grid():
    rows = []
    for n in (100, 800):
        for steps in (10, 30, 70):
            for seed in range(3):
                accuracy = 0.1 + 0.001 * steps + 0.00001 * n + 0.002 * seed
                rows.append(
                    {
                        "config": "tanh/random",
                        "n_train": n,
                        "steps": steps,
                        "seed": seed,
                        "test_accuracy": accuracy,
                    }
                )
    summary = ex.summarise(pd.DataFrame(rows), ["config", "n_train", "steps"], ["test_accuracy"])
    g = ex.gap_verdict(summary, "tanh/random", 10, 3, original=0.85)
    assert g["values"]["step_effect"] == pytest.approx(0.06)
    assert g["values"]["data_effect"] == pytest.approx(0.007)
    assert g["outcomes"]["what_moves_accuracy"] == "both, the step count more"
    assert g["outcomes"]["reaches_original"] == "no"
    assert g["settings"] == {
        "smallest_size": 100,
        "largest_size": 800,
        "long_steps": 70,
        "original_test_accuracy": 0.85,
    }


def sensitivity_table(init_shift=0.0, lr_shift=0.0, noise=0.005):
    rows = []
    for activation in ("relu", "leaky_relu"):
        for i, init in enumerate(ex.SENSITIVITY_INITS):
            for j, lr in enumerate(ex.SENSITIVITY_LEARNING_RATES):
                for seed in range(3):
                    rows.append(
                        {
                            "config": f"{activation}/{init}",
                            "learning_rate": lr,
                            "seed": seed,
                            "test_accuracy": 0.9 + i * init_shift + j * lr_shift + noise * seed,
                        }
                    )
    table = pd.DataFrame(rows)
    return table, ex.summarise(table, ["config", "learning_rate"], ["test_accuracy"])


def test_sensitivity_verdict_compares_setting_spreads_with_the_seed_spread():
    table, summary = sensitivity_table(init_shift=0.0, lr_shift=0.05)
    verdict = ex.sensitivity_verdict(table, summary, "relu")
    assert verdict["values"]["seed_spread"] == pytest.approx(0.01)
    assert verdict["values"]["lr_spread"] == pytest.approx(0.10)
    assert verdict["values"]["init_spread"] == pytest.approx(0.0, abs=1e-12)
    assert verdict["outcomes"] == {"sensitive_to_init": "no", "sensitive_to_lr": "yes"}
    assert verdict["settings"] == {"runs": 18}
    assert verdict["values"]["runs_near_chance"] == 0
    assert verdict["tolerances"]["runs_near_chance"] == 0  # no run near the threshold


def test_runs_near_the_chance_threshold_may_be_counted_either_way():
    table, summary = sensitivity_table(lr_shift=0.05)
    table.loc[table["config"] == "relu/random", "test_accuracy"] -= 0.7  # 0.2 .. 0.31
    summary = ex.summarise(table, ["config", "learning_rate"], ["test_accuracy"])
    verdict = ex.sensitivity_verdict(table, summary, "relu")
    assert verdict["values"]["runs_near_chance"] == 0
    assert verdict["tolerances"]["runs_near_chance"] >= 1


def test_verdict_results_lay_out_values_outcomes_and_rules():
    table, summary = sensitivity_table(init_shift=0.011, lr_shift=0.05)
    verdicts = {a: ex.sensitivity_verdict(table, summary, a) for a in ("relu", "leaky_relu")}
    section, rules = ex.verdict_results(verdicts, "sensitivity/verdicts")
    assert section["relu"]["sensitive_to_lr"] == "yes"
    assert section["relu"]["runs"] == 18
    assert rules["sensitivity/verdicts/relu/seed_spread"]["kind"] == "abs"
    # the init spread (0.011) is within its tolerance of the seed spread (0.01): may flip
    assert rules["sensitivity/verdicts/relu/sensitive_to_init"]["kind"] == "one_of"
    assert "sensitivity/verdicts/relu/sensitive_to_lr" not in rules


# -------------------------------------------------------------------------------- models


def test_saved_networks_reload_with_identical_predictions(tmp_path):
    splits = tiny_splits()
    model = ex.rebuild_model(run_one(splits, checkpoints=(3,)))
    paths = ex.save_models({"tanh/random lr=0.002 seed=5": model}, tmp_path / "models")
    path = paths["tanh/random lr=0.002 seed=5"]
    assert path.name == "tanh_random_lr0.002_seed5.npz"
    assert ex.same_predictions(model, path, splits.X_test)
    with np.load(path, allow_pickle=False) as data:  # readable without pickle
        assert "params_json" in data
    other = ScratchMLP("tanh", "random", random_state=1).initialize()
    assert not ex.same_predictions(other, path, splits.X_test)


# ---------------------------------------------------------------------- bottleneck sweep


@pytest.mark.parametrize(
    "k, layers",
    [(8, (128, 64, 8, 64, 128)), (32, (128, 64, 32, 64, 128)), (128, (128, 128, 128, 128, 128))],
)
def test_the_middle_layer_is_always_the_narrowest(k, layers):
    assert sweep.layers_for(k) == layers
    assert min(sweep.layers_for(k)) == k


def test_pca_reconstruction_error_falls_with_width_and_vanishes_at_full_width():
    rng = np.random.default_rng(0)
    X = rng.random((200, 20)) @ rng.random((20, 30))
    table = sweep.pca_reconstruction_mse(X, {"train": X}, widths=(1, 2, 5, 30))
    errors = table["train"].to_numpy()
    assert np.all(np.diff(errors) < 0)
    assert errors[-1] < 1e-20


def test_doubling_gains_and_saturation_rules():
    mse = pd.Series([0.04, 0.02, 0.019], index=[64, 128, 256])
    gains = sweep.doubling_gains(mse)
    assert list(gains.index) == ["64 -> 128", "128 -> 256"]
    assert gains.iloc[0] == pytest.approx(0.5) and gains.iloc[1] == pytest.approx(0.05)
    assert sweep.saturation_rule(0.02, 0.0191) == "yes"  # 4.5 % < 5 %
    assert sweep.saturation_rule(0.02, 0.018) == "no"
    assert sweep.accuracy_saturation_rule(0.80, 0.805) == "yes"
    assert sweep.accuracy_saturation_rule(0.80, 0.82) == "no"


def test_one_bottleneck_task_on_tiny_data():
    splits = tiny_splits(n_train=80, n_test=40)
    result = sweep.train_bottleneck(
        8,
        seeds.AUTOENCODER_SEED,
        seeds.FEATURE_CLASSIFIER_SEED,
        2,
        2,
        X_train=splits.X_train,
        y_train=splits.y_train,
        X_val=splits.X_val,
        y_val=splits.y_val,
        X_test=splits.X_test,
        y_test=splits.y_test,
    )
    assert set(sweep.METRICS) <= set(result)
    assert len(result["validation_curve"]) == 2
    assert 0 <= result["dead_units"] <= 8
    tasks = {"k=8 seed=1": (8, 1, 1, 2, 2)}
    table = sweep.records({"k=8 seed=1": result}, tasks)
    assert table.loc[0, "bottleneck"] == 8
    assert table.loc[0, "last_epoch_gain"] == pytest.approx(
        1 - result["validation_curve"][1] / result["validation_curve"][0]
    )


def test_sweep_tasks_pair_each_autoencoder_seed_with_a_classifier_seed():
    tasks = sweep.tasks((1, 2), (10, 20), 3, 4)
    assert list(tasks)[:2] == ["k=256 seed=1", "k=256 seed=2"]
    assert tasks["k=8 seed=2"] == (8, 2, 20, 3, 4)
    assert len(tasks) == 2 * len(sweep.BOTTLENECKS)


def test_repeated_seeds_never_collide_under_a_seed_offset():
    base = seeds.repeated_seeds(2024, 3)
    assert base == (2024, 3024, 4024)
    shifted = seeds.repeated_seeds(2024 + 999, 3)
    assert not set(base) & set(shifted)
    with pytest.raises(ValueError):
        seeds.repeated_seeds(2024, 0)
