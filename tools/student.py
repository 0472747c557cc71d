"""The student version: notebooks with exercise stubs, outputs cleared, and the template.

``make student`` (``python -m tools.student``) writes ``build/student/``:

* every ``notebooks/*.ipynb`` with each code cell tagged ``exercise`` replaced by a stub
  that raises ``NotImplementedError("TO DO (exercise N of <notebook>): ...")``, so a
  student who runs the notebook before doing the exercise gets a clear message and
  not a confusing ``NameError`` further down;
* every output and execution count cleared (answers must not leak through outputs);
* ``answers-template.toml``, the answers file to fill in (README, section Grading).

A cell may carry its task in its metadata as ``"exercise": "what to write"``; the stub
shows it as a comment and in the error message. The notebooks are read as JSON
(nbformat 4) and written atomically; nothing in them is executed here.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

from helpers.paths import BUILD_DIR, NOTEBOOKS_DIR, relative
from tools.grading.files import atomic_write_text, inside
from tools.grading.reference import template_toml

STUDENT_DIR = BUILD_DIR / "student"
EXERCISE_TAG = "exercise"


def stub_source(notebook: str, number: int, task: str) -> str:
    """The code of an exercise stub: comments, then the raise."""
    what = task or "write the code for this cell"
    message = f"TO DO (exercise {number} of {notebook}): {what}"
    return (
        f"# Exercise {number}: {what}\n"
        "# Replace this cell with your code; the cells after it use its results.\n"
        f"raise NotImplementedError({json.dumps(message)})\n"
    )


def student_notebook(notebook: dict, name: str) -> tuple[dict, int]:
    """A copy of ``notebook`` (nbformat 4 JSON) with stubs and no outputs.

    Returns ``(new notebook, number of exercise cells)``.
    """
    result = copy.deepcopy(notebook)
    count = 0
    for cell in result.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = []
        cell["execution_count"] = None
        metadata = cell.setdefault("metadata", {})
        metadata.pop("execution", None)
        metadata.pop("papermill", None)
        if EXERCISE_TAG in metadata.get("tags", []):
            count += 1
            task = metadata.get("exercise", "")
            cell["source"] = stub_source(name, count, task if isinstance(task, str) else "")
    result.get("metadata", {}).pop("papermill", None)
    return result, count


def write_student_version(notebooks: list[Path], out_dir: Path = STUDENT_DIR) -> list[str]:
    """Write the student notebooks and the answers template; one line per file written."""
    lines = []
    for path in notebooks:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        converted, count = student_notebook(notebook, path.stem)
        target = inside(out_dir, path.name)
        atomic_write_text(target, json.dumps(converted, indent=1, ensure_ascii=False) + "\n")
        note = f"{count} exercise cell(s)" if count else "no cell tagged 'exercise' yet"
        lines.append(f"wrote {relative(target)} ({note})")
    template = inside(out_dir, "answers-template.toml")
    atomic_write_text(template, template_toml())
    lines.append(f"wrote {relative(template)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.student",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    for line in write_student_version(sorted(NOTEBOOKS_DIR.glob("*.ipynb"))):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
