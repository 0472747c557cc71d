"""Notebook 07's helpers: helpers/experiments.py and helpers/bottleneck_sweep.py."""

import copy

import numpy as np
import pandas as pd
import pytest

from helpers import bottleneck_sweep as sweep
from helpers import experiment_results as xr
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


def run_one(
    splits,
    key="tanh/random",
    n_train=300,
    checkpoints=(6,),
    seed=5,
    keep=True,
    lr=0.002,
    dtype="float64",
):
    return ex.train_with_checkpoints(
        key,
        n_train,
        checkpoints,
        lr,
        128,
        seed,
        keep,
        dtype,
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


# --------------------------------------------------------------------------- statistics


def test_t_interval_uses_students_t_with_n_minus_1_degrees_of_freedom():
    interval = ex.t_interval([0.1, 0.2, 0.3])
    assert interval["n"] == 3 and interval["mean"] == pytest.approx(0.2)
    assert interval["std"] == pytest.approx(0.1)
    half = 4.302652729911275 * 0.1 / np.sqrt(3)  # t(0.975, 2 d.o.f.)
    assert interval["low"] == pytest.approx(0.2 - half)
    assert interval["high"] == pytest.approx(0.2 + half)
    assert ex.t_quantile(6) == pytest.approx(2.5705818366147395)
    with pytest.raises(ValueError, match="at least 2"):
        ex.t_interval([0.5])
    with pytest.raises(ValueError):
        ex.t_interval([0.5, float("nan")])


def test_paired_differences_are_one_per_seed_and_refuse_mismatches():
    table = pd.DataFrame(
        {"seed": [1, 2, 1, 2], "n_train": [10, 10, 20, 20], "test_accuracy": [0.5, 0.6, 0.7, 0.9]}
    )
    differences = ex.paired(table, {"n_train": 20}, {"n_train": 10})
    assert differences.to_dict() == pytest.approx({1: 0.2, 2: 0.3})
    with pytest.raises(ValueError, match="one row per seed"):
        ex.paired(table, {"n_train": 30}, {"n_train": 10})
    with pytest.raises(ValueError, match="different seeds"):
        ex.paired(table.assign(seed=[1, 2, 1, 3]), {"n_train": 20}, {"n_train": 10})


def test_interval_results_rules_catch_a_moved_bound_and_never_exceed_the_quantity():
    interval = ex.t_interval([0.10, 0.12, 0.11, 0.13])
    section, rules = xr.interval_results({"steps": interval}, "claim/effects")
    assert section["steps"]["n"] == 4
    assert "claim/effects/steps/n" not in rules  # a count is compared exactly
    for key in ("mean", "std"):
        assert (
            rules[f"claim/effects/steps/{key}"]["tolerance"] <= abs(section["steps"][key]) * 1.001
        )
    committed = {"claim": {"effects": section}, verify.IN_RUN_RULES: rules}
    moved = copy.deepcopy(committed)
    moved["claim"]["effects"]["steps"]["low"] -= 1.0
    assert len(verify.compare("x", committed, moved, {}).failures) == 1


# ------------------------------------------------------- claim 1: training images or steps


def test_data_vs_steps_tasks_give_two_runs_per_seed_from_one_corner():
    tasks = ex.data_vs_steps_tasks("tanh/random", 100, 800, 10, 70, (1, 2))
    assert len(tasks) == 4
    long_runs = [a for a in tasks.values() if a[1] == 100]
    more_runs = [a for a in tasks.values() if a[1] == 800]
    assert all(a[2][0] == 10 and a[2][-1] == 70 for a in long_runs)
    assert all(a[2] == (10,) for a in more_runs)
    assert {a[5] for a in long_runs} == {a[5] for a in more_runs} == {1, 2}
    assert all(a[7] == ex.DTYPE for a in tasks.values())
    with pytest.raises(ValueError):
        ex.data_vs_steps_tasks("tanh/random", 800, 100, 10, 70, (1,))
    with pytest.raises(ValueError):
        ex.data_vs_steps_tasks("tanh/random", 100, 800, 70, 10, (1,))


@pytest.mark.parametrize(
    "steps_low, images_low, difference, expected",
    [
        (0.05, -0.01, (-0.1, 0.1), ex.STEPS),
        (-0.01, 0.05, (-0.1, 0.1), ex.IMAGES),
        (-0.01, -0.02, (-0.1, 0.1), ex.NEITHER),
        (0.05, 0.05, (0.01, 0.2), ex.STEPS),
        (0.05, 0.05, (-0.2, -0.01), ex.IMAGES),
        (0.05, 0.05, (-0.02, 0.03), ex.BOTH),
    ],
)
def test_data_or_steps_rule_returns_each_outcome(steps_low, images_low, difference, expected):
    assert ex.data_or_steps_rule(steps_low, images_low, *difference) == expected


def data_steps_table(step_gain, image_gain, noise=0.01, seeds=(1, 2, 3, 4)):
    """Made-up claim-1 records: the corner at 0.3, more steps and more images adding
    their gains, each seed with its own small offset."""
    rows = []
    for number, seed in enumerate(seeds):
        jitter = noise * (number - 1.5)
        rows += [
            {"seed": seed, "n_train": 100, "steps": 10, "test_accuracy": 0.3 + jitter},
            {
                "seed": seed,
                "n_train": 100,
                "steps": 70,
                "test_accuracy": 0.3 + step_gain + 2 * jitter,
            },
            {"seed": seed, "n_train": 800, "steps": 10, "test_accuracy": 0.3 + image_gain - jitter},
        ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "step_gain, image_gain, expected",
    [(0.3, 0.0, ex.STEPS), (0.0, 0.3, ex.IMAGES), (0.2, 0.2, ex.BOTH), (0.0, 0.0, ex.NEITHER)],
)
def test_data_or_steps_verdict_on_made_up_runs(step_gain, image_gain, expected):
    differences = ex.data_vs_steps_differences(
        data_steps_table(step_gain, image_gain), 100, 800, 10, 70
    )
    assert set(differences) == {"steps", "images", "steps_minus_images"}
    effects = {name: ex.t_interval(values) for name, values in differences.items()}
    assert ex.data_or_steps_verdict(effects) == expected


# --------------------------------------- claim 2: sensitivity to initialisation and rate


def to_loss(splits, key, lr, target, max_steps, seed=5, n_train=300):
    return ex.train_to_loss(
        key,
        n_train,
        lr,
        target,
        max_steps,
        seed,
        128,
        True,
        "float64",
        X_train=splits.X_train,
        y_train=splits.y_train,
        X_test=splits.X_test,
        y_test=splits.y_test,
    )


def test_a_zero_initialised_relu_network_is_stopped_as_stuck():
    splits = tiny_splits()
    result = to_loss(splits, "relu/zero", 0.05, 0.1, 10 * ex.CHECK_EVERY)
    assert result["stuck"] and not result["reached"] and result["steps"] == ex.CHECK_EVERY
    model = ex.rebuild_model(result)
    assert ex.is_stuck(model)
    assert not ex.is_stuck(ScratchMLP("relu", "random", random_state=0).initialize())
    # sigmoid(0) = 0.5
    assert not ex.is_stuck(ScratchMLP("sigmoid", "zero", random_state=0).initialize())


def test_train_to_loss_stops_at_the_target_or_the_cap_on_the_same_batches():
    splits = tiny_splits()
    easy = to_loss(splits, "relu/random", 0.05, 10.0, 500)  # any loss is below 10
    assert easy["reached"] and easy["steps"] == ex.CHECK_EVERY
    capped = to_loss(splits, "relu/random", 0.002, 1e-6, 7)
    assert not capped["reached"] and not capped["stuck"] and capped["steps"] == 7
    same = run_one(splits, key="relu/random", checkpoints=(7,))
    assert capped["metrics"][7] == same["metrics"][7]  # same weights, same batches
    with pytest.raises(ValueError):
        to_loss(splits, "relu/random", 0.002, 0.5, 0)


def test_sensitivity_tasks_cover_the_grid_smallest_rate_first():
    tasks = ex.sensitivity_tasks(1000, (0.008, 0.002), 0.5, 400, (1, 2))
    assert len(tasks) == 2 * 3 * 2 * 2
    assert next(iter(tasks.values()))[2] == 0.002
    assert {a[0].split("/")[1] for a in tasks.values()} == set(ex.SENSITIVITY_INITS)


@pytest.mark.parametrize(
    "reached, gaps, expected",
    [
        ({"zero": 0.0, "random": 1.0}, {}, ex.YES),  # one never learns, one always does
        ({"a": 1.0, "b": 1.0}, {"a - b": (0.06, 0.10)}, ex.YES),  # beyond the margin
        ({"a": 1.0, "b": 1.0}, {"a - b": (-0.12, -0.07)}, ex.YES),
        ({"a": 1.0, "b": 1.0}, {"a - b": (-0.02, 0.03)}, ex.NO),
        ({"a": 1.0, "b": 1.0}, {"a - b": (-0.02, 0.08)}, ex.UNRESOLVED),  # straddles
        ({"a": 1.0, "b": 0.5}, {}, ex.UNRESOLVED),  # the seeds decide
        ({"a": 0.0, "b": 0.0}, {}, ex.UNRESOLVED),  # nothing learns
    ],
)
def test_sensitivity_rule_returns_each_outcome(reached, gaps, expected):
    assert ex.sensitivity_rule(reached, gaps) == expected


def sensitivity_table(init_gap=0.0, lr_gap=0.0, zero_learns=False, seeds=(1, 2, 3)):
    """Made-up claim-2 records for relu: random at 0.90, normal ``init_gap`` higher, the
    largest rate ``lr_gap`` lower; zero stuck at chance unless ``zero_learns``."""
    rows = []
    for number, seed in enumerate(seeds):
        for init in ex.SENSITIVITY_INITS:
            for lr in (0.002, 0.008, 0.032):
                accuracy = 0.90 + 0.004 * number + (init_gap if init == "normal" else 0.0)
                accuracy -= lr_gap if lr == 0.032 else 0.0
                reached = init != "zero" or zero_learns
                rows.append(
                    {
                        "config": f"relu/{init}",
                        "learning_rate": lr,
                        "seed": seed,
                        "reached": reached,
                        "test_accuracy": accuracy if reached else 0.112,
                    }
                )
    return pd.DataFrame(rows)


def test_sensitivity_verdicts_on_made_up_runs_come_out_either_way():
    insensitive = ex.sensitivity_verdicts(sensitivity_table(zero_learns=True), "relu")["verdicts"]
    assert insensitive == {
        "initialisation": ex.NO,
        "initialisation_nonzero": ex.NO,
        "learning_rate": ex.NO,
    }
    sensitive = ex.sensitivity_verdicts(sensitivity_table(init_gap=0.1, lr_gap=0.2), "relu")
    assert sensitive["verdicts"] == {
        "initialisation": ex.YES,
        "initialisation_nonzero": ex.YES,
        "learning_rate": ex.YES,
    }
    assert sensitive["comparisons"]["initialisation"]["reached"]["relu/zero"] == 0.0
    only_zero = ex.sensitivity_verdicts(sensitivity_table(), "relu")["verdicts"]
    assert only_zero["initialisation"] == ex.YES and only_zero["initialisation_nonzero"] == ex.NO


@pytest.mark.parametrize(
    "parts, expected",
    [
        ([ex.YES, ex.YES], ex.HOLDS),
        ([ex.NO, ex.NO], ex.FAILS),
        ([ex.YES, ex.NO], ex.PARTLY),
        ([ex.YES, ex.UNRESOLVED], ex.UNRESOLVED),
        ([ex.NO, ex.UNRESOLVED], ex.FAILS),
    ],
)
def test_sentence_verdict(parts, expected):
    assert ex.sentence_verdict(parts) == expected


def test_sentence_verdict_refuses_unknown_parts():
    with pytest.raises(ValueError):
        ex.sentence_verdict(["maybe"])
    with pytest.raises(ValueError):
        ex.sentence_verdict([])


def test_a_flipped_verdict_fails_verification():
    verdicts = ex.sensitivity_verdicts(sensitivity_table(), "relu")
    section, rules = xr.comparison_results(verdicts["comparisons"], "sensitivity/relu/comparisons")
    committed = {
        "sensitivity": {
            "relu": {"comparisons": section, "verdicts": verdicts["verdicts"]},
            "sentence": ex.PARTLY,
        },
        verify.IN_RUN_RULES: rules,
    }
    assert not verify.compare("x", committed, copy.deepcopy(committed), {}).failures
    flipped = copy.deepcopy(committed)
    flipped["sensitivity"]["relu"]["verdicts"]["initialisation"] = ex.NO
    flipped["sensitivity"]["sentence"] = ex.FAILS
    failures = verify.compare("x", committed, flipped, {}).failures
    assert len(failures) == 2 and all("allowed: exactly equal" in f for f in failures)


# ------------------------------------------------------------------ summaries, tolerances


def test_summary_means_stds_and_seed_tolerances():
    table = fake_table({"a": 0.5, "b": 0.8}, std=0.02)
    summary = xr.summarise(table, ["condition"], ["test_accuracy"])
    assert summary.loc["a", ("test_accuracy", "mean")] == pytest.approx(0.5)
    assert summary.loc["b", ("test_accuracy", "std")] == pytest.approx(0.02)
    assert summary.loc["a", ("test_accuracy", "tol_value")] == pytest.approx(4 * np.sqrt(2) * 0.02)
    assert summary.loc["a", ("test_accuracy", "tol_mean")] == pytest.approx(
        4 * np.sqrt(2 / 3) * 0.02
    )
    # 4 x 0.02 / sqrt(2) would be wider than the standard deviation itself: capped at it
    assert summary.loc["a", ("test_accuracy", "tol_std")] == pytest.approx(0.02)


def test_no_tolerance_is_wider_than_its_quantity():
    table = fake_table({"near_zero": 0.01, "b": 0.6}, std=0.05)
    summary = xr.summarise(table, ["condition"], ["test_accuracy"])
    assert summary.loc["near_zero", ("test_accuracy", "tol_mean")] == pytest.approx(0.01)
    _, rules = xr.condition_results(table, summary, "exp", ["test_accuracy"])
    runs = table[table["condition"] == "near_zero"]
    for seed, value in zip(runs["seed"], runs["test_accuracy"], strict=True):
        leaf = f"exp/condition=near_zero/runs/{seed}/test_accuracy"
        assert rules[leaf]["tolerance"] <= abs(value) * 1.001


def test_a_small_spread_is_widened_to_its_peers_median():
    table = pd.concat(
        [
            fake_table({"quiet": 0.5}, std=0.001),
            fake_table({"b": 0.6}, std=0.02),
            fake_table({"c": 0.7}, std=0.03),
        ]
    )
    summary = xr.summarise(table, ["condition"], ["test_accuracy"])
    tol = summary[("test_accuracy", "tol_value")]
    assert tol["quiet"] == pytest.approx(tol["b"])  # the median spread (0.02), not 0.001
    assert tol["c"] > tol["b"]


def test_condition_results_give_rules_that_verify_catches_changes_with():
    table = pd.concat(
        [fake_table({"a": 0.5}, std=0.02), fake_table({"b": 0.7}, std=0.0)], ignore_index=True
    )
    summary = xr.summarise(table, ["condition"], ["test_accuracy"])
    section, rules = xr.condition_results(table, summary, "exp/conditions", ["test_accuracy"])
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
    summary = xr.summarise(table, ["condition"], ["test_accuracy"])
    _, rules = xr.condition_results(table, summary, "exp", ["test_accuracy"])
    assert rules == {}


def test_mean_std_frame_prints_behind_approx():
    summary = xr.summarise(fake_table({"a": 0.5}, std=0.02), ["condition"], ["test_accuracy"])
    assert xr.mean_std_frame(summary, ["test_accuracy"]).iloc[0, 0] == "≈0.5000 ± ≈0.0200"


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


@pytest.mark.parametrize("k", [8, 128, 256])
def test_the_code_is_the_only_and_so_the_narrowest_layer(k):
    assert sweep.layers_for(k) == (k,)
    with pytest.raises(ValueError):
        sweep.layers_for(0)


def test_pca_explained_variance_rises_with_width_and_reaches_one_at_full_width():
    rng = np.random.default_rng(0)
    X = rng.random((200, 20)) @ rng.random((20, 30))
    ev = sweep.pca_explained_variance(X, X, widths=(1, 2, 5, 30))
    assert np.all(np.diff(ev.to_numpy()) > 0)
    assert ev[30] == pytest.approx(1.0)
    assert sweep.explained_variance(0.25, 1.0) == 0.75


def test_doubling_gains_are_differences_of_explained_variance():
    gains = sweep.doubling_gains(pd.Series([0.80, 0.90, 0.905], index=[64, 128, 256]))
    assert list(gains.index) == ["64 -> 128", "128 -> 256"]
    assert gains.to_numpy() == pytest.approx([0.10, 0.005])


@pytest.mark.parametrize(
    "low, high, at_plateau, expected",
    [
        (0.001, 0.008, True, ex.YES),
        (0.02, 0.05, True, ex.NO),
        (0.005, 0.02, True, ex.UNRESOLVED),
        (0.001, 0.008, False, ex.UNRESOLVED),
        (0.02, 0.05, False, ex.UNRESOLVED),
    ],
)
def test_saturation_rule_returns_each_outcome(low, high, at_plateau, expected):
    assert sweep.saturation_rule(low, high, at_plateau) == expected


@pytest.mark.parametrize(
    "curve, expected",
    [
        ([0.5, 0.6, 0.65], 0.05),
        ([0.5, 0.6, 0.7], float("inf")),
        ([0.5, 0.6, 0.59], 0.0),
        ([0.5], float("inf")),
    ],
)
def test_projected_gain_extrapolates_shrinking_gains(curve, expected):
    assert sweep.projected_gain(curve) == pytest.approx(expected)


def test_one_bottleneck_task_on_tiny_data():
    splits = tiny_splits(n_train=80, n_test=40)
    result = sweep.train_bottleneck(
        8,
        seeds.AUTOENCODER_SEED,
        3,
        X_train=splits.X_train,
        y_train=splits.y_train,
        X_val=splits.X_val,
        y_val=splits.y_val,
        X_test=splits.X_test,
        y_test=splits.y_test,
    )
    assert set(sweep.METRICS) <= set(result)
    assert 2 <= result["epochs_run"] == len(result["validation_curve"]) <= 3
    assert result["at_plateau"] == (result["last_epoch_drop"] < sweep.PLATEAU_DROP)
    assert result["validation_curve"][-1] == pytest.approx(result["validation_ev"])
    tasks = {"k=8 seed=1": (8, 1, 3)}
    table = sweep.records({"k=8 seed=1": result}, tasks)
    assert table.loc[0, "bottleneck"] == 8 and "projected_gain" in table
    with pytest.raises(ValueError):
        sweep.train_bottleneck(8, 1, 1, **splits.arrays())


def test_sweep_tasks_run_the_widest_first():
    tasks = sweep.tasks((1, 2), 3, (32, 256))
    assert list(tasks) == ["k=256 seed=1", "k=256 seed=2", "k=32 seed=1", "k=32 seed=2"]
    assert tasks["k=32 seed=2"] == (32, 2, 3)


def test_repeated_seeds_never_collide_under_a_seed_offset():
    base = seeds.repeated_seeds(2024, 3)
    assert base == (2024, 3024, 4024)
    shifted = seeds.repeated_seeds(2024 + 999, 3)
    assert not set(base) & set(shifted)
    with pytest.raises(ValueError):
        seeds.repeated_seeds(2024, 0)
