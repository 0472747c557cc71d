"""Notebook 07: experiments that settle open questions of notebooks 03 and 06.

Two experiments train the from-scratch network of notebook 03
(:class:`~helpers.scratch_nn.ScratchMLP`, plain SGD, batch 128, the study's generators):

* **data size vs SGD steps** (:func:`data_vs_steps_tasks`): tanh and sigmoid with large
  initial weights, trained for the same number of SGD steps on training sets of several
  sizes, and for 1x/3x/7x the steps on the largest one;
* **learning rate x initialisation** (:func:`sensitivity_tasks`): relu and leaky relu with
  both non-zero initialisations and three learning rates.

Every run, with every seed, is one independent task (:func:`train_with_checkpoints`,
through :func:`helpers.parallel.run_tasks`) that evaluates the network at chosen step
counts. :func:`records` turns the tasks' results into one table row per (run, checkpoint);
:func:`summarise` gives each condition's mean and standard deviation over the seeds and
the tolerances a re-run on another machine must stay within (:func:`helpers.verify.
seed_tolerance`); :func:`condition_results` lays both out for the results file. The
verdicts (:func:`gap_verdict`, :func:`sensitivity_verdict`) are rules written as code,
and :func:`verdict_rule` says whether a verdict could come out otherwise on a machine
that agrees within those tolerances.

The bottleneck sweep of the autoencoder is in :mod:`helpers.bottleneck_sweep`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import formatting as fmt
from helpers import verify
from helpers.data import Splits
from helpers.scratch_nn import ScratchMLP
from helpers.scratch_study import BATCH_SIZE, LEARNING_RATE, config_rng

#: Step counts of the longest runs, as multiples of the base step count.
STEP_MULTIPLES = (1, 3, 7)
#: Experiment 3's grid: activations, initialisations and learning rates.
SENSITIVITY_ACTIVATIONS = ("relu", "leaky_relu")
SENSITIVITY_INITS = ("random", "normal")
SENSITIVITY_LEARNING_RATES = (0.0005, 0.002, 0.008)
#: Metrics every checkpoint records.
METRICS = ("test_accuracy", "train_accuracy", "test_loss", "train_loss")
#: A run whose test accuracy ends below this is at or near chance (ten classes, 0.1):
#: collapsed, as the original's relu runs, or too slow to get anywhere in its budget.
CHANCE_ACCURACY = 0.2
#: An effect counts as real when it exceeds this many standard errors.
EFFECT_Z = 2.0


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


def train_with_checkpoints(
    key: str,
    n_train: int,
    checkpoints: Sequence[int],
    learning_rate: float,
    batch_size: int,
    seed: int,
    keep_weights: bool = False,
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
    epoch. So a run of ``k`` whole epochs equals ``run_study``'s run with the same seed.

    Returns ``{"metrics": {step: {metric: value}}, "params": constructor arguments}`` and,
    with ``keep_weights``, ``"weights"`` and ``"biases"`` (lists of arrays), from which
    :func:`rebuild_model` makes the trained network. An independent task: everything it
    draws comes from ``seed`` and ``key``.
    """
    todo = sorted({int(step) for step in checkpoints})
    if not todo or todo[0] < 1:
        raise ValueError(f"checkpoints must be positive step counts, got {checkpoints!r}")
    if not 1 <= n_train <= len(y_train):
        raise ValueError(f"n_train must be in 1..{len(y_train)}, got {n_train}")
    activation, weight_init = key.split("/")
    rng = config_rng(seed, key)
    model = ScratchMLP(
        activation,
        weight_init,
        learning_rate=learning_rate,
        batch_size=batch_size,
        random_state=rng,  # the model draws its weights from rng now, the batches below
    ).initialize()
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


def run(tasks: Mapping[str, tuple], splits: Splits, n_jobs: int = -1) -> dict[str, dict]:
    """``{task key: result}`` of :func:`train_with_checkpoints` for every ``task key ->
    (key, n_train, checkpoints, learning_rate, batch_size, seed, keep_weights)``, as
    parallel tasks (:func:`helpers.parallel.run_tasks`, one BLAS thread each)."""
    from helpers.parallel import run_tasks

    shared = {
        "X_train": splits.X_train,
        "y_train": splits.y_train,
        "X_test": splits.X_test,
        "y_test": splits.y_test,
    }
    return run_tasks(train_with_checkpoints, tasks, shared=shared, n_jobs=n_jobs)


def records(results: Mapping[str, dict], tasks: Mapping[str, tuple]) -> pd.DataFrame:
    """One row per (task, checkpoint): ``config, n_train, learning_rate, seed, steps`` and
    the :data:`METRICS`, sorted by those columns."""
    rows = []
    for task_key, (key, n_train, _, learning_rate, _, seed, _) in tasks.items():
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


# ------------------------------------------------------------------------- the two grids


def data_vs_steps_tasks(
    configs: Sequence[str],
    sizes: Sequence[int],
    base_steps: int,
    seeds: Sequence[int],
    multiples: Sequence[int] = STEP_MULTIPLES,
    learning_rate: float = LEARNING_RATE,
    batch_size: int = BATCH_SIZE,
) -> dict[str, tuple]:
    """Experiment 1's tasks: each configuration and seed trains on the first ``n``
    training images, for each ``n`` in ``sizes``, for ``max(multiples) x base_steps`` SGD
    steps, evaluated after every ``multiple x base_steps``: a grid of sizes x step counts,
    so that every size is seen after the same numbers of steps and every step count on
    every size. Longest-running first (the order parallel workers pick tasks up in).
    """
    steps = tuple(m * base_steps for m in sorted(multiples))
    return {
        f"{config} n={n} seed={seed}": (config, n, steps, learning_rate, batch_size, seed, False)
        for n in sorted(sizes, reverse=True)
        for config in configs
        for seed in seeds
    }


def sensitivity_tasks(
    n_train: int,
    epochs: int,
    seeds: Sequence[int],
    activations: Sequence[str] = SENSITIVITY_ACTIVATIONS,
    inits: Sequence[str] = SENSITIVITY_INITS,
    learning_rates: Sequence[float] = SENSITIVITY_LEARNING_RATES,
    batch_size: int = BATCH_SIZE,
) -> dict[str, tuple]:
    """Experiment 3's tasks: every activation x initialisation x learning rate x seed,
    ``epochs`` whole epochs on all ``n_train`` images; the trained weights are kept."""
    steps = (epochs * steps_per_epoch(n_train, batch_size),)
    return {
        f"{a}/{i} lr={lr:g} seed={seed}": (f"{a}/{i}", n_train, steps, lr, batch_size, seed, True)
        for a, i, lr, seed in itertools.product(activations, inits, learning_rates, seeds)
    }


# ------------------------------------------------------------------ summaries, tolerances


def summarise(table: pd.DataFrame, by: Sequence[str], metrics: Sequence[str] = METRICS):
    """Mean and standard deviation (``ddof=1``) over the seeds of each condition ``by``,
    and the tolerances of a re-run: a DataFrame indexed by ``by`` with columns
    ``(metric, statistic)``, statistic one of ``mean, std, tol_value, tol_mean, tol_std``.

    The tolerances are :func:`helpers.verify.seed_tolerance` of ``max(std, median std
    of the same metric over all conditions)``: with a few seeds one condition's spread
    can be small by chance, and its peers show how far such a number typically moves
    (as ``make tolerances`` widens to peers).
    """
    groups = table.groupby(list(by), sort=True)
    n_seeds = int(groups.size().min())
    pieces = {}
    for metric in metrics:
        mean, std = groups[metric].mean(), groups[metric].std(ddof=1)
        spread = np.maximum(std, std.median())
        pieces[(metric, "mean")] = mean
        pieces[(metric, "std")] = std
        for statistic in ("value", "mean", "std"):
            pieces[(metric, f"tol_{statistic}")] = spread.map(
                lambda s, stat=statistic: verify.seed_tolerance(s, n_seeds, stat)
            )
    return pd.DataFrame(pieces)


def condition_key(names: Sequence[str], values) -> str:
    """``"config=tanh/random, n_train=1000"``: one condition as a results key."""
    values = values if isinstance(values, tuple) else (values,)
    return ", ".join(f"{n}={_plain(v)}" for n, v in zip(names, values, strict=True))


def _plain(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value.item() if isinstance(value, np.generic) else value)


def condition_results(
    table: pd.DataFrame,
    summary: pd.DataFrame,
    prefix: str,
    metrics: Sequence[str] = METRICS,
) -> tuple[dict, dict]:
    """The results-file section of one experiment and its in-run tolerances.

    ``table``: :func:`records`-style rows (a ``seed`` column and the ``by`` columns of
    ``summary``); ``summary``: :func:`summarise`'s output; ``prefix``: the section's path
    in the payload (``"data_vs_steps/conditions"``). Returns ``(section, rules)``:
    ``section[condition] = {"runs": {seed: {metric: value}}, "mean": {...}, "std":
    {...}}`` and ``rules[leaf path] = abs rule`` for every leaf of it whose seeds spread.
    """
    by = list(summary.index.names)
    section: dict[str, dict] = {}
    rules: dict[str, dict] = {}
    basis = "seed spread of this run"
    for values, rows in table.groupby(by, sort=True):
        condition = condition_key(by, values)
        stats = summary.loc[values]
        node = section[condition] = {"runs": {}, "mean": {}, "std": {}}
        for _, row in rows.sort_values("seed").iterrows():
            node["runs"][str(int(row["seed"]))] = {m: float(row[m]) for m in metrics}
        for metric in metrics:
            node["mean"][metric] = float(stats[(metric, "mean")])
            node["std"][metric] = float(stats[(metric, "std")])
            if stats[(metric, "tol_value")] == 0:
                continue  # no spread: compared as arithmetic (exactly or to 1e-9)
            base = f"{prefix}/{condition}"
            for seed in node["runs"]:
                rules[f"{base}/runs/{seed}/{metric}"] = verify.abs_rule(
                    stats[(metric, "tol_value")], basis
                )
            for statistic in ("mean", "std"):
                rules[f"{base}/{statistic}/{metric}"] = verify.abs_rule(
                    stats[(metric, f"tol_{statistic}")], basis
                )
    return section, rules


def generalisation_gap(summary: pd.DataFrame, config: str, steps: int) -> pd.Series:
    """Mean training minus mean test accuracy of ``config`` after ``steps`` steps, per
    training-set size (from :func:`summarise` by ``config, n_train, steps``)."""
    rows = summary.xs((config, steps), level=("config", "steps"))
    return rows[("train_accuracy", "mean")] - rows[("test_accuracy", "mean")]


def mean_std_frame(
    summary: pd.DataFrame, metrics: Sequence[str], spec: str | Mapping[str, str] = ".4f"
):
    """``summary`` shown as one ``≈mean ± ≈std`` text column per metric; ``spec``: one
    format for all, or a format per metric (``.4f`` for those it does not name)."""
    specs = {m: spec.get(m, ".4f") if isinstance(spec, Mapping) else spec for m in metrics}
    return pd.DataFrame(
        {
            metric: [
                f"{fmt.approx(m, specs[metric])} ± {fmt.approx(s, specs[metric])}"
                for m, s in zip(summary[(metric, "mean")], summary[(metric, "std")], strict=True)
            ]
            for metric in metrics
        },
        index=summary.index,
    )


# ------------------------------------------------------------------------------ verdicts


def outcomes_within(
    rule: Callable[..., str], values: Mapping[str, float], tolerances: Mapping[str, float]
) -> set[str]:
    """Every outcome of ``rule(**inputs)`` with each input at its value or moved by plus
    or minus its tolerance (all ``3^k`` combinations of ``k`` inputs)."""
    names = list(values)
    choices = [
        (values[n] - tolerances.get(n, 0.0), values[n], values[n] + tolerances.get(n, 0.0))
        for n in names
    ]
    return {rule(**dict(zip(names, combo, strict=True))) for combo in itertools.product(*choices)}


def derived_tolerance(
    function: Callable[..., float], values: Mapping[str, float], tolerances: Mapping[str, float]
) -> float:
    """The tolerance of ``function(**values)``: its largest change when each input moves
    by up to its tolerance (checked at every combination of minus, zero and plus)."""
    centre = function(**values)
    names = list(values)
    choices = [
        (values[n] - tolerances.get(n, 0.0), values[n], values[n] + tolerances.get(n, 0.0))
        for n in names
    ]
    return max(
        abs(function(**dict(zip(names, combo, strict=True))) - centre)
        for combo in itertools.product(*choices)
    )


def verdict_rule(
    rule: Callable[..., str], values: Mapping[str, float], tolerances: Mapping[str, float]
) -> tuple[str, dict | None]:
    """``(outcome, rule)``: ``rule(**values)`` and how a re-run's outcome is compared
    (:func:`helpers.verify.choice_rule`: exactly, or one of the outcomes the inputs allow
    within their tolerances)."""
    outcome = rule(**values)
    return outcome, verify.choice_rule(outcomes_within(rule, values, tolerances), outcome)


def standard_error(std_a: float, std_b: float, n_seeds: int) -> float:
    """Standard error of the difference of two means over ``n_seeds`` seeds each."""
    return math.sqrt((std_a**2 + std_b**2) / n_seeds)


def gap_rule(
    step_effect: float, data_effect: float, step_se: float, data_se: float, diff_se: float
) -> str:
    """What moves test accuracy, from experiment 1's two effects (differences of means)
    and their standard errors. An effect is real when it exceeds :data:`EFFECT_Z`
    standard errors; when both are real, the larger wins unless they differ by less than
    :data:`EFFECT_Z` standard errors of their difference."""
    steps_real = step_effect > EFFECT_Z * step_se
    data_real = data_effect > EFFECT_Z * data_se
    if steps_real and data_real:
        if abs(step_effect - data_effect) <= EFFECT_Z * diff_se:
            return "both, about equally"
        return "both, the step count more" if step_effect > data_effect else "both, the data more"
    if steps_real:
        return "the number of SGD steps"
    if data_real:
        return "the number of training images"
    return "neither (unexplained at this scale)"


def gap_verdict(
    summary: pd.DataFrame, config: str, base_steps: int, n_seeds: int, original: float
) -> dict:
    """Experiment 1's effects for ``config`` (:func:`summarise` by ``config, n_train,
    steps``), the verdict of :func:`gap_rule` and whether the largest run reaches the
    ``original``'s test accuracy (:func:`reaches_rule`), in the form of :func:`verdict`.

    With ``long = max(STEP_MULTIPLES) x base_steps``: ``step_effect`` is the mean test
    accuracy on the largest training set after ``long`` steps minus after ``base_steps``
    (7x the steps, same images); ``data_effect`` is, after ``long`` steps, the largest
    set's minus the smallest set's (8x the images, same steps). Standard errors come from
    the seeds' standard deviations, and their tolerances from the deviations' tolerances.
    """
    rows = summary.xs(config, level="config")
    sizes = sorted(rows.index.get_level_values("n_train").unique())
    long_steps = max(STEP_MULTIPLES) * base_steps
    cells = {
        "long": (sizes[-1], long_steps),
        "base": (sizes[-1], base_steps),
        "small": (sizes[0], long_steps),
    }
    stat = {
        name: {k: float(rows.loc[c, ("test_accuracy", name)]) for k, c in cells.items()}
        for name in ("mean", "std", "tol_mean", "tol_std")
    }
    mean, std, tol, tol_std = (stat[n] for n in ("mean", "std", "tol_mean", "tol_std"))

    def se(a: str, b: str | None = None, widen: float = 0.0) -> float:
        if b is None:  # of one mean
            return (std[a] + widen * tol_std[a]) / math.sqrt(n_seeds)
        return standard_error(std[a] + widen * tol_std[a], std[b] + widen * tol_std[b], n_seeds)

    # step_effect - data_effect = mean[small] - mean[base]: its standard error is diff_se
    values = {
        "step_effect": mean["long"] - mean["base"],
        "data_effect": mean["long"] - mean["small"],
        "step_se": se("long", "base"),
        "data_se": se("long", "small"),
        "diff_se": se("small", "base"),
        "largest_run_accuracy": mean["long"],
        "largest_run_se": se("long"),
    }
    tolerances = {
        "step_effect": tol["long"] + tol["base"],
        "data_effect": tol["long"] + tol["small"],
        "step_se": se("long", "base", 1.0) - values["step_se"],
        "data_se": se("long", "small", 1.0) - values["data_se"],
        "diff_se": se("small", "base", 1.0) - values["diff_se"],
        "largest_run_accuracy": tol["long"],
        "largest_run_se": se("long", widen=1.0) - values["largest_run_se"],
    }
    effects = ("step_effect", "data_effect", "step_se", "data_se", "diff_se")

    def reaches(largest_run_accuracy: float, largest_run_se: float) -> str:
        return reaches_rule(largest_run_accuracy, original, largest_run_se)

    return verdict(
        values,
        tolerances,
        {
            "what_moves_accuracy": (gap_rule, effects),
            "reaches_original": (reaches, ("largest_run_accuracy", "largest_run_se")),
        },
        settings={
            "smallest_size": int(sizes[0]),
            "largest_size": int(sizes[-1]),
            "long_steps": long_steps,
            "original_test_accuracy": original,
        },
    )


def reaches_rule(accuracy: float, target: float, se: float) -> str:
    """``"yes"`` when ``accuracy`` is at least ``target`` minus :data:`EFFECT_Z` standard
    errors (the mean over seeds is not clearly below the target), else ``"no"``."""
    return "yes" if accuracy >= target - EFFECT_Z * se else "no"


def sensitivity_rule(setting_spread: float, seed_spread: float) -> str:
    """``"yes"`` when the spread across settings exceeds the spread across seeds."""
    return "yes" if setting_spread > seed_spread else "no"


def sensitivity_verdict(table: pd.DataFrame, summary: pd.DataFrame, activation: str) -> dict:
    """Experiment 3's spreads for ``activation`` and the verdicts of :func:`sensitivity_rule`
    (in the form of :func:`verdict`).

    ``table``: :func:`records` rows; ``summary``: :func:`summarise` by ``config,
    learning_rate``. Spreads of the test accuracy:

    * ``seed_spread``: the largest range (max - min) over the seeds of one setting;
    * ``init_spread``: the largest difference between the two initialisations' means at
      one learning rate;
    * ``lr_spread``: the largest range of the means over the learning rates at one
      initialisation.

    A spread's tolerance follows from its inputs' (a range moves by at most twice the
    largest tolerance of the values it spans). Also counts the runs that end at or near
    chance (test accuracy below :data:`CHANCE_ACCURACY`); that count's tolerance is the
    number of runs within their tolerance of the threshold.
    """
    rows = table[table["config"].str.startswith(f"{activation}/")]
    stats = summary[summary.index.get_level_values("config").str.startswith(f"{activation}/")]
    tol_value = stats[("test_accuracy", "tol_value")]
    ranges = rows.groupby(["config", "learning_rate"])["test_accuracy"].agg(np.ptp)
    by_lr = stats[("test_accuracy", "mean")].unstack("config")  # learning rate x init
    tol_by_lr = stats[("test_accuracy", "tol_mean")].unstack("config")
    values = {
        "seed_spread": float(ranges.max()),
        "init_spread": float((by_lr.max(axis=1) - by_lr.min(axis=1)).max()),
        "lr_spread": float((by_lr.max(axis=0) - by_lr.min(axis=0)).max()),
    }
    tolerances = {
        "seed_spread": float(2 * tol_value.max()),
        "init_spread": float((2 * tol_by_lr.max(axis=1)).max()),
        "lr_spread": float((2 * tol_by_lr.max(axis=0)).max()),
    }
    # the count may change by the number of runs within their tolerance of the threshold
    run_tolerance = rows.join(tol_value.rename("tol"), on=["config", "learning_rate"])["tol"]
    values["runs_near_chance"] = int((rows["test_accuracy"] < CHANCE_ACCURACY).sum())
    tolerances["runs_near_chance"] = float(
        ((rows["test_accuracy"] - CHANCE_ACCURACY).abs() <= run_tolerance).sum()
    )

    def by_init(init_spread: float, seed_spread: float) -> str:
        return sensitivity_rule(init_spread, seed_spread)

    def by_rate(lr_spread: float, seed_spread: float) -> str:
        return sensitivity_rule(lr_spread, seed_spread)

    return verdict(
        values,
        tolerances,
        {
            "sensitive_to_init": (by_init, ("init_spread", "seed_spread")),
            "sensitive_to_lr": (by_rate, ("lr_spread", "seed_spread")),
        },
        settings={"runs": int(len(rows))},
    )


def verdict(
    values: Mapping[str, float],
    tolerances: Mapping[str, float],
    rules: Mapping[str, tuple[Callable[..., str], Sequence[str]]],
    settings: Mapping[str, Any] | None = None,
) -> dict:
    """One experiment's verdicts in a common form: ``{"values", "tolerances", "outcomes",
    "rules", "settings"}``.

    ``rules``: ``{name: (rule, input names)}``; each rule is applied to those of
    ``values`` and its outcome's comparison rule found by :func:`verdict_rule`.
    ``settings``: further numbers to save that are compared exactly (counts, sizes).
    """
    outcomes, how = {}, {}
    for name, (rule, inputs) in rules.items():
        outcomes[name], how[name] = verdict_rule(
            rule, {k: float(values[k]) for k in inputs}, {k: float(tolerances[k]) for k in inputs}
        )
    return {
        "values": {k: float(v) for k, v in values.items()},
        "tolerances": {k: float(v) for k, v in tolerances.items()},
        "outcomes": outcomes,
        "rules": how,
        "settings": dict(settings or {}),
    }


def verdict_results(verdicts: Mapping[str, dict], prefix: str) -> tuple[dict, dict]:
    """The results-file section of :func:`verdict` outputs keyed by name, and its rules:
    ``section[name] = {**values, **outcomes, **settings}``; every value with a positive
    tolerance gets an ``abs`` rule, every outcome that could flip its ``one_of`` rule."""
    section, rules = {}, {}
    basis = "propagated from the seed spread of this run"
    for name, v in verdicts.items():
        section[name] = {**v["values"], **v["outcomes"], **v["settings"]}
        for key, tolerance in v["tolerances"].items():
            if tolerance > 0:
                rules[f"{prefix}/{name}/{key}"] = verify.abs_rule(tolerance, basis)
        for key, rule in v["rules"].items():
            if rule is not None:
                rules[f"{prefix}/{name}/{key}"] = rule
    return section, rules


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


def plot_data_vs_steps(summary: pd.DataFrame, originals: Mapping[str, float]):
    """Experiment 1, one row of panels per configuration (mean ± std over seeds): test
    accuracy against training images (one line per step count, log x), test accuracy
    against SGD steps (one line per training-set size, log x), and the generalisation
    gap (training minus test accuracy) against training images. ``originals``: the
    original's test accuracy per configuration (dotted line). Returns the figure."""
    import matplotlib.pyplot as plt

    configs = list(summary.index.get_level_values("config").unique())
    fig, axes = plt.subplots(len(configs), 3, figsize=(15, 4.2 * len(configs)), squeeze=False)
    for row, config in zip(axes, configs, strict=True):
        rows = summary.xs(config, level="config")
        accuracy = rows[("test_accuracy", "mean")].unstack("steps")  # sizes x steps
        spread = rows[("test_accuracy", "std")].unstack("steps")
        gap = (rows[("train_accuracy", "mean")] - rows[("test_accuracy", "mean")]).unstack("steps")
        for number, steps in enumerate(accuracy.columns):
            style = {"color": f"C{number}", "marker": "o", "capsize": 3}
            row[0].errorbar(
                accuracy.index,
                accuracy[steps],
                yerr=spread[steps],
                label=f"{steps:,} steps",
                **style,
            )
            row[2].plot(
                gap.index, gap[steps], marker="o", color=f"C{number}", label=f"{steps:,} steps"
            )
        for number, n in enumerate(accuracy.index):
            row[1].errorbar(
                accuracy.columns,
                accuracy.loc[n],
                yerr=spread.loc[n],
                color=f"C{number}",
                marker="s",
                capsize=3,
                label=f"{n:,} images",
            )
        if config in originals:
            for ax in row[:2]:
                ax.axhline(
                    originals[config],
                    color="grey",
                    linestyle=":",
                    label="the original's test accuracy",
                )
        row[0].set_xlabel("training images")
        row[1].set_xlabel(f"SGD steps (batch {BATCH_SIZE})")
        row[2].set_xlabel("training images")
        row[0].set_ylabel("test accuracy (mean ± std over seeds)")
        row[1].set_ylabel("test accuracy (mean ± std over seeds)")
        row[2].set_ylabel("training minus test accuracy")
        row[0].set_title(f"{config}: more images, same steps")
        row[1].set_title(f"{config}: more steps, same images")
        row[2].set_title(f"{config}: generalisation gap")
        for ax, ticks in zip(row, (accuracy.index, accuracy.columns, gap.index), strict=True):
            ax.set_xscale("log")
            ax.minorticks_off()
            ax.set_xticks(list(ticks), [f"{tick:,}" for tick in ticks])
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
    fig.suptitle("Large initial weights: training images vs SGD steps")
    fig.tight_layout()
    return fig


def plot_sensitivity(table: pd.DataFrame, summary: pd.DataFrame):
    """Experiment 3: test accuracy against learning rate (log x), one panel per
    activation, one line per initialisation (mean ± std), every seed as a dot."""
    import matplotlib.pyplot as plt

    activations = sorted({c.split("/")[0] for c in table["config"]}, reverse=True)
    fig, axes = plt.subplots(1, len(activations), figsize=(6 * len(activations), 4), sharey=True)
    for ax, activation in zip(np.atleast_1d(axes), activations, strict=True):
        for number, init in enumerate(SENSITIVITY_INITS):
            config = f"{activation}/{init}"
            if config not in summary.index.get_level_values("config"):
                continue
            rows = summary.xs(config, level="config")
            runs = table[table["config"] == config]
            ax.errorbar(
                rows.index,
                rows[("test_accuracy", "mean")],
                yerr=rows[("test_accuracy", "std")],
                color=f"C{number}",
                marker="o",
                capsize=3,
                label=f"{init}: mean ± std",
            )
            ax.scatter(
                runs["learning_rate"] * (1.04 if number else 0.96),
                runs["test_accuracy"],
                color=f"C{number}",
                s=12,
                alpha=0.6,
                label=f"{init}: each seed",
            )
        ax.set_xscale("log")
        ax.minorticks_off()
        rates = sorted(table["learning_rate"].unique())
        ax.set_xticks(rates, [f"{rate:g}" for rate in rates])
        ax.set_xlabel("learning rate")
        ax.set_title(activation)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("test accuracy")
    fig.suptitle("relu and leaky relu: learning rate x initialisation")
    fig.tight_layout()
    return fig
