"""Grade one submission: code by hidden tests in a sandbox, theory by the answers grader.

``python -m tools.autograder.run --submission DIR --results FILE [--feedback FILE]``

The submission folder holds any of ``backprop.py``, ``svm.py``, ``scratch_nn.py`` and
``answers.toml``, at its top level or one folder down (Gradescope keeps the uploaded
layout; ``make submission`` in the hand-out zips them flat). Symlinks are refused.

The results file is Gradescope's ``results.json``: ``score``, ``output`` and ``tests``
(``name``, ``score``, ``max_score``, ``output``, ``visibility``). Every ``output`` is
student-facing: a mark, the reason and a hint, never an expected value. ``--staff FILE``
also writes the staff report (expected values included) of the theory answers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.autograder import calls
from tools.autograder.hidden_tests import HiddenTest, hidden_tests
from tools.autograder.sandbox import (
    SUBMISSION_FILES,
    ChildResult,
    Limits,
    isolation_summary,
    prepare_scratch,
    run_tests,
)

HERE = Path(__file__).resolve().parent
ANSWERS_NAME = "answers.toml"
MAX_FILE_BYTES = 512 * 1024


@dataclass
class TestOutcome:
    name: str
    score: float
    max_score: float
    output: str
    visibility: str = "visible"
    #: For the staff report only (never in results.json): the failing case's call,
    #: inputs, expected and actual values.
    staff: str = ""

    def as_gradescope(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "score": self.score,
            "max_score": self.max_score,
            "output": self.output,
            "visibility": self.visibility,
        }


def find_submission_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """``({file name: path}, notes)``: the known files at the top or one level down."""
    found: dict[str, Path] = {}
    notes = []
    wanted = (*SUBMISSION_FILES, ANSWERS_NAME)
    candidates = [folder / name for name in wanted]
    candidates += [
        p / name
        for p in sorted(folder.iterdir())
        if p.is_dir() and not p.is_symlink()
        for name in wanted
    ]
    for path in candidates:
        if path.name in found or not (path.exists() or path.is_symlink()):
            continue
        if path.is_symlink():
            notes.append(f"{path.relative_to(folder)}: a symlink, refused")
            continue
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            notes.append(
                f"{path.relative_to(folder)}: larger than {MAX_FILE_BYTES // 1024} KiB, refused"
            )
            continue
        found[path.name] = path
    return found, notes


def _reference_modules() -> dict:
    from helpers import backprop, scratch_nn, svm

    return {"backprop": backprop, "svm": svm, "scratch_nn": scratch_nn}


def _differs(expected: Any, actual: Any, compare: str, path: str = "result") -> str:
    """Why ``actual`` is not ``expected``, in words that never state ``expected``; "" if equal."""
    if isinstance(expected, dict) and "fraction" in expected:
        if isinstance(actual, dict) and "fraction" in actual:
            return "" if actual["fraction"] == expected["fraction"] else f"{path}: wrong value"
        if isinstance(actual, (int, float)) and not isinstance(actual, bool):
            return f"{path}: a {type(actual).__name__}; keep exact Fractions (no float())"
        return f"{path}: not a number"
    if isinstance(expected, dict) and "shape" in expected and "data" in expected:
        if not (isinstance(actual, dict) and "shape" in actual and "data" in actual):
            return f"{path}: not a NumPy array"
        if actual["shape"] != expected["shape"]:
            return (
                f"{path}: shape {tuple(actual['shape'])}, expected shape {tuple(expected['shape'])}"
            )
        import numpy as np

        a = np.array(actual["data"], dtype=float)
        e = np.array(expected["data"], dtype=float)
        if not np.allclose(a, e, rtol=1e-6, atol=1e-9, equal_nan=False):
            return f"{path}: wrong values"
        return ""
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return f"{path}: wrong structure"
        for key in expected:
            why = _differs(expected[key], actual[key], compare, f"{path}[{key!r}]")
            if why:
                return why
        return ""
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path}: wrong length or type"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            why = _differs(e, a, compare, f"{path}[{i}]")
            if why:
                return why
        return ""
    if isinstance(expected, float):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return f"{path}: not a number"
        return (
            ""
            if abs(actual - expected) <= 1e-9 * max(1.0, abs(expected))
            else f"{path}: wrong value"
        )
    return "" if actual == expected and type(actual) is type(expected) else f"{path}: wrong value"


def _init_differs(expected: dict, actual: Any) -> str:
    """An initialisation is random: compare shape, dtype and the sample's statistics."""
    if not isinstance(actual, dict) or set(actual) != set(expected):
        return "not an array"
    if actual["shape"] != expected["shape"]:
        return f"shape {tuple(actual['shape'])}, expected shape {tuple(expected['shape'])}"
    if actual["dtype"] != expected["dtype"]:
        return f"dtype {actual['dtype']}, expected {expected['dtype']}"
    if expected["max_abs"] == 0:
        return "" if actual["max_abs"] == 0 else "not all zeros"
    for key, tol in (("max_abs", 0.03), ("std", 0.03)):
        if abs(actual[key] - expected[key]) > tol * expected[key]:
            return f"the {'range' if key == 'max_abs' else 'spread'} of the values is wrong"
    if abs(actual["mean"]) > 0.05 * expected["std"] + 1e-12:
        return "the values are not centred on 0"
    return ""


def score_test(
    test: HiddenTest, expected: list, results: list[ChildResult], problem: str
) -> TestOutcome:
    """Full points when every case matches the reference; else 0 and the first reason."""
    n = len(test.cases)
    for index, want in enumerate(expected):
        where = f"case {index + 1} of {n}"
        if index >= len(results):
            why = f"no result: {problem}"
        elif results[index].error is not None:
            why = f"your code raised {results[index].error}"
        elif test.compare == "init":
            why = _init_differs(want, results[index].value)
        else:
            why = _differs(want, results[index].value, test.compare)
        if why:
            case = test.cases[index]
            got = results[index].value if index < len(results) else None
            staff = (
                f"{where}: {case['call']}({_short(case['args'])}); expected {_short(want)}; "
                f"got {_short(got)}"
            )
            return TestOutcome(
                test.name,
                0,
                test.points,
                f"0/{test.points}: {where}: {why}. Hint: {test.hint}.",
                staff=staff,
            )
    return TestOutcome(
        test.name, test.points, test.points, f"{test.points}/{test.points}: passed ({n} case(s))."
    )


def _short(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def code_staff_report(outcomes: list[TestOutcome]) -> str:
    """The code tests for staff, as Markdown: every mark, and what failed, with values."""
    lines = ["# Code tests: staff report", "", "| test | points | why | case (staff only) |"]
    lines.append("|---|---|---|---|")
    for o in outcomes:
        cell = " ".join(o.staff.split()).replace("|", "\\|")
        why = " ".join(o.output.split()).replace("|", "\\|")
        lines.append(f"| {o.name} | {o.score:g}/{o.max_score:g} | {why} | {cell} |")
    return "\n".join(lines) + "\n"


def run_code_tests(
    tests: list[HiddenTest], files: dict[str, Path], base_helpers: Path, limits: Limits
) -> list[TestOutcome]:
    """Every hidden test; one sandboxed child per submitted module (more if one dies)."""
    refs = _reference_modules()
    outcomes: dict[str, TestOutcome] = {}
    for module in dict.fromkeys(t.module for t in tests):
        group = [t for t in tests if t.module == module]
        module_file = f"{module}.py"
        if module_file not in files:
            for t in group:
                outcomes[t.name] = TestOutcome(
                    t.name,
                    0,
                    t.points,
                    f"0/{t.points}: helpers/{module_file} is not in the submission.",
                )
            continue
        expected = {
            t.name: [calls.call(refs, c["call"], c["args"]) for c in t.cases] for t in group
        }
        scratch = prepare_scratch(base_helpers, {module_file: files[module_file]})
        try:
            answered = run_tests(
                scratch, module, [{"name": t.name, "cases": list(t.cases)} for t in group], limits
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        for t in group:
            results, problem = answered.get(
                t.name, ([], "not run: an earlier test stopped the process")
            )
            outcomes[t.name] = score_test(t, expected[t.name], results, problem)
    return [outcomes[t.name] for t in tests]


def theory_outcomes(answers: Path | None, staff_path: Path | None) -> list[TestOutcome]:
    """One Gradescope test per answers table, marked by tools.grading (error carried forward)."""
    from tools.grading.cli import Grader
    from tools.grading.questions import TABLES
    from tools.grading.reports import STUDENT_HINTS, markdown_report, student_report

    grader = Grader()
    if answers is None:
        from tools.grading.answers import parse_answers

        result = grader_grade(grader, parse_answers("", "answers.toml"))
    else:
        result = grader.grade_file(answers)
    if staff_path is not None:
        staff_path.parent.mkdir(parents=True, exist_ok=True)
        staff_path.write_text(markdown_report(result, grader.spreads), encoding="utf-8")
        student_name = staff_path.stem.removesuffix("-staff") + "-student.md"
        staff_path.with_name(student_name).write_text(student_report(result), encoding="utf-8")
    outcomes = []
    for table in TABLES:
        marks = [m for m in result.marks if m.item.table == table]
        lines = []
        for m in marks:
            line = f"{m.item.key}: {m.points}/{m.max_points} {m.status}"
            if m.student_text:
                line += f": {m.student_text}"
            if not m.earned:
                line += f" (hint: {STUDENT_HINTS[m.item.section]})"
            lines.append(line)
        if answers is None:
            lines.insert(0, f"{ANSWERS_NAME} is not in the submission.")
        outcomes.append(
            TestOutcome(
                f"answers: [{table}]",
                float(sum(m.points for m in marks)),
                float(sum(m.max_points for m in marks)),
                "\n".join(lines),
            )
        )
    if result.notes:
        outcomes[0].output = (
            "Notes on the file: " + "; ".join(result.notes) + "\n" + outcomes[0].output
        )
    return outcomes


def grader_grade(grader, answers):
    from tools.grading.marking import grade

    return grade(answers, grader.reference, grader.rubric, grader.spreads)


def grade_submission(
    submission: Path,
    base_helpers: Path,
    limits: Limits | None = None,
    only: list[str] | None = None,
    theory: bool = True,
    staff_path: Path | None = None,
) -> dict[str, Any]:
    """The Gradescope results of one submission folder."""
    started = time.monotonic()
    limits = Limits() if limits is None else limits
    files, notes = find_submission_files(submission)
    tests = [t for t in hidden_tests() if not only or t.name in only]
    outcomes = run_code_tests(tests, files, base_helpers, limits)
    if staff_path is not None:
        staff_path.parent.mkdir(parents=True, exist_ok=True)
        staff_path.with_name("code-staff.md").write_text(
            code_staff_report(outcomes), encoding="utf-8"
        )
    if theory:
        outcomes += theory_outcomes(files.get(ANSWERS_NAME), staff_path)
    score = sum(o.score for o in outcomes)
    head = [f"Found: {', '.join(sorted(files)) or 'none of the expected files'}."]
    head += notes
    head.append(f"Isolation: {isolation_summary()}.")
    head.append(f"Graded in {time.monotonic() - started:.1f} s.")
    return {
        "score": score,
        "output": "\n".join(head),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [o.as_gradescope() for o in outcomes],
    }


def limits_from(wall: float | None, env) -> Limits:
    """The limits: ``--wall``, else ``AUTOGRADER_TEST_SECONDS``; ``AUTOGRADER_STARTUP_SECONDS``."""
    values = {}
    for key, given, name in (
        ("wall_seconds", wall, "AUTOGRADER_TEST_SECONDS"),
        ("startup_seconds", None, "AUTOGRADER_STARTUP_SECONDS"),
    ):
        text = given if given is not None else env.get(name)
        if text is None or text == "":
            continue
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{name} must be a number of seconds, got {text!r}") from None
        if not 0 < value <= 600:
            raise ValueError(f"{name} must lie in (0, 600] seconds, got {value:g}")
        values[key] = value
    return Limits(**values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.autograder.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--submission", type=Path, default=None, help="default: $AUTOGRADE_SUBMISSION"
    )
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument(
        "--student-helpers", type=Path, default=HERE.parent.parent / "student_helpers"
    )
    parser.add_argument(
        "--staff", type=Path, default=None, help="also write the staff report of the answers here"
    )
    parser.add_argument(
        "--wall", type=float, default=Limits.wall_seconds, help="wall-clock seconds per test"
    )
    parser.add_argument("--only", nargs="*", default=None, help="run only these hidden tests")
    parser.add_argument("--no-theory", action="store_true")
    args = parser.parse_args(argv)
    if args.submission is None:  # make autograde passes the path unexpanded, here
        from_env = os.environ.get("AUTOGRADE_SUBMISSION", "")
        if not from_env:
            parser.error("no submission: pass --submission or set SUBMISSION_DIR=<folder>")
        args.submission = Path(from_env)
    if not args.submission.is_dir():
        parser.error(f"--submission {args.submission}: not a folder")
    if not args.student_helpers.is_dir():
        parser.error(
            f"--student-helpers {args.student_helpers}: not a folder (run make autograder)"
        )
    try:
        limits = limits_from(args.wall, os.environ)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        results = grade_submission(
            args.submission, args.student_helpers, limits, args.only, not args.no_theory, args.staff
        )
    except Exception as exc:  # the grader itself failed: still write a results file
        results = {
            "score": 0,
            "output": f"The autograder failed: {type(exc).__name__}: {exc}. Staff have been told.",
            "tests": [],
        }
        print(f"autograder error: {exc!r}", file=sys.stderr)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"score {results['score']}; wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
