"""Mark a checked submission item by item, carrying errors forward where it is fair.

Every item gets all its points or none. An answer earns them when it is

* **correct**: it agrees with the reference (hand work: :func:`hand_close`;
  experiments: the measured spread, :func:`tools.grading.tolerances.spread_for`), or
* **carried forward** (backprop and SVM only): it is wrong, but it is what follows
  from the submission's own earlier answers, to the same hand-work precision
  (:func:`hand_close` against the value recomputed exactly from them).

Error carried forward, backprop. Sample ``k`` starts from the parameters the
submission gave after sample ``k - 1`` (the given start values for sample 1), and each
quantity is recomputed in exact arithmetic from the submission's own values of the
quantities it depends on, ``P`` being those previous parameters::

    z1     = P.w1 x + P.b1
    h      = relu(z1_given)
    y_pred = P.w2 h_given + P.b2
    error  = 1/2 (y - y_pred_given)^2
    delta  = y_pred_given - y
    w2     = P.w2 - eta delta h_given            b2 = P.b2 - eta delta
    w1     = P.w1 - eta delta P.w2 relu'(z1_given) x
    b1     = P.b1 - eta delta P.w2 relu'(z1_given)

(a value that is missing or unusable is replaced by what follows from the rest, so
one gap does not break the chain). Error carried forward, SVM: the margin must equal
``2 / ||w_given||`` and the query class ``sign(w_given . q + b_given)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import sqrt
from typing import Any

from helpers.backprop import Params, relu, relu_grad
from tools.grading.answers import Answers
from tools.grading.questions import BACKPROP_PARAMS, BACKPROP_SAMPLES, ITEMS, SVM_PROBLEMS, Item
from tools.grading.reference import Reference
from tools.grading.rubric import points_of
from tools.grading.tolerances import Spread, hand_close, spread_for, what_it_suggests

STATUSES = ("correct", "carried forward", "wrong", "missing", "invalid")


@dataclass(frozen=True)
class Mark:
    """The outcome for one item: texts for the reports, points and why."""

    item: Item
    status: str
    points: Decimal
    max_points: Decimal
    expected: str
    given: str
    reason: str
    #: The reason as a student report shows it: never the expected value. Empty: the
    #: staff ``reason`` names no expected value and is shown as it is.
    student_reason: str = ""

    @property
    def student_text(self) -> str:
        """The reason for the student report (no expected value)."""
        return self.student_reason or self.reason

    @property
    def earned(self) -> bool:
        return self.status in ("correct", "carried forward")


@dataclass(frozen=True)
class Grade:
    """All marks of one submission."""

    source: str
    marks: tuple[Mark, ...]
    notes: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return sum((m.points for m in self.marks), Decimal(0))

    @property
    def max_total(self) -> Decimal:
        return sum((m.max_points for m in self.marks), Decimal(0))

    def by_id(self) -> dict[str, Mark]:
        return {m.item.id: m for m in self.marks}


# ------------------------------------------------------------------------ formatting


def number_text(value: Any, digits: int = 6) -> str:
    """A number for a table cell: Fractions to ``digits`` significant digits."""
    if isinstance(value, (Fraction, Decimal)):
        value = float(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def expected_text(value: Any) -> str:
    """The reference value as shown in reports."""
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    if isinstance(value, tuple):
        return "[" + ", ".join(number_text(v) for v in value) + "]"
    return number_text(value)


# -------------------------------------------------------------------------- marking


class _Marker:
    """Marks one submission; holds what error carried forward needs."""

    def __init__(
        self, answers: Answers, reference: Reference, rubric: dict[str, Decimal], spreads: dict
    ):
        self.answers = answers
        self.reference = reference
        self.rubric = rubric
        self.spreads = spreads

    def mark(
        self,
        item: Item,
        status: str,
        reason: str,
        expected: str | None = None,
        student_reason: str = "",
    ) -> Mark:
        full = points_of(item, self.rubric)
        earned = status in ("correct", "carried forward")
        return Mark(
            item=item,
            status=status,
            points=full if earned else Decimal(0),
            max_points=full,
            expected=expected or expected_text(self.reference.values[item.id]),
            given=self.answers.given.get(item.id, "—"),
            reason=reason,
            student_reason=student_reason,
        )

    def unusable(self, item: Item) -> Mark | None:
        """The mark of an item without a usable value, or None when it has one."""
        if item.id in self.answers.values:
            return None
        problem = self.answers.problems.get(item.id, "missing")
        status = "missing" if problem.startswith(("missing", "not graded")) else "invalid"
        return self.mark(item, status, problem)

    # -- hand work with error carried forward
    def hand(self, item: Item, carried: Fraction | float | None, inputs: list[str]) -> Mark:
        """Mark a hand-worked number; ``carried`` is what follows from the submission's
        own earlier values, ``inputs`` names those of them that are themselves wrong."""
        missing = self.unusable(item)
        if missing:
            return missing
        given = self.answers.values[item.id]
        exact = self.reference.values[item.id]
        if hand_close(given, Fraction(exact)):
            return self.mark(item, "correct", "")
        if carried is not None and hand_close(given, Fraction(carried)):
            source = ", ".join(inputs) if inputs else "your own rounded earlier values"
            return self.mark(
                item,
                "carried forward",
                f"error carried forward: wrong, but follows from {source} "
                f"(gives {number_text(carried)})",
                student_reason=f"error carried forward: wrong, but follows from {source}",
            )
        hint = (
            f"; from your own earlier values it would be {number_text(carried)}"
            if carried is not None and inputs
            else ""
        )
        student = (
            "not the exact value to 4 significant digits, and it does not follow from your "
            "own earlier values either: redo this step"
            if carried is not None and inputs
            else "not the exact value to 4 significant digits: redo this step"
        )
        return self.mark(
            item,
            "wrong",
            f"differs from {number_text(exact, 8)} by more than 4 significant digits{hint}",
            student_reason=student,
        )

    def backprop(self) -> list[Mark]:
        marks = []
        setup = self.reference.backprop
        ref = self.reference.values
        given_prev = {
            n: (f"initial {n}", getattr(setup.initial, n), getattr(setup.initial, n))
            for n in BACKPROP_PARAMS
        }
        for k, (x, y) in zip(BACKPROP_SAMPLES, setup.samples, strict=True):
            base = f"backprop.sample{k}"
            prev = Params(**{n: v for n, (_, v, _) in given_prev.items()})
            eta = setup.eta

            def own(name: str, carried: Fraction, base: str = base) -> Fraction:
                """The submission's value of ``name`` in this sample, else ``carried``."""
                return self.answers.values.get(f"{base}.{name}", carried)

            def wrong_inputs(
                names: list[str], base: str = base, k: int = k, prev_info: dict = given_prev
            ) -> list[str]:
                """Labels of the named inputs whose used value is not the exact one
                (parameter names are the previous parameters; others this sample's)."""
                out = []
                for name in names:
                    if name in prev_info:
                        label, used, exact = prev_info[name]
                    else:
                        label = f"your sample-{k} {name}"
                        used = self.answers.values.get(f"{base}.{name}")
                        exact = ref[f"{base}.{name}"]
                    if used is not None and not hand_close(used, exact):
                        out.append(f"{label} = {number_text(used)}")
                return out

            z1_c = prev.w1 * x + prev.b1
            z1 = own("z1", z1_c)
            h_c = relu(Fraction(z1))
            h = own("h", h_c)
            y_pred_c = prev.w2 * h + prev.b2
            y_pred = own("y_pred", y_pred_c)
            error_c = (y - y_pred) ** 2 / 2
            delta = y_pred - y
            slope = relu_grad(z1)
            after = {
                "w2": prev.w2 - eta * delta * h,
                "b2": prev.b2 - eta * delta,
                "w1": prev.w1 - eta * delta * prev.w2 * slope * x,
                "b1": prev.b1 - eta * delta * prev.w2 * slope,
            }
            depends = {
                "z1": ["w1", "b1"],
                "h": ["z1"],
                "y_pred": ["w2", "b2", "h"],
                "error": ["y_pred"],
                "w2": ["w2", "y_pred", "h"],
                "b2": ["b2", "y_pred"],
                "w1": ["w1", "w2", "y_pred", "z1"],
                "b1": ["b1", "w2", "y_pred", "z1"],
            }
            carried = {"z1": z1_c, "h": h_c, "y_pred": y_pred_c, "error": error_c, **after}
            for name in ("z1", "h", "y_pred", "error", "w1", "b1", "w2", "b2"):
                item = _item(f"{base}.{name}")
                marks.append(self.hand(item, carried[name], wrong_inputs(depends[name])))
            given_prev = {
                n: (f"your sample-{k} {n}", own(n, after[n]), ref[f"{base}.{n}"])
                for n in BACKPROP_PARAMS
            }
        return marks

    def svm(self) -> list[Mark]:
        marks = []
        for p in SVM_PROBLEMS:
            base = f"svm.problem{p}"
            w = self.answers.values.get(f"{base}.w")
            w_wrong = w is not None and not all(
                hand_close(g, e) for g, e in zip(w, self.reference.values[f"{base}.w"], strict=True)
            )
            marks.append(self.vector(_item(f"{base}.w")))
            marks.append(self.hand(_item(f"{base}.b"), None, []))
            margin = None
            if w is not None and any(w):
                margin = Fraction(2 / sqrt(float(w[0] ** 2 + w[1] ** 2)))
            marks.append(
                self.hand(
                    _item(f"{base}.margin"),
                    margin,
                    [f"your w = [{', '.join(map(number_text, w))}]"] if w_wrong else [],
                )
            )
            marks.append(self.exact(_item(f"{base}.support_vectors")))
        item = _item("svm.problem2.query_class")
        w = self.answers.values.get("svm.problem2.w")
        b = self.answers.values.get("svm.problem2.b")
        carried, source = None, ""
        if w is not None and b is not None:
            q = self.reference.svm_query
            value = w[0] * q[0] + w[1] * q[1] + b
            carried = (value > 0) - (value < 0)
            source = f"your w and b (w . q + b = {number_text(value)})"
        marks.append(self.choice_with_carry(item, carried, source))
        return marks

    def vector(self, item: Item) -> Mark:
        missing = self.unusable(item)
        if missing:
            return missing
        given, exact = self.answers.values[item.id], self.reference.values[item.id]
        if all(hand_close(g, e) for g, e in zip(given, exact, strict=True)):
            return self.mark(item, "correct", "")
        scale = scaling_of(given, exact)
        if scale is not None:
            return self.mark(
                item,
                "wrong",
                f"the maximum-margin w scaled by {number_text(scale)}: the right hyperplane, "
                "but w must give y_i (w . x_i + b) = 1 on the support vectors",
                student_reason="a multiple of the maximum-margin w: the direction is right, "
                "the length is not; scale w (and b) so that y_i (w . x_i + b) = 1 on the "
                "support vectors",
            )
        return self.mark(item, "wrong", "not the maximum-margin w")

    def exact(self, item: Item) -> Mark:
        missing = self.unusable(item)
        if missing:
            return missing
        if self.answers.values[item.id] == self.reference.values[item.id]:
            return self.mark(item, "correct", "")
        return self.mark(
            item,
            "wrong",
            "not the expected set of points"
            if item.value_type == "letters"
            else "not the expected answer",
        )

    def choice_with_carry(self, item: Item, carried: Any, source: str) -> Mark:
        missing = self.unusable(item)
        if missing:
            return missing
        given = self.answers.values[item.id]
        if given == self.reference.values[item.id]:
            return self.mark(item, "correct", "")
        if carried is not None and given == carried:
            return self.mark(
                item, "carried forward", f"error carried forward: wrong, but follows from {source}"
            )
        return self.mark(item, "wrong", "not the expected answer")

    # -- experiments against the measured spread
    def experiment(self, item: Item) -> Mark:
        spread: Spread = spread_for(item, self.spreads)
        reference = self.reference.values[item.id]
        expected = (
            expected_text(reference)
            if spread.kind != "abs"
            else f"{number_text(reference, 4)} {spread.text()}"
        )
        if spread.kind == "one_of":
            expected = spread.text()
        missing = self.unusable(item)
        if missing:
            return Mark(
                item,
                missing.status,
                Decimal(0),
                missing.max_points,
                expected,
                missing.given,
                missing.reason,
            )
        given = self.answers.values[item.id]
        if spread.accepts(given, reference):
            return self.mark(item, "correct", "", expected)
        if item.value_type == "number" and spread.kind == "abs":
            return self.mark(
                item,
                "wrong",
                "outside the spread: " + what_it_suggests(item, float(given), float(reference)),
                expected,
            )
        return self.mark(item, "wrong", "not what a correct implementation finds", expected)


def scaling_of(given, exact) -> Fraction | None:
    """``k`` when ``given`` is ``k * exact`` (to hand precision) for some ``k > 0``, ``k != 1``."""
    exact = [Fraction(e) for e in exact]
    pivot = max(range(len(exact)), key=lambda i: abs(exact[i]))
    if exact[pivot] == 0:
        return None
    scale = Fraction(given[pivot]) / exact[pivot]
    if scale <= 0 or hand_close(scale, Fraction(1)):
        return None
    if all(hand_close(Fraction(g), scale * e) for g, e in zip(given, exact, strict=True)):
        return scale.limit_denominator(10**6)
    return None


def _item(item_id: str) -> Item:
    return next(item for item in ITEMS if item.id == item_id)


def grade(
    answers: Answers, reference: Reference, rubric: dict[str, Decimal], spreads: dict
) -> Grade:
    """Mark every item of ``answers`` (see the module docstring)."""
    marker = _Marker(answers, reference, rubric, spreads)
    marks: dict[str, Mark] = {}
    for mark in marker.backprop() + marker.svm():
        marks[mark.item.id] = mark
    for item in ITEMS:
        if item.section == "experiments":
            marks[item.id] = marker.experiment(item)
    ordered = tuple(marks[item.id] for item in ITEMS)
    return Grade(source=answers.source, marks=ordered, notes=tuple(answers.notes))
