"""Notebook 07, experiment 2: the autoencoder of notebook 06 with bottlenecks of 8 to 256.

The original wrote that reconstruction "will saturate" once the bottleneck passes about
100 units. Notebook 06's autoencoder has hidden layers ``(128, 64, 32, 64, 128)``; with a
middle layer wider than 64 its 64-unit neighbours would be the real bottleneck, so the
sweep widens the neighbours with it (:func:`layers_for`): the middle layer is always the
narrowest. Everything else is notebook 06's (:func:`helpers.autoencoder.make_autoencoder`:
adam, a seeded generator, relu, one ``partial_fit`` per epoch), except the learning rate
(:data:`LEARNING_RATE`) and the batch size (:data:`BATCH_SIZE`).

Each (bottleneck, seed) is one task (:func:`train_bottleneck`): train the autoencoder,
measure its reconstruction error on every split, then train notebook 06's
``MLPClassifier((32, 32))`` on the bottleneck codes. :func:`pca_reconstruction_mse` gives
the best *linear* code of each width as a reference, and :func:`saturation_verdict`
decides the claim by a rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers import autoencoder as ae
from helpers.data import Splits
from helpers.experiments import derived_tolerance, verdict
from helpers.fashion import train_epochs

#: Bottleneck widths of the sweep.
BOTTLENECKS = (8, 16, 32, 64, 128, 256)
#: Learning rate of the autoencoders and the classifiers: notebook 06's check rate (the top
#: of the original's grid). At the original's 2e-5 notebook 06's single autoencoder was
#: still far from converged after 100 epochs; a sweep at that rate would compare how fast
#: networks of different sizes train, not what their codes can hold.
LEARNING_RATE = ae.CHECK_LEARNING_RATE
#: Rows per adam step, instead of scikit-learn's ``min(200, n)``: four times the steps per
#: epoch for less than twice the time (measured), so the short sweep gets closer to the
#: errors the widths can reach.
BATCH_SIZE = 50
#: Reconstruction "saturates" past a width when doubling it (128 -> 256) lowers the test
#: reconstruction error by less than this fraction.
SATURATION_GAIN = 0.05
#: ... and classification on the codes when the doubling gains less than this accuracy.
ACCURACY_SATURATION_GAIN = 0.01
#: The doubling the claim is judged on (the original: "once it will cross 100").
JUDGED_DOUBLING = (128, 256)
#: Metrics each task reports.
METRICS = (
    "train_mse",
    "validation_mse",
    "test_mse",
    "classifier_train_accuracy",
    "classifier_validation_accuracy",
    "classifier_test_accuracy",
)


def layers_for(bottleneck: int) -> tuple[int, ...]:
    """Hidden layers with a middle layer of ``bottleneck`` units: notebook 06's
    ``(128, 64, 32, 64, 128)`` with 32 replaced, and each other layer at least as wide as
    the middle one (``(256, 256, 256, 256, 256)`` for 256)."""
    if bottleneck < 1:
        raise ValueError(f"bottleneck must be positive, got {bottleneck}")
    outer, inner = max(128, bottleneck), max(64, bottleneck)
    return (outer, inner, bottleneck, inner, outer)


def train_bottleneck(
    bottleneck: int,
    seed: int,
    classifier_seed: int,
    epochs: int,
    classifier_epochs: int,
    learning_rate: float = LEARNING_RATE,
    *,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
) -> dict:
    """One autoencoder of the sweep and the classifier on its codes (an independent task).

    Images ``(n, 784)`` in [0, 1], labels ``(n,)``. The relu autoencoder
    (:func:`layers_for`, batches of :data:`BATCH_SIZE`) trains ``epochs`` epochs; then
    come the mean squared reconstruction error of every split, the codes (its middle
    layer, ``(n, bottleneck)``), the units that are 0 on every training image, and
    notebook 06's classifier trained on the training codes for up to
    ``classifier_epochs`` epochs. Returns the :data:`METRICS`, ``dead_units``,
    ``classifier_epochs_run`` and the validation MSE after every epoch.
    """
    model = ae.make_autoencoder("relu", seed=seed, learning_rate=learning_rate)
    model.set_params(hidden_layer_sizes=layers_for(bottleneck), batch_size=BATCH_SIZE)
    history = train_epochs(model, X_train, X_train, epochs, {"validation": (X_val, X_val)})
    images = {"train": X_train, "validation": X_val, "test": X_test}
    labels = {"train": y_train, "validation": y_val, "test": y_test}
    result = {f"{s}_mse": float(ae.reconstruction_mse(model, X).mean()) for s, X in images.items()}
    middle = len(model.hidden_layer_sizes) // 2 + 1  # 1-based: layer 3 of 5
    codes = {s: ae.hidden_layer_output(model, X, middle) for s, X in images.items()}
    _, summary = ae.train_and_score(
        codes, labels, classifier_epochs, learning_rate=learning_rate, seed=classifier_seed
    )
    for split in images:
        result[f"classifier_{split}_accuracy"] = summary[f"{split}_accuracy"]
    result["classifier_epochs_run"] = summary["n_iter"]
    result["dead_units"] = int(np.sum(np.all(codes["train"] == 0, axis=0)))
    result["validation_curve"] = [float(v) for v in history["validation_loss"]]
    return result


def tasks(
    seeds: Sequence[int],
    classifier_seeds: Sequence[int],
    epochs: int,
    classifier_epochs: int,
    bottlenecks: Sequence[int] = BOTTLENECKS,
) -> dict[str, tuple]:
    """``{"k=256 seed=42": args of train_bottleneck}`` for every width and seed pair,
    the widest (slowest) first."""
    return {
        f"k={k} seed={seed}": (k, seed, classifier_seed, epochs, classifier_epochs)
        for k in sorted(bottlenecks, reverse=True)
        for seed, classifier_seed in zip(seeds, classifier_seeds, strict=True)
    }


def run(task_args: Mapping[str, tuple], splits: Splits, n_jobs: int = -1) -> dict[str, dict]:
    """:func:`train_bottleneck` for every task, in parallel (one BLAS thread each)."""
    from helpers.parallel import run_tasks

    return run_tasks(train_bottleneck, task_args, shared=splits.arrays(), n_jobs=n_jobs)


def records(results: Mapping[str, dict], task_args: Mapping[str, tuple]) -> pd.DataFrame:
    """One row per task: ``bottleneck, seed``, the :data:`METRICS`, ``dead_units`` and
    the last epoch's relative improvement of the validation MSE (``last_epoch_gain``),
    sorted by width and seed."""
    rows = []
    for key, (k, seed, *_) in task_args.items():
        result = results[key]
        curve = result["validation_curve"]
        gain = (curve[-2] - curve[-1]) / curve[-2] if len(curve) > 1 else float("nan")
        rows.append(
            {
                "bottleneck": int(k),
                "seed": int(seed),
                **{m: float(result[m]) for m in METRICS},
                "dead_units": int(result["dead_units"]),
                "last_epoch_gain": gain,
            }
        )
    return pd.DataFrame(rows).sort_values(["bottleneck", "seed"], ignore_index=True)


def pca_reconstruction_mse(
    X_train: np.ndarray, eval_sets: Mapping[str, np.ndarray], widths: Sequence[int] = BOTTLENECKS
) -> pd.DataFrame:
    """Mean squared error of the best linear code of each width: the projection onto the
    top ``k`` principal directions of ``X_train`` ``(n, d)`` (exact eigendecomposition of
    its covariance, no randomness). Rows: widths; columns: ``eval_sets`` names."""
    mean = X_train.mean(axis=0)
    centred = X_train - mean
    _, vectors = np.linalg.eigh(centred.T @ centred)
    vectors = vectors[:, ::-1]  # largest variance first
    table = {}
    for name, X in eval_sets.items():
        Z = X - mean
        table[name] = [
            float(np.mean((Z - (Z @ vectors[:, :k]) @ vectors[:, :k].T) ** 2)) for k in widths
        ]
    return pd.DataFrame(table, index=pd.Index(list(widths), name="bottleneck"))


def doubling_gains(values: pd.Series, lower_is_better: bool = True) -> pd.Series:
    """For a series indexed by width: the relative improvement of each doubling,
    ``(v[k] - v[2k]) / v[k]`` (errors) or ``v[2k] - v[k]`` (accuracies), indexed by
    ``"k -> 2k"``."""
    widths = [k for k in values.index if 2 * k in values.index]
    if lower_is_better:
        gains = [(values[k] - values[2 * k]) / values[k] for k in widths]
    else:
        gains = [values[2 * k] - values[k] for k in widths]
    return pd.Series(gains, index=[f"{k} -> {2 * k}" for k in widths], dtype=float)


def saturation_rule(mse_low: float, mse_high: float) -> str:
    """``"yes"`` when doubling the width lowers the error by less than
    :data:`SATURATION_GAIN` of it: reconstruction has saturated."""
    return "yes" if (mse_low - mse_high) / mse_low < SATURATION_GAIN else "no"


def accuracy_saturation_rule(accuracy_low: float, accuracy_high: float) -> str:
    """``"yes"`` when doubling the width gains less than :data:`ACCURACY_SATURATION_GAIN`."""
    return "yes" if accuracy_high - accuracy_low < ACCURACY_SATURATION_GAIN else "no"


def saturation_verdict(summary: pd.DataFrame, pca: pd.DataFrame) -> dict:
    """The claim judged on :data:`JUDGED_DOUBLING`, in the form of
    :func:`helpers.experiments.verdict`: from :func:`helpers.experiments.summarise` by
    ``bottleneck`` (means and their tolerances), the relative drop of the test MSE
    (:func:`saturation_rule`) and the gain of the classifier's test accuracy
    (:func:`accuracy_saturation_rule`); and the same drop of the best linear code
    (``pca``: :func:`pca_reconstruction_mse`, no training, so no tolerance)."""
    low, high = JUDGED_DOUBLING
    values, tolerances = {}, {}
    for name, metric in (("mse", "test_mse"), ("accuracy", "classifier_test_accuracy")):
        for width in (low, high):
            values[f"{name}_{width}"] = summary.loc[width, (metric, "mean")]
            tolerances[f"{name}_{width}"] = summary.loc[width, (metric, "tol_mean")]
    for width in (low, high):
        values[f"pca_mse_{width}"], tolerances[f"pca_mse_{width}"] = pca.loc[width, "test"], 0.0

    def reconstruction(**mse: float) -> str:
        return saturation_rule(mse[f"mse_{low}"], mse[f"mse_{high}"])

    def classification(**accuracy: float) -> str:
        return accuracy_saturation_rule(accuracy[f"accuracy_{low}"], accuracy[f"accuracy_{high}"])

    def linear(**mse: float) -> str:
        return saturation_rule(mse[f"pca_mse_{low}"], mse[f"pca_mse_{high}"])

    result = verdict(
        values,
        tolerances,
        {
            "reconstruction_saturates": (reconstruction, (f"mse_{low}", f"mse_{high}")),
            "classification_saturates": (
                classification,
                (f"accuracy_{low}", f"accuracy_{high}"),
            ),
            "linear_code_saturates": (linear, (f"pca_mse_{low}", f"pca_mse_{high}")),
        },
        settings={"threshold": SATURATION_GAIN, "accuracy_threshold": ACCURACY_SATURATION_GAIN},
    )
    v = result["values"]
    result["values"].update(
        {
            "reconstruction_gain": (v[f"mse_{low}"] - v[f"mse_{high}"]) / v[f"mse_{low}"],
            "accuracy_gain": v[f"accuracy_{high}"] - v[f"accuracy_{low}"],
            "linear_code_gain": (v[f"pca_mse_{low}"] - v[f"pca_mse_{high}"]) / v[f"pca_mse_{low}"],
        }
    )
    t = result["tolerances"]
    result["tolerances"].update(
        {
            "reconstruction_gain": derived_tolerance(
                lambda a, b: (a - b) / a,
                {"a": v[f"mse_{low}"], "b": v[f"mse_{high}"]},
                {"a": t[f"mse_{low}"], "b": t[f"mse_{high}"]},
            ),
            "accuracy_gain": t[f"accuracy_{low}"] + t[f"accuracy_{high}"],
            "linear_code_gain": 0.0,
        }
    )
    return result


def plot_sweep(summary: pd.DataFrame, pca: pd.DataFrame, reference_width: int = 32):
    """Two panels against the bottleneck width (log x): test reconstruction MSE of the
    autoencoders (mean ± std over seeds) and of the best linear code (PCA); test accuracy
    of the classifier on the codes. ``reference_width`` (notebook 06's) is marked."""
    import matplotlib.pyplot as plt

    widths = summary.index
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.errorbar(
        widths,
        summary[("test_mse", "mean")],
        yerr=summary[("test_mse", "std")],
        marker="o",
        capsize=3,
        label="relu autoencoder (mean ± std over seeds)",
    )
    left.plot(pca.index, pca["test"], marker="s", linestyle="--", label="PCA: best linear code")
    left.set_yscale("log")
    left.set_ylabel("test reconstruction MSE (log scale)")
    left.set_title("Reconstruction error")
    right.errorbar(
        widths,
        summary[("classifier_test_accuracy", "mean")],
        yerr=summary[("classifier_test_accuracy", "std")],
        marker="o",
        capsize=3,
        label="MLPClassifier((32, 32)) on the codes",
    )
    right.set_ylabel("test accuracy")
    right.set_title("Classifier on the bottleneck codes")
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(widths), [str(k) for k in widths])
        ax.axvline(reference_width, color="grey", linestyle=":", label="notebook 06's width")
        ax.set_xlabel("bottleneck width (units)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Autoencoder bottleneck sweep on Fashion-MNIST")
    fig.tight_layout()
    return fig
