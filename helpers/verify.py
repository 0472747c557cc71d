"""Check a notebook's re-run against its committed run, within measured tolerances.

A trained network's numbers differ in their last digits from machine to machine (BLAS
kernels, thread counts and SIMD paths sum in other orders; NumPy and OpenBLAS promise no
bitwise identity), and chaotic runs amplify those digits. So ``make verify`` (nbval) does
not compare trained numbers as text. Instead:

* every notebook ends with ``run.finish(payload)`` (:mod:`helpers.run`), which saves the
  results and calls :func:`check`: it compares each value with the committed
  ``results/<notebook>.json`` (read when the run started) and prints a verdict whose text
  is the same on every machine that agrees: counts, never the numbers;
* trained numbers are printed behind ``≈`` (:mod:`helpers.formatting`); nbval's sanitizer
  masks the digits after it, so nbval still compares every table's layout and every
  exact value, and :func:`check` compares the digits.

How a value is compared (its *kind*) comes from ``results/tolerances.json``, measured by
``make tolerances`` (``tools/tolerances.py``) across BLAS threads, kernel families, SIMD
paths and seeds:

=============  ==============================================================
``exact``      equal (ints, strings, settings, and anything not in the file)
``numerical``  floats not in the file: ``|a - b| <= 1e-9 max(|a|, |b|) + 1e-12``
``abs``        trained numbers: ``|a - b| <= tolerance`` (measured, per value)
``one_of``     trained choices (a ranking, a best parameter): one of the values seen
=============  ==============================================================

A notebook may also carry rules measured *within its own run* (notebook 07, whose
configurations each ran with several seeds): the payload's :data:`IN_RUN_RULES` entry maps
leaf paths to rules of the kinds above, derived from the seed spread by
:func:`seed_tolerance`. The *committed* run's in-run rules are used; they fill in for
values ``results/tolerances.json`` does not cover (a measured rule always wins). The
in-run rules are how values are compared, not values: they are not compared themselves.

What :func:`check` does with a disagreement is the run's verify mode
(:data:`helpers.run.VERIFY_MODES`): ``check`` raises :class:`VerificationError`,
``report`` prints it (the tolerance measurement), ``accept`` (``make run-all ACCEPT=1``)
makes this run the new reference.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.files import atomic_write
from helpers.paths import relative
from helpers.results import committed_path, load_tolerances_document, to_builtin

NUMERICAL_RTOL = 1e-9
NUMERICAL_ATOL = 1e-12
KINDS = ("exact", "numerical", "abs", "one_of")
#: The payload entry holding rules measured within the run (``{leaf path: rule}``).
IN_RUN_RULES = "in_run_tolerances"
#: An in-run tolerance allows this many standard deviations of a re-run's move: a value
#: outside it by chance is about a 1-in-15,000 event (two-sided normal), so a notebook
#: with a few hundred such values still verifies on a machine that agrees.
IN_RUN_Z = 4.0


class VerificationError(AssertionError):
    """A re-run disagrees with the committed run; the message lists every disagreement."""


# ------------------------------------------------------------------------------ values


def flatten(payload: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a/b/0": leaf, ...}``: every leaf of a results payload by its slash path.

    A list of records that each name a ``candidate`` (a grid search's rows, in ranked
    order) is keyed by it, ``grid/candidate=8/mean_cv_accuracy``, so that a re-run that
    ranks two candidates the other way round still compares each with itself.
    """
    if isinstance(payload, Mapping):
        items = payload.items()
    elif (
        isinstance(payload, list)
        and payload
        and all(isinstance(item, Mapping) and "candidate" in item for item in payload)
    ):
        items = [(f"candidate={item['candidate']}", item) for item in payload]
    elif isinstance(payload, list):
        items = enumerate(payload)
    else:
        return {prefix: payload}
    flat: dict[str, Any] = {}
    for key, value in items:
        flat.update(flatten(value, f"{prefix}/{key}" if prefix else str(key)))
    if not flat and prefix:
        flat[prefix] = payload  # an empty dict or list is a value of its own
    return flat


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load_tolerances(path: Path | None = None) -> dict[str, dict[str, dict]]:
    """``{notebook: {leaf path: rule}}`` from ``results/tolerances.json`` ({} if absent),
    each rule's kind checked."""
    document = load_tolerances_document() if path is None else load_tolerances_document(path)
    rules = document.get("notebooks", {})
    for notebook, leaves in rules.items():
        for leaf, rule in leaves.items():
            if rule.get("kind") not in KINDS:
                raise ValueError(
                    f"tolerances: {notebook} {leaf}: unknown kind "
                    f"{rule.get('kind')!r} (expected one of {KINDS})"
                )
    return rules


def seed_tolerance(
    std: float, n_seeds: int, statistic: str = "value", value: float | None = None
) -> float:
    """How far a re-run on another machine may move a trained number, from the standard
    deviation ``std`` of that number over the ``n_seeds`` seeds of this run.

    A machine difference perturbs training like a new seed at worst (chaotic runs
    amplify a last-digit change as far as another seed), so a re-run of one seed may
    land anywhere in the seed distribution: it differs from the committed value by
    ``sqrt(2) std`` (standard deviation of the difference of two draws). For the mean
    over the seeds that is ``sqrt(2 / n) std``; for the seeds' standard deviation about
    ``std / sqrt(n - 1)``. The tolerance is :data:`IN_RUN_Z` times that, and never wider
    than the quantity itself: ``|value|`` (the number the tolerance is for: one seed's
    number, a mean, or a standard deviation; for ``"std"`` it defaults to ``std``). A
    tolerance wider than its quantity would accept a re-run that lost the effect or the
    spread altogether.
    ``statistic``: ``"value"`` (one seed's number), ``"mean"`` or ``"std"``.
    """
    if n_seeds < 2:
        raise ValueError(f"a seed spread needs at least 2 seeds, got {n_seeds}")
    if not std >= 0:
        raise ValueError(f"std must be a non-negative number, got {std!r}")
    factor = {
        "value": 2**0.5,
        "mean": (2 / n_seeds) ** 0.5,
        "std": 1 / (n_seeds - 1) ** 0.5,
    }
    if statistic not in factor:
        raise ValueError(f"statistic must be one of {tuple(factor)}, got {statistic!r}")
    tolerance = IN_RUN_Z * factor[statistic] * std
    if value is None and statistic == "std":
        value = std
    if value is not None:
        if not math.isfinite(value):
            raise ValueError(f"value must be a finite number, got {value!r}")
        tolerance = min(tolerance, abs(value))
    return tolerance


def abs_rule(tolerance: float, basis: str) -> dict:
    """An ``abs`` rule (three significant digits, rounded up) saying what it rests on."""
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be a non-negative number, got {tolerance!r}")
    if tolerance > 0:
        exponent = math.floor(math.log10(tolerance)) - 2
        tolerance = math.ceil(round(tolerance / 10**exponent, 6)) * 10**exponent
    return {"kind": "abs", "tolerance": float(f"{tolerance:.3g}"), "basis": basis}


def choice_rule(outcomes, committed) -> dict | None:
    """The rule of a trained verdict: ``None`` (compared exactly) when every outcome its
    inputs allow within their tolerances is the committed one, else ``one_of`` them."""
    values = [committed] + sorted({o for o in outcomes if o != committed}, key=str)
    if len(values) == 1:
        return None
    return {"kind": "one_of", "values": values, "basis": "inputs within their tolerances"}


def in_run_rules(payload: Any) -> dict[str, dict]:
    """The rules a payload carries under :data:`IN_RUN_RULES` (``{}`` if none), checked."""
    if not isinstance(payload, Mapping):
        return {}
    rules = payload.get(IN_RUN_RULES, {})
    if not isinstance(rules, Mapping):
        raise ValueError(f"{IN_RUN_RULES} must map leaf paths to rules, got {rules!r}")
    for leaf, rule in rules.items():
        if not isinstance(rule, Mapping) or rule.get("kind") not in KINDS:
            raise ValueError(f"{IN_RUN_RULES}: {leaf}: not a rule of a kind in {KINDS}: {rule!r}")
        if rule["kind"] == "abs" and not rule.get("tolerance", -1) >= 0:
            raise ValueError(f"{IN_RUN_RULES}: {leaf}: an abs rule needs a tolerance >= 0")
    return {str(leaf): dict(rule) for leaf, rule in rules.items()}


def without_in_run_rules(payload: Any) -> Any:
    """``payload`` without its in-run rules (they say how to compare, they are not values)."""
    if isinstance(payload, Mapping) and IN_RUN_RULES in payload:
        return {k: v for k, v in payload.items() if k != IN_RUN_RULES}
    return payload


def rule_for(value: Any, rule: Mapping | None) -> dict:
    """The rule a leaf is compared by: its measured rule, else exact or numerical."""
    if rule is not None:
        return dict(rule)
    return {"kind": "numerical" if isinstance(value, float) else "exact"}


def describe(rule: Mapping) -> str:
    """The rule in words, for a failure message."""
    basis = f"; {rule['basis']}" if rule.get("basis") else ""
    if rule["kind"] == "abs":
        return f"allowed: within {rule['tolerance']:.3g}{basis}"
    if rule["kind"] == "one_of":
        return f"allowed: one of {rule['values']}{basis}"
    if rule["kind"] == "numerical":
        return f"allowed: within {NUMERICAL_RTOL:g} relative"
    return "allowed: exactly equal"


def agrees(committed: Any, rerun: Any, rule: Mapping) -> bool:
    """Whether ``rerun`` agrees with ``committed`` under ``rule`` (see the module table)."""
    kind = rule["kind"]
    if kind == "one_of":
        return rerun == committed or rerun in rule["values"]
    if is_number(committed) and is_number(rerun):
        difference = abs(float(rerun) - float(committed))
        if kind == "abs":
            return difference <= rule["tolerance"]
        if kind == "numerical":
            scale = max(abs(float(committed)), abs(float(rerun)))
            return difference <= NUMERICAL_RTOL * scale + NUMERICAL_ATOL
    return type(rerun) is type(committed) and rerun == committed


# ------------------------------------------------------------------------------ verdict


@dataclass
class Verdict:
    """How many values of each kind were compared, and every disagreement."""

    notebook: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    failures: list[str] = field(default_factory=list)

    @property
    def compared(self) -> int:
        return sum(self.counts.values())

    def lines(self, reference_name: str) -> list[str]:
        """The verdict as printed in the notebook: the same text on every machine that
        agrees (how many values of each kind were compared goes to the verdict log, since
        it depends on the tolerance file, not on the run)."""
        agreeing = self.compared - len(self.failures)
        if not self.failures:
            return [
                f"All {self.compared} values agree with the committed run "
                f"({reference_name}). Verified."
            ]
        return [
            f"{agreeing} of {self.compared} values agree with the committed run "
            f"({reference_name}); {len(self.failures)} differ:"
        ]


def compare(
    notebook: str,
    committed: Mapping,
    rerun: Mapping,
    tolerances: Mapping[str, Mapping[str, dict]] | None = None,
) -> Verdict:
    """Compare every leaf of ``rerun`` with ``committed`` (two results payloads).

    Rules: ``tolerances`` (default: ``results/tolerances.json``) for ``notebook``, then
    the in-run rules the committed payload carries, then exact/numerical.
    """
    measured = (load_tolerances() if tolerances is None else tolerances).get(notebook, {})
    committed, rerun = to_builtin(committed), to_builtin(rerun)
    rules = {**in_run_rules(committed), **measured}
    old, new = flatten(without_in_run_rules(committed)), flatten(without_in_run_rules(rerun))
    verdict = Verdict(notebook)
    for leaf in sorted(old.keys() | new.keys()):
        rule = rule_for(old.get(leaf), rules.get(leaf))
        verdict.counts[rule["kind"]] += 1
        if leaf not in new:
            verdict.failures.append(f"{leaf}: in the committed run, missing from the re-run")
        elif leaf not in old:
            verdict.failures.append(f"{leaf}: new in the re-run, not in the committed run")
        elif not agrees(old[leaf], new[leaf], rule):
            verdict.failures.append(
                f"{leaf}: committed {old[leaf]!r}, re-run {new[leaf]!r} ({describe(rule)})"
            )
    return verdict


def check(
    notebook: str,
    profile: str,
    payload: Mapping,
    reference: Mapping | None,
    *,
    mode: str = "check",
    verdict_file: Path | None = None,
) -> Verdict | None:
    """Compare ``payload`` with ``reference`` (the committed run's payload) and print the
    verdict; in ``mode`` ``check`` raise :class:`VerificationError` listing every
    disagreement, in ``report`` print them, in ``accept`` compare the run with itself
    (it becomes the reference). ``verdict_file``: also write the verdict there as JSON
    (how many values of each kind were compared: ``make verify`` sums them up).
    """
    if profile != "default":
        print(
            f"Profile {profile!r}: only the default profile's run is committed, so there "
            f"is nothing to verify against."
        )
        return None
    if mode == "accept" or reference is None:
        reference = payload
    verdict = compare(notebook, reference, payload)
    print("\n".join(verdict.lines(relative(committed_path(notebook)))))
    if verdict_file is not None:
        record = {"notebook": notebook, "counts": verdict.counts, "failures": verdict.failures}
        atomic_write(verdict_file, json.dumps(record, indent=1) + "\n")
    if verdict.failures and mode == "check":
        raise VerificationError(
            f"{notebook}: {len(verdict.failures)} of {verdict.compared} values disagree with "
            f"the committed run:\n  " + "\n  ".join(verdict.failures)
        )
    for failure in verdict.failures:  # report mode: shown, not raised
        print(f"  {failure}")
    return verdict
