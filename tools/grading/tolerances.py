"""How close an answer must be: hand-work precision and the experiments' measured spread.

Hand-worked values (backprop, SVM) are exact numbers; a hand calculation carries
about four significant digits, so an answer ``g`` for the exact value ``e`` is right when

    |g - e| <= HAND_RELATIVE * |e| + HAND_ABSOLUTE      (5e-4 relative, 5e-5 absolute)

(the absolute part lets ``0`` be answered as ``0.00004``). The comparison is exact:
both sides are Fractions.

Experiment numbers vary with seeds, BLAS threads and machines. They are graded
against the measured spread of a correct implementation, read from
``results/tolerances.json``::

    {"schema_version": 1,
     "notebooks": {"03_scratch_nn": {
         "configs/relu/random/test_accuracy": {"kind": "abs", "tolerance": 0.012},
         ...}}}

kinds: ``abs`` (``|x - reference| <= tolerance``), ``one_of`` (``"values": [...]``,
the answers a correct implementation gives across seeds), ``exact``. A missing file
or key falls back to :func:`default_spread` (stated in every report).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from helpers.results import TOLERANCES_FILE, load_tolerances_document
from tools.grading.questions import Item

TOLERANCES_SCHEMA = 1
SPREAD_KINDS = ("abs", "one_of", "exact")

HAND_RELATIVE = Fraction(5, 10_000)
HAND_ABSOLUTE = Fraction(5, 100_000)
HAND_TEXT = "4 significant digits: |given - exact| <= 5e-4 |exact| + 5e-5"

#: Fallback for an accuracy without a measured spread: about two standard errors of
#: an accuracy measured on 1,000-2,000 test images (sqrt(0.9 * 0.1 / 1000) ~ 0.0095).
DEFAULT_ACCURACY_TOLERANCE = 0.02
#: A 10-class accuracy at or below this is "at chance" (a constant answer scores ~0.10).
CHANCE_CEILING = 0.13


class ToleranceFileError(ValueError):
    """``results/tolerances.json`` is malformed; the message names the entry."""


@dataclass(frozen=True)
class Spread:
    """Accepted answers for one experiment item, and where that rule comes from."""

    kind: str
    tolerance: float = 0.0
    values: tuple = ()
    measured: bool = False

    def accepts(self, given: Any, reference: Any) -> bool:
        """Does ``given`` (Fraction or str) agree with ``reference`` under this rule?"""
        if self.kind == "one_of":
            return any(_same(given, v) for v in self.values)
        if self.kind == "exact":
            return _same(given, reference)
        return abs(float(given) - float(reference)) <= self.tolerance * (1 + 1e-9) + 1e-12

    def text(self) -> str:
        """``±0.012 (measured)``, ``one of relu, tanh (default)``..."""
        source = "measured spread" if self.measured else "default"
        if self.kind == "abs":
            return f"±{self.tolerance:g} ({source})"
        if self.kind == "one_of":
            return f"one of {', '.join(_text(v) for v in self.values)} ({source})"
        return f"exact ({source})"


def _same(given: Any, value: Any) -> bool:
    if isinstance(value, str) or isinstance(given, str):
        return str(given) == str(value)
    return math.isclose(float(given), float(value), rel_tol=1e-12, abs_tol=1e-15)


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def hand_close(given: Fraction, exact: Fraction) -> bool:
    """Hand-work agreement (see the module docstring), exact in Fractions."""
    return (
        abs(Fraction(given) - Fraction(exact))
        <= HAND_RELATIVE * abs(Fraction(exact)) + HAND_ABSOLUTE
    )


def load_tolerances(path: Path = TOLERANCES_FILE) -> dict[tuple[str, str], Spread]:
    """``{(notebook, path): Spread}`` from the tolerances file; ``{}`` when absent.

    A present but malformed file is an error (it is the repository's own file).
    """
    path = Path(path)
    try:
        document = load_tolerances_document(path)
    except ValueError as exc:
        raise ToleranceFileError(str(exc)) from None
    if not document:
        return {}
    if not isinstance(document, dict) or document.get("schema_version") != TOLERANCES_SCHEMA:
        raise ToleranceFileError(f"{path.name}: expected schema_version {TOLERANCES_SCHEMA}")
    notebooks = document.get("notebooks")
    if not isinstance(notebooks, dict):
        raise ToleranceFileError(f"{path.name}: 'notebooks' must be an object")
    spreads = {}
    for notebook, entries in notebooks.items():
        if not isinstance(entries, dict):
            raise ToleranceFileError(f"{path.name}: notebooks.{notebook} must be an object")
        for key, entry in entries.items():
            spreads[(notebook, key)] = _parse_spread(entry, f"{path.name}: {notebook} {key}")
    return spreads


def _parse_spread(entry: Any, where: str) -> Spread:
    if not isinstance(entry, dict) or entry.get("kind") not in SPREAD_KINDS:
        raise ToleranceFileError(f"{where}: needs 'kind', one of {', '.join(SPREAD_KINDS)}")
    kind = entry["kind"]
    if kind == "abs":
        tolerance = entry.get("tolerance")
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, (int, float))
            or not math.isfinite(tolerance)
            or tolerance < 0
        ):
            raise ToleranceFileError(f"{where}: 'abs' needs a tolerance >= 0")
        return Spread("abs", tolerance=float(tolerance), measured=True)
    if kind == "one_of":
        values = entry.get("values")
        if not isinstance(values, list) or not values:
            raise ToleranceFileError(f"{where}: 'one_of' needs a non-empty 'values' list")
        return Spread("one_of", values=tuple(values), measured=True)
    return Spread("exact", measured=True)


def default_spread(item: Item) -> Spread:
    """The rule used when ``results/tolerances.json`` has no entry for ``item``."""
    if item.value_type == "number" and "accuracy" in item.key + item.table:
        return Spread("abs", tolerance=DEFAULT_ACCURACY_TOLERANCE)
    return Spread("exact")


def spread_for(item: Item, spreads: dict[tuple[str, str], Spread]) -> Spread:
    """The measured spread of ``item`` if recorded, else :func:`default_spread`."""
    return spreads.get((item.notebook, item.results_path)) or default_spread(item)


def what_it_suggests(item: Item, given: float, reference: float) -> str:
    """A hint for an experiment number outside the spread: what may have gone wrong."""
    if "accuracy" in item.id:
        if 1 < given <= 100:
            return "looks like a percentage: accuracies are answered as fractions 0..1"
        if not 0 <= given <= 1:
            return "not an accuracy: accuracies lie between 0 and 1"
        if given <= CHANCE_CEILING < reference:
            return "at chance: the network did not learn (a constant answer scores about 0.10)"
    if given < reference:
        return (
            "below what a correct implementation reaches: check the training "
            "(epochs, learning rate, initialisation, input scaling)"
        )
    return (
        "above what a correct implementation reaches: check that no test image was "
        "used for training or model selection"
    )
