"""Notebook 07: fair tests of three of the original's claims.

Each claim is tested by a rule written here *before* the notebook runs, that can come
out either way (``tests/test_experiments.py`` feeds every rule made-up results for each
outcome). Every run is one independent task (:func:`helpers.parallel.run_tasks`) of the
from-scratch network of notebook 03 (:class:`~helpers.scratch_nn.ScratchMLP`, plain SGD,
batch 128, the study's generators), and every statistic is over seeds, one value per
independent run (:func:`t_interval`: a two-sided 95 % t interval, scipy's quantiles).

* **tanh/random: training images or SGD steps?** (:func:`data_vs_steps_tasks`,
  :func:`data_vs_steps_differences`, :func:`data_or_steps_rule`). Per seed, one run on the
  base training set, evaluated after the base and the long step counts, and one run on
  the larger training set for the base step count: two paired effects from one corner.
* **relu / leaky relu sensitive to initialisation and learning rate?**
  (:func:`train_to_loss`, :func:`sensitivity_tasks`, :func:`sensitivity_verdicts`,
  :func:`sensitivity_rule`). Every run trains until its training loss reaches a common
  target (a matched loss), so learning rates are compared where they have fitted the
  data equally well, not by how far a smaller step got in a fixed budget.
* The bottleneck sweep of the autoencoder is in :mod:`helpers.bottleneck_sweep`.

:mod:`helpers.experiment_results` lays the runs out for the results file with the
tolerances their seeds imply; this module knows nothing of how they are checked.
Verdicts are saved as exact strings: a re-run that reaches another verdict fails
verification.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from helpers.data import Splits
from helpers.scratch_nn import ScratchMLP
from helpers.scratch_study import BATCH_SIZE, LEARNING_RATE, config_rng

#: Metrics every checkpoint records.
METRICS = ("test_accuracy", "train_accuracy", "test_loss", "train_loss")
#: Two-sided confidence level of every interval.
CONFIDENCE = 0.95
#: Floating-point type of every run here: single precision halves the cost of a step
#: (measured), and the claims concern differences of percent, far above its rounding.
DTYPE = "float32"

#: Claim 1's configuration (the original's tanh/random).
DATA_VS_STEPS_CONFIG = "tanh/random"
#: Checkpoints of the long run, as multiples of the base step count (the last one is the
#: long step count; the figure shows the others).
LONG_RUN_CHECKPOINTS = (1, 2, 3, 5, 7)
#: Claim 1's outcomes.
STEPS, IMAGES, BOTH, NEITHER = (
    "the SGD steps",
    "the training images",
    "both, indistinguishable",
    "neither",
)

#: Claim 2's grid: activations and the three initialisations the original ran.
SENSITIVITY_ACTIVATIONS = ("relu", "leaky_relu")
SENSITIVITY_INITS = ("zero", "random", "normal")
#: The original's learning rate: the initialisations are compared at it.
ORIGINAL_LEARNING_RATE = LEARNING_RATE
#: A difference of test accuracy counts as sensitivity when it is larger than this:
#: 50 of the 1,000 test images, over five times the binomial standard error of one
#: accuracy near 0.9 on them, and "highly sensitive" means more than that.
SENSITIVITY_MARGIN = 0.05
#: Training loss is checked every this many SGD steps, on the first MONITOR_IMAGES
#: training images (a cheap, fixed estimate of the training loss).
CHECK_EVERY = 50
MONITOR_IMAGES = 1_000
#: Outcomes of the rules of claims 2 and 3.
YES, NO, UNRESOLVED = "yes", "no", "unresolved"
#: A sentence's verdict from its parts (:func:`sentence_verdict`).
HOLDS, FAILS, PARTLY = "holds", "fails", "partly"
# ----------------------------------------------------------------------------- statistics


def t_quantile(n: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided ``confidence`` quantile of Student's t with ``n - 1`` degrees of
    freedom (4.30 for 3 values, 2.78 for 5)."""
    if n < 2:
        raise ValueError(f"an interval over seeds needs at least 2 values, got {n}")
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1))


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> dict:
    """``{"n", "mean", "std", "low", "high"}``: the mean of ``values`` (one per independent
    run), their standard deviation (``ddof=1``) and the two-sided t interval of the mean."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise ValueError(f"need a flat sequence of finite numbers, got {values!r}")
    n = len(values)
    mean, std = float(values.mean()), float(values.std(ddof=1)) if n > 1 else 0.0
    half = t_quantile(n, confidence) * std / math.sqrt(n)
    return {"n": n, "mean": mean, "std": std, "low": mean - half, "high": mean + half}


def paired(table: pd.DataFrame, a: Mapping, b: Mapping, metric: str = "test_accuracy"):
    """Per seed, ``metric`` of the rows matching ``a`` minus those matching ``b`` (each a
    ``{column: value}`` filter picking one row per seed): one difference per seed, as a
    Series indexed by seed. Raises ``ValueError`` when the two do not cover the same seeds
    once each."""

    def pick(where: Mapping) -> pd.Series:
        rows = table
        for column, value in where.items():
            rows = rows[rows[column] == value]
        if rows["seed"].duplicated().any() or rows.empty:
            raise ValueError(f"{dict(where)} must select one row per seed, got {len(rows)}")
        return rows.set_index("seed")[metric]

    first, second = pick(a), pick(b)
    if set(first.index) != set(second.index):
        raise ValueError(f"{dict(a)} and {dict(b)} cover different seeds")
    return (first - second.loc[first.index]).sort_index()


def plain(value) -> str:
    """A setting as results-key text: floats in their shortest form (``0.002``)."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value.item() if isinstance(value, np.generic) else value)


# ------------------------------------------------------------------------------ one run


def steps_per_epoch(n_train: int, batch_size: int = BATCH_SIZE) -> int:
    """SGD steps of one pass over ``n_train`` rows: ``ceil(n_train / batch_size)``."""
    if n_train < 1 or batch_size < 1:
        raise ValueError(f"need positive sizes, got n_train={n_train}, batch_size={batch_size}")
    return -(-n_train // batch_size)


def evaluate(model: ScratchMLP, X: np.ndarray, y: np.ndarray, X_test, y_test) -> dict:
    """``{train,test}_{loss,accuracy}`` of ``model`` on ``(X, y)`` ``(n, 784), (n,)`` and on
    the test set."""
    return {
        "test_accuracy": model.score(X_test, y_test),
        "train_accuracy": model.score(X, y),
        "test_loss": model.loss(X_test, y_test),
        "train_loss": model.loss(X, y),
    }


def new_network(
    key: str, seed: int, n_train: int, n_available: int, learning_rate, batch_size, dtype
) -> tuple[ScratchMLP, np.random.Generator]:
    """Configuration ``key``'s network, initialised from its generator (that of
    :func:`helpers.scratch_study.run_study` for ``seed``), and the generator, which then
    draws the batches. ``n_train`` must be in ``1..n_available``."""
    if not 1 <= n_train <= n_available:
        raise ValueError(f"n_train must be in 1..{n_available}, got {n_train}")
    activation, weight_init = key.split("/")
    rng = config_rng(seed, key)
    model = ScratchMLP(
        activation,
        weight_init,
        learning_rate=learning_rate,
        batch_size=batch_size,
        dtype=dtype,
        random_state=rng,  # the model draws its weights from rng now, the batches later
    ).initialize()
    return model, rng


def train_with_checkpoints(
    key: str,
    n_train: int,
    checkpoints: Sequence[int],
    learning_rate: float,
    batch_size: int,
    seed: int,
    keep_weights: bool = False,
    dtype: str = DTYPE,
    *,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
) -> dict:
    """Train configuration ``key`` (``"tanh/random"``) on the first ``n_train`` rows of
    ``X_train`` ``(N, 784)`` / ``y_train`` ``(N,)`` for ``max(checkpoints)`` SGD steps and
    evaluate it (:func:`evaluate`) after each step count in ``checkpoints``.

    The steps are those of :meth:`ScratchMLP.fit`: a fresh permutation of the rows per
    epoch from the run's generator (:func:`config_rng`), batches of ``batch_size`` (the
    last one of an epoch smaller), one SGD step each; a checkpoint may fall inside an
    epoch. So a run of ``k`` whole epochs in ``float64`` equals ``run_study``'s run with the
    same seed.

    Returns ``{"metrics": {step: {metric: value}}, "params": constructor arguments}`` and,
    with ``keep_weights``, ``"weights"`` and ``"biases"`` (lists of arrays), from which
    :func:`rebuild_model` makes the trained network. An independent task: everything it
    draws comes from ``seed`` and ``key``.
    """
    todo = sorted({int(step) for step in checkpoints})
    if not todo or todo[0] < 1:
        raise ValueError(f"checkpoints must be positive step counts, got {checkpoints!r}")
    model, rng = new_network(key, seed, n_train, len(y_train), learning_rate, batch_size, dtype)
    X, y = X_train[:n_train], y_train[:n_train]
    metrics: dict[int, dict] = {}
    step = 0
    while step < todo[-1]:
        order = rng.permutation(n_train)
        for start in range(0, n_train, batch_size):
            rows = order[start : start + batch_size]
            model.sgd_step(X[rows], y[rows])
            step += 1
            if step in todo:
                metrics[step] = evaluate(model, X, y, X_test, y_test)
            if step == todo[-1]:
                break
    result: dict[str, Any] = {"metrics": metrics, "params": model.get_params()}
    if keep_weights:
        result["weights"], result["biases"] = model.weights, model.biases
    return result


def rebuild_model(result: Mapping) -> ScratchMLP:
    """The trained network of a :func:`train_with_checkpoints` result (``keep_weights``)."""
    params = dict(result["params"])
    params["dtype"] = np.dtype(params["dtype"])
    return ScratchMLP(**params, random_state=0).initialize(result["weights"], result["biases"])


def run(
    tasks: Mapping[str, tuple], splits: Splits, function=None, n_jobs: int = -1
) -> dict[str, dict]:
    """``{task key: result}`` of ``function`` (default :func:`train_with_checkpoints`)
    for every ``task key -> positional arguments``, as parallel tasks
    (:func:`helpers.parallel.run_tasks`, one BLAS thread each)."""
    from helpers.parallel import run_tasks

    shared = {
        "X_train": splits.X_train,
        "y_train": splits.y_train,
        "X_test": splits.X_test,
        "y_test": splits.y_test,
    }
    function = train_with_checkpoints if function is None else function
    return run_tasks(function, tasks, shared=shared, n_jobs=n_jobs)


def records(results: Mapping[str, dict], tasks: Mapping[str, tuple]) -> pd.DataFrame:
    """One row per (task, checkpoint): ``config, n_train, learning_rate, seed, steps`` and
    the :data:`METRICS`, sorted by those columns."""
    rows = []
    for task_key, (key, n_train, _, learning_rate, _, seed, *_) in tasks.items():
        for step, values in results[task_key]["metrics"].items():
            rows.append(
                {
                    "config": key,
                    "n_train": int(n_train),
                    "learning_rate": float(learning_rate),
                    "seed": int(seed),
                    "steps": int(step),
                    **values,
                }
            )
    columns = ["config", "n_train", "learning_rate", "seed", "steps"]
    return pd.DataFrame(rows).sort_values(columns, ignore_index=True)


# ------------------------------------------------------- claim 1: training images or steps


def data_vs_steps_tasks(
    config: str,
    base_images: int,
    more_images: int,
    base_steps: int,
    long_steps: int,
    seeds: Sequence[int],
    learning_rate: float = LEARNING_RATE,
    batch_size: int = BATCH_SIZE,
) -> dict[str, tuple]:
    """Claim 1's tasks, two per seed (longest first): ``config`` on the first
    ``base_images`` training images for ``long_steps`` SGD steps, evaluated after
    ``base_steps`` and at :data:`LONG_RUN_CHECKPOINTS` fractions of the way; and on the
    first ``more_images`` for ``base_steps`` steps. A seed's two runs start from the same
    weights (:func:`config_rng`), so its effects are paired differences."""
    if not (0 < base_images < more_images and 0 < base_steps < long_steps):
        raise ValueError(
            f"need 0 < base_images < more_images and 0 < base_steps < long_steps, got "
            f"{base_images}, {more_images}, {base_steps}, {long_steps}"
        )
    fractions = [m / max(LONG_RUN_CHECKPOINTS) for m in LONG_RUN_CHECKPOINTS]
    checkpoints = tuple(
        sorted({base_steps, long_steps, *(round(f * long_steps) for f in fractions)})
    )
    tasks = {}
    for seed in seeds:
        tasks[f"{config} n={base_images} seed={seed}"] = (
            config,
            base_images,
            checkpoints,
            learning_rate,
            batch_size,
            seed,
            False,
            DTYPE,
        )
    for seed in seeds:
        tasks[f"{config} n={more_images} seed={seed}"] = (
            config,
            more_images,
            (base_steps,),
            learning_rate,
            batch_size,
            seed,
            False,
            DTYPE,
        )
    return tasks


def data_vs_steps_differences(
    table: pd.DataFrame, base_images: int, more_images: int, base_steps: int, long_steps: int
) -> dict[str, pd.Series]:
    """Claim 1's three paired differences of test accuracy per seed (:func:`records`
    rows), all from the corner (``base_images``, ``base_steps``):

    * ``steps``: after ``long_steps`` minus after ``base_steps``, on ``base_images``;
    * ``images``: on ``more_images`` minus on ``base_images``, after ``base_steps``;
    * ``steps_minus_images``: the first minus the second (the long run's accuracy minus
      the larger set's).
    """
    corner = {"n_train": base_images, "steps": base_steps}
    long_run = {"n_train": base_images, "steps": long_steps}
    more = {"n_train": more_images, "steps": base_steps}
    return {
        "steps": paired(table, long_run, corner),
        "images": paired(table, more, corner),
        "steps_minus_images": paired(table, long_run, more),
    }


def data_or_steps_rule(
    steps_low: float, images_low: float, difference_low: float, difference_high: float
) -> str:
    """What raises the test accuracy, from the lower ends of the 95 % intervals of the
    two effects and the interval of their difference (:func:`data_vs_steps_differences`).

    An effect is real when its interval lies above 0. Both real: the one whose interval
    of the difference lies on its side of 0, else :data:`BOTH`; one real: that one
    (:data:`STEPS` or :data:`IMAGES`); none: :data:`NEITHER`.
    """
    steps_real, images_real = steps_low > 0, images_low > 0
    if steps_real and images_real:
        if difference_low > 0:
            return STEPS
        if difference_high < 0:
            return IMAGES
        return BOTH
    if steps_real:
        return STEPS
    if images_real:
        return IMAGES
    return NEITHER


def data_or_steps_verdict(effects: Mapping[str, Mapping]) -> str:
    """:func:`data_or_steps_rule` applied to the :func:`t_interval` of each of
    :func:`data_vs_steps_differences`."""
    return data_or_steps_rule(
        effects["steps"]["low"],
        effects["images"]["low"],
        effects["steps_minus_images"]["low"],
        effects["steps_minus_images"]["high"],
    )


# --------------------------------------- claim 2: sensitivity to initialisation and rate


def is_stuck(model: ScratchMLP) -> bool:
    """Whether no SGD step can ever move ``model`` off its start: every weight and every
    hidden bias exactly 0, with an activation that is 0 at 0 (relu, leaky relu, tanh).
    Then every hidden output is 0, so every weight's gradient and every hidden bias's
    error is 0; only the output biases move (the network predicts the class shares)."""
    if model.activation == "sigmoid":
        return False
    return all(not w.any() for w in model.weights) and all(not b.any() for b in model.biases[:-1])


def train_to_loss(
    key: str,
    n_train: int,
    learning_rate: float,
    target_loss: float,
    max_steps: int,
    seed: int,
    batch_size: int = BATCH_SIZE,
    keep_weights: bool = False,
    dtype: str = DTYPE,
    *,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
) -> dict:
    """Train configuration ``key`` on the first ``n_train`` training images until its loss
    on the first :data:`MONITOR_IMAGES` of them (checked every :data:`CHECK_EVERY`
    steps) is at most ``target_loss``, for at most ``max_steps`` SGD steps; stop early when
    the network is stuck for good (:func:`is_stuck`) or its loss is no longer finite.

    The steps are those of :func:`train_with_checkpoints` (same generator, same batches).
    Returns ``{"metrics": {step: evaluate(...)}, "reached": bool, "stuck": bool,
    "diverged": bool, "steps": int, "monitor_loss": float, "params"}`` (and the weights
    with ``keep_weights``); ``metrics`` has one entry, at the step training stopped.
    """
    if max_steps < 1 or not target_loss > 0:
        raise ValueError(f"need max_steps >= 1 and target_loss > 0, got {max_steps}, {target_loss}")
    model, rng = new_network(key, seed, n_train, len(y_train), learning_rate, batch_size, dtype)
    X, y = X_train[:n_train], y_train[:n_train]
    monitor = X[:MONITOR_IMAGES], y[:MONITOR_IMAGES]
    step, loss, stop = 0, math.inf, None
    while stop is None:
        order = rng.permutation(n_train)
        for start in range(0, n_train, batch_size):
            rows = order[start : start + batch_size]
            model.sgd_step(X[rows], y[rows])
            step += 1
            if step % CHECK_EVERY == 0 or step == max_steps:
                loss = model.loss(*monitor)
                if loss <= target_loss:
                    stop = "reached"
                elif not math.isfinite(loss):
                    stop = "diverged"
                elif is_stuck(model):
                    stop = "stuck"
            if stop is None and step == max_steps:
                stop = "budget"
            if stop is not None:
                break
    result: dict[str, Any] = {
        "metrics": {step: evaluate(model, X, y, X_test, y_test)},
        "reached": stop == "reached",
        "stuck": stop == "stuck",
        "diverged": stop == "diverged",
        "steps": step,
        "monitor_loss": float(loss),
        "params": model.get_params(),
    }
    if keep_weights:
        result["weights"], result["biases"] = model.weights, model.biases
    return result


def sensitivity_tasks(
    n_train: int,
    learning_rates: Sequence[float],
    target_loss: float,
    max_steps: int,
    seeds: Sequence[int],
    activations: Sequence[str] = SENSITIVITY_ACTIVATIONS,
    inits: Sequence[str] = SENSITIVITY_INITS,
) -> dict[str, tuple]:
    """Claim 2's tasks: every activation x initialisation x learning rate x seed, trained
    to ``target_loss`` (:func:`train_to_loss`, weights kept), the smallest rate (the
    longest runs) first."""
    return {
        f"{a}/{i} lr={lr:g} seed={seed}": (
            f"{a}/{i}",
            n_train,
            lr,
            target_loss,
            max_steps,
            seed,
            BATCH_SIZE,
            True,
            DTYPE,
        )
        for lr in sorted(learning_rates)
        for a, i, seed in itertools.product(activations, inits, seeds)
    }


def sensitivity_records(results: Mapping[str, dict], tasks: Mapping[str, tuple]) -> pd.DataFrame:
    """One row per run of :func:`sensitivity_tasks`: ``config, learning_rate, seed, steps,
    reached, stuck, diverged`` and the :data:`METRICS` where training stopped."""
    rows = []
    for task_key, (key, n_train, lr, _, _, seed, *_) in tasks.items():
        result = results[task_key]
        (values,) = result["metrics"].values()
        rows.append(
            {
                "config": key,
                "n_train": int(n_train),
                "learning_rate": float(lr),
                "seed": int(seed),
                "steps": int(result["steps"]),
                "reached": bool(result["reached"]),
                "stuck": bool(result["stuck"]),
                "diverged": bool(result["diverged"]),
                **values,
            }
        )
    return pd.DataFrame(rows).sort_values(["config", "learning_rate", "seed"], ignore_index=True)


def sensitivity_rule(
    reached: Mapping[str, float],
    gaps: Mapping[str, tuple[float, float]],
    margin: float = SENSITIVITY_MARGIN,
) -> str:
    """Whether a factor's settings change how the network learns.

    ``reached``: per setting, the fraction of its seeds that reached the target loss;
    ``gaps``: per pair of settings, the 95 % interval ``(low, high)`` of their paired
    difference of test accuracy at the target loss (pairs where every seed reached it).

    * :data:`YES` when one setting always reaches the target and another never does (the
      setting decides whether the network learns at all), or when some pair's interval
      lies wholly beyond ``margin`` on either side;
    * :data:`NO` when every setting always reaches the target and every pair's interval
      lies within ``(-margin, margin)``;
    * :data:`UNRESOLVED` otherwise (seeds disagree on learning, nothing learns, or an
      interval straddles the margin).
    """
    fractions = list(reached.values())
    if 1.0 in fractions and 0.0 in fractions:
        return YES
    if any(low > margin or high < -margin for low, high in gaps.values()):
        return YES
    everyone = bool(fractions) and all(f == 1.0 for f in fractions)
    if everyone and all(-margin < low and high < margin for low, high in gaps.values()):
        return NO
    return UNRESOLVED


def factor_comparison(table: pd.DataFrame, column: str, fixed: Mapping) -> dict:
    """The inputs of :func:`sensitivity_rule` for the settings of ``column`` (``config``
    or ``learning_rate``) among the :func:`sensitivity_records` rows matching ``fixed``:
    ``{"reached": {setting: fraction}, "gaps": {"a - b": t_interval}}``, a gap for every
    pair of settings every seed of which reached the target."""
    rows = table
    for name, value in fixed.items():
        rows = rows[rows[name] == value]
    settings = sorted(rows[column].unique(), key=str)
    reached = {str(s): float(rows[rows[column] == s]["reached"].mean()) for s in settings}
    gaps = {}
    for a, b in itertools.combinations(settings, 2):
        if reached[str(a)] == 1.0 and reached[str(b)] == 1.0:
            gaps[f"{plain(a)} - {plain(b)}"] = t_interval(paired(rows, {column: a}, {column: b}))
    return {"reached": reached, "gaps": gaps}


def sensitivity_verdicts(table: pd.DataFrame, activation: str) -> dict:
    """Claim 2 for ``activation`` (:func:`sensitivity_records` rows):

    * ``initialisation``: the three initialisations at :data:`ORIGINAL_LEARNING_RATE`;
    * ``initialisation_nonzero``: the same without ``zero``;
    * ``learning_rate``: the learning rates, per non-zero initialisation; :data:`YES` if
      either says yes, :data:`NO` if both say no, else :data:`UNRESOLVED`.

    Returns ``{"comparisons": {name: factor_comparison}, "verdicts": {name: outcome}}``.
    """
    rows = table[table["config"].str.startswith(f"{activation}/")]
    at_rate = rows[rows["learning_rate"] == ORIGINAL_LEARNING_RATE]
    comparisons = {
        "initialisation": factor_comparison(at_rate, "config", {}),
        "initialisation_nonzero": factor_comparison(
            at_rate[at_rate["config"] != f"{activation}/zero"], "config", {}
        ),
    }
    per_init = []
    for init in SENSITIVITY_INITS:
        if init == "zero":
            continue
        name = f"learning_rate_{init}"
        comparisons[name] = factor_comparison(
            rows, "learning_rate", {"config": f"{activation}/{init}"}
        )
        per_init.append(name)
    verdicts = {
        name: sensitivity_rule(
            c["reached"], {k: (g["low"], g["high"]) for k, g in c["gaps"].items()}
        )
        for name, c in comparisons.items()
    }
    rate = [verdicts.pop(name) for name in per_init]
    verdicts["learning_rate"] = (
        YES if YES in rate else NO if all(r == NO for r in rate) else UNRESOLVED
    )
    return {"comparisons": comparisons, "verdicts": verdicts}


def sentence_verdict(parts: Sequence[str]) -> str:
    """The verdict on a sentence that asserts every one of ``parts`` (:data:`YES`,
    :data:`NO` or :data:`UNRESOLVED` each): :data:`HOLDS` when all are yes, :data:`FAILS`
    when none is, :data:`PARTLY` when some are yes and some no, else :data:`UNRESOLVED`."""
    unknown = set(parts) - {YES, NO, UNRESOLVED}
    if not parts or unknown:
        raise ValueError(f"parts must be yes/no/unresolved, got {list(parts)!r}")
    if all(p == YES for p in parts):
        return HOLDS
    if NO in parts:
        return PARTLY if YES in parts else FAILS
    return UNRESOLVED


# ------------------------------------------------------------------ summaries, tolerances


# ------------------------------------------------------------------------------- models


def model_file_name(task_key: str) -> str:
    """A file name for a task's network: ``"relu_random_lr0.002_seed2024.npz"``."""
    stem = re.sub(r"[^a-z0-9.=_-]+", "_", task_key.lower()).replace("=", "")
    return f"{stem.strip('_')}.npz"


def save_models(models: Mapping[str, ScratchMLP], folder: Path) -> dict[str, Path]:
    """Write every network with :meth:`ScratchMLP.save` (``.npz``, no pickle) into
    ``folder`` (created); returns ``{task key: path}``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {key: model.save(folder / model_file_name(key)) for key, model in models.items()}


def same_predictions(model: ScratchMLP, path: Path, X: np.ndarray) -> bool:
    """Whether the network saved at ``path`` predicts exactly what ``model`` predicts on
    ``X`` ``(n, 784)`` (``np.array_equal`` of the ``(n,)`` class labels)."""
    return bool(np.array_equal(ScratchMLP.load(path).predict(X), model.predict(X)))


# -------------------------------------------------------------------------------- figures


def plot_data_vs_steps(
    table: pd.DataFrame,
    differences: Mapping[str, pd.Series],
    base_images: int,
    more_images: int,
    base_steps: int,
):
    """Claim 1: left, test accuracy against SGD steps (log x) of every seed's run on
    ``base_images`` (lines) and on ``more_images`` (squares, at ``base_steps``); right,
    each paired difference (:func:`data_vs_steps_differences`): every seed's value (dots)
    and the 95 % interval of the mean (bar). Returns the figure."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
    for number, (seed, rows) in enumerate(table.groupby("seed")):
        base = rows[rows["n_train"] == base_images].sort_values("steps")
        more = rows[(rows["n_train"] == more_images) & (rows["steps"] == base_steps)]
        left.plot(
            base["steps"],
            base["test_accuracy"],
            marker="o",
            color=f"C{number}",
            alpha=0.8,
            label=f"seed {seed}: {base_images:,} images",
        )
        left.scatter(
            more["steps"] * (1 + 0.03 * number),
            more["test_accuracy"],
            marker="s",
            s=50,
            color=f"C{number}",
            edgecolor="black",
        )
    left.scatter(
        [], [], marker="s", color="white", edgecolor="black", label=f"{more_images:,} images"
    )
    left.set_xscale("log")
    left.set_xlabel(f"SGD steps (batch {BATCH_SIZE})")
    left.set_ylabel("test accuracy")
    left.set_title(f"{DATA_VS_STEPS_CONFIG}: every seed's run")
    left.legend(fontsize=7)
    names = list(differences)
    add_seed_points(right, differences)
    for x, name in enumerate(names):
        e = t_interval(differences[name])
        right.errorbar(
            [x],
            [e["mean"]],
            yerr=[[e["mean"] - e["low"]], [e["high"] - e["mean"]]],
            fmt="o",
            color="black",
            capsize=6,
            label="mean, 95 % t interval" if x == 0 else None,
        )
    right.axhline(0, color="grey", linewidth=1)
    right.set_xticks(range(len(names)), [n.replace("_", " ") for n in names])
    right.set_ylabel("paired difference of test accuracy")
    right.set_title("Effects from the same corner (each seed paired)")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


def add_seed_points(ax, values_by_name: Mapping[str, Sequence[float]]) -> None:
    """Every seed's value as a dot next to the interval of the same position."""
    for x, values in enumerate(values_by_name.values()):
        values = list(values)
        offsets = np.linspace(-0.12, 0.12, len(values)) if len(values) > 1 else [0.0]
        ax.scatter(np.add(x, offsets), values, s=14, color="C0", alpha=0.7, zorder=3)


def plot_sensitivity(table: pd.DataFrame):
    """Claim 2: per activation, test accuracy where each run stopped (top) and the SGD
    steps it took (bottom, log y) against the learning rate (log x); colour: the
    initialisation; a dot for a run that reached the target loss, a cross for one that
    did not. Returns the figure."""
    import matplotlib.pyplot as plt

    activations = [
        a for a in SENSITIVITY_ACTIVATIONS if table["config"].str.startswith(f"{a}/").any()
    ]
    fig, axes = plt.subplots(2, len(activations), figsize=(6 * len(activations), 7), squeeze=False)
    rates = sorted(table["learning_rate"].unique())
    for column, activation in enumerate(activations):
        top, bottom = axes[0, column], axes[1, column]
        for number, init in enumerate(SENSITIVITY_INITS):
            rows = table[table["config"] == f"{activation}/{init}"]
            shift = 1 + 0.06 * (number - 1)
            for reached, marker in ((True, "o"), (False, "x")):
                part = rows[rows["reached"] == reached]
                label = f"{init}: {'reached' if reached else 'did not reach'} the target"
                for ax, metric in ((top, "test_accuracy"), (bottom, "steps")):
                    ax.scatter(
                        part["learning_rate"] * shift,
                        part[metric],
                        marker=marker,
                        color=f"C{number}",
                        s=28,
                        label=label if ax is top and len(part) else None,
                    )
        top.set_title(activation)
        top.set_ylabel("test accuracy where training stopped")
        bottom.set_ylabel("SGD steps taken")
        bottom.set_yscale("log")
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.minorticks_off()
            ax.set_xticks(rates, [f"{rate:g}" for rate in rates])
            ax.set_xlabel("learning rate")
            ax.grid(True, alpha=0.3)
        top.legend(fontsize=7)
    fig.suptitle("relu and leaky relu trained to a matched training loss (every seed)")
    fig.tight_layout()
    return fig
