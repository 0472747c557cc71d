"""Notebook 06: an MLPRegressor autoencoder on Fashion-MNIST and classifiers on its bottleneck.

The autoencoder maps 784 pixels through hidden layers ``(128, 64, 32, 64, 128)`` back to
784 pixels. Its *bottleneck features* are the activations of the third hidden layer
(32 units). For a scikit-learn MLP with weights ``W_i`` (``coefs_[i]``, shape
``(n_in_i, n_out_i)``), biases ``b_i`` (``intercepts_[i]``, shape ``(n_out_i,)``) and hidden
activation ``act`` (the estimator's ``activation``), hidden layer ``k`` is

    h_0 = X,        h_k = act(h_{k-1} @ W_{k-1} + b_{k-1})      for k = 1 .. n_hidden,

and the output is ``h_n_hidden @ W_last + b_last`` through ``out_activation_`` (identity
for a regressor). :func:`hidden_layer_output` computes exactly this; the original
submission's extractor (kept as :func:`original_get_feature_vectors` to show what it did)
did not.

Everything here is deterministic given the seeds: estimators get a *seeded*
``np.random.RandomState`` so that training epoch by epoch with ``partial_fit`` draws a new
mini-batch order every epoch (see :func:`make_autoencoder`).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.decomposition import PCA
from sklearn.metrics import accuracy_score
from sklearn.neural_network import MLPClassifier, MLPRegressor

from helpers.data import Splits
from helpers.fashion import counting_convergence_warnings, train_epochs
from helpers.formatting import approx

#: Hidden layers of the autoencoder (784 -> 128 -> 64 -> 32 -> 64 -> 128 -> 784).
AUTOENCODER_LAYERS = (128, 64, 32, 64, 128)
#: Hidden layers of the classifier trained on the features.
FEATURE_CLASSIFIER_LAYERS = (32, 32)
#: Learning rate of the original for both the autoencoder and the feature classifier.
LEARNING_RATE = 2e-5
#: A larger learning rate (the top of the original's grid search) used as a check that the
#: feature comparison is not decided by how slowly learning rate 2e-5 trains the classifier.
CHECK_LEARNING_RATE = 1e-3
#: Number of principal components of the PCA reference (= bottleneck width).
PCA_COMPONENTS = 32


# ------------------------------------------------------------------ activations


def identity(z: np.ndarray) -> np.ndarray:
    """``z`` unchanged."""
    return z


def relu(z: np.ndarray) -> np.ndarray:
    """``max(z, 0)`` elementwise."""
    return np.maximum(z, 0.0)


def logistic(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))`` elementwise."""
    return expit(z)


#: scikit-learn's ``activation`` names -> the function (new arrays, never in place).
HIDDEN_ACTIVATIONS = {"identity": identity, "relu": relu, "tanh": np.tanh, "logistic": logistic}


# ------------------------------------------------------------------ feature extraction


def hidden_layer_output(model, X: np.ndarray, n_layers: int) -> np.ndarray:
    """Activations of hidden layer ``n_layers`` (1-based) of a fitted scikit-learn MLP.

    ``X``: ``(n_samples, n_features)``. Returns ``(n_samples, hidden_layer_sizes[n_layers-1])``
    computed as ``h_k = act(h_{k-1} @ coefs_[k-1] + intercepts_[k-1])`` for ``k = 1..n_layers``
    with ``act = model.activation`` applied at *every* layer, each with its *own* bias.
    """
    n_hidden = len(model.coefs_) - 1
    if not 1 <= n_layers <= n_hidden:
        raise ValueError(f"n_layers must be between 1 and {n_hidden}, got {n_layers}")
    act = HIDDEN_ACTIVATIONS[model.activation]
    layer = np.asarray(X, dtype=model.coefs_[0].dtype)
    for weights, bias in zip(model.coefs_[:n_layers], model.intercepts_[:n_layers], strict=True):
        layer = act(layer @ weights + bias)
    return layer


def bottleneck_layer(model) -> int:
    """1-based index of the narrowest hidden layer (3 for ``(128, 64, 32, 64, 128)``)."""
    widths = [weights.shape[1] for weights in model.coefs_[:-1]]
    return int(np.argmin(widths)) + 1


def bottleneck_features(model, X: np.ndarray) -> np.ndarray:
    """``(n_samples, 32)`` activations of the autoencoder's bottleneck layer for ``X``."""
    return hidden_layer_output(model, X, bottleneck_layer(model))


def original_get_feature_vectors(
    model, data: np.ndarray, layer_index: int = 2, bias: str = "as_written"
) -> np.ndarray:
    """The original submission's extractor, reproduced to show what it computes.

    Its loop was ``out = out @ coefs_[i] + model.intercept_`` for ``i = 0, 1, 2`` and applied
    the activation only when ``i == layer_index`` (then stopped). ``bias`` selects:

    ``"as_written"``
        ``model.intercept_``: MLPRegressor has no such attribute (it is ``intercepts_``),
        so this raises :class:`AttributeError` on the first layer.
    ``"all_intercepts"``
        ``model.intercepts_`` (the *list* of all six bias vectors) added to a layer: NumPy
        cannot turn the ragged list into an array, so this raises :class:`ValueError`.
    ``"own_layer"``
        ``model.intercepts_[i]``: the nearest version that runs. It still applies the
        activation only after the third layer, so for ``relu`` the first two layers stay
        linear and the result differs from the network's real bottleneck; for ``identity``
        (a linear network) it happens to be right.
    """
    layer_output = data
    for i, layer_weights in enumerate(model.coefs_):
        if bias == "as_written":
            added = model.intercept_
        elif bias == "all_intercepts":
            added = model.intercepts_  # a list: ndarray + list converts it with np.asarray
        elif bias == "own_layer":
            added = model.intercepts_[i]
        else:
            raise ValueError(f"unknown bias mode {bias!r}")
        layer_output = layer_output @ layer_weights + added
        if i == layer_index:
            if model.activation == "relu":
                layer_output = np.maximum(0, layer_output)
            break
    return layer_output


# ------------------------------------------------------------------ estimators


def make_autoencoder(
    activation: str, *, seed: int, learning_rate: float = LEARNING_RATE
) -> MLPRegressor:
    """The ``(128, 64, 32, 64, 128)`` MLPRegressor (adam), to be trained one epoch per call.

    ``random_state`` is a seeded ``np.random.RandomState`` rather than an int: scikit-learn
    re-creates its generator from an int at every ``partial_fit`` call, so every epoch after
    the first would reuse one and the same mini-batch order. A generator object is kept
    between calls, so each epoch draws a fresh shuffle (and a new estimator built with the
    same seed repeats the run exactly). Batch size: scikit-learn's default
    ``min(200, n_samples)``, as in the original.
    """
    return MLPRegressor(
        hidden_layer_sizes=AUTOENCODER_LAYERS,
        activation=activation,
        solver="adam",
        learning_rate_init=learning_rate,
        random_state=np.random.RandomState(seed),
    )


def replay_original_epoch_loop(
    activation: str,
    X_train: np.ndarray,
    n_calls: int,
    *,
    seed: int,
    learning_rate: float = LEARNING_RATE,
) -> dict:
    """The original's autoencoder "epoch" loop, run ``n_calls`` times, to show what it did.

    It built ``MLPRegressor(..., max_iter=1, random_state=42)`` *without* ``warm_start`` and
    called ``fit`` once per "epoch". Without ``warm_start`` each ``fit`` re-initialises the
    weights, from the same seed, and trains one epoch: every call yields the same network.
    Returns ``{"train_mse": [MSE after each call], "convergence_warnings": count,
    "model": the network after the last call}``.
    """
    model = MLPRegressor(
        hidden_layer_sizes=AUTOENCODER_LAYERS,
        activation=activation,
        solver="adam",
        max_iter=1,
        learning_rate_init=learning_rate,
        random_state=seed,
    )
    train_mse = []
    with counting_convergence_warnings() as convergence:
        for _ in range(n_calls):
            model.fit(X_train, X_train)
            train_mse.append(float(np.mean((X_train - model.predict(X_train)) ** 2)))
    return {"train_mse": train_mse, "convergence_warnings": len(convergence), "model": model}


def make_feature_classifier(
    max_iter: int, *, seed: int, learning_rate: float = LEARNING_RATE
) -> MLPClassifier:
    """``MLPClassifier((32, 32))``, adam, ``learning_rate``, up to ``max_iter`` epochs."""
    return MLPClassifier(
        hidden_layer_sizes=FEATURE_CLASSIFIER_LAYERS,
        solver="adam",
        learning_rate_init=learning_rate,
        max_iter=max_iter,
        random_state=seed,
    )


def fit_reporting_convergence(estimator, X: np.ndarray, y: np.ndarray) -> dict:
    """``estimator.fit(X, y)``, catching its ConvergenceWarning instead of printing it.

    Returns ``{"n_iter": epochs run, "converged": bool}``: ``converged`` is False exactly
    when scikit-learn warned that ``max_iter`` was reached before its stopping rule
    (training loss not improving by ``tol`` for ``n_iter_no_change`` epochs) fired.
    Any other warning is re-issued unchanged.
    """
    with counting_convergence_warnings() as convergence:
        estimator.fit(X, y)
    return {"n_iter": int(estimator.n_iter_), "converged": not convergence}


def split_accuracies(
    estimator, splits: Mapping[str, tuple[np.ndarray, np.ndarray]]
) -> dict[str, float]:
    """``{split: accuracy}`` of a fitted classifier on each ``split -> (X, y)``."""
    return {name: float(accuracy_score(y, estimator.predict(X))) for name, (X, y) in splits.items()}


def train_and_score(
    features: Mapping[str, np.ndarray],
    labels: Mapping[str, np.ndarray],
    max_iter: int,
    learning_rate: float,
    seed: int,
) -> tuple[MLPClassifier, dict]:
    """Fit :func:`make_feature_classifier` on ``features["train"]`` and score every split.

    ``features`` and ``labels``: ``split -> (n, d)`` inputs and ``split -> (n,)`` labels with
    the same keys, including ``"train"``. Returns the classifier and
    ``{"n_iter", "converged", "<split>_accuracy" for each split}``.
    """
    classifier = make_feature_classifier(max_iter, seed=seed, learning_rate=learning_rate)
    summary = fit_reporting_convergence(classifier, features["train"], labels["train"])
    scores = split_accuracies(
        classifier, {split: (features[split], labels[split]) for split in features}
    )
    summary.update({f"{split}_accuracy": accuracy for split, accuracy in scores.items()})
    return classifier, summary


def train_and_score_all(
    inputs: Mapping[str, Mapping[str, np.ndarray]],
    labels: Mapping[str, np.ndarray],
    max_iter: int,
    learning_rate: float = LEARNING_RATE,
    *,
    seed: int,
    n_jobs: int = -1,
) -> dict[str, tuple[MLPClassifier, dict]]:
    """:func:`train_and_score` for every ``name -> features`` of ``inputs``, as independent
    tasks (:func:`helpers.parallel.run_tasks`: local processes with one BLAS thread each,
    or a Dask cluster). Returns ``{name: (classifier, summary)}`` in ``inputs``'s order."""
    from helpers.parallel import run_tasks

    tasks = {name: (x, labels, max_iter, learning_rate, seed) for name, x in inputs.items()}
    return run_tasks(train_and_score, tasks, n_jobs=n_jobs)


def train_autoencoder(
    activation: str,
    n_epochs: int,
    seed: int,
    *,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
) -> tuple[MLPRegressor, pd.DataFrame, str]:
    """One :func:`make_autoencoder` trained ``n_epochs`` epochs (an independent task).

    Images ``(n, 784)`` in [0, 1]; the labels come with the shared splits and are unused.
    Returns the model, its reconstruction MSE on every split after every epoch
    (:func:`helpers.fashion.train_epochs`, columns ``<split>_loss``) and the progress lines
    it printed, for the caller to show.
    """
    model = make_autoencoder(activation, seed=seed)
    images = {"train": X_train, "validation": X_val, "test": X_test}
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        history = train_epochs(
            model,
            X_train,
            X_train,
            n_epochs,
            {split: (X, X) for split, X in images.items()},
            label=f"autoencoder {activation:8s}",
        )
    return model, history, log.getvalue()


def train_autoencoders(
    activations: Sequence[str], n_epochs: int, splits: Splits, *, seed: int, n_jobs: int = -1
) -> dict[str, tuple[MLPRegressor, pd.DataFrame]]:
    """:func:`train_autoencoder` for every activation, as independent tasks; prints their
    progress lines in ``activations``'s order. Returns ``{activation: (model, history)}``."""
    from helpers.parallel import run_tasks

    results = run_tasks(
        train_autoencoder,
        {activation: (activation, n_epochs, seed) for activation in activations},
        shared=splits.arrays(),
        n_jobs=n_jobs,
    )
    for _, _, log in results.values():
        print(log, end="")
    return {activation: (model, history) for activation, (model, history, _) in results.items()}


def fit_pca(X_train: np.ndarray, n_components: int = PCA_COMPONENTS, *, seed: int) -> PCA:
    """PCA with ``n_components`` fitted on the training split only."""
    return PCA(n_components=n_components, random_state=seed).fit(X_train)


def reconstruction_mse(model, X: np.ndarray) -> np.ndarray:
    """Per-image mean squared reconstruction error ``mean_j (X_ij - model(X)_ij)^2``, ``(n,)``."""
    return np.mean((X - model.predict(X)) ** 2, axis=1)


# ------------------------------------------------------------------ tables

#: Row labels of :func:`reconstruction_table`'s two references.
PCA_ROW = "PCA-32 (best linear 32-number code)"
MEAN_ROW = "mean training image (no code)"


def replay_table(replays: Mapping[str, Mapping]) -> pd.DataFrame:
    """One row per activation of :func:`replay_original_epoch_loop` results.

    Columns: the training MSE after each ``fit`` call (shown behind ``≈``), how many
    distinct values those are, the calls and the ConvergenceWarnings caught.
    """
    rows = {}
    for activation, replay in replays.items():
        mse = replay["train_mse"]
        rows[activation] = {
            "train MSE after each fit call": ", ".join(approx(v, ".6f") for v in mse),
            "distinct values": len(set(mse)),
            "fit calls": len(mse),
            "ConvergenceWarnings": replay["convergence_warnings"],
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "original loop"
    return table


def reconstruction_table(
    histories: Mapping[str, pd.DataFrame],
    pca: PCA,
    eval_sets: Mapping[str, tuple[np.ndarray, np.ndarray]],
    X_train: np.ndarray,
) -> pd.DataFrame:
    """Reconstruction MSE per split: each autoencoder after its last epoch, PCA and the mean.

    ``histories``: ``activation -> DataFrame`` with ``<split>_loss`` columns (one row per
    epoch); ``eval_sets``: ``split -> (X, y)``. Rows: the activations, :data:`PCA_ROW`
    (project onto ``pca``'s components and back) and :data:`MEAN_ROW` (every image
    predicted by the mean training image). Columns: the splits.
    """
    table = pd.DataFrame(
        {activation: history.iloc[-1] for activation, history in histories.items()}
    ).T
    table.columns = [column.removesuffix("_loss") for column in table.columns]
    table.loc[PCA_ROW] = {
        name: float(np.mean((X - pca.inverse_transform(pca.transform(X))) ** 2))
        for name, (X, _) in eval_sets.items()
    }
    table.loc[MEAN_ROW] = {
        name: float(np.mean((X - X_train.mean(axis=0)) ** 2)) for name, (X, _) in eval_sets.items()
    }
    table.index.name = f"reconstruction MSE after {len(next(iter(histories.values())))} epochs"
    return table


def original_extractor_errors(model, X: np.ndarray) -> dict[str, str]:
    """``{bias mode: "ErrorType: message"}`` for the original extractor's two forms that fail
    (``"as_written"`` and ``"all_intercepts"`` of :func:`original_get_feature_vectors`)."""
    errors = {}
    for bias in ("as_written", "all_intercepts"):
        try:
            original_get_feature_vectors(model, X, bias=bias)
        except (AttributeError, ValueError) as error:
            errors[bias] = f"{type(error).__name__}: {error}"
        else:
            errors[bias] = "ran"
    return errors


def extractor_comparison(models: Mapping[str, object], X: np.ndarray) -> pd.DataFrame:
    """The bottleneck extractors compared on ``X``, one row per trained autoencoder.

    Columns: ``vs scikit-learn`` (largest absolute difference between
    :func:`bottleneck_features` and scikit-learn's own ``_forward_pass``; 0 when they
    agree) and ``original (own-layer bias) vs ours`` (the same for the original's loop made
    runnable, ``bias="own_layer"``).
    """
    rows = {}
    for activation, model in models.items():
        ours = bottleneck_features(model, X)
        layers = model._forward_pass([X] + [None] * (model.n_layers_ - 1))
        buggy = original_get_feature_vectors(model, X, bias="own_layer")
        rows[activation] = {
            "vs scikit-learn": float(np.max(np.abs(ours - layers[bottleneck_layer(model)]))),
            "original (own-layer bias) vs ours": float(np.max(np.abs(buggy - ours))),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "max |difference| of the bottleneck"
    return table


def bottleneck_statistics(features: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Mean, standard deviation and dead units of each ``name -> (n, units)`` feature array.

    A *dead* unit is one that is exactly 0 on every row (a relu unit whose input is never
    positive on these images).
    """
    rows = {
        name: {
            "mean": float(values.mean()),
            "std": float(values.std()),
            "units": values.shape[1],
            "units 0 on every image": int(np.sum(np.all(values == 0, axis=0))),
        }
        for name, values in features.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "bottleneck on the training images"
    return table


def accuracy_table(summaries: Mapping[str, Mapping]) -> pd.DataFrame:
    """``name -> summary`` of :func:`train_and_score` as a table.

    Columns ``train``, ``validation``, ``test`` (accuracies, floats), ``epochs`` (``n_iter``)
    and ``converged``.
    """
    table = pd.DataFrame(
        {
            name: {
                "train": float(s["train_accuracy"]),
                "validation": float(s["validation_accuracy"]),
                "test": float(s["test_accuracy"]),
                "epochs": int(s["n_iter"]),
                "converged": bool(s["converged"]),
            }
            for name, s in summaries.items()
        }
    ).T
    table = table.astype(
        {"train": float, "validation": float, "test": float, "epochs": int, "converged": bool}
    )
    table.index.name = "classifier input"
    return table


def correct_answers(accuracy: float, n_images: int) -> tuple[float, bool]:
    """``accuracy * n_images`` and whether it is a whole number of correct answers.

    An accuracy measured on ``n`` images is ``k / n`` for a whole ``k``; a reported
    accuracy that gives a fractional ``k`` was not measured on ``n`` images.
    """
    count = accuracy * n_images
    return count, abs(count - round(count)) < 1e-6


def comparison_table(
    original: Mapping[str, Sequence[float]],
    replayed: Mapping[str, Mapping],
    ours: Mapping[str, Mapping],
    reasons: Mapping[str, str],
) -> pd.DataFrame:
    """The original's reported accuracies beside the replay of its code and ours.

    ``original``: ``activation -> (train, validation, test)`` accuracies in [0, 1];
    ``replayed`` and ``ours``: ``activation -> summary`` of :func:`train_and_score`;
    ``reasons``: ``activation -> why ours differs``. Trained values are shown behind ``≈``.
    """
    splits = ("train", "validation", "test")

    def triple(summary):
        return " / ".join(approx(summary[f"{split}_accuracy"]) for split in splits)

    rows = {
        f"{activation} features: train / validation / test accuracy": {
            "original": " / ".join(f"{value:.4f}" for value in reported),
            "exported code, replayed": triple(replayed[activation]),
            "ours": triple(ours[activation]),
            "reason for the difference": reasons[activation],
        }
        for activation, reported in original.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "quantity"
    return table


def whole_answers_table(original: Mapping[str, Sequence[float]], sizes=(6_400, 8_000)):
    """For each activation's reported *training* accuracy: ``accuracy x n`` for each ``n``
    of ``sizes`` and whether it is whole (:func:`correct_answers`)."""
    rows = {}
    for activation, (train_accuracy, *_) in original.items():
        for n in sizes:
            count, whole = correct_answers(train_accuracy, n)
            rows[(activation, f"{n:,} images")] = {
                "correct answers": round(count, 4),
                "whole": whole,
            }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.names = ["original training accuracy", "measured on"]
    return table


def seed_moves(
    group: str,
    names: Sequence[str],
    metric: str,
    *,
    notebook: str = "06_fashion_autoencoder_features",
    tolerances: Mapping | None = None,
) -> dict[str, float]:
    """How far the re-runs with other seeds moved ``<group>/<name>/<metric>``, for each name.

    Read from the tolerance measurement's record (``results/tolerances.json`` through
    :func:`helpers.results.load_tolerances_document`, or the already-loaded
    ``tolerances`` mapping): the largest move of each value of ``notebook`` over the seed
    variants (``seed-1``, ``seed-2``, ...). Returns ``{name: absolute move}``; raises
    ``KeyError`` naming the value when no seed variant moved it.
    """
    if tolerances is None:
        from helpers.results import load_tolerances_document

        tolerances = load_tolerances_document()
    values = tolerances["notebooks"][notebook]
    moves = {}
    for name in names:
        leaf = f"{group}/{name}/{metric}"
        seeds = [m for variant, m in values[leaf]["moves"].items() if variant.startswith("seed-")]
        if not seeds:
            raise KeyError(f"{leaf}: no seed variant recorded in the tolerances")
        moves[name] = float(max(seeds))
    return moves


# ------------------------------------------------------------------ figures


def plot_mse_curves(histories: Mapping[str, pd.DataFrame], title: str = ""):
    """One panel per activation: train/validation/test MSE per epoch (log scale).

    ``histories``: ``activation -> DataFrame`` from :func:`helpers.fashion.train_epochs`
    with columns ``train_loss``, ``validation_loss``, ``test_loss``. Returns the figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(histories), figsize=(6 * len(histories), 4), sharey=True, squeeze=False
    )
    for ax, (activation, history) in zip(axes[0], histories.items(), strict=True):
        for split in ("train", "validation", "test"):
            ax.plot(history.index, history[f"{split}_loss"], label=split)
        ax.set_yscale("log")
        ax.set_xlabel("epoch (one partial_fit call each)")
        ax.set_ylabel("reconstruction MSE")
        ax.set_title(f"autoencoder, {activation} activation")
        ax.legend()
        ax.grid(True, which="both", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_reconstructions(
    originals: np.ndarray,
    reconstructions: Mapping[str, np.ndarray],
    labels: np.ndarray,
    class_names,
    n: int = 10,
):
    """Grid: the first ``n`` originals (titled with class names), then one row per model.

    Each reconstruction is titled with its own MSE; pixels are shown clipped to [0, 1].
    Returns the figure.
    """
    import matplotlib.pyplot as plt

    rows = 1 + len(reconstructions)
    fig, axes = plt.subplots(rows, n, figsize=(1.5 * n, 1.75 * rows), squeeze=False)
    images = {"original": originals[:n]}
    images.update({name: recon[:n] for name, recon in reconstructions.items()})
    for row, (name, block) in enumerate(images.items()):
        for col in range(n):
            ax = axes[row, col]
            ax.imshow(np.clip(block[col], 0, 1).reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(class_names[int(labels[col])], fontsize=8)
            else:
                mse = float(np.mean((originals[col] - block[col]) ** 2))
                ax.set_title(f"MSE {mse:.3f}", fontsize=8)
            if col == 0:
                ax.set_ylabel(name, fontsize=9)
    fig.suptitle("Test images (top) and their autoencoder reconstructions")
    fig.tight_layout()
    return fig


def plot_training_loss(curves: Mapping[str, list[float]], title: str = ""):
    """Training log-loss per epoch (scikit-learn's ``loss_curve_``) of several classifiers.

    ``curves``: ``name -> loss_curve_``. Returns the figure.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training log-loss (+ L2 penalty)")
    ax.set_title(title or "MLPClassifier((32, 32)) training loss")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def plot_accuracy_bars(table: pd.DataFrame, title: str = ""):
    """Grouped bars: one group per row of ``table`` (feature set), one bar per column (split).

    ``table`` holds accuracies in [0, 1]. Returns the figure.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(table.columns)
    positions = np.arange(len(table.index))
    for offset, column in enumerate(table.columns):
        bars = ax.bar(positions + offset * width, table[column], width, label=column)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_xticks(positions + width * (len(table.columns) - 1) / 2, table.index)
    ax.set_ylim(0, 1)
    ax.set_xlabel("classifier input")
    ax.set_ylabel("accuracy")
    ax.set_title(title or "MLPClassifier((32, 32)) accuracy by input features")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
