"""Tests of helpers.scratch_nn: math, gradients, agreement with scikit-learn, symmetry."""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pytest

from helpers import scratch_nn as nn
from helpers.scratch_nn import ACTIVATIONS, ScratchMLP

SMALL = dict(hidden_layer_sizes=(6, 5, 4), n_inputs=7, n_classes=3)


def small_data(n=20, seed=0, n_inputs=7, n_classes=3):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.0, 1.0, size=(n, n_inputs))
    y = rng.integers(0, n_classes, size=n)
    return X, y


# ---------------------------------------------------------------- activations, softmax, loss


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_grad_matches_finite_difference(name):
    f, f_grad = ACTIVATIONS[name]
    z = np.linspace(-6.0, 6.0, 241)
    z = z[np.abs(z) > 1e-3]  # stay off the relu kink
    eps = 1e-6
    numeric = (f(z + eps) - f(z - eps)) / (2 * eps)
    assert np.allclose(f_grad(f(z)), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_in_place_equals_out_of_place(name):
    f, f_grad = ACTIVATIONS[name]
    z = np.random.default_rng(1).normal(size=(5, 4)) * 3
    expected = f(z)
    work = z.copy()
    assert f(work, out=work) is work
    np.testing.assert_array_equal(work, expected)
    grad = f_grad(expected)
    np.testing.assert_array_equal(f_grad(expected.copy(), out=work), grad)
    aliased = expected.copy()  # the backward pass overwrites a with f'(a)
    assert f_grad(aliased, out=aliased) is aliased
    np.testing.assert_array_equal(aliased, grad)


def test_activation_values_and_kink_conventions():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    np.testing.assert_array_equal(nn.relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.leaky_relu(z), [-0.02, 0.0, 3.0])
    # derivative at the kink: relu 0 (scikit-learn's convention), leaky relu 0.01
    np.testing.assert_array_equal(nn.relu_grad(nn.relu(z)), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(nn.leaky_relu_grad(nn.leaky_relu(z)), [0.01, 0.01, 1.0])
    # sigmoid never overflows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(nn.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])


def test_softmax_is_row_wise_and_stable():
    logits = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0], [0.0, 1.0, 2.0]])
    p = nn.softmax(logits)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    np.testing.assert_allclose(p[0], p[2])  # shift invariance, per row
    # a global (not row-wise) max would underflow row 1 to 0/0
    assert np.all(p > 0)


def test_cross_entropy_uses_log_sum_exp():
    logits = np.array([[0.0, 800.0], [1.0, 2.0]])
    y = np.array([0, 1])
    # row 0: probability of the true class underflows to 0; the loss stays finite (800)
    expected = (800.0 + np.log1p(np.exp(-800.0)) + np.log1p(np.exp(-1.0))) / 2
    assert nn.cross_entropy(logits, y) == pytest.approx(expected, rel=1e-15)
    uniform = np.zeros((4, 10))
    assert nn.cross_entropy(uniform, np.arange(4)) == pytest.approx(math.log(10), rel=1e-15)


def test_training_flops_formula():
    # 784-256-128-64-32-10: S = 244,032 weights; 2 (3 S - 784*256) FLOPs per sample
    assert nn.training_flops_per_sample((784, 256, 128, 64, 32, 10)) == 1_062_784
    assert nn.training_flops_per_sample((3, 2)) == 2 * (3 * 6 - 6)  # no input gradient
    with pytest.raises(ValueError):
        nn.training_flops_per_sample((5,))


# ---------------------------------------------------------------- the fused SGD step


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_fused_sgd_step_equals_gradient_then_update(name):
    X, y = small_data(24, seed=5)
    model = ScratchMLP(name, "normal", learning_rate=0.3, random_state=2, **SMALL).initialize()
    weights_grad, biases_grad = model.gradients(X, y)
    expected_w = [w - 0.3 * g for w, g in zip(model.weights, weights_grad, strict=True)]
    expected_b = [b - 0.3 * g for b, g in zip(model.biases, biases_grad, strict=True)]
    model.sgd_step(X, y)
    for got, want in zip(model.weights + model.biases, expected_w + expected_b, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------- initialisation


def test_initialisations_follow_the_original():
    rng = np.random.default_rng(0)
    w = nn.init_random(600, 400, "relu", rng)
    assert np.abs(w).max() <= math.sqrt(6 / 600) and np.abs(w).max() > 0.95 * math.sqrt(6 / 600)
    w = nn.init_random(600, 400, "tanh", rng)
    assert np.abs(w).max() <= 1.0 and np.abs(w).max() > 0.99
    w = nn.init_normal(600, 400, "leaky_relu", rng)
    assert w.std() == pytest.approx(math.sqrt(2 / 600), rel=0.01)
    w = nn.init_normal(600, 400, "sigmoid", rng)
    assert w.std() == pytest.approx(1.0, rel=0.01)
    assert not nn.init_zero(3, 4, "relu", rng).any()


def test_biases_drawn_like_weights_with_fan_in_one():
    model = ScratchMLP("relu", "random", random_state=3).initialize()
    for b in model.biases:
        assert np.abs(b).max() <= math.sqrt(6.0) and b.std() > 0.5
    model = ScratchMLP("sigmoid", "normal", random_state=3, bias_init="zero").initialize()
    assert all(not b.any() for b in model.biases)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("init", sorted(nn.INITIALISATIONS))
def test_zero_biases_share_the_weights_and_shuffles_of_the_drawn_ones(name, init):
    """bias_init="zero" draws the biases as "as_weights" does, then zeroes them: same
    weight matrices, same generator state after initialisation, so the same batches."""
    rngs = {bias_init: np.random.default_rng(17) for bias_init in nn.BIAS_INITS}
    models = {
        bias_init: ScratchMLP(name, init, bias_init=bias_init, random_state=rng).initialize()
        for bias_init, rng in rngs.items()
    }
    drawn, zero = models["as_weights"], models["zero"]
    for a, b in zip(drawn.weights, zero.weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(not b.any() for b in zero.biases)
    assert all(b.any() for b in drawn.biases) == (init != "zero")
    assert rngs["as_weights"].bit_generator.state == rngs["zero"].bit_generator.state
    # and training draws the same epoch orders from there
    X, y = small_data(50, n_inputs=784, n_classes=10)
    for model in models.values():
        model.warm_start = True
        model.epochs, model.batch_size = 2, 16
        model.fit(X, y)
    assert rngs["as_weights"].bit_generator.state == rngs["zero"].bit_generator.state
    orders = [rng.permutation(50) for rng in rngs.values()]
    np.testing.assert_array_equal(*orders)


def test_fixed_seed_reproduces_identical_weights():
    a = ScratchMLP("tanh", "normal", random_state=123).initialize()
    b = ScratchMLP("tanh", "normal", random_state=123).initialize()
    c = ScratchMLP("tanh", "normal", random_state=124).initialize()
    for wa, wb in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.weights[0], c.weights[0])
    # and identical training, including the epoch shuffles
    X, y = small_data(50)
    runs = []
    for _ in range(2):
        model = ScratchMLP("tanh", "normal", epochs=3, batch_size=8, random_state=5, **SMALL)
        runs.append(model.fit(X, y))
    np.testing.assert_array_equal(runs[0].weights[0], runs[1].weights[0])
    assert runs[0].history_ == runs[1].history_


def test_global_numpy_seed_is_not_used():
    np.random.seed(0)
    a = ScratchMLP("relu", "normal", random_state=7).initialize().weights[0]
    np.random.seed(1)
    b = ScratchMLP("relu", "normal", random_state=7).initialize().weights[0]
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_fast_path_equals_the_reference_pass(name):
    """The fused, preallocated training path computes the equations of the reference pass."""
    X, y = small_data(40, seed=7)
    model = ScratchMLP(name, "normal", random_state=3, **SMALL).initialize()
    layers = nn.forward_reference(model.weights, model.biases, X, name)
    np.testing.assert_allclose(layers[-1], model.decision_function(X), rtol=1e-12, atol=1e-12)
    ref_w, ref_b = nn.backward_reference(model.weights, layers, y, name)
    fast_w, fast_b = model.gradients(X, y)
    for ref, fast in zip(ref_w + ref_b, fast_w + fast_b, strict=True):
        assert ref.shape == fast.shape
        np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=1e-14)
    assert nn.cross_entropy(layers[-1], y) == pytest.approx(model.loss(X, y), rel=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("bias_init", ["as_weights", "zero"])
def test_gradient_check_central_differences(name, bias_init):
    X, y = small_data(12, seed=2)
    init = "normal" if name in nn.RELU_FAMILY else "random"
    model = ScratchMLP(name, init, bias_init=bias_init, random_state=11, **SMALL).initialize()
    # keep the sigmoid/tanh units out of deep saturation so the check is informative
    if name in ("sigmoid", "tanh"):
        model.weights = [w * 0.5 for w in model.weights]
    grad_w, grad_b = model.gradients(X, y)
    eps = 1e-6
    analytic, numeric = [], []
    for params, grads in ((model.weights, grad_w), (model.biases, grad_b)):
        for p, g in zip(params, grads, strict=True):
            flat = p.reshape(-1)
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + eps
                up = model.loss(X, y)
                flat[i] = old - eps
                down = model.loss(X, y)
                flat[i] = old
                numeric.append((up - down) / (2 * eps))
            analytic.append(g.reshape(-1))
    analytic = np.concatenate(analytic)
    numeric = np.array(numeric)
    rel = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
    assert rel < 1e-6, f"{name}: relative error {rel:.2e}"


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_reference_pass_gradient_check_central_differences(name):
    """backward_reference against central differences of cross_entropy(forward_reference):
    the reference pass alone, no fast path involved."""
    rng = np.random.default_rng(13)
    sizes = (5, 4, 3, 3)  # a 5-4-3-3 network
    weights = [
        rng.normal(scale=0.8, size=shape) for shape in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    biases = [rng.normal(scale=0.3, size=n) for n in sizes[1:]]
    X = rng.uniform(-1.0, 1.0, size=(9, sizes[0]))
    y = rng.integers(0, sizes[-1], size=9)

    def loss() -> float:
        return nn.cross_entropy(nn.forward_reference(weights, biases, X, name)[-1], y)

    layers = nn.forward_reference(weights, biases, X, name)
    for k in range(1, len(weights)):  # every z_l far from the (leaky) relu kink at 0
        assert np.abs(nn.pre_activation(layers[k - 1], weights[k - 1], biases[k - 1])).min() > 1e-4
    grad_w, grad_b = nn.backward_reference(weights, layers, y, name)
    eps = 1e-6
    analytic, numeric = [], []
    for params, grads in ((weights, grad_w), (biases, grad_b)):
        for p, g in zip(params, grads, strict=True):
            assert g.shape == p.shape
            flat = p.reshape(-1)
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + eps
                up = loss()
                flat[i] = old - eps
                down = loss()
                flat[i] = old
                numeric.append((up - down) / (2 * eps))
            analytic.append(g.reshape(-1))
    analytic, numeric = np.concatenate(analytic), np.array(numeric)
    rel = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
    assert rel < 1e-7, f"{name}: relative error {rel:.2e}"


def test_reference_functions_have_the_documented_shapes():
    rng = np.random.default_rng(0)
    B, n_below, n = 6, 5, 4
    a_below, W, b = rng.normal(size=(B, n_below)), rng.normal(size=(n_below, n)), rng.normal(size=n)
    error = rng.normal(size=(B, n))
    assert nn.pre_activation(a_below, W, b).shape == (B, n)
    assert nn.hidden_error(error, W, nn.tanh(a_below), "tanh").shape == (B, n_below)
    assert nn.weight_gradient(a_below, error).shape == (n_below, n)
    assert nn.bias_gradient(error).shape == (n,)
    assert nn.output_error(error, np.arange(B) % n).shape == (B, n)
    weights = [rng.normal(size=(7, 6)), rng.normal(size=(6, 3))]
    biases = [rng.normal(size=6), rng.normal(size=3)]
    X, y = rng.normal(size=(B, 7)), np.arange(B) % 3
    layers = nn.forward_reference(weights, biases, X, "relu")
    assert [x.shape for x in layers] == [(B, 7), (B, 6), (B, 3)]
    errors = nn.backward_errors(weights, layers, y, "relu")
    assert [d.shape for d in errors] == [(B, 6), (B, 3)]
    np.testing.assert_array_equal(errors[-1], nn.output_error(layers[-1], y))


@pytest.mark.parametrize(
    "ours, theirs", [("relu", "relu"), ("sigmoid", "logistic"), ("tanh", "tanh")]
)
def test_one_sgd_step_agrees_with_sklearn(ours, theirs):
    from sklearn.neural_network import MLPClassifier

    n_inputs, n_classes, hidden = 9, 4, (7, 6, 5)
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 1, size=(32, n_inputs))
    y = np.arange(32) % n_classes  # every class present
    lr = 0.05
    model = ScratchMLP(
        ours,
        "normal",
        hidden_layer_sizes=hidden,
        n_inputs=n_inputs,
        n_classes=n_classes,
        learning_rate=lr,
        random_state=8,
    ).initialize()
    if ours != "relu":
        model.weights = [w * 0.5 for w in model.weights]
    clf = MLPClassifier(
        hidden_layer_sizes=hidden,
        activation=theirs,
        solver="sgd",
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=len(X),
        shuffle=False,
        learning_rate="constant",
        learning_rate_init=lr,
        random_state=0,
    )
    clf.partial_fit(X, y, classes=np.arange(n_classes))  # initialises the shapes
    clf.coefs_ = [w.copy() for w in model.weights]
    clf.intercepts_ = [b.copy() for b in model.biases]
    loss_before = model.loss(X, y)
    clf.partial_fit(X, y)
    model.sgd_step(X, y)
    assert clf.loss_ == pytest.approx(loss_before, rel=1e-12)  # mean cross-entropy
    for ours_w, theirs_w in zip(
        model.weights + model.biases, clf.coefs_ + clf.intercepts_, strict=True
    ):
        np.testing.assert_allclose(ours_w, theirs_w, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), atol=1e-10)


# ---------------------------------------------------------------- zero-init symmetry


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_zero_init_never_breaks_symmetry(name):
    X, y = small_data(60, seed=3, n_inputs=7, n_classes=3)
    model = ScratchMLP(
        name, "zero", epochs=5, batch_size=16, learning_rate=0.5, random_state=0, **SMALL
    )
    model.fit(X, y)
    for layer, (W, b) in enumerate(zip(model.weights, model.biases, strict=True)):
        if layer < len(model.weights) - 1:  # hidden units: identical columns and biases
            assert np.ptp(W, axis=1).max() <= 1e-12 * max(1.0, np.abs(W).max()), layer
            assert np.ptp(b) <= 1e-12 * max(1.0, np.abs(b).max()), layer
        # all incoming weights of the next layer from the units of this layer are identical
        if layer > 0:
            assert np.ptp(W, axis=0).max() <= 1e-12 * max(1.0, np.abs(W).max()), layer
    if name in ("relu", "leaky_relu", "tanh"):
        # f(0) = 0: every hidden unit outputs 0 forever; only the output biases learn
        assert all(not W.any() for W in model.weights)
        assert all(not b.any() for b in model.biases[:-1])
    assert model.biases[-1].any()


def test_zero_init_symmetry_on_the_full_architecture():
    """784-256-128-64-32-10, batch 128, shuffled epochs: still one distinct unit per layer."""
    rng = np.random.default_rng(7)
    X = rng.uniform(0, 1, size=(300, 784))
    y = np.arange(300) % 10
    model = ScratchMLP("sigmoid", "zero", epochs=3, learning_rate=0.5, random_state=1)
    model.fit(X, y)
    assert np.abs(model.weights[-2]).max() > 0  # it did learn something
    # Identical up to rounding: with feature-major matmuls, multithreaded BLAS computes
    # blocks of units in different threads and may round their sums in another order,
    # so bitwise equality is not guaranteed; a real symmetry break would be orders of
    # magnitude larger than 1e-12 relative (the tolerance notebook 03's count uses).
    for W, b in zip(model.weights[:-1], model.biases[:-1], strict=True):
        np.testing.assert_allclose(W, np.repeat(W[:, :1], W.shape[1], axis=1), rtol=1e-12, atol=0)
        np.testing.assert_allclose(b, np.full_like(b, b[0]), rtol=1e-12, atol=0)


# ---------------------------------------------------------------- training API


def test_fit_records_per_epoch_history_and_logs_fixed_format():
    X, y = small_data(64)
    model = ScratchMLP(
        "relu", "normal", epochs=4, batch_size=16, learning_rate=0.1, random_state=0, **SMALL
    )
    stream = io.StringIO()
    model.fit(X[:48], y[:48], X[48:], y[48:], log_every=2, log_prefix="[x] ", stream=stream)
    assert set(model.history_) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 4 for v in model.history_.values())
    assert model.history_["train_loss"][-1] == pytest.approx(model.loss(X[:48], y[:48]))
    assert model.history_["val_accuracy"][-1] == pytest.approx(model.score(X[48:], y[48:]))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("[x] epoch   2  train loss ")


def test_running_train_metrics_average_the_batches():
    X, y = small_data(64, seed=4)
    # a vanishing step: every batch sees the same weights, so the running average over
    # the batches equals the whole-set evaluation
    still = ScratchMLP(
        "sigmoid", "normal", epochs=2, batch_size=16, learning_rate=1e-12, random_state=0, **SMALL
    )
    still.fit(X, y, train_metrics="running")
    assert still.history_["train_loss"][-1] == pytest.approx(still.loss(X, y), rel=1e-9)
    assert still.history_["train_accuracy"][-1] == pytest.approx(still.score(X, y))
    # a real step: close to, not equal to, the end-of-epoch evaluation
    moving = ScratchMLP(
        "relu", "normal", epochs=3, batch_size=16, learning_rate=0.05, random_state=0, **SMALL
    )
    full = ScratchMLP(
        "relu", "normal", epochs=3, batch_size=16, learning_rate=0.05, random_state=0, **SMALL
    )
    moving.fit(X, y, train_metrics="running")
    full.fit(X, y, train_metrics="full")
    np.testing.assert_array_equal(moving.weights[0], full.weights[0])  # same training
    assert moving.history_["train_loss"] != full.history_["train_loss"]
    with pytest.raises(ValueError, match="unknown train_metrics"):
        moving.fit(X, y, train_metrics="batch")


def test_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(400, 7))
    y = (X[:, 0] > X[:, 1]).astype(int) + (X[:, 2] > 0.5)
    model = ScratchMLP(
        "tanh",
        "normal",
        epochs=100,
        batch_size=32,
        learning_rate=0.2,
        bias_init="zero",
        random_state=0,
        warm_start=True,  # fit trains from the scaled weights below
        **SMALL,
    ).initialize()
    model.weights = [w * np.sqrt(1 / w.shape[0]) for w in model.weights]
    model.fit(X, y)
    assert model.history_["train_loss"][-1] < 0.5 * model.history_["train_loss"][0]
    assert model.score(X, y) > 0.85
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))


def test_early_stopping_stops_and_restores_best_weights():
    X, y = small_data(80, seed=5)
    X_val, y_val = small_data(40, seed=6)  # unrelated labels: validation loss soon rises
    model = ScratchMLP(
        "relu",
        "normal",
        epochs=200,
        batch_size=8,
        learning_rate=0.2,
        early_stopping=True,
        patience=3,
        random_state=0,
        **SMALL,
    )
    model.fit(X, y, X_val, y_val)
    epochs_run = len(model.history_["val_loss"])
    assert epochs_run < 200
    best = int(np.argmin(model.history_["val_loss"])) + 1
    assert model.best_epoch_ == best and epochs_run == best + 3
    assert model.loss(X_val, y_val) == pytest.approx(min(model.history_["val_loss"]))
    with pytest.raises(ValueError, match="validation"):
        ScratchMLP(early_stopping=True, **SMALL).fit(X, y)


def test_float32_option():
    X, y = small_data(40)
    model = ScratchMLP(
        "leaky_relu", "normal", dtype=np.float32, epochs=2, batch_size=16, random_state=0, **SMALL
    ).fit(X, y)
    assert all(w.dtype == np.float32 for w in model.weights + model.biases)
    assert model.predict_proba(X).dtype == np.float32
    ref = ScratchMLP("leaky_relu", "normal", epochs=2, batch_size=16, random_state=0, **SMALL).fit(
        X, y
    )
    np.testing.assert_allclose(model.weights[0], ref.weights[0], atol=1e-5)


def test_save_load_roundtrip_without_pickle(tmp_path):
    X, y = small_data(30)
    model = ScratchMLP(
        "sigmoid", "random", epochs=2, batch_size=8, learning_rate=0.3, random_state=0, **SMALL
    ).fit(X, y)
    path = model.save(tmp_path / "net")
    assert path.suffix == ".npz"
    with np.load(path, allow_pickle=False) as data:  # no object arrays inside
        assert all(data[key].dtype != object for key in data.files)
    loaded = ScratchMLP.load(path)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_weights_and_biases_are_settable_views():
    model = ScratchMLP("relu", "normal", random_state=0, **SMALL).initialize()
    model.weights[0][0, 0] = 5.0  # views: in-place edits reach the model
    model.biases[1][2] = -1.0
    assert model.weights[0][0, 0] == 5.0 and model.biases[1][2] == -1.0
    new = [np.ones_like(w) for w in model.weights]
    model.weights = new  # assignment copies into the model
    new[0][0, 0] = 7.0
    assert model.weights[0][0, 0] == 1.0
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(7, 6\)"):
        model.weights = [np.ones((6, 7))] + model.weights[1:]
    with pytest.raises(ValueError, match="need 4 biases arrays"):
        model.biases = model.biases[:2]


# ---------------------------------------------------------------- argument checks


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(activation="softplus"), "unknown activation 'softplus'"),
        (dict(weight_init="xavier"), "unknown weight_init 'xavier'"),
        (dict(bias_init="one"), "unknown bias_init"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(learning_rate=float("nan")), "learning_rate"),
        (dict(batch_size=0), "batch_size"),
        (dict(epochs=1.5), "epochs"),
        (dict(hidden_layer_sizes=()), "hidden_layer_sizes"),
        (dict(hidden_layer_sizes=(3, -1)), "hidden_layer_sizes"),
        (dict(n_classes=1), "n_classes"),
        (dict(dtype=np.int32), "dtype"),
        (dict(random_state="seed"), "random_state"),
        (dict(random_state=True), "random_state"),
        (dict(patience=0), "patience"),
    ],
)
def test_bad_arguments_are_stored_by_the_constructor_and_refused_by_fit(kwargs, message):
    model = ScratchMLP(**kwargs)  # stores, checks nothing (scikit-learn's convention)
    for name, value in kwargs.items():
        assert getattr(model, name) is value
    X, y = small_data(10, n_inputs=784, n_classes=10)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    with pytest.raises(ValueError, match=message):
        model.initialize()
    assert not hasattr(model, "history_")  # a refused fit leaves no trace


def test_bad_data_raise_clear_errors():
    model = ScratchMLP("relu", "normal", **SMALL).initialize()
    X, y = small_data(10)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 7\)"):
        model.predict(np.zeros((3, 784)))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 7\)"):
        model.fit(X[:, :5], y)
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        model.fit(X, np.where(y == 0, 3, y))
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        model.score(X, np.full(10, -1))
    with pytest.raises(ValueError, match="integer class labels"):
        model.fit(X, y + 0.5)
    with pytest.raises(ValueError, match="to match X"):
        model.fit(X, y[:5])
    with pytest.raises(ValueError, match="NaN"):
        model.predict(np.full((2, 7), np.nan))
    with pytest.raises(ValueError, match="both X_val and y_val"):
        model.fit(X, y, X_val=X)


# ---------------------------------------------------------------- estimator convention


def test_the_constructor_draws_nothing_and_fit_draws_from_random_state():
    rng = np.random.default_rng(21)
    before = rng.bit_generator.state
    model = ScratchMLP("tanh", "normal", epochs=2, batch_size=8, random_state=rng, **SMALL)
    assert rng.bit_generator.state == before  # nothing drawn
    assert model.random_state is rng  # stored as given
    X, y = small_data(30)
    model.fit(X, y)
    assert rng.bit_generator.state != before  # initial weights and shuffles came from it
    same = ScratchMLP("tanh", "normal", epochs=2, batch_size=8, random_state=None, **SMALL)
    same.random_state = np.random.default_rng(21)
    same.fit(X, y)
    for a, b in zip(model.weights + model.biases, same.weights + same.biases, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "use",
    [
        lambda m, X, y: m.predict(X),
        lambda m, X, y: m.predict_proba(X),
        lambda m, X, y: m.decision_function(X),
        lambda m, X, y: m.score(X, y),
        lambda m, X, y: m.loss(X, y),
        lambda m, X, y: m.gradients(X, y),
        lambda m, X, y: m.sgd_step(X, y),
        lambda m, X, y: m.train_epoch(X, y),
        lambda m, X, y: m.weights,
        lambda m, X, y: m.biases,
        lambda m, X, y: m.save("never-written.npz"),
    ],
)
def test_an_unfitted_network_says_to_call_fit(use):
    model = ScratchMLP("relu", "normal", **SMALL)
    X, y = small_data(10)
    with pytest.raises(nn.NotFittedError, match=r"call fit\(\)"):
        use(model, X, y)
    assert not hasattr(model, "weights")  # NotFittedError is an AttributeError too


def test_fit_equals_initialize_then_a_warm_fit():
    X, y = small_data(40, seed=1)
    kwargs = dict(epochs=3, batch_size=8, learning_rate=0.2, random_state=4, **SMALL)
    cold = ScratchMLP("sigmoid", "random", **kwargs).fit(X, y)
    warm = ScratchMLP("sigmoid", "random", warm_start=True, **kwargs).initialize()
    warm.fit(X, y)
    assert warm.history_ == cold.history_
    for a, b in zip(warm.weights + warm.biases, cold.weights + cold.biases, strict=True):
        np.testing.assert_array_equal(a, b)
    # without warm_start every fit starts again from the seed's initial weights ...
    again = cold.fit(X, y)
    assert again.history_ == warm.history_
    # ... with it, fit goes on from the current weights and the generator's state
    warm.fit(X, y)
    assert warm.history_["train_loss"][0] != cold.history_["train_loss"][0]
    warm.hidden_layer_sizes = (6, 5)
    with pytest.raises(ValueError, match="layer sizes or dtype changed"):
        warm.fit(X, y)


def test_initialize_with_given_parameters_draws_nothing():
    source = ScratchMLP("relu", "normal", random_state=9, **SMALL).initialize()
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    model = ScratchMLP("relu", "normal", random_state=rng, **SMALL)
    assert model.initialize(source.weights, source.biases) is model
    assert rng.bit_generator.state == before
    for a, b in zip(model.weights + model.biases, source.weights + source.biases, strict=True):
        np.testing.assert_array_equal(a, b)
        assert not np.shares_memory(a, b)  # copied in
    with pytest.raises(ValueError, match="both weights and biases"):
        model.initialize(source.weights)
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(6, 5\)"):
        model.initialize([source.weights[0]] * 4, source.biases)
    np.testing.assert_array_equal(model.weights[1], source.weights[1])  # left as it was
