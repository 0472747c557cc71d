"""Tests for helpers.mlp_study (notebooks 04 and 05) and the epoch loop they rely on."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from helpers import mlp_study
from helpers.fashion import train_epochs

matplotlib.use("Agg")


# ------------------------------------------------------------------ epoch loop


def _manual_epochs(random_state, X, y, n_epochs):
    model = MLPClassifier((8,), batch_size=16, learning_rate_init=1e-2, random_state=random_state)
    for _ in range(n_epochs):
        model.partial_fit(X, y, classes=np.unique(y))
    return model


def test_train_epochs_gives_every_epoch_a_fresh_shuffle(small_data):
    X, y = small_data["train"]
    model = MLPClassifier((8,), batch_size=16, learning_rate_init=1e-2, random_state=5)
    train_epochs(model, X, y, 4, {"train": (X, y)})
    # Same as keeping one seeded generator across partial_fit calls ...
    expected = _manual_epochs(np.random.RandomState(5), X, y, 4)
    for got, want in zip(model.coefs_, expected.coefs_, strict=True):
        np.testing.assert_array_equal(got, want)
    # ... and not what an int seed does (re-seeded each call: one batch order from epoch 2).
    reseeded = _manual_epochs(5, X, y, 4)
    assert not all(np.array_equal(a, b) for a, b in zip(model.coefs_, reseeded.coefs_, strict=True))


# ------------------------------------------------------------------ activation study


def test_activation_classifier_settings():
    model = mlp_study.activation_classifier("tanh", seed=7)
    assert model.hidden_layer_sizes == (128, 64, 32)
    assert (model.solver, model.batch_size, model.learning_rate_init) == ("adam", 128, 2e-5)
    assert isinstance(model.random_state, np.random.RandomState)
    with pytest.raises(ValueError, match="unknown activation"):
        mlp_study.activation_classifier("softplus", seed=0)


def test_activation_study_is_deterministic_and_independent_of_n_jobs(small_data):
    serial = mlp_study.run_activation_study(small_data, 3, ("relu", "identity"), seed=0, n_jobs=1)
    parallel = mlp_study.run_activation_study(small_data, 3, ("relu", "identity"), seed=0, n_jobs=2)
    assert list(serial) == ["relu", "identity"]
    for name in serial:
        pd.testing.assert_frame_equal(serial[name], parallel[name])
        assert list(serial[name].index) == [1, 2, 3]
        assert {f"{s}_{m}" for s in mlp_study.SPLITS for m in ("loss", "accuracy")} == set(
            serial[name].columns
        )
    assert not serial["relu"].equals(serial["identity"])


def test_activation_study_needs_all_splits(small_data):
    with pytest.raises(ValueError, match="lacks"):
        mlp_study.run_activation_study({"train": small_data["train"]}, 1, seed=0)


def test_compare_epoch_mechanisms_shows_the_adam_restart(small_data):
    X, y = small_data["train"]  # 240 samples: 2 batches of 128 per epoch
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the helper must not let its warnings escape
        table = mlp_study.compare_epoch_mechanisms(X, y, n_calls=3, seed=0)
    refit, incremental = table.iloc[0], table.iloc[1]
    assert refit["adam_steps"] == 2 and incremental["adam_steps"] == 6
    assert refit["steps_if_continuous"] == incremental["steps_if_continuous"] == 6
    assert refit["convergence_warnings"] == 3 and incremental["convergence_warnings"] == 0
    assert refit["train_log_loss"] != incremental["train_log_loss"]


def _history(accuracies):
    n = len(accuracies)
    frame = pd.DataFrame(
        {
            f"{s}_{m}": np.linspace(1, 0.5, n)
            for s in mlp_study.SPLITS
            for m in ("loss", "accuracy")
        },
        index=pd.RangeIndex(1, n + 1, name="epoch"),
    )
    frame["validation_accuracy"] = accuracies
    return frame


def test_epochs_to_reach():
    history = _history([0.2, 0.5, 0.79, 0.81, 0.7])
    assert mlp_study.epochs_to_reach(history, "validation_accuracy", 0.8) == 4
    assert mlp_study.epochs_to_reach(history, "validation_accuracy", 0.5) == 2
    assert mlp_study.epochs_to_reach(history, "validation_accuracy", 0.9) is None


def test_accuracy_standard_error():
    assert mlp_study.accuracy_standard_error(0.5, 100) == pytest.approx(0.05)
    assert mlp_study.accuracy_standard_error(1.0, 10) == 0.0
    with pytest.raises(ValueError):
        mlp_study.accuracy_standard_error(1.2, 10)


def test_final_epoch_table_ranks_by_last_validation_accuracy():
    histories = {"a": _history([0.9, 0.6]), "b": _history([0.1, 0.8]), "c": _history([0.5, 0.7])}
    table = mlp_study.final_epoch_table(histories, accuracy_threshold=0.75)
    assert list(table.index) == ["b", "c", "a"]
    assert list(table["rank"]) == [1, 2, 3]
    assert table.loc["b", "validation_accuracy"] == 0.8
    assert table.loc["a", "epochs_to_threshold"] == 1
    assert np.isnan(table.loc["c", "epochs_to_threshold"])


def test_plot_curves_has_one_labelled_line_per_history():
    histories = {"a": _history([0.1, 0.2]), "b": _history([0.3, 0.4])}
    fig = mlp_study.plot_curves(histories, "accuracy")
    assert len(fig.axes) == 3
    for ax in fig.axes:
        assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
        assert ax.get_legend() is not None
    np.testing.assert_array_equal(fig.axes[1].get_lines()[1].get_ydata(), [0.3, 0.4])


# ------------------------------------------------------------------ grid search


def _fake_cv_results():
    """cv_results_ of a 2 x 2 grid over 2 folds; candidate 2 best, 0 and 3 tied."""
    return {
        "params": [
            {"solver": s, "learning_rate_init": lr, "batch_size": 32}
            for lr in (1e-4, 1e-3)
            for s in ("adam", "sgd")
        ],
        "mean_test_accuracy": np.array([0.7, 0.6, 0.9, 0.7]),
        "std_test_accuracy": np.array([0.01, 0.02, 0.03, 0.04]),
        "rank_test_accuracy": np.array([2, 4, 1, 2], dtype=np.int32),
        "mean_test_epochs_run": np.array([10.0, 7.5, 10.0, 10.0]),
        "split0_test_epochs_run": np.array([10.0, 5.0, 10.0, 10.0]),
        "split1_test_epochs_run": np.array([10.0, 10.0, 10.0, 10.0]),
        "mean_fit_time": np.array([1.0, 2.0, 3.0, 4.0]),
        "std_fit_time": np.array([0.1, 0.2, 0.3, 0.4]),
    }


def test_grid_results_table_sorted_by_rank_then_candidate():
    table = mlp_study.grid_results_table(_fake_cv_results())
    assert list(table.index) == [2, 0, 3, 1]
    assert list(table.columns) == [
        "solver",
        "learning_rate_init",
        "batch_size",
        "mean_cv_accuracy",
        "std_cv_accuracy",
        "rank",
        "mean_epochs_run",
    ]
    assert table.loc[1, "solver"] == "sgd" and table.loc[1, "mean_epochs_run"] == 7.5
    times = mlp_study.grid_fit_times(_fake_cv_results())
    assert list(times.index) == [2, 0, 3, 1]
    assert times.loc[3, "mean_fit_time_s"] == 4.0


def test_fits_at_max_iter_counts_every_fold():
    assert mlp_study.fits_at_max_iter(_fake_cv_results(), 10) == (7, 8)
    assert mlp_study.fits_at_max_iter(_fake_cv_results(), 11) == (0, 8)


def test_heatmap_matrix_and_figure():
    table = mlp_study.grid_results_table(_fake_cv_results())
    matrix = mlp_study.heatmap_matrix(table, "sgd")
    assert list(matrix.index) == [1e-4, 1e-3] and list(matrix.columns) == [32]
    assert matrix.loc[1e-3, 32] == 0.7
    with pytest.raises(ValueError, match="no candidate"):
        mlp_study.heatmap_matrix(table, "lbfgs")
    fig = mlp_study.plot_grid_heatmaps(table)
    heatmap_axes = [ax for ax in fig.axes if ax.get_title().startswith("solver")]
    assert len(heatmap_axes) == 2 and len(fig.axes) == 4  # two heatmaps, two colour bars
    assert sorted(text.get_text() for text in heatmap_axes[0].texts) == ["0.700", "0.900"]


def test_original_grid_is_consistent_with_its_printout():
    table = mlp_study.original_grid_table()
    assert len(table) == 18 and sorted(table["rank"]) == list(range(1, 19))
    # The printed ranks order the printed means.
    assert table["mean_cv_accuracy"].is_monotonic_decreasing
    best = table.iloc[0]
    assert {k: best[k] for k in mlp_study.ORIGINAL_BEST_PARAMS} == mlp_study.ORIGINAL_BEST_PARAMS
    assert table.index[0] == 14
    # Printed rows 4 and 5 (batch 32, learning rate 0.001): adam then sgd.
    assert table.loc[4, "solver"] == "adam" and table.loc[5, "solver"] == "sgd"
    assert table.loc[5, "mean_cv_accuracy"] == 0.480375


def test_compare_with_original_and_rank_correlation():
    original = mlp_study.original_grid_table()
    ours = original.copy()
    ours["mean_cv_accuracy"] = ours["mean_cv_accuracy"] + 0.01
    compared = mlp_study.compare_with_original(ours, original)
    assert list(compared.index) == list(original.index)
    np.testing.assert_allclose(compared["difference"], 0.01)
    assert mlp_study.rank_correlation(ours, original) == pytest.approx(1.0)
    reversed_scores = original.copy()
    reversed_scores["mean_cv_accuracy"] = -reversed_scores["mean_cv_accuracy"]
    assert mlp_study.rank_correlation(reversed_scores, original) == pytest.approx(-1.0)


def test_grid_search_runs_seeded_and_silences_only_convergence_warnings(small_data):
    X = np.concatenate([small_data["train"][0], small_data["validation"][0]])
    y = np.concatenate([small_data["train"][1], small_data["validation"][1]])
    searches = []
    for _ in range(2):
        search = mlp_study.make_grid_search(n_folds=2, n_epochs=2, seed=0, cv_seed=0, n_jobs=1)
        assert search.cv.shuffle and search.estimator.random_state == 0
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any warning that escapes fails the test
            mlp_study.fit_silencing_convergence_warnings(search, X, y)
        searches.append(search)
    first, second = (mlp_study.grid_results_table(s.cv_results_) for s in searches)
    pd.testing.assert_frame_equal(first, second)
    assert len(first) == 18
    assert mlp_study.fits_at_max_iter(searches[0].cv_results_, 2) == (36, 36)
    assert set(searches[0].best_params_) == {"solver", "learning_rate_init", "batch_size"}
    assert searches[0].best_estimator_.n_iter_ == 2


def test_score_candidates_reproduces_the_full_search_rows(small_data):
    X = np.concatenate([small_data["train"][0], small_data["validation"][0]])
    y = np.concatenate([small_data["train"][1], small_data["validation"][1]])
    full = mlp_study.make_grid_search(n_folds=2, n_epochs=3, seed=0, cv_seed=0, n_jobs=1)
    mlp_study.fit_silencing_convergence_warnings(full, X, y)
    table = mlp_study.grid_results_table(full.cv_results_)
    subset = mlp_study.score_candidates(
        [13, 4], X, y, n_folds=2, n_epochs=3, seed=0, cv_seed=0, n_jobs=1
    )
    assert list(subset.index) == [13, 4]
    expected = table.loc[[13, 4]].drop(columns="rank")
    pd.testing.assert_frame_equal(subset, expected, check_names=False)
    comparison = mlp_study.raw_pixel_comparison(subset, table, mlp_study.original_grid_table())
    assert comparison.loc[4, "original_mean"] == 0.612625
    assert comparison.loc[13, "our_mean_scaled"] == table.loc[13, "mean_cv_accuracy"]


def test_epochs_run_reads_n_iter(small_data):
    X, y = small_data["train"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    assert mlp_study.epochs_run(model, X, y) == 3.0


# ------------------------------------------------------------ helpers of the notebooks


def test_plateau_epochs_counts_the_epochs_before_the_loss_leaves_chance():
    chance = float(np.log(10))
    loss = pd.Series([chance + 0.1, chance, chance - 0.04, chance - 0.06, 1.0])
    assert mlp_study.plateau_epochs(loss) == 3  # above chance counts as on the plateau
    assert mlp_study.plateau_epochs(pd.Series([1.0, 0.5])) == 0
    assert mlp_study.plateau_epochs(pd.Series([chance] * 4)) == 4  # never leaves


def test_activation_results_rounds_and_marks_a_threshold_never_reached():
    histories = {"a": _history([0.5, 0.81234567]), "b": _history([0.1, 0.2])}
    results = mlp_study.activation_results(histories, threshold=0.8)
    assert results["epochs_to_threshold"] == {"a": 2, "b": None}
    assert results["final_epoch"]["a"]["validation_accuracy"] == 0.812346
    assert set(results["final_epoch"]["b"]) == set(histories["b"].columns)


def test_ledger_verdicts_give_a_reason_only_where_they_disagree():
    finals = {"logistic": 0.4, "tanh": 0.84, "relu": 0.85, "identity": 0.83}
    results = {
        "final_epoch": {
            name: {
                f"{s}_{m}": (acc if m == "accuracy" else 1 - acc)
                for s in mlp_study.SPLITS
                for m in ("loss", "accuracy")
            }
            for name, acc in finals.items()
        },
        "epochs_to_threshold": {"logistic": None, "tanh": 35, "relu": 37, "identity": 28},
    }
    table = mlp_study.ledger_verdicts("Activation study (question 2)", results, "default")
    verdicts = dict(zip(table.index, table["verdict"], strict=True))
    assert verdicts["Logistic has the lowest final test accuracy"] == "≈[consistent]"
    best = verdicts[
        "Identity and tanh perform best on validation (lowest final validation log-loss)"
    ]
    assert best.startswith("≈[not consistent; ")


def _grid_table():
    return mlp_study.grid_results_table(_fake_cv_results())


def test_candidate_row_finds_exactly_one_candidate():
    table = _grid_table()
    row = mlp_study.candidate_row(
        table, table.iloc[1][["solver", "learning_rate_init", "batch_size"]]
    )
    assert row.name == table.index[1]
    with pytest.raises(ValueError, match="exactly one"):
        mlp_study.candidate_row(
            table, {"solver": "lbfgs", "learning_rate_init": 1, "batch_size": 1}
        )


def test_best_and_original_choice_marks_only_the_best_as_a_trained_choice():
    table = _grid_table()
    choice = dict(table.iloc[-1][["solver", "learning_rate_init", "batch_size"]])
    shown = mlp_study.best_and_original_choice(table, choice, [0.9, 0.8])
    assert shown.loc["best candidate here", "parameters"].startswith("≈[")
    assert not shown.loc["the original's choice", "parameters"].startswith("≈")
    assert shown["test_accuracy"].tolist() == ["≈0.9000", "≈0.8000"]


def test_stopping_summary_counts_the_early_stops():
    text = mlp_study.stopping_summary(30, 36, 50, 50)
    assert "≈30 of 36 CV fits ran all 50 epochs" in text and "the other ≈6 stopped" in text


def test_min_fold_std_with_one_at_is_reached_by_equal_other_folds():
    mean, value, n = 0.48, 0.2, 5
    others = (n * mean - value) / (n - 1)
    folds = np.array([value] + [others] * (n - 1))
    assert folds.mean() == pytest.approx(mean)
    assert mlp_study.min_fold_std_with_one_at(mean, value, n) == pytest.approx(folds.std())
    # any other split of the same mean with one fold at `value` spreads more
    spread = folds + np.array([0, 0.05, -0.05, 0.02, -0.02])
    assert spread.std() > mlp_study.min_fold_std_with_one_at(mean, value, n)
    with pytest.raises(ValueError):
        mlp_study.min_fold_std_with_one_at(mean, value, 1)
