"""helpers.autoencoder: the bottleneck extractor against scikit-learn's own forward pass."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.neural_network import _multilayer_perceptron as sk_mlp

from helpers import autoencoder as ae

matplotlib.use("Agg")

SMALL_LAYERS = (12, 8, 3, 8, 12)


def _data(n=80, d=20, seed=0):
    return np.random.default_rng(seed).random((n, d))


def _fitted(activation, layers=SMALL_LAYERS, d=20, epochs=3):
    """A small autoencoder trained a few epochs (biases no longer zero)."""
    X = _data(d=d)
    model = MLPRegressor(
        hidden_layer_sizes=layers,
        activation=activation,
        learning_rate_init=1e-2,
        max_iter=epochs,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, X)
    return model, X


def _sklearn_layers(model, X):
    """Every layer's values from scikit-learn's own ``_forward_pass``."""
    activations = [X] + [None] * (model.n_layers_ - 1)
    return model._forward_pass(activations)


@pytest.mark.parametrize("activation", ["relu", "identity", "tanh", "logistic"])
def test_every_hidden_layer_matches_sklearn_forward_pass(activation):
    model, X = _fitted(activation)
    reference = _sklearn_layers(model, X.copy())
    for k in range(1, len(SMALL_LAYERS) + 1):
        np.testing.assert_allclose(
            ae.hidden_layer_output(model, X, k),
            reference[k],
            rtol=1e-12,
            atol=1e-12,
            err_msg=f"hidden layer {k}",
        )


@pytest.mark.parametrize("activation", ["relu", "identity"])
def test_last_hidden_layer_plus_output_layer_is_predict(activation):
    model, X = _fitted(activation)
    last_hidden = ae.hidden_layer_output(model, X, len(SMALL_LAYERS))
    output = last_hidden @ model.coefs_[-1] + model.intercepts_[-1]  # identity output
    np.testing.assert_allclose(output, model._forward_pass_fast(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(output, model.predict(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "identity"])
def test_bottleneck_of_the_real_architecture(activation):
    model, X = _fitted(activation, layers=ae.AUTOENCODER_LAYERS, d=784, epochs=1)
    assert ae.bottleneck_layer(model) == 3
    features = ae.bottleneck_features(model, X)
    assert features.shape == (len(X), 32)
    np.testing.assert_allclose(
        features, _sklearn_layers(model, X.copy())[3], rtol=1e-12, atol=1e-12
    )


def test_layer_count_is_checked():
    model, X = _fitted("relu")
    for bad in (0, len(SMALL_LAYERS) + 1):
        with pytest.raises(ValueError, match="n_layers"):
            ae.hidden_layer_output(model, X, bad)


def test_original_extractor_as_written_cannot_run():
    model, X = _fitted("relu")
    with pytest.raises(AttributeError, match="intercept_"):
        ae.original_get_feature_vectors(model, X)
    with pytest.raises(ValueError, match="inhomogeneous"):
        ae.original_get_feature_vectors(model, X, bias="all_intercepts")


def test_original_extractor_with_own_biases_is_wrong_for_relu():
    model, X = _fitted("relu")
    buggy = ae.original_get_feature_vectors(model, X, bias="own_layer")
    correct = _sklearn_layers(model, X.copy())[3]
    assert buggy.shape == correct.shape
    assert not np.allclose(buggy, correct), "activation only at layer 3 must change relu output"


def test_original_extractor_with_own_biases_is_right_for_identity():
    # A linear network: where the (identity) activation is applied makes no difference.
    model, X = _fitted("identity")
    np.testing.assert_allclose(
        ae.original_get_feature_vectors(model, X, bias="own_layer"),
        _sklearn_layers(model, X.copy())[3],
        rtol=1e-12,
        atol=1e-12,
    )


def _recorded_shuffles(model, X, epochs, monkeypatch):
    orders = []
    real_shuffle = sk_mlp.shuffle

    def recording_shuffle(*args, **kwargs):
        result = real_shuffle(*args, **kwargs)
        orders.append(np.array(result))
        return result

    monkeypatch.setattr(sk_mlp, "shuffle", recording_shuffle)
    for _ in range(epochs):
        model.partial_fit(X, X)
    return orders


def test_make_autoencoder_draws_a_new_batch_order_every_epoch(monkeypatch):
    X = _data(d=784, n=50)
    orders = _recorded_shuffles(ae.make_autoencoder("relu", seed=0), X, 3, monkeypatch)
    assert len(orders) == 3
    assert not np.array_equal(orders[1], orders[2])


def test_int_random_state_repeats_the_batch_order(monkeypatch):
    # Why make_autoencoder passes a RandomState: with an int, epochs 2, 3, ... reuse one order.
    X = _data(d=784, n=50)
    model = MLPRegressor(hidden_layer_sizes=(4,), random_state=0)
    orders = _recorded_shuffles(model, X, 3, monkeypatch)
    np.testing.assert_array_equal(orders[1], orders[2])


def test_make_autoencoder_is_reproducible():
    X = _data(d=784, n=60)
    runs = []
    for _ in range(2):
        model = ae.make_autoencoder("identity", seed=3)
        for _ in range(2):
            model.partial_fit(X, X)
        runs.append(model.predict(X))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_original_refit_without_warm_start_restarts_every_call():
    # The original's loop: fit(max_iter=1) with random_state=42 and no warm_start.
    X = _data(d=20)
    model = MLPRegressor(hidden_layer_sizes=SMALL_LAYERS, max_iter=1, random_state=42)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, X)
        first = [w.copy() for w in model.coefs_]
        model.fit(X, X)
    assert all(np.array_equal(a, b) for a, b in zip(first, model.coefs_, strict=True))
    assert sum(issubclass(w.category, ConvergenceWarning) for w in caught) == 2


def test_fit_reporting_convergence_catches_the_warning():
    X, y = _data(n=60, d=5), np.arange(60) % 3
    classifier = ae.make_feature_classifier(max_iter=2, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = ae.fit_reporting_convergence(classifier, X, y)
    assert caught == []
    assert status == {"n_iter": 2, "converged": False}


def test_fit_reporting_convergence_reports_a_converged_fit():
    X, y = _data(n=60, d=5), np.arange(60) % 3
    classifier = ae.make_feature_classifier(max_iter=500, seed=0)
    classifier.set_params(tol=10.0, n_iter_no_change=2)  # stops after a few epochs
    status = ae.fit_reporting_convergence(classifier, X, y)
    assert status["converged"] is True
    assert status["n_iter"] < 500


def test_split_accuracies_and_reconstruction_mse():
    model, X = _fitted("identity")
    per_image = ae.reconstruction_mse(model, X)
    assert per_image.shape == (len(X),)
    np.testing.assert_allclose(per_image.mean(), np.mean((X - model.predict(X)) ** 2))
    X, y = _data(n=60, d=5), np.arange(60) % 3
    classifier = ae.make_feature_classifier(max_iter=3, seed=0)
    ae.fit_reporting_convergence(classifier, X, y)
    scores = ae.split_accuracies(classifier, {"train": (X, y), "half": (X[:30], y[:30])})
    assert set(scores) == {"train", "half"}
    assert all(0.0 <= s <= 1.0 for s in scores.values())


def test_pca_is_fitted_on_what_it_is_given():
    X = _data(n=100, d=50)
    pca = ae.fit_pca(X, n_components=5, seed=42)
    assert pca.transform(X).shape == (100, 5)
    assert pca.n_samples_ == 100


def test_figures_build():
    history = pd.DataFrame(
        {"train_loss": [0.2, 0.1], "validation_loss": [0.2, 0.1], "test_loss": [0.2, 0.1]},
        index=pd.Index([1, 2], name="epoch"),
    )
    fig = ae.plot_mse_curves({"relu": history, "identity": history})
    assert len(fig.axes) == 2
    images = _data(n=10, d=784)
    fig = ae.plot_reconstructions(
        images,
        {"relu": images, "identity": images},
        np.arange(10),
        [str(i) for i in range(10)],
        n=10,
    )
    assert len(fig.axes) == 30
    table = pd.DataFrame({"train": [0.5, 0.6], "test": [0.4, 0.5]}, index=["a", "b"])
    fig = ae.plot_accuracy_bars(table)
    assert len(fig.axes) == 1


def test_training_loss_figure_builds():
    fig = ae.plot_training_loss({"a": [1.0, 0.5], "b": [1.2, 0.7, 0.6]})
    assert len(fig.axes[0].lines) == 2


def test_replay_of_the_original_loop_gives_the_same_model_every_call():
    X = _data(n=40, d=784)
    replay = ae.replay_original_epoch_loop("relu", X, n_calls=3, seed=42)
    assert len(replay["train_mse"]) == 3
    assert len(set(replay["train_mse"])) == 1
    assert replay["convergence_warnings"] == 3
    assert replay["model"].n_iter_ == 1


def test_train_and_score_summarises_every_split():
    X, y = _data(n=60, d=5), np.arange(60) % 3
    features = {"train": X[:40], "validation": X[40:]}
    labels = {"train": y[:40], "validation": y[40:]}
    classifier, summary = ae.train_and_score(
        features, labels, max_iter=2, learning_rate=1e-3, seed=0
    )
    assert set(summary) == {"n_iter", "converged", "train_accuracy", "validation_accuracy"}
    assert summary["n_iter"] == classifier.n_iter_ == 2
    assert classifier.learning_rate_init == 1e-3
    assert summary["validation_accuracy"] == pytest.approx(
        np.mean(classifier.predict(X[40:]) == y[40:])
    )


# ------------------------------------------------------------------ tables


def _summary(train, validation, test, n_iter=5, converged=False):
    return {
        "train_accuracy": train,
        "validation_accuracy": validation,
        "test_accuracy": test,
        "n_iter": n_iter,
        "converged": converged,
    }


def test_correct_answers_tells_a_whole_count_from_a_fraction():
    assert ae.correct_answers(4106 / 6400, 6400) == (pytest.approx(4106), True)
    count, whole = ae.correct_answers(4106 / 6400, 8000)
    assert count == pytest.approx(5132.5) and not whole


def test_whole_answers_table_has_a_row_per_activation_and_size():
    table = ae.whole_answers_table({"relu": (0.5, 0.1, 0.1), "identity": (1 / 3, 0.1, 0.1)})
    assert table.loc[("relu", "6,400 images"), "whole"]
    assert table.loc[("relu", "8,000 images"), "correct answers"] == 4000
    assert not table.loc[("identity", "6,400 images"), "whole"]


def test_bottleneck_statistics_counts_units_that_are_zero_on_every_row():
    values = np.array([[0.0, 1.0, 0.0], [0.0, 3.0, 2.0]])
    table = ae.bottleneck_statistics({"relu": values, "identity": values + 1})
    assert table.loc["relu", "units 0 on every image"] == 1
    assert table.loc["identity", "units 0 on every image"] == 0
    assert table.loc["relu", "mean"] == pytest.approx(1.0)
    assert table.loc["relu", "units"] == 3


def test_accuracy_table_keeps_types_and_order():
    table = ae.accuracy_table({"b": _summary(0.5, 0.4, 0.3), "a": _summary(0.9, 0.8, 0.7, 9, True)})
    assert list(table.index) == ["b", "a"]
    assert table.loc["a", "test"] == 0.7 and table.loc["a", "epochs"] == 9
    assert table["converged"].dtype == bool and table["test"].dtype == float


def test_replay_table_counts_distinct_errors_and_warnings():
    table = ae.replay_table(
        {
            "relu": {"train_mse": [0.2, 0.2, 0.2], "convergence_warnings": 3},
            "identity": {"train_mse": [0.3, 0.1], "convergence_warnings": 2},
        }
    )
    assert table.loc["relu", "distinct values"] == 1 and table.loc["relu", "fit calls"] == 3
    assert table.loc["identity", "distinct values"] == 2
    assert table.loc["relu", "train MSE after each fit call"].startswith("≈0.200000")


def test_reconstruction_table_rows_and_references():
    X = _data(n=60, d=10)
    splits = {"train": (X[:40], None), "validation": (X[40:50], None), "test": (X[50:], None)}
    history = pd.DataFrame(
        {"train_loss": [0.3, 0.2], "validation_loss": [0.3, 0.21], "test_loss": [0.3, 0.22]},
        index=[1, 2],
    )
    pca = ae.fit_pca(X[:40], n_components=10, seed=0)  # every component: exact
    table = ae.reconstruction_table({"relu": history}, pca, splits, X[:40])
    assert list(table.index) == ["relu", ae.PCA_ROW, ae.MEAN_ROW]
    assert table.loc["relu", "validation"] == 0.21
    assert table.loc[ae.PCA_ROW].max() < 1e-20
    expected = np.mean((X[50:] - X[:40].mean(axis=0)) ** 2)
    assert table.loc[ae.MEAN_ROW, "test"] == pytest.approx(expected)


def test_extractor_comparison_and_the_original_errors():
    relu, X = _fitted("relu")
    identity, _ = _fitted("identity")
    table = ae.extractor_comparison({"relu": relu, "identity": identity}, X)
    assert (table["vs scikit-learn"] == 0).all()
    assert table.loc["relu", "original (own-layer bias) vs ours"] > 1e-6
    assert table.loc["identity", "original (own-layer bias) vs ours"] < 1e-12
    errors = ae.original_extractor_errors(relu, X)
    assert errors["as_written"].startswith("AttributeError")
    assert errors["all_intercepts"].startswith("ValueError")


def test_comparison_table_shows_trained_values_behind_approx():
    table = ae.comparison_table(
        {"relu": (0.5, 0.25, 0.125)},
        {"relu": _summary(0.1, 0.2, 0.3)},
        {"relu": _summary(0.4, 0.5, 0.6)},
        {"relu": "why"},
    )
    row = table.iloc[0]
    assert row["original"] == "0.5000 / 0.2500 / 0.1250"
    assert row["ours"] == "≈0.4000 / ≈0.5000 / ≈0.6000"
    assert row["reason for the difference"] == "why"


def test_seed_moves_takes_the_largest_seed_variant_move():
    moves = {"seed-1": 0.02, "seed-2": 0.03, "threads-1": 0.5}
    record = {"notebooks": {"nb": {"g/relu/m": {"moves": moves}}}}
    assert ae.seed_moves("g", ["relu"], "m", notebook="nb", tolerances=record) == {"relu": 0.03}
    record["notebooks"]["nb"]["g/relu/m"]["moves"] = {"threads-1": 0.5}
    with pytest.raises(KeyError, match="no seed variant"):
        ae.seed_moves("g", ["relu"], "m", notebook="nb", tolerances=record)
    committed = ae.seed_moves("feature_classifier", ["relu", "identity"], "test_accuracy")
    assert set(committed) == {"relu", "identity"} and all(v >= 0 for v in committed.values())
