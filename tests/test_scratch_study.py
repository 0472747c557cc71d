"""Tests of helpers.scratch_study: data split, the study runner, the original's replay."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from helpers import scratch_original
from helpers import scratch_study as study
from helpers.scratch_nn import ScratchMLP


def test_split_sizes_and_scaling():
    images = np.random.default_rng(0).integers(0, 256, size=(100, 784), dtype=np.uint8)
    labels = np.arange(100) % 10
    splits = study.split_80_10_10(images, labels, seed=0)
    assert splits.sizes() == {"train": 80, "validation": 10, "test": 10}
    assert splits.X_train.dtype == np.float64
    assert splits.X_train.max() <= 1.0 and splits.X_train.min() >= 0.0
    # a permutation: every row used once, labels kept with their images
    all_rows = np.vstack([splits.X_train, splits.X_val, splits.X_test])
    assert len({row.tobytes() for row in all_rows}) == 100
    first = np.where((images / 255.0 == splits.X_test[0]).all(axis=1))[0][0]
    assert labels[first] == splits.y_test[0]
    again = study.split_80_10_10(images, labels, seed=0)
    np.testing.assert_array_equal(again.y_val, splits.y_val)
    assert study.split_sizes(70_000) == (56_000, 7_000, 7_000)
    assert study.split_sizes(10_000) == (8_000, 1_000, 1_000)


def test_config_keys_cover_the_grid():
    assert len(study.CONFIG_KEYS) == 12 and len(set(study.CONFIG_KEYS)) == 12
    assert set(scratch_original.ORIGINAL) == set(study.CONFIG_KEYS)
    assert study.config_key("leaky_relu", "zero") == "leaky_relu/zero"


def tiny_splits(seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(60, 784), dtype=np.uint8)
    labels = np.arange(60) % 10
    return study.split_80_10_10(images, labels, seed=1)


def test_run_study_is_reproducible_and_logs_deterministically():
    splits = tiny_splits()
    configs = ("relu/normal", "sigmoid/zero")
    outputs = []
    for _ in range(2):
        stream = io.StringIO()
        runs = study.run_study(splits, epochs=2, log_every=1, configs=configs, stream=stream)
        outputs.append((stream.getvalue(), study.summarise_runs(runs)))
    assert outputs[0] == outputs[1]
    text, finals = outputs[0]
    assert text.splitlines()[0].startswith("[ 1/2] relu/normal       epoch   1  train loss ")
    assert set(finals) == set(configs)
    assert set(finals["relu/normal"]) == {
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "test_loss",
        "test_accuracy",
        "epochs_run",
    }
    # a configuration's stream does not depend on which others run before it
    alone = study.run_study(
        splits, epochs=2, log_every=0, configs=("sigmoid/zero",), stream=io.StringIO()
    )
    assert study.summarise_runs(alone)["sigmoid/zero"] == finals["sigmoid/zero"]


def test_metric_table_layout():
    finals = {key: {"test_accuracy": i / 100} for i, key in enumerate(study.CONFIG_KEYS)}
    table = study.metric_table(finals, "test_accuracy")
    assert table.shape == (4, 3)
    assert list(table.index) == list(study.ACTIVATION_NAMES)
    assert list(table.columns) == list(study.INIT_NAMES)
    assert table.loc["relu", "normal"] == finals["relu/normal"]["test_accuracy"]
    partial = study.metric_table({"tanh/zero": {"x": 1.0}}, "x")
    assert math.isnan(partial.loc["relu", "zero"]) and partial.loc["tanh", "zero"] == 1.0


def test_replay_zero_init_is_softmax_regression_on_a_constant():
    y_train = np.array([0, 0, 0, 1] * 32)
    y_val = np.array([0, 1])
    replay = scratch_original.replay_zero_init(
        y_train, y_val, learning_rate=0.5, epochs=400, batch_size=16, n_classes=2
    )
    # converges to the entropy of the training class shares (the best constant guess)
    entropy = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert replay["train_loss"][-1] == pytest.approx(entropy, abs=1e-9)
    assert replay["train_loss"][0] < math.log(2)
    assert np.all(np.diff(replay["train_loss"]) <= 1e-15)


def test_replay_matches_a_zero_init_network():
    """The replay's shortcut equals training the real zero-init network, batch by batch."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(40, 7))
    y_train = rng.integers(0, 3, size=40)
    model = ScratchMLP(
        "relu",
        "zero",
        hidden_layer_sizes=(5, 4),
        n_inputs=7,
        n_classes=3,
        learning_rate=0.3,
        epochs=3,
        batch_size=16,
        shuffle=False,
    )
    model.fit(X, y_train)
    replay = scratch_original.replay_zero_init(
        y_train, y_train[:5], learning_rate=0.3, epochs=3, batch_size=16, n_classes=3
    )
    np.testing.assert_allclose(replay["train_loss"], model.history_["train_loss"], rtol=1e-13)


def test_original_zero_runs_need_learning_rate_0_002():
    try:
        y_train, y_val, y_test = scratch_original.original_split_labels()
    except Exception as exc:  # pragma: no cover - only without the label files
        pytest.skip(f"MNIST label files not available: {exc}")
    assert (len(y_train), len(y_val), len(y_test)) == (56_000, 7_000, 7_000)
    # the printed constant-class accuracies are these classes' shares
    shares = scratch_original.constant_class_accuracies(
        {"train": y_train, "val": y_val, "test": y_test}
    )
    original = scratch_original.ORIGINAL["relu/zero"]
    assert shares[1]["train"] == original["train_accuracy"]
    assert shares[1]["test"] == original["test_accuracy"]
    assert shares[3]["val"] == scratch_original.ORIGINAL["relu/random"]["val_accuracy"]
    replay = scratch_original.replay_zero_init(y_train, y_val, 0.002)
    for epoch, (train, val) in scratch_original.ORIGINAL_ZERO_INIT_LOSSES.items():
        assert replay["train_loss"][epoch - 1] == pytest.approx(train, rel=1e-14)
        assert replay["val_loss"][epoch - 1] == pytest.approx(val, rel=1e-14)
    other = scratch_original.replay_zero_init(y_train, y_val, 0.0021)
    assert abs(other["train_loss"][9] - scratch_original.ORIGINAL_ZERO_INIT_LOSSES[10][0]) > 1e-6


def test_the_zero_bias_run_shares_the_weights_and_batches_of_the_original_bias_run():
    splits = tiny_splits()
    kwargs = dict(configs=("relu/normal",), log_every=0, stream=io.StringIO())
    models = {
        bias_init: study.run_study(splits, 2, bias_init=bias_init, **kwargs)["relu/normal"].model
        for bias_init in ("as_weights", "zero")
    }
    # the same draws for the weights and the same epoch shuffles: the configuration's
    # generator ends in the same state
    states = [model._rng.bit_generator.state for model in models.values()]
    assert states[0] == states[1]
    assert not np.array_equal(models["zero"].weights[0], models["as_weights"].weights[0])
    # initial_statistics starts from the same draws: only the biases differ
    X, y = splits.X_train[:20], splits.y_train[:20]
    tables = {b: study.initial_statistics(X, y, bias_init=b) for b in ("as_weights", "zero")}
    # He weights give z_1 a spread near 1; the N(0, 2) biases add theirs
    spread = {b: table.loc["relu/normal", "z spread, layer 1"] for b, table in tables.items()}
    assert spread["zero"] < spread["as_weights"]
    for key in ("relu/zero", "sigmoid/zero"):  # zero init: nothing drawn, nothing differs
        assert tables["zero"].loc[key].equals(tables["as_weights"].loc[key])


def test_distinct_units_and_layer_statistics():
    X = np.random.default_rng(0).uniform(0, 1, size=(30, 784))
    y = np.arange(30) % 10
    zero = ScratchMLP("sigmoid", "zero", random_state=0).initialize()
    assert study.distinct_units(zero) == [1, 1, 1, 1]
    normal = ScratchMLP("relu", "normal", random_state=0).initialize()
    assert study.distinct_units(normal) == [256, 128, 64, 32]
    sigmoid = ScratchMLP("sigmoid", "random", random_state=0).initialize()
    stats = study.layer_statistics(sigmoid, X, y)
    assert list(stats.index) == [1, 2, 3, 4]
    assert stats.loc[1, "saturated"] > 0.3  # +-1 weights saturate the sigmoid units
    assert (stats["mean_slope"] < 0.2).all()  # 0.25 is the unsaturated slope
    he = study.layer_statistics(
        ScratchMLP("relu", "normal", bias_init="zero", random_state=0).initialize(), X, y
    )
    assert (he["mean_slope"] > 0.3).all() and (he["mean_slope"] < 0.7).all()
    # the error signals agree with the model's own backward pass:
    # dJ/dW_1 = X^T d_1 and dJ/db_l = sum of the rows of d_l
    model = ScratchMLP("tanh", "normal", random_state=0).initialize()
    grad_w, grad_b = model.gradients(X, y)
    _, _, deltas = study.error_signals(model, X, y)
    np.testing.assert_allclose(X.T @ deltas[0], grad_w[0], rtol=1e-8, atol=1e-12)
    for layer, delta in enumerate(deltas):
        np.testing.assert_allclose(delta.sum(axis=0), grad_b[layer], rtol=1e-8, atol=1e-12)


def test_original_softmax_reproduces_the_global_max_bug():
    logits = np.array([[2.0, 1.0, 0.0], [200.0, 100.0, 160.0], [900.0, 0.0, 150.0]])
    with np.errstate(under="ignore"):
        p = scratch_original.original_softmax(logits)
    np.testing.assert_allclose(p[0], [1 / 3] * 3)  # fully underflowed: uniform
    assert p[1].argmax() == 1  # partly: the smallest logit wins
    np.testing.assert_allclose(p[2], [1.0, 0.0, 0.0], atol=1e-9)
    small = np.array([[0.5, -1.0, 2.0], [1.0, 1.5, -0.5]])
    from helpers.scratch_nn import softmax

    np.testing.assert_allclose(scratch_original.original_softmax(small), softmax(small), rtol=1e-15)


def test_original_algorithm_equals_sgd_for_a_tiny_step():
    """With a tiny learning rate the update-order bug vanishes: same step as ours."""
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, size=(128, 784))
    y = np.arange(128) % 10
    lr = 1e-6
    replica = scratch_original.OriginalAlgorithm("tanh", "normal", learning_rate=lr, seed=5)
    ours = ScratchMLP("tanh", "normal", learning_rate=lr, random_state=5, shuffle=False)
    ours.initialize()
    start = [w.copy() for w in ours.weights]
    replica.train_epoch(X, y)
    ours.sgd_step(X, y)
    for w0, a, b in zip(start, replica.weights, ours.weights, strict=True):
        step = b - w0
        np.testing.assert_allclose(a - w0, step, rtol=0, atol=1e-3 * np.abs(step).max())
    loss, accuracy = replica.loss_and_accuracy(X, y)
    assert loss == pytest.approx(ours.loss(X, y), rel=1e-9) and 0 <= accuracy <= 1


def test_replay_constant_output_reports_the_top_classes():
    y_train = np.array([0] * 60 + [1] * 40 + [2] * 28)  # last batch: all 2s
    result = scratch_original.replay_constant_output(
        y_train, y_train, step=0.01, epochs=50, batch_size=32, n_classes=3
    )
    assert result["top_class"] == 0 and result["second_class"] == 1
    big = scratch_original.replay_constant_output(
        y_train, y_train, step=5.0, epochs=5, batch_size=32, n_classes=3
    )
    assert big["top_class"] == 2  # a large step: the epoch's last batch decides
    assert big["train_loss"] > result["train_loss"]


# ------------------------------------------------------------- notebook 03's tables


def test_split_counts_and_class_entropy():
    splits = tiny_splits()
    counts = study.split_counts(splits)
    assert list(counts.index) == ["train", "validation", "test"]
    assert counts.loc["train"].sum() == len(splits.y_train)
    assert counts.columns.name == "digit" and list(counts.columns) == list(range(10))
    # uniform shares: ln 10; one class only: 0; an absent class contributes nothing
    assert study.class_entropy(np.arange(100) % 10) == pytest.approx(math.log(10))
    assert study.class_entropy(np.full(7, 3)) == 0.0
    assert study.class_entropy(np.array([0, 0, 1, 1])) == pytest.approx(math.log(2))


def test_initial_models_differ_only_in_the_biases():
    starts = study.initial_models(5, "relu/normal", ("as_weights", "zero"))
    (with_b, rng_a), (without_b, rng_b) = starts["as_weights"], starts["zero"]
    for w_a, w_b in zip(with_b.weights, without_b.weights, strict=True):
        np.testing.assert_array_equal(w_a, w_b)
    assert rng_a.bit_generator.state == rng_b.bit_generator.state
    assert all(not b.any() for b in without_b.biases) and all(b.any() for b in with_b.biases)
    # the very draws run_study starts from
    model = ScratchMLP("relu", "normal", random_state=study.config_rng(5, "relu/normal"))
    np.testing.assert_array_equal(model.initialize().weights[0], with_b.weights[0])
    X, y = tiny_splits().X_train[:20], tiny_splits().y_train[:20]
    spread = study.z_spread_table({k: m for k, (m, _) in starts.items()}, X, y)
    assert list(spread.columns) == ["as_weights", "zero"] and len(spread) == 4
    assert (spread["as_weights"] > spread["zero"]).all()


def test_zero_init_table_after_a_short_study():
    splits = tiny_splits()
    configs = tuple(study.config_key(a, "zero") for a in study.ACTIVATION_NAMES)
    runs = study.run_study(splits, 3, configs=configs, log_every=0, stream=io.StringIO())
    table = study.zero_init_table(runs, splits.X_test)
    assert list(table.index) == list(configs)
    assert all(units == [1, 1, 1, 1] for units in table["distinct units per hidden layer"])
    assert list(table["all hidden weights zero"]) == [False, True, True, True]
    assert all(len(digits) == 1 for digits in table["digits predicted on test"])


def test_replay_misses_and_table():
    printed = scratch_original.ORIGINAL_ZERO_INIT_LOSSES
    exact = {
        "train_loss": np.array([printed[e][0] if e in printed else 0.0 for e in range(1, 101)]),
        "val_loss": np.array([printed[e][1] if e in printed else 0.0 for e in range(1, 101)]),
    }
    off = {curve: values + 1e-3 for curve, values in exact.items()}
    misses = scratch_original.replay_misses({0.002: exact, 0.001: off})
    assert misses[0.002] == 0.0 and misses[0.001] == pytest.approx(1e-3)
    table = scratch_original.replay_table(exact)
    assert list(table.index) == list(printed)
    assert table["replay train loss"].str.startswith("≈").all()


def test_one_digit_runs_and_last_batch():
    shares = {d: {"train": 0.0, "val": 0.0, "test": 0.0} for d in range(10)}
    relu_zero = scratch_original.ORIGINAL["relu/zero"]
    shares[4] = {s: relu_zero[f"{s}_accuracy"] for s in ("train", "val", "test")}
    found = scratch_original.one_digit_runs(shares)
    assert found["relu/zero"] == 4 and set(found.values()) == {4}
    assert "tanh/random" not in found
    y = np.array([0] * 128 + [5, 5, 2])  # one full batch, then a short one
    counts = scratch_original.last_batch_counts(y)
    assert counts.sum() == 3 and counts[5] == 2 and counts[2] == 1
    assert scratch_original.last_batch_counts(np.zeros(256, int)).sum() == 0


def test_softmax_demo_and_comparison_table():
    demo = scratch_original.softmax_demo()
    np.testing.assert_allclose(demo["original's softmax"][0], 1 / 3, atol=1e-4)
    assert np.argmax(demo["original's softmax"][1]) == 1  # its smallest logit wins
    finals = {
        key: dict.fromkeys(("train_accuracy", "val_accuracy", "test_accuracy"), 0.5)
        for key in study.CONFIG_KEYS
    }
    table = scratch_original.comparison_table(finals)
    assert list(table.index) == list(study.CONFIG_KEYS)
    assert (table["ours test"] == "≈0.5000").all()
    reasons = scratch_original.difference_reasons("default")
    assert set(reasons) == set(study.CONFIG_KEYS) and all(reasons.values())
