"""scikit-learn MLPs on Fashion-MNIST: activation study (notebook 04), grid search (notebook 05).

Both notebooks use :func:`helpers.fashion.load_fashion_splits` for the data and take every
size and epoch count from the profile table; this module holds the fixed settings of the
two studies, the code that runs them, the tables and figures, and the original
submission's reported grid-search numbers (:func:`original_grid_table`).

Activation study
    ``MLPClassifier(hidden_layer_sizes=(128, 64, 32))``, adam, batch 128, learning rate
    2e-5, one epoch per ``partial_fit`` call (:func:`helpers.fashion.train_epochs`), for
    each of :data:`MLP_ACTIVATIONS`; per epoch the log-loss
    ``-(1/n) sum_i log p_i[y_i]`` and accuracy on train, validation and test.

Grid search
    :class:`~sklearn.model_selection.GridSearchCV` over :data:`PARAM_GRID` for the same
    network, scored by mean accuracy over stratified, shuffled folds, each fit running at
    most ``max_iter`` epochs of ``fit``.

Length: about 700 lines, over the repository's guide of 500, because the two studies
share one network, its settings and the original's reported numbers, and the notebooks'
tables are built here so that the notebooks show little code (issue 23); split, each half
would import the other's constants. :func:`original_grid_table` and the comparison helpers
are the part that would leave first, into the ledger (issue 11).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold
from sklearn.neural_network import MLPClassifier

from helpers import ledger
from helpers.fashion import counting_convergence_warnings, train_epochs
from helpers.formatting import approx, approx_choice, approx_frame
from helpers.parallel import run_tasks, task_backend

#: Hidden layers of every classifier in notebooks 04 and 05 (784 -> 128 -> 64 -> 32 -> 10).
HIDDEN_LAYERS = (128, 64, 32)
#: The four hidden-layer activations scikit-learn offers, in the original's order.
MLP_ACTIVATIONS = ("logistic", "tanh", "relu", "identity")
#: Optimiser settings of the activation study (the original's code; its text said 0.002).
ACTIVATION_STUDY_SETTINGS = {"solver": "adam", "batch_size": 128, "learning_rate_init": 2e-5}
#: The original's grid (3 x 3 x 2 = 18 candidates).
PARAM_GRID = {
    "solver": ["adam", "sgd"],
    "learning_rate_init": [2e-5, 1e-4, 1e-3],
    "batch_size": [32, 64, 128],
}
SPLITS = ("train", "validation", "test")
#: Validation accuracy that counts as "learned" in the activation study's speed measure.
SPEED_THRESHOLD = 0.80


# ------------------------------------------------------------------ activation study


def activation_classifier(activation: str, seed: int) -> MLPClassifier:
    """The activation study's ``(128, 64, 32)`` classifier for one hidden activation.

    ``random_state`` is ``np.random.RandomState(seed)``, not the int: with an int,
    scikit-learn re-seeds at every ``partial_fit`` call and every epoch after the first
    would visit the mini-batches in the same order.
    """
    if activation not in MLP_ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: choose one of {MLP_ACTIVATIONS}")
    return MLPClassifier(
        hidden_layer_sizes=HIDDEN_LAYERS,
        activation=activation,
        random_state=np.random.RandomState(seed),
        **ACTIVATION_STUDY_SETTINGS,
    )


def _train_one_activation(
    activation: str, n_epochs: int, seed: int, split_names: tuple, **arrays: np.ndarray
) -> pd.DataFrame:
    """One activation as a task of :func:`helpers.parallel.run_tasks`: split ``i`` of
    ``split_names`` arrives as the arrays ``X<i>`` and ``y<i>``."""
    eval_sets = {name: (arrays[f"X{i}"], arrays[f"y{i}"]) for i, name in enumerate(split_names)}
    X_train, y_train = eval_sets["train"]
    # No progress lines: this runs in a worker process, whose output order is not fixed.
    return train_epochs(
        activation_classifier(activation, seed), X_train, y_train, n_epochs, eval_sets, label=""
    )


def run_activation_study(
    eval_sets: Mapping[str, tuple[np.ndarray, np.ndarray]],
    n_epochs: int,
    activations: Sequence[str] = MLP_ACTIVATIONS,
    *,
    seed: int,
    n_jobs: int = -1,
) -> dict[str, pd.DataFrame]:
    """Train one classifier per activation for ``n_epochs`` epochs, as independent tasks.

    ``eval_sets``: ``{"train": (X, y), "validation": ..., "test": ...}`` (training uses
    ``"train"``). The tasks run through :func:`helpers.parallel.run_tasks`: ``n_jobs``
    local processes, or the Dask cluster of ``DASK_SCHEDULER_ADDRESS``, the arrays sent
    to each worker once. Each task runs single-threaded BLAS, which for matrices this
    small is faster than two threads per fit (:mod:`helpers.parallel` pins it). Every run
    is seeded, so the result does not depend on ``n_jobs`` or on where the tasks ran.

    Returns ``activation -> DataFrame`` (index ``epoch`` 1..n_epochs, columns
    ``<split>_loss`` and ``<split>_accuracy``), in the order of ``activations``.
    """
    missing = [name for name in SPLITS if name not in eval_sets]
    if missing:
        raise ValueError(f"eval_sets lacks {missing}")
    names = tuple(eval_sets)
    shared = {}
    for i, name in enumerate(names):
        shared[f"X{i}"], shared[f"y{i}"] = eval_sets[name]
    return run_tasks(
        _train_one_activation,
        {activation: (activation, n_epochs, seed, names) for activation in activations},
        shared=shared,
        n_jobs=n_jobs,
    )


def compare_epoch_mechanisms(
    X: np.ndarray, y: np.ndarray, n_calls: int, activation: str = "relu", *, seed: int
) -> pd.DataFrame:
    """The original's one-epoch-per-``fit`` loop next to ``partial_fit``, for ``n_calls`` calls.

    The original trained with ``fit`` on an ``MLPClassifier(max_iter=1, warm_start=True)``
    once per epoch. ``warm_start`` keeps the weights, but every ``fit`` call builds a new
    Adam optimiser -- its step count ``t`` and moment estimates ``m``, ``v`` restart at
    zero -- and ends with a ConvergenceWarning (``max_iter`` reached). ``partial_fit``
    keeps the optimiser, so ``n_calls`` calls are ``n_calls`` epochs of one Adam run with
    ``n_calls * ceil(n / batch_size)`` steps. Both models start from the same weights
    (same seeded generator, kept across calls).

    Returns one row per mechanism: ``calls``, ``adam_steps`` (the optimiser's ``t`` after
    the last call), ``steps_if_continuous``, ``convergence_warnings`` raised and the
    training log-loss ``-(1/n) sum_i log p_i[y_i]`` after the last call.
    """
    from sklearn.metrics import log_loss

    batch_size = ACTIVATION_STUDY_SETTINGS["batch_size"]
    steps_per_epoch = -(-len(y) // batch_size)
    refit = MLPClassifier(
        hidden_layer_sizes=HIDDEN_LAYERS,
        activation=activation,
        max_iter=1,
        warm_start=True,
        random_state=np.random.RandomState(seed),
        **ACTIVATION_STUDY_SETTINGS,
    )
    with counting_convergence_warnings() as convergence:
        for _ in range(n_calls):
            refit.fit(X, y)
    incremental = activation_classifier(activation, seed)
    for _ in range(n_calls):
        incremental.partial_fit(X, y, classes=np.unique(y))
    rows = [
        {
            "mechanism": "fit(max_iter=1, warm_start=True) per epoch (original)",
            "calls": n_calls,
            "adam_steps": refit._optimizer.t,
            "steps_if_continuous": n_calls * steps_per_epoch,
            "convergence_warnings": len(convergence),
            "train_log_loss": log_loss(y, refit.predict_proba(X), labels=refit.classes_),
        },
        {
            "mechanism": "partial_fit per epoch (this notebook)",
            "calls": n_calls,
            "adam_steps": incremental._optimizer.t,
            "steps_if_continuous": n_calls * steps_per_epoch,
            "convergence_warnings": 0,
            "train_log_loss": log_loss(
                y, incremental.predict_proba(X), labels=incremental.classes_
            ),
        },
    ]
    return pd.DataFrame(rows).set_index("mechanism")


def epochs_to_reach(history: pd.DataFrame, column: str, threshold: float) -> int | None:
    """First epoch at which ``history[column] >= threshold``; ``None`` if it never does."""
    reached = history.index[history[column].to_numpy() >= threshold]
    return int(reached[0]) if len(reached) else None


def accuracy_standard_error(accuracy: float, n: int) -> float:
    """Binomial standard error ``sqrt(a (1 - a) / n)`` of an accuracy ``a`` on ``n`` images.

    The sampling noise of one accuracy measured on a fixed model: differences between
    models smaller than about twice this are not resolved by an evaluation set of size n.
    """
    if n < 1 or not 0.0 <= accuracy <= 1.0:
        raise ValueError(f"need 0 <= accuracy <= 1 and n >= 1, got {accuracy!r}, {n!r}")
    return float(np.sqrt(accuracy * (1.0 - accuracy) / n))


def final_epoch_table(
    histories: Mapping[str, pd.DataFrame], accuracy_threshold: float | None = None
) -> pd.DataFrame:
    """Last-epoch metrics per activation, best validation accuracy first.

    Columns: ``rank`` (1 = highest final validation accuracy), ``<split>_loss`` and
    ``<split>_accuracy`` for train/validation/test and, with ``accuracy_threshold``,
    ``epochs_to_threshold`` (first epoch with validation accuracy >= threshold, NaN if
    never). Index: activation.
    """
    rows = {}
    for name, history in histories.items():
        row = history.iloc[-1].to_dict()
        if accuracy_threshold is not None:
            reached = epochs_to_reach(history, "validation_accuracy", accuracy_threshold)
            row["epochs_to_threshold"] = np.nan if reached is None else reached
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "activation"
    columns = [f"{split}_{metric}" for metric in ("loss", "accuracy") for split in SPLITS]
    if accuracy_threshold is not None:
        columns.append("epochs_to_threshold")
    table = table[columns].sort_values("validation_accuracy", ascending=False, kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def plateau_epochs(loss: pd.Series, level: float = float(np.log(10)), margin: float = 0.05) -> int:
    """Leading epochs before ``loss`` first falls more than ``margin`` below ``level``.

    ``level`` defaults to ``ln 10``, the log-loss of a 10-class model that predicts the
    class shares (chance). Returns ``len(loss)`` if the loss never gets that far down.
    """
    below = (level - loss.to_numpy()) > margin
    return int(np.argmax(below)) if below.any() else len(loss)


def activation_results(
    histories: Mapping[str, pd.DataFrame], threshold: float = SPEED_THRESHOLD
) -> dict[str, dict]:
    """The activation study's trained results as its results file stores them.

    ``final_epoch``: ``activation -> {<split>_<metric>: value}`` of the last epoch,
    rounded to 6 decimals; ``epochs_to_threshold``: ``activation -> `` first epoch with
    validation accuracy >= ``threshold`` (``None``: never). The ledger's rules on the
    original's sentences read these keys (:func:`ledger_verdicts`).
    """
    return {
        "final_epoch": {
            name: {key: round(float(value), 6) for key, value in history.iloc[-1].items()}
            for name, history in histories.items()
        },
        "epochs_to_threshold": {
            name: epochs_to_reach(history, "validation_accuracy", threshold)
            for name, history in histories.items()
        },
    }


def ledger_verdicts(group: str, results: Mapping, profile: str) -> pd.DataFrame:
    """The ledger's verdict on each of the original's sentences of ``group``, one row each.

    ``results``: the (part of the) notebook's results payload the group's rules read.
    Column ``verdict``: ``consistent``, or ``not consistent`` with the ledger's reason,
    written as a trained outcome (``≈[...]``): another machine may decide it otherwise.
    """
    rows = {}
    for entry in ledger.group_entries(group):
        row = ledger.compare(entry, results, profile)
        said = f"; {row.reason}" if row.reason and not row.agrees else ""
        rows[entry.description] = approx_choice(row.status + said)
    table = pd.DataFrame({"verdict": pd.Series(rows)})
    table.index.name = "the original's observation"
    return table


def plot_curves(
    histories: Mapping[str, pd.DataFrame],
    metric: str,
    splits: Sequence[str] = SPLITS,
    ylabel: str | None = None,
    title: str = "",
    logy: bool = False,
):
    """One panel per split, one labelled line per history: ``<split>_<metric>`` per epoch.

    ``histories``: ``name -> DataFrame`` from :func:`helpers.fashion.train_epochs` (index:
    epoch). Panels share the y axis so the splits compare directly. Returns the figure.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, len(splits), figsize=(5 * len(splits), 4), sharey=True, squeeze=False
    )
    for ax, split in zip(axes[0], splits, strict=True):
        for name, history in histories.items():
            ax.plot(history.index, history[f"{split}_{metric}"], label=name)
        if logy:
            ax.set_yscale("log")
        ax.set_title(f"{split} {metric}")
        ax.set_xlabel("epoch (one partial_fit call each)")
        ax.set_ylabel(ylabel or metric)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------ grid search


def epochs_run(estimator, X=None, y=None) -> float:
    """Scorer that reports how many epochs a fitted MLP ran (its ``n_iter_``).

    Used as a second ``scoring`` entry of the grid search, so ``cv_results_`` records per
    fit whether training stopped early (training loss improved by less than ``tol`` for
    ``n_iter_no_change`` epochs) or ran all ``max_iter`` epochs (the fits that raise
    scikit-learn's ConvergenceWarning).
    """
    return float(estimator.n_iter_)


def make_grid_search(
    n_folds: int,
    n_epochs: int,
    *,
    seed: int,
    cv_seed: int,
    n_jobs: int = -1,
) -> GridSearchCV:
    """The original's grid search, seeded: :data:`PARAM_GRID` x ``n_folds`` stratified folds.

    Every fit is ``MLPClassifier((128, 64, 32), max_iter=n_epochs, random_state=seed)``
    with the candidate's solver, learning rate and batch size (everything else at
    scikit-learn's defaults, as in the original). An int ``random_state`` is right here:
    each ``fit`` draws its initial weights and shuffles from one fresh generator. Scores:
    ``accuracy`` (selects the best candidate, which is refitted on all the data) and
    :func:`epochs_run`.
    """
    estimator = MLPClassifier(
        hidden_layer_sizes=HIDDEN_LAYERS, max_iter=n_epochs, random_state=seed
    )
    return GridSearchCV(
        estimator,
        PARAM_GRID,
        scoring={"accuracy": "accuracy", "epochs_run": epochs_run},
        refit="accuracy",
        cv=StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=cv_seed),
        n_jobs=n_jobs,
    )


def fit_silencing_convergence_warnings(estimator, X: np.ndarray, y: np.ndarray):
    """``estimator.fit(X, y)`` with ConvergenceWarning silenced, in worker processes too.

    For a fixed epoch budget, "max_iter reached" is expected, not a fault. For a
    :class:`GridSearchCV`, scikit-learn's ``Parallel`` hands the caller's warning filters
    to its workers, so the filter set here also applies inside the joblib workers (loky
    processes, or Dask workers with ``X`` and ``y`` sent to each once:
    :func:`helpers.parallel.task_backend`). The fits that stop at ``max_iter`` are
    counted instead: from the :func:`epochs_run` score (:func:`fits_at_max_iter`), or
    from ``n_iter_``. Other warnings are not silenced. Returns the fitted ``estimator``.
    """
    parallel = getattr(estimator, "n_jobs", None) not in (None, 1)  # a search, not one fit
    with warnings.catch_warnings(), task_backend(scatter=(X, y) if parallel else ()):
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        return estimator.fit(X, y)


def score_candidates(
    candidates: Sequence[int],
    X: np.ndarray,
    y: np.ndarray,
    n_folds: int,
    n_epochs: int,
    *,
    seed: int,
    cv_seed: int,
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Cross-validate only some candidates, exactly as :func:`make_grid_search` does.

    ``candidates``: positions in ``ParameterGrid(PARAM_GRID)`` (the ``candidate`` index of
    :func:`grid_results_table`). Same folds, initial weights and stopping rule as the
    full search, so on the same ``X`` the scores equal the full search's rows; on other
    inputs (e.g. unscaled pixels) only the inputs differ. No refit.

    Returns :func:`grid_results_table`'s columns without ``rank``, indexed by candidate
    in the order given.
    """
    grid = ParameterGrid(PARAM_GRID)
    search = make_grid_search(n_folds, n_epochs, seed=seed, cv_seed=cv_seed, n_jobs=n_jobs)
    search.set_params(
        param_grid=[{key: [value] for key, value in grid[i].items()} for i in candidates],
        refit=False,
    )
    fit_silencing_convergence_warnings(search, X, y)
    table = grid_results_table(search.cv_results_).sort_index()
    table.index = pd.Index([candidates[i] for i in table.index], name="candidate")
    return table.drop(columns="rank")


def _param_columns(cv_results: Mapping) -> pd.DataFrame:
    params = pd.DataFrame(list(cv_results["params"]))
    return params[["solver", "learning_rate_init", "batch_size"]]


def grid_results_table(cv_results: Mapping) -> pd.DataFrame:
    """The grid search's candidates, best first (ties: candidate order).

    Index ``candidate``: position in scikit-learn's ``ParameterGrid`` order (the row
    number of ``cv_results_``, as in the original's printout). Columns: ``solver``,
    ``learning_rate_init``, ``batch_size``, ``mean_cv_accuracy``, ``std_cv_accuracy``
    (population std over folds, as scikit-learn reports it), ``rank`` and
    ``mean_epochs_run`` (epochs per fit, averaged over folds). Fit times are left out:
    they vary from run to run (:func:`grid_fit_times`).
    """
    table = _param_columns(cv_results)
    table["mean_cv_accuracy"] = np.asarray(cv_results["mean_test_accuracy"], dtype=float)
    table["std_cv_accuracy"] = np.asarray(cv_results["std_test_accuracy"], dtype=float)
    table["rank"] = np.asarray(cv_results["rank_test_accuracy"], dtype=int)
    table["mean_epochs_run"] = np.asarray(cv_results["mean_test_epochs_run"], dtype=float)
    table.index.name = "candidate"
    return table.sort_values(["rank"], kind="stable")


def grid_fit_times(cv_results: Mapping) -> pd.DataFrame:
    """Mean and std fit time (seconds) per candidate, in :func:`grid_results_table` order."""
    table = _param_columns(cv_results)
    table["mean_fit_time_s"] = np.asarray(cv_results["mean_fit_time"], dtype=float)
    table["std_fit_time_s"] = np.asarray(cv_results["std_fit_time"], dtype=float)
    table.index.name = "candidate"
    order = np.argsort(np.asarray(cv_results["rank_test_accuracy"]), kind="stable")
    return table.iloc[order]


def fits_at_max_iter(cv_results: Mapping, max_iter: int) -> tuple[int, int]:
    """``(fits that ran all max_iter epochs, all fits)`` from the ``epochs_run`` scores."""
    split_keys = sorted(
        k for k in cv_results if k.startswith("split") and k.endswith("_test_epochs_run")
    )
    epochs = np.stack([np.asarray(cv_results[k], dtype=float) for k in split_keys])
    return int(np.sum(epochs >= max_iter)), int(epochs.size)


def stopping_summary(at_max: int, n_fits: int, refit_epochs: int, max_iter: int) -> str:
    """Two lines: how many CV fits ran all ``max_iter`` epochs, and the refit's epochs."""
    return (
        f"{approx(at_max, 'd')} of {n_fits} CV fits ran all {max_iter} epochs (each raised "
        f"the expected ConvergenceWarning, silenced); the other "
        f"{approx(n_fits - at_max, 'd')} stopped early by the tol rule.\n"
        f"The refit of the best candidate ran {approx(refit_epochs, 'd')} of at most "
        f"{max_iter} epochs."
    )


def show_grid_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`grid_results_table` for display: rows by candidate (a fixed order; the
    rank, a trained outcome, is a column), trained numbers behind ``≈``."""
    rows = table.sort_index()
    shown = approx_frame(rows, ["mean_cv_accuracy", "std_cv_accuracy", "rank"])
    return shown.assign(mean_epochs_run=rows["mean_epochs_run"].map(lambda v: approx(v, ".1f")))


def candidate_row(table: pd.DataFrame, params: Mapping) -> pd.Series:
    """The row of ``table`` (:func:`grid_results_table`) whose parameters are ``params``."""
    match = np.ones(len(table), dtype=bool)
    for key in ("solver", "learning_rate_init", "batch_size"):
        match &= (table[key] == params[key]).to_numpy()
    if match.sum() != 1:
        raise ValueError(f"{dict(params)} is not exactly one candidate of the table")
    return table[match].iloc[0]


def refit_test_accuracy(search: GridSearchCV, params: Mapping, X, y, X_test, y_test) -> float:
    """Test accuracy of the search's estimator with ``params``, refitted on ``X, y``.

    The search's own refit when ``params`` are its best parameters; otherwise a clone
    fitted the same way (same seed, same epoch budget).
    """
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score

    if dict(params) == dict(search.best_params_):
        model = search.best_estimator_
    else:
        model = fit_silencing_convergence_warnings(
            clone(search.estimator).set_params(**params), X, y
        )
    return float(accuracy_score(y_test, model.predict(X_test)))


def best_and_original_choice(
    table: pd.DataFrame, original_params: Mapping, test_accuracies: Sequence[float]
) -> pd.DataFrame:
    """The search's best candidate and the original's choice side by side.

    ``table``: :func:`grid_results_table` (best first); ``test_accuracies``: the refitted
    models' test accuracies, best candidate first. Trained numbers behind ``≈``.
    """
    best = table.iloc[0]
    choice = candidate_row(table, original_params)
    rows = {}
    for label, row, test in (
        ("best candidate here", best, test_accuracies[0]),
        ("the original's choice", choice, test_accuracies[1]),
    ):
        params = f"{row['solver']}, lr {row['learning_rate_init']:g}, batch {row['batch_size']}"
        rows[label] = {
            # which candidate is best is a trained outcome; the original's choice is fixed
            "parameters": approx_choice(params) if row is best else params,
            "rank": approx(int(row["rank"]), "d"),
            "mean_cv_accuracy": approx(row["mean_cv_accuracy"]),
            "std_cv_accuracy": approx(row["std_cv_accuracy"]),
            "test_accuracy": approx(test),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def heatmap_matrix(
    table: pd.DataFrame, solver: str, value: str = "mean_cv_accuracy"
) -> pd.DataFrame:
    """``value`` for one solver as a learning rate (rows) x batch size (columns) matrix."""
    rows = table[table["solver"] == solver]
    if rows.empty:
        raise ValueError(f"no candidate with solver {solver!r}")
    return rows.pivot(index="learning_rate_init", columns="batch_size", values=value)


def plot_grid_heatmaps(
    table: pd.DataFrame,
    value: str = "mean_cv_accuracy",
    label: str = "mean CV accuracy",
    title: str = "",
):
    """One annotated heatmap per solver (learning rate x batch size) on one colour scale.

    ``table``: :func:`grid_results_table` (or any table with ``solver``,
    ``learning_rate_init``, ``batch_size`` and ``value`` columns). Returns the figure.
    """
    import matplotlib.pyplot as plt

    solvers = list(dict.fromkeys(table["solver"]))
    low, high = float(table[value].min()), float(table[value].max())
    fig, axes = plt.subplots(1, len(solvers), figsize=(5.5 * len(solvers), 4), squeeze=False)
    for ax, solver in zip(axes[0], solvers, strict=True):
        matrix = heatmap_matrix(table, solver, value)
        image = ax.imshow(matrix.to_numpy(), cmap="viridis", vmin=low, vmax=high)
        ax.set_xticks(range(matrix.shape[1]), [str(b) for b in matrix.columns])
        ax.set_yticks(range(matrix.shape[0]), [f"{lr:g}" for lr in matrix.index])
        ax.set_xlabel("batch size")
        ax.set_ylabel("initial learning rate")
        ax.set_title(f"solver = {solver}")
        middle = (low + high) / 2
        for (i, j), cell in np.ndenumerate(matrix.to_numpy()):
            ax.text(
                j,
                i,
                f"{cell:.3f}",
                ha="center",
                va="center",
                color="black" if cell > middle else "white",
            )
        fig.colorbar(image, ax=ax, label=label)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --------------------------------------------------------- the original's grid search

#: The original's printed best parameters, and its CV set-up (5 folds, max_iter=100, all
#: 8,000 training images, no random_state anywhere), read from the ledger.
ORIGINAL_BEST_PARAMS = ledger.original("grid.best_params")
ORIGINAL_GRID_FOLDS = ledger.original("grid.folds")
ORIGINAL_GRID_EPOCHS = ledger.original("grid.max_epochs")


def original_grid_table() -> pd.DataFrame:
    """The original's grid-search printout (ledger ``grid.cNN.*``) in rank order.

    The printout (output of ``In [30]``) gives, per row, the mean and std of the 5-fold CV
    accuracy and the rank. Its ``params`` column was cut off after
    ``learning_rate_init``; the solver follows from scikit-learn's ``ParameterGrid``
    order (keys sorted, the last key -- ``solver``, ``["adam", "sgd"]`` -- varying
    fastest), which the printed best parameters confirm (row 14, rank 1: batch 128,
    learning rate 1e-4, adam). Same columns as :func:`grid_results_table`, without
    ``mean_epochs_run``.
    """
    params = pd.DataFrame(list(ParameterGrid(PARAM_GRID)))
    rows = [ledger.originals(f"grid.c{candidate:02d}") for candidate in range(len(params))]
    scores = pd.DataFrame(
        {
            "mean_cv_accuracy": [row["mean"] for row in rows],
            "std_cv_accuracy": [row["std"] for row in rows],
            "rank": [int(row["rank"]) for row in rows],
        }
    )
    table = pd.concat([params[["solver", "learning_rate_init", "batch_size"]], scores], axis=1)
    table.index.name = "candidate"
    return table.sort_values("rank", kind="stable")


def compare_with_original(ours: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    """Original and our mean/std CV accuracy and rank per candidate, in the original's rank order.

    Both inputs are indexed by ``candidate`` (:func:`grid_results_table`,
    :func:`original_grid_table`). ``difference`` = ours - original mean CV accuracy.
    """
    keys = ["solver", "learning_rate_init", "batch_size"]
    left = original[keys + ["mean_cv_accuracy", "std_cv_accuracy", "rank"]].rename(
        columns={
            "mean_cv_accuracy": "original_mean",
            "std_cv_accuracy": "original_std",
            "rank": "original_rank",
        }
    )
    right = ours[keys + ["mean_cv_accuracy", "std_cv_accuracy", "rank"]].rename(
        columns={"mean_cv_accuracy": "our_mean", "std_cv_accuracy": "our_std", "rank": "our_rank"}
    )
    merged = left.reset_index().merge(
        right.reset_index(), on=["candidate", *keys], validate="one_to_one"
    )
    merged["difference"] = merged["our_mean"] - merged["original_mean"]
    return merged.set_index("candidate").sort_values("original_rank", kind="stable")


#: Candidates that notebook 05 re-scores on unscaled (0-255) pixels: the two where the
#: original scored furthest below this notebook (batch 32, learning rate 1e-3, adam and
#: sgd) and the one where it scored furthest above (sgd, learning rate 2e-5, batch 128).
RAW_PIXEL_CHECK_CANDIDATES = (4, 5, 13)


def raw_pixel_comparison(
    raw: pd.DataFrame, ours: pd.DataFrame, original: pd.DataFrame
) -> pd.DataFrame:
    """Mean CV accuracy of the ``raw`` candidates: original, ours on [0, 1], ours on 0-255.

    ``raw``: :func:`score_candidates` on unscaled pixels; ``ours``:
    :func:`grid_results_table`; ``original``: :func:`original_grid_table`. Also lists the
    standard deviation and mean epochs run of the unscaled fits.
    """
    keys = ["solver", "learning_rate_init", "batch_size"]
    table = raw[keys].copy()
    table["original_mean"] = original.loc[raw.index, "mean_cv_accuracy"]
    table["original_std"] = original.loc[raw.index, "std_cv_accuracy"]
    table["our_mean_scaled"] = ours.loc[raw.index, "mean_cv_accuracy"]
    table["our_mean_unscaled"] = raw["mean_cv_accuracy"]
    table["our_std_unscaled"] = raw["std_cv_accuracy"]
    table["epochs_run_unscaled"] = raw["mean_epochs_run"]
    return table


def show_comparison(per_candidate: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_with_original` for display: ours behind ``≈``, the original's to 4
    decimals (as printed)."""
    ours = ["our_mean", "our_std", "our_rank", "difference"]
    return approx_frame(per_candidate, ours).round({"original_mean": 4, "original_std": 4})


def show_raw_pixel_comparison(raw_check: pd.DataFrame) -> pd.DataFrame:
    """:func:`raw_pixel_comparison` for display: ours behind ``≈``, the original's to 4
    decimals, epochs to 1 decimal."""
    ours = [c for c in raw_check.columns if c.startswith("our_")]
    original = {c: 4 for c in raw_check.columns if c.startswith("original_")}
    shown = approx_frame(raw_check, ours).round(original)
    return shown.assign(
        epochs_run_unscaled=raw_check["epochs_run_unscaled"].map(lambda v: approx(v, ".1f"))
    )


def min_fold_std_with_one_at(mean: float, value: float, n_folds: int) -> float:
    """The smallest population std over ``n_folds`` fold scores averaging ``mean`` when
    one of them is ``value``: ``|mean - value| / sqrt(n_folds - 1)``.

    Given one fold fixed at ``value``, the spread is smallest when the other folds are
    equal, each ``(n_folds * mean - value) / (n_folds - 1)``; the sum of squared
    deviations is then ``(mean - value)**2 * n_folds / (n_folds - 1)``. A reported std
    below this rules out that any fold scored ``value`` or further from ``mean``.
    """
    if n_folds < 2:
        raise ValueError(f"need at least 2 folds, got {n_folds!r}")
    return abs(mean - value) / float(np.sqrt(n_folds - 1))


def rank_correlation(ours: pd.DataFrame, original: pd.DataFrame) -> float:
    """Spearman correlation of the two mean CV accuracies over the shared candidates."""
    joined = pd.concat(
        {"ours": ours["mean_cv_accuracy"], "original": original["mean_cv_accuracy"]},
        axis=1,
        join="inner",
    )
    ranks = joined.rank(method="average")
    return float(np.corrcoef(ranks["ours"], ranks["original"])[0, 1])
