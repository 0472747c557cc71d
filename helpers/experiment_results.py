"""Notebook 07's results-file sections and the tolerances its own seeds imply.

:mod:`helpers.experiments` trains and decides; this module turns what it measured into
the payload ``run.finish`` saves, with an in-run rule for every number that spreads over
the seeds (:func:`helpers.verify.seed_tolerance`), and into the tables the notebook
prints (``mean ± std`` behind ``≈``, :mod:`helpers.formatting`). Verdicts carry no rule:
they are compared exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from helpers import formatting as fmt
from helpers import verify
from helpers.experiments import METRICS, plain, t_quantile


def interval_tolerances(interval: Mapping[str, float]) -> dict[str, float]:
    """How far a re-run may move each number of :func:`t_interval`: the mean and the
    standard deviation by :func:`helpers.verify.seed_tolerance` (never by more than
    themselves), an end of the interval by the mean's plus t/sqrt(n) times the
    standard deviation's."""
    n, mean, std = interval["n"], interval["mean"], interval["std"]
    tol_mean = verify.seed_tolerance(std, n, "mean", value=mean)
    tol_std = verify.seed_tolerance(std, n, "std")
    tol_end = tol_mean + t_quantile(n) / math.sqrt(n) * tol_std
    return {"mean": tol_mean, "std": tol_std, "low": tol_end, "high": tol_end}


def tolerance_rule(tolerance: float, basis: str) -> dict:
    """:func:`helpers.verify.abs_rule` of 0.99 ``tolerance``: it rounds up to three
    significant digits (by at most 1 %), so the rule stays within ``tolerance`` and a
    tolerance capped at its quantity stays no wider than it."""
    return verify.abs_rule(0.99 * tolerance, basis)


def interval_results(intervals: Mapping[str, Mapping], prefix: str) -> tuple[dict, dict]:
    """The results-file section of named :func:`t_interval` outputs and its in-run rules
    (an ``abs`` rule for every number with a positive tolerance; ``n`` is exact)."""
    section, rules = {}, {}
    basis = "seed spread of this run"
    for name, interval in intervals.items():
        section[name] = {k: (int(v) if k == "n" else float(v)) for k, v in interval.items()}
        for key, tolerance in interval_tolerances(interval).items():
            if tolerance > 0:
                rules[f"{prefix}/{name}/{key}"] = tolerance_rule(tolerance, basis)
    return section, rules


def comparison_results(comparisons: Mapping[str, Mapping], prefix: str) -> tuple[dict, dict]:
    """The results-file section of :func:`sensitivity_verdicts`'s comparisons, and its
    rules (the fractions are exact, the gaps' numbers :func:`interval_results`)."""
    section, rules = {}, {}
    for name, comparison in comparisons.items():
        gaps, gap_rules = interval_results(comparison["gaps"], f"{prefix}/{name}/gaps")
        section[name] = {"reached": dict(comparison["reached"]), "gaps": gaps}
        rules.update(gap_rules)
    return section, rules


def summarise(table: pd.DataFrame, by: Sequence[str], metrics: Sequence[str] = METRICS):
    """Mean and standard deviation (``ddof=1``) over the seeds of each condition ``by``,
    and the tolerances of a re-run: a DataFrame indexed by ``by`` with columns
    ``(metric, statistic)``, statistic one of ``mean, std, tol_value, tol_mean, tol_std``.

    The tolerances are :func:`helpers.verify.seed_tolerance` of ``max(std, median std
    of the same metric over all conditions)``: with a few seeds one condition's spread
    can be small by chance, and its peers show how far such a number typically moves
    (as ``make tolerances`` widens to peers). ``tol_mean`` is never wider than the mean,
    ``tol_std`` never wider than the standard deviation; ``tol_value`` is capped per run
    by :func:`condition_results`.
    """
    groups = table.groupby(list(by), sort=True)
    n_seeds = int(groups.size().min())
    pieces = {}
    for metric in metrics:
        mean, std = groups[metric].mean(), groups[metric].std(ddof=1)
        spread = np.maximum(std, std.median())
        pieces[(metric, "mean")] = mean
        pieces[(metric, "std")] = std
        quantity = {"value": None, "mean": mean, "std": std}
        for statistic, capped_by in quantity.items():
            pieces[(metric, f"tol_{statistic}")] = pd.Series(
                [
                    verify.seed_tolerance(
                        s, n_seeds, statistic, None if capped_by is None else capped_by[key]
                    )
                    for key, s in spread.items()
                ],
                index=spread.index,
                dtype=float,
            )
    return pd.DataFrame(pieces)


def condition_key(names: Sequence[str], values) -> str:
    """``"config=tanh/random, n_train=1000"``: one condition as a results key."""
    values = values if isinstance(values, tuple) else (values,)
    return ", ".join(f"{n}={plain(v)}" for n, v in zip(names, values, strict=True))


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
    {...}}`` and ``rules[leaf path] = abs rule`` for every leaf of it whose seeds spread
    (a run's tolerance never wider than its value).
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
            for seed, values in node["runs"].items():
                tolerance = min(stats[(metric, "tol_value")], abs(values[metric]))
                if tolerance > 0:
                    rules[f"{base}/runs/{seed}/{metric}"] = tolerance_rule(tolerance, basis)
            for statistic in ("mean", "std"):
                if stats[(metric, f"tol_{statistic}")] > 0:
                    rules[f"{base}/{statistic}/{metric}"] = tolerance_rule(
                        stats[(metric, f"tol_{statistic}")], basis
                    )
    return section, rules


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
