"""The hand-out: one source, solutions hidden. ``make student`` writes ``build/student/``.

**Marker and tag vocabulary** (the one place it is defined; README, section Grading,
repeats it for course staff). The style follows otter-grader's and nbgrader's solution
regions, so staff who know either can read it.

In Python files (the helpers students write, and inside notebook code cells)::

    def relu(z):
        \"\"\"The docstring is the task: it stays in the hand-out.\"\"\"
        # BEGIN SOLUTION
        return np.maximum(z, 0.0)
        # END SOLUTION

The lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` (both comments on lines of
their own, at the same indentation, inside a ``def``; no nesting) are replaced by one
``raise NotImplementedError("TO DO: ...")`` naming the function and the file. Code
before and after the region is kept, so a region may cover part of a function. A
region at module level, an unmatched or nested marker is an error (``MarkerError``)
naming the file and line: the hand-out is never written from a half-marked file.

Notebook cell tags (``metadata.tags``):

* ``solution`` (or the older ``exercise``) on a code cell: the whole cell is a
  solution; it becomes a stub raising ``NotImplementedError("TO DO (exercise N of
  <notebook>): ...")``; ``metadata.exercise`` text, if any, says what to write;
* ``reveals-answer`` on any cell (prose stating an answer, a plot titled with it, an
  assertion listing expected values, a comparison with the committed results): the
  cell's source is replaced by a one-line note that it was removed, so cell numbering
  and the cells around it stay as they are;
* every other cell is copied with its source unchanged; ``BEGIN/END SOLUTION``
  regions inside any code cell are still stubbed.

Every output, execution count, attachment and papermill record is dropped.

**What the hand-out holds** (``build/student/`` and ``build/student.zip``): its own
README, Makefile (``make venv``, ``make data``, ``make check``), ``requirements.txt``
(the repository's pins), the helpers package with the solution regions stubbed and
the ledger without its hand-worked sections (``LEDGER_WITHHELD``), the notebooks, the
self-checks (``selfcheck.py``, from ``tools/handout/``) and the answers template. It
holds no ``results/``, no theory write-ups and no outputs; each notebook's
``parameters`` cell asks for ``run_options = {"verify": "accept"}`` (there is no
committed run to compare with: each run is its own reference); a test
(``tests/test_student.py``) searches every file of it and of the zip for every
reference answer.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from helpers.paths import BUILD_DIR, NOTEBOOKS_DIR, REPO_ROOT, relative
from tools.grading.files import atomic_write_text, inside
from tools.grading.reference import template_toml

STUDENT_DIR = BUILD_DIR / "student"
STUDENT_ZIP = BUILD_DIR / "student.zip"
HELPERS_DIR = REPO_ROOT / "helpers"
HANDOUT_TEMPLATE_DIR = REPO_ROOT / "tools" / "handout"
EXERCISE_TAG = "exercise"
SOLUTION_TAGS = ("solution", EXERCISE_TAG)
REVEALS_TAG = "reveals-answer"
BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
#: The helper files students write (their marked regions are the exercises).
EXERCISE_HELPERS = ("backprop.py", "svm.py", "scratch_nn.py")
#: Helper files kept out of the hand-out, and why.
HANDOUT_HELPERS_EXCLUDED: dict[str, str] = {}
#: Ledger sections (``# ===... NN`` blocks of helpers/ledger.toml) left out of the
#: hand-out's ledger: the original's hand-worked answers, right ones included. The other
#: sections (the original's experiment numbers, which notebooks 03-07 import) stay.
LEDGER_WITHHELD = ("01", "02")
#: Files copied from tools/handout/ into the hand-out's root, verbatim.
HANDOUT_FILES = ("README.md", "Makefile", "selfcheck.py")
REMOVED_CODE = "# (Removed from the hand-out: this cell shows a graded answer.)\n"
REMOVED_MARKDOWN = "*(Removed from the hand-out: this passage states a graded answer.)*"

_MARKER = re.compile(r"^(?P<indent>[ \t]*)# (?P<kind>BEGIN|END) SOLUTION[ \t]*$")
_DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?def[ \t]+(?P<name>\w+)")


class MarkerError(ValueError):
    """A solution marker that cannot be turned into a stub (message names file and line)."""


@dataclass(frozen=True)
class Region:
    """One solution region: the function it sits in, its first line (1-based), its body."""

    function: str
    line: int
    body: str


def solution_regions(text: str, name: str = "<source>") -> list[Region]:
    """Every ``BEGIN/END SOLUTION`` region of Python source ``text``, checked."""
    lines = text.splitlines(keepends=True)
    regions = []
    open_at: tuple[int, str, str] | None = None  # (index, indent, function)
    for index, line in enumerate(lines):
        match = _MARKER.match(line.rstrip("\n"))
        if match is None:
            continue
        where = f"{name}, line {index + 1}"
        indent = match["indent"]
        if match["kind"] == "BEGIN":
            if open_at is not None:
                raise MarkerError(
                    f"{where}: BEGIN SOLUTION inside the region opened at line {open_at[0] + 1}"
                )
            function = _enclosing_function(lines, index, indent)
            if function is None:
                raise MarkerError(f"{where}: a solution region must be inside a def")
            open_at = (index, indent, function)
        else:
            if open_at is None:
                raise MarkerError(f"{where}: END SOLUTION without a BEGIN SOLUTION")
            if indent != open_at[1]:
                raise MarkerError(
                    f"{where}: END SOLUTION indented unlike its BEGIN (line {open_at[0] + 1})"
                )
            body = "".join(lines[open_at[0] + 1 : index])
            if not body.strip():
                raise MarkerError(f"{where}: empty solution region")
            regions.append(Region(open_at[2], open_at[0] + 1, body))
            open_at = None
    if open_at is not None:
        raise MarkerError(f"{name}, line {open_at[0] + 1}: BEGIN SOLUTION never closed")
    return regions


def _enclosing_function(lines: list[str], index: int, indent: str) -> str | None:
    for line in reversed(lines[:index]):
        match = _DEF.match(line)
        if match and len(match["indent"]) < len(indent):
            return match["name"]
    return None


def strip_solutions(text: str, name: str) -> tuple[str, int]:
    """``text`` with each solution region replaced by a TO DO raise; ``(text, regions)``."""
    regions = solution_regions(text, name)  # validates first
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    inside_region = False
    count = 0
    for line in lines:
        match = _MARKER.match(line.rstrip("\n"))
        if match and match["kind"] == "BEGIN":
            function = regions[count].function
            count += 1
            message = f"TO DO: write this part of {function}() in {name} (see its docstring)"
            out.append(f"{match['indent']}raise NotImplementedError({json.dumps(message)})\n")
            inside_region = True
        elif match and match["kind"] == "END":
            inside_region = False
        elif not inside_region:
            out.append(line)
    return "".join(out), count


def stub_source(notebook: str, number: int, task: str) -> str:
    """The code of an exercise stub: comments, then the raise."""
    what = task or "write the code for this cell"
    message = f"TO DO (exercise {number} of {notebook}): {what}"
    return (
        f"# Exercise {number}: {what}\n"
        "# Replace this cell with your code; the cells after it use its results.\n"
        f"raise NotImplementedError({json.dumps(message)})\n"
    )


def _source_text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


PARAMETERS_TAG = "parameters"
#: The hand-out's parameters cell: no results/ is handed out, so no committed run to
#: compare with (:func:`helpers.run.start_run`, verify mode ``accept``).
HANDOUT_PARAMETERS = (
    'profile = "default"\n'
    'run_options = {"verify": "accept"}  # no committed results here: each run is its own reference'
)


def student_notebook(notebook: dict, name: str) -> tuple[dict, int]:
    """A copy of ``notebook`` (nbformat 4 JSON) with stubs, removed cells and no outputs.

    Returns ``(new notebook, number of exercise cells)``.
    """
    result = copy.deepcopy(notebook)
    count = 0
    for index, cell in enumerate(result.get("cells", [])):
        metadata = cell.setdefault("metadata", {})
        tags = metadata.get("tags", [])
        cell.pop("attachments", None)
        for key in ("execution", "papermill", "scrolled", "collapsed"):
            metadata.pop(key, None)
        if PARAMETERS_TAG in tags:
            cell["source"] = HANDOUT_PARAMETERS
        if REVEALS_TAG in tags:
            is_code = cell.get("cell_type") == "code"
            cell["source"] = REMOVED_CODE if is_code else REMOVED_MARKDOWN
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = []
        cell["execution_count"] = None
        if REVEALS_TAG in tags:
            continue
        if any(tag in tags for tag in SOLUTION_TAGS):
            count += 1
            task = metadata.get("exercise", "")
            cell["source"] = stub_source(name, count, task if isinstance(task, str) else "")
        else:
            text = _source_text(cell.get("source", ""))
            if BEGIN in text:
                stripped, regions = _strip_cell(text, f"{name} cell {index}")
                cell["source"] = stripped
                count += regions
    result.get("metadata", {}).pop("papermill", None)
    return result, count


def _strip_cell(text: str, name: str) -> tuple[str, int]:
    """A notebook cell's regions; a cell's top-level code is its 'function'."""
    wrapped = "def cell():\n" + "".join("    " + line for line in text.splitlines(keepends=True))
    stripped, count = strip_solutions(wrapped, name)
    body = stripped.split("\n", 1)[1]
    return "".join(line[4:] for line in body.splitlines(keepends=True)), count


def write_helpers(out_dir: Path, helpers_dir: Path = HELPERS_DIR) -> list[str]:
    """The helpers package into ``out_dir/helpers``, solution regions stubbed."""
    lines = []
    target_dir = out_dir / "helpers"
    target_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(helpers_dir.iterdir()):
        if not path.is_file() or path.name in HANDOUT_HELPERS_EXCLUDED:
            continue
        if path.suffix not in (".py", ".toml", ".json", ".txt", ".md"):
            continue
        text = path.read_text(encoding="utf-8")
        name = f"helpers/{path.name}"
        if path.name == "ledger.toml":
            text = handout_ledger(text)
        stripped, regions = strip_solutions(text, name) if path.suffix == ".py" else (text, 0)
        atomic_write_text(inside(target_dir, path.name), stripped)
        if regions:
            lines.append(f"wrote {name} ({regions} solution region(s) stubbed)")
    return lines


def handout_ledger(text: str) -> str:
    """helpers/ledger.toml without the sections of :data:`LEDGER_WITHHELD`.

    The ledger's sections start with a ``# ====...==== NN`` line; a withheld section
    runs to the next such line. Refuses a ledger without those markers rather than
    copying it whole.
    """
    out, keep, seen = [], True, set()
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip()
        if stripped.startswith("# ====") and stripped[-2:].isdigit():
            number = stripped[-2:]
            seen.add(number)
            keep = number not in LEDGER_WITHHELD
        if keep:
            out.append(line)
    missing = set(LEDGER_WITHHELD) - seen
    if missing:
        raise MarkerError(f"helpers/ledger.toml: no section marker for {sorted(missing)}")
    return "".join(out)


def write_student_version(notebooks: list[Path], out_dir: Path = STUDENT_DIR) -> list[str]:
    """Only the notebooks and the answers template into ``out_dir`` (no helpers, no README)."""
    lines = []
    notebook_dir = out_dir
    notebook_dir.mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        converted, count = student_notebook(notebook, path.stem)
        target = inside(notebook_dir, path.name)
        atomic_write_text(target, json.dumps(converted, indent=1, ensure_ascii=False) + "\n")
        note = f"{count} exercise cell(s)" if count else "no cell tagged 'exercise' yet"
        lines.append(f"wrote {relative(target)} ({note})")
    template = inside(out_dir, "answers-template.toml")
    atomic_write_text(template, template_toml())
    lines.append(f"wrote {relative(template)}")
    return lines


def write_handout(out_dir: Path = STUDENT_DIR, zip_path: Path | None = STUDENT_ZIP) -> list[str]:
    """The whole stand-alone hand-out: helpers, notebooks, README, Makefile, self-checks."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    lines = write_helpers(out_dir)
    notebook_dir = out_dir / "notebooks"
    notebook_dir.mkdir()
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        converted, count = student_notebook(json.loads(path.read_text(encoding="utf-8")), path.stem)
        target = inside(notebook_dir, path.name)
        atomic_write_text(target, json.dumps(converted, indent=1, ensure_ascii=False) + "\n")
        lines.append(f"wrote notebooks/{path.name} ({count} exercise(s))")
    for name in HANDOUT_FILES:
        shutil.copyfile(HANDOUT_TEMPLATE_DIR / name, inside(out_dir, name))
    shutil.copyfile(REPO_ROOT / "requirements.txt", inside(out_dir, "requirements.txt"))
    (out_dir / "data").mkdir()
    atomic_write_text(inside(out_dir / "data", "README.md"), "Datasets land here (`make data`).\n")
    atomic_write_text(inside(out_dir, "answers-template.toml"), template_toml())
    lines.append("wrote README.md, Makefile, selfcheck.py, requirements.txt, answers-template.toml")
    if zip_path is not None:
        write_zip(out_dir, zip_path)
        lines.append(f"wrote {relative(zip_path)}")
    return lines


def write_zip(folder: Path, zip_path: Path) -> None:
    """``folder`` as a zip whose entries start with ``student/`` (fixed dates: reproducible)."""
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                info = zipfile.ZipInfo(
                    f"student/{path.relative_to(folder).as_posix()}", (2020, 1, 1, 0, 0, 0)
                )
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes())
    tmp.replace(zip_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.student",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    try:
        lines = write_handout()
    except MarkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
