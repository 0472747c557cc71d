"""Check a notebook's re-run against its committed run, within measured tolerances.

A trained network's numbers differ in their last digits from machine to machine (BLAS
kernels, thread counts and SIMD paths sum in other orders; NumPy and OpenBLAS promise no
bitwise identity), and chaotic runs amplify those digits. So ``make verify`` (nbval) does
not compare trained numbers as text. Instead:

* every notebook ends with :func:`check`, which compares each value of the re-run's
  results with the committed ``results/<notebook>.json`` (read by :func:`load_reference`
  before anything is written) and prints a verdict whose text is the same on every
  machine that agrees: counts, never the numbers;
* trained numbers are printed with :func:`approx` (``≈0.9130``); nbval's sanitizer
  (``.nbval-sanitize.cfg``) masks the digits after ``≈``, so nbval still compares every
  table's layout and every exact value, and :func:`check` compares the digits.

How a value is compared (its *kind*) comes from ``results/tolerances.json``, measured by
``make tolerances`` (``tools/tolerances.py``) across BLAS threads, SIMD paths and seeds:

=============  ==============================================================
``exact``      equal (ints, strings, settings, and anything not in the file)
``numerical``  floats not in the file: ``|a - b| <= 1e-9 max(|a|, |b|) + 1e-12``
``abs``        trained numbers: ``|a - b| <= tolerance`` (measured, per value)
``one_of``     trained choices (a ranking, a best parameter): one of the values seen
=============  ==============================================================

``NNSVM_VERIFY`` selects what :func:`check` does: ``check`` (default: raise
:class:`VerificationError` on any disagreement), ``report`` (print, never raise: the
tolerance measurement) or ``accept`` (``make run-all ACCEPT=1``: the run becomes the new
reference, for a deliberate change of results).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.paths import RESULTS_DIR, relative
from helpers.results import _to_builtin

TOLERANCES_FILE = RESULTS_DIR / "tolerances.json"
MODE_VARIABLE = "NNSVM_VERIFY"
MODES = ("check", "report", "accept")
#: Each verdict is also appended here (JSON lines) when set: `make verify` sums them up.
VERDICT_LOG_VARIABLE = "NNSVM_VERDICT_LOG"
NUMERICAL_RTOL = 1e-9
NUMERICAL_ATOL = 1e-12
APPROX = "≈"
KINDS = ("exact", "numerical", "abs", "one_of")


class VerificationError(AssertionError):
    """A re-run disagrees with the committed run; the message lists every disagreement."""


# ----------------------------------------------------------------------------- display


def approx(value: float, spec: str = ".4f") -> str:
    """``value`` formatted by ``spec`` behind ``≈``: a trained number, machine-dependent in
    its last digits. nbval masks the digits; :func:`check` compares them."""
    return f"{APPROX}{value:{spec}}"


def approx_choice(text: str) -> str:
    """``≈[text]``: an outcome decided by trained numbers (a ranking, a best parameter)
    that another machine may decide otherwise within the measured spread."""
    if "]" in text or "\n" in text:
        raise ValueError(f"a trained choice must fit on one line without ']': {text!r}")
    return f"{APPROX}[{text}]"


def approx_format(spec: str = ".4f"):
    """A ``float_format`` for pandas that prints every number with :func:`approx`."""
    return lambda value: approx(value, spec)


def approx_frame(frame, columns=None, spec: str = ".4f", na_rep: str = "never"):
    """A copy of the DataFrame ``frame`` with ``columns`` (default: every numeric one)
    printed by :func:`approx`; missing values show as ``na_rep``. Integer columns keep
    no decimals."""
    shown = frame.copy()
    numeric = shown.select_dtypes("number").columns
    for column in numeric if columns is None else columns:
        integral = shown[column].dropna().map(float).map(float.is_integer).all()
        column_spec = "d" if integral and spec.endswith("f") else spec
        shown[column] = shown[column].map(
            lambda value, s=column_spec: (
                na_rep if value != value else approx(int(value) if s == "d" else value, s)
            )
        )
    return shown


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


def load_tolerances(path: Path = TOLERANCES_FILE) -> dict[str, dict[str, dict]]:
    """``{notebook: {leaf path: rule}}`` from ``results/tolerances.json`` ({} if absent)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    rules = document.get("notebooks", {})
    for notebook, leaves in rules.items():
        for leaf, rule in leaves.items():
            if rule.get("kind") not in KINDS:
                raise ValueError(
                    f"{relative(path)}: {notebook} {leaf}: unknown kind "
                    f"{rule.get('kind')!r} (expected one of {KINDS})"
                )
    return rules


def rule_for(value: Any, rule: Mapping | None) -> dict:
    """The rule a leaf is compared by: its measured rule, else exact or numerical."""
    if rule is not None:
        return dict(rule)
    return {"kind": "numerical" if isinstance(value, float) else "exact"}


def describe(rule: Mapping) -> str:
    """The rule in words, for a failure message."""
    if rule["kind"] == "abs":
        return f"allowed: within {rule['tolerance']:.3g}"
    if rule["kind"] == "one_of":
        return f"allowed: one of {rule['values']}"
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
    """Compare every leaf of ``rerun`` with ``committed`` (two results payloads)."""
    rules = (load_tolerances() if tolerances is None else tolerances).get(notebook, {})
    old, new = flatten(_to_builtin(committed)), flatten(_to_builtin(rerun))
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


def mode() -> str:
    value = os.environ.get(MODE_VARIABLE, "").strip() or "check"
    if value not in MODES:
        raise ValueError(f"{MODE_VARIABLE} must be one of {MODES}, got {value!r}")
    return value


def reference_path(notebook: str) -> Path:
    return RESULTS_DIR / f"{notebook}.json"


def load_reference(notebook: str, profile: str) -> dict | None:
    """The committed run's results payload, read now (before this run writes anything).

    ``None`` for profiles other than the default (only its run is committed).
    """
    if profile != "default":
        return None
    path = reference_path(notebook)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if mode() == "accept":
            return None
        raise VerificationError(
            f"no committed run to verify against: {relative(path)} is "
            f"missing (make run-all ACCEPT=1 creates it)"
        ) from None
    if document.get("profile") != "default":
        raise VerificationError(
            f"{relative(path)} holds profile {document.get('profile')!r}, "
            f"not the default profile's run"
        )
    return document["results"]


def check(notebook: str, profile: str, payload: Mapping, reference: Mapping | None) -> None:
    """Compare ``payload`` with ``reference`` (from :func:`load_reference`) and print the
    verdict; raise :class:`VerificationError` listing every disagreement (mode ``check``).

    Returns nothing, so that a notebook cell ending in this call shows only the printed
    verdict (nbval's kernel does not honour a trailing ``;``).
    """
    if profile != "default":
        print(
            f"Profile {profile!r}: only the default profile's run is committed, so there "
            f"is nothing to verify against."
        )
        return
    current = mode()
    if current == "accept" or reference is None:
        reference = payload  # this run becomes the reference (make run-all ACCEPT=1)
    verdict = compare(notebook, reference, payload)
    print("\n".join(verdict.lines(relative(reference_path(notebook)))))
    _log(verdict)
    if verdict.failures and current == "check":
        raise VerificationError(
            f"{notebook}: {len(verdict.failures)} of {verdict.compared} values disagree with "
            f"the committed run:\n  " + "\n  ".join(verdict.failures)
        )
    for failure in verdict.failures:  # report mode: shown, not raised
        print(f"  {failure}")


def _log(verdict: Verdict) -> None:
    path = os.environ.get(VERDICT_LOG_VARIABLE, "").strip()
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(
            json.dumps(
                {
                    "notebook": verdict.notebook,
                    "counts": verdict.counts,
                    "failures": verdict.failures,
                }
            )
            + "\n"
        )
