"""Fashion-MNIST for the scikit-learn notebooks (04-06): splits, sample figure, epoch loop.

All three notebooks use the same data: the first ``fashion_n_train`` official
training images split 80/20 (stratified, fixed seed) into train/validation, and
the first ``fashion_n_test`` official test images, pixels scaled to [0, 1].
(The original took the first rows of the Kaggle CSV export, whose row order differs
from the official IDX files, so its 8,000/2,000 images are not the same images.)
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error
from sklearn.model_selection import train_test_split

from helpers.data import FASHION_CLASSES, Splits, load_fashion_mnist
from helpers.formatting import approx
from helpers.profiles import get_profile
from helpers.seeds import FASHION_SPLIT_SEED

VALIDATION_FRACTION = 0.2


@contextlib.contextmanager
def counting_convergence_warnings():
    """Count scikit-learn's ConvergenceWarning inside the block instead of printing it.

    With a fixed epoch budget "max_iter reached" is expected, not a fault: the block
    yields a list that, once the block ends, holds one entry per ConvergenceWarning.
    Every other warning is re-issued unchanged (it is not ours to hide).
    """
    convergence: list[warnings.WarningMessage] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield convergence
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            convergence.append(warning)
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def load_fashion_splits(profile: str, seed: int = FASHION_SPLIT_SEED) -> Splits:
    """The profile's Fashion-MNIST train/validation/test splits (see module docstring)."""
    sizes = get_profile(profile)
    (x_pool, y_pool), (x_test, y_test) = load_fashion_mnist(
        sizes["fashion_n_train"], sizes["fashion_n_test"]
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_pool, y_pool, test_size=VALIDATION_FRACTION, stratify=y_pool, random_state=seed
    )
    scale = 1.0 / 255.0
    return Splits(
        X_train=x_train * scale,
        y_train=y_train,
        X_val=x_val * scale,
        y_val=y_val,
        X_test=x_test * scale,
        y_test=y_test,
    )


def class_count_table(splits: Splits) -> pd.DataFrame:
    """Images per class (rows, named by :data:`helpers.data.FASHION_CLASSES`) in each split
    (columns ``train``, ``validation``, ``test``)."""
    return pd.DataFrame(
        {
            name: np.bincount(y, minlength=len(FASHION_CLASSES))
            for name, (_, y) in splits.eval_sets().items()
        },
        index=pd.Index(FASHION_CLASSES, name="class"),
    )


def plot_fashion_samples(
    images: np.ndarray,
    labels: np.ndarray,
    n: int = 20,
    cols: int = 10,
    title: str = "Fashion-MNIST samples",
):
    """Grid of the first ``n`` images, each titled with its class name; returns the figure."""
    import matplotlib.pyplot as plt

    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.5 * cols, 1.7 * rows))
    for ax, image, label in zip(np.ravel(axes), images[:n], labels[:n], strict=False):
        ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r")
        ax.set_title(FASHION_CLASSES[int(label)], fontsize=8)
    for ax in np.ravel(axes):
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _epoch_metrics(estimator, X, y, kind: str) -> dict[str, float]:
    if kind == "classifier":
        proba = estimator.predict_proba(X)
        predicted = estimator.classes_[np.argmax(proba, axis=1)]
        return {
            "loss": log_loss(y, proba, labels=estimator.classes_),
            "accuracy": accuracy_score(y, predicted),
        }
    return {"loss": mean_squared_error(y, estimator.predict(X))}


def train_epochs(
    estimator,
    X_train: np.ndarray,
    y_train: np.ndarray,
    n_epochs: int,
    eval_sets: Mapping[str, tuple[np.ndarray, np.ndarray]],
    label: str = "",
    report_every: int = 25,
) -> pd.DataFrame:
    """Train ``estimator`` one epoch per ``partial_fit`` call, recording metrics per epoch.

    ``partial_fit`` on the whole training set is one pass over it in mini-batches
    (shuffled when the estimator's ``shuffle`` is on), keeping the optimiser's state
    between calls: exactly one epoch of ``fit``, without refitting.

    Classifiers record log-loss and accuracy, regressors mean squared error, for each
    ``eval_sets`` entry ``name -> (X, y)``. Returns a DataFrame indexed by epoch
    (1..n_epochs) with columns ``<name>_loss`` (and ``<name>_accuracy``).
    Prints a deterministic progress line every ``report_every`` epochs.

    An integer ``random_state`` is replaced by ``np.random.RandomState(random_state)``
    (same seed): scikit-learn re-creates its generator from an int at every
    ``partial_fit`` call, so every epoch after the first would reuse one mini-batch order;
    a generator object keeps drawing, so each epoch gets a fresh shuffle, as in ``fit``.
    """
    if not isinstance(n_epochs, (int, np.integer)) or n_epochs < 1:
        raise ValueError(f"n_epochs must be a positive integer, got {n_epochs!r}")
    seed = getattr(estimator, "random_state", None)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        estimator.set_params(random_state=np.random.RandomState(seed))
    kind = "classifier" if hasattr(estimator, "predict_proba") else "regressor"
    classes = np.unique(y_train) if kind == "classifier" else None
    rows = []
    for epoch in range(1, n_epochs + 1):
        with warnings.catch_warnings():
            # partial_fit never claims convergence; there is nothing to warn about per epoch.
            warnings.simplefilter("ignore", ConvergenceWarning)
            if classes is not None and epoch == 1:
                estimator.partial_fit(X_train, y_train, classes=classes)
            else:
                estimator.partial_fit(X_train, y_train)
        row = {"epoch": epoch}
        for name, (X, y) in eval_sets.items():
            for metric, value in _epoch_metrics(estimator, X, y, kind).items():
                row[f"{name}_{metric}"] = float(value)
        rows.append(row)
        if label and (epoch % report_every == 0 or epoch == n_epochs):
            shown = ", ".join(f"{k} {approx(v)}" for k, v in row.items() if k != "epoch")
            print(f"{label} epoch {epoch:3d}/{n_epochs}: {shown}", flush=True)
    return pd.DataFrame(rows).set_index("epoch")
