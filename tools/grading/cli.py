"""Command line: ``python -m tools.grading {grade,template,reference,example}``.

``grade`` takes the submission from ``--submission``/``--submissions`` or from the
environment: ``SUBMISSION`` (one file) or ``SUBMISSIONS`` (a folder: every ``*.toml``
in it), which the Makefile passes on unexpanded as ``GRADE_SUBMISSION(S)``. Paths
are only ever opened, never handed to a shell. Everything is written under
``build/grading/``; only ``example`` (the committed worked example) writes to
``results/grading/``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from helpers.paths import RESULTS_DIR, relative
from tools.grading.answers import read_answers
from tools.grading.files import (
    GRADING_DIR,
    atomic_write_text,
    inside,
    stem_collisions,
    unique_stems,
)
from tools.grading.marking import Grade, grade
from tools.grading.original import original_toml
from tools.grading.reference import load_reference, reference_toml, template_toml
from tools.grading.reports import _md, class_csv, console_table, html_report, markdown_report
from tools.grading.rubric import load_rubric
from tools.grading.tolerances import load_tolerances

EXAMPLE_DIR = RESULTS_DIR / "grading"
EXAMPLE_NAME = "original"
CSV_NAME = "grades.csv"


class Grader:
    """The reference, rubric and tolerances, loaded once for many submissions."""

    def __init__(self):
        self.reference = load_reference()
        self.rubric = load_rubric()
        self.spreads = load_tolerances()

    def grade_file(self, path: Path) -> Grade:
        """Mark one answers file (never raises for bad content)."""
        return grade(read_answers(path), self.reference, self.rubric, self.spreads)

    def write_reports(self, result: Grade, stem: str, out_dir: Path) -> list[Path]:
        """``<stem>.md`` and ``<stem>.html`` directly inside ``out_dir``."""
        written = []
        for suffix, text in (
            (".md", markdown_report(result, self.spreads)),
            (".html", html_report(result, self.spreads)),
        ):
            target = inside(out_dir, stem + suffix)
            atomic_write_text(target, text)
            written.append(target)
        return written


def grade_one(path: Path, out_dir: Path = GRADING_DIR) -> int:
    """Grade one file: print the table (last line ``total: x / y``), write its reports.

    If ``out_dir`` already holds a report under the same name for a *different* file
    (``José.toml`` after ``Jose.toml`` on a case- or accent-folding file system, or two
    names that sanitise alike), the new one gets ``-2``, ``-3``... and a note says so:
    no report is overwritten by another student's.
    """
    grader = Grader()
    result = grader.grade_file(path)
    [stem] = unique_stems([path.name])
    stem, note = free_stem(out_dir, stem, result.source)
    written = grader.write_reports(result, stem, out_dir)
    table = console_table(result)
    body, last = table.rstrip("\n").rsplit("\n", 1)
    print(body)
    if note:
        print(f"note: {note}")
    print("reports: " + ", ".join(relative(p) for p in written))
    print(last)
    return 0


def free_stem(out_dir: Path, stem: str, source: str) -> tuple[str, str]:
    """``stem``, or the first ``stem-N`` whose report is absent or is ``source``'s own."""
    out_dir = Path(out_dir)
    candidate, n = stem, 1
    while True:
        owner = _report_source(out_dir, candidate)
        if owner is None or owner == _md(source):
            break
        n += 1
        candidate = f"{stem}-{n}"
    if candidate == stem:
        return stem, ""
    return candidate, (
        f"{stem}.md already holds the report of {_report_source(out_dir, stem)!r}; "
        f"this one is {candidate}.md"
    )


def _report_source(out_dir: Path, stem: str) -> str | None:
    """The submission an existing ``<stem>.md`` report is about, or None if none exists."""
    report = out_dir / f"{stem}.md"
    if not report.is_file():
        return None
    first = report.read_text(encoding="utf-8").split("\n", 1)[0]
    prefix = "# Grade report: "
    return first[len(prefix) :] if first.startswith(prefix) else ""


def folder_entries(folder: Path) -> tuple[list[Path], list[str]]:
    """``(answers files to grade, one line per skipped entry)`` of a submissions folder.

    Graded: regular files whose name ends in ``.toml`` in any case (``bob.TOML``), and
    symlinks to such files that stay inside the folder. Listed as skipped: everything
    else, with the reason (``carol.toml.txt``, a subfolder, a symlink that leaves the
    folder, which is never followed).
    """
    root = folder.resolve()
    graded, skipped = [], []
    for path in sorted(folder.iterdir()):
        name = path.name
        if path.is_symlink():
            target = path.resolve()
            if target.parent != root:
                skipped.append(f"{name}: a symlink leaving the folder, refused")
                continue
        if path.is_dir():
            skipped.append(f"{name}: a folder, not graded (answers files only)")
        elif not path.is_file():
            skipped.append(f"{name}: not a regular file, skipped")
        elif path.suffix.lower() == ".toml":
            graded.append(path)
        elif ".toml" in name.lower():
            skipped.append(f"{name}: skipped, its name does not end in .toml (rename it?)")
        else:
            skipped.append(f"{name}: skipped, not an answers file (*.toml)")
    return graded, skipped


def grade_folder(folder: Path, out_dir: Path = GRADING_DIR) -> int:
    """Grade every ``*.toml`` in ``folder``: reports per file and one CSV for all."""
    paths, skipped = folder_entries(folder)
    for line in skipped:
        print(f"note: {line}")
    if not paths:
        print(f"error: no *.toml files in {folder.name}/", file=sys.stderr)
        return 2
    grader = Grader()
    rows = []
    names = [p.name for p in paths]
    for line in stem_collisions(names):
        print(f"note: {line}")
    for path, stem in zip(paths, unique_stems(names), strict=True):
        result = grader.grade_file(path)  # never raises for a bad file
        grader.write_reports(result, stem, out_dir)
        rows.append((stem, result))
        problems = sum(1 for m in result.marks if m.status in ("missing", "invalid"))
        print(
            f"{stem}: {result.total.normalize():f} / {result.max_total.normalize():f}"
            + (f" ({problems} item(s) missing or unusable)" if problems else "")
        )
    target = inside(out_dir, CSV_NAME)
    atomic_write_text(target, class_csv(rows))
    print(
        f"graded {len(rows)} submission(s); reports and {relative(target)} in {relative(out_dir)}/"
        + (f"; {len(skipped)} entry(ies) skipped (notes above)" if skipped else "")
    )
    return 0


def write_example() -> int:
    """The worked example: the original's answers and grade reports in results/grading/."""
    grader = Grader()
    answers = inside(EXAMPLE_DIR, f"{EXAMPLE_NAME}.toml")
    atomic_write_text(answers, original_toml(grader.reference))
    result = grader.grade_file(answers)
    for path in [answers, *grader.write_reports(result, EXAMPLE_NAME, EXAMPLE_DIR)]:
        print(f"wrote {relative(path)}")
    return 0


def _from_environment(name: str) -> str:
    """``GRADE_<name>`` (the Makefile's unexpanded copy) or else ``<name>``."""
    return os.environ.get(f"GRADE_{name}") or os.environ.get(name, "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.grading",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    grade_cmd = commands.add_parser("grade", help="grade one answers file or a folder")
    grade_cmd.add_argument("--submission", default=_from_environment("SUBMISSION"))
    grade_cmd.add_argument("--submissions", default=_from_environment("SUBMISSIONS"))
    commands.add_parser("template", help="write build/grading/answers-template.toml")
    commands.add_parser("reference", help="write build/grading/reference.toml")
    commands.add_parser("example", help="the original's answers and reports in results/grading/")
    args = parser.parse_args(argv)

    if args.command == "template":
        target = inside(GRADING_DIR, "answers-template.toml")
        atomic_write_text(target, template_toml())
        print(f"wrote {relative(target)}")
        return 0
    if args.command == "reference":
        target = inside(GRADING_DIR, "reference.toml")
        atomic_write_text(target, reference_toml(load_reference()))
        print(f"wrote {relative(target)}")
        return 0
    if args.command == "example":
        return write_example()

    if bool(args.submission) == bool(args.submissions):
        print(
            "error: give exactly one of SUBMISSION=<answers.toml> or SUBMISSIONS=<folder>",
            file=sys.stderr,
        )
        return 2
    if args.submission:
        path = Path(args.submission)
        if not path.is_file():
            print(f"error: SUBMISSION {args.submission!r} is not a file", file=sys.stderr)
            return 2
        return grade_one(path)
    folder = Path(args.submissions)
    if not folder.is_dir():
        print(f"error: SUBMISSIONS {args.submissions!r} is not a folder", file=sys.stderr)
        return 2
    return grade_folder(folder)
