"""``make autograder``: the Gradescope autograder zip, ``build/autograder.zip``.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when the
image is built, then ``/autograder/run_autograder`` for every submission, with the
submission in ``/autograder/submission``; the results go to
``/autograder/results/results.json`` (gradescope-autograders.readthedocs.io,
"Specifications"). The zip holds:

* ``setup.sh``: a venv in ``/autograder/venv`` with NumPy, SciPy and scikit-learn at
  the repository's pins (``requirements-autograder.txt``);
* ``run_autograder``: ``python -m tools.autograder.run`` on the submission;
* ``tools/autograder/`` (hidden tests, sandbox), ``tools/grading/`` (the answers
  grader), the reference ``helpers/``, the reference answers ``results/*.json``;
* ``student_helpers/``: the hand-out's helpers (stubs), the base a submission's files
  are laid over in each sandbox.

``AUTOGRADER_ROOT`` (default ``/autograder``) and ``AUTOGRADER_PYTHON`` (default
``$AUTOGRADER_ROOT/venv/bin/python``) let the same script run in a simulated layout.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from helpers.paths import BUILD_DIR, REPO_ROOT, relative
from tools.student import write_helpers

AUTOGRADER_ZIP = BUILD_DIR / "autograder.zip"
PINNED = ("numpy", "scipy", "scikit-learn")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup.sh: Python 3.11 or newer is needed (tomllib); pick a newer base image" >&2
    exit 1
fi
apt-get install -y --no-install-recommends python3-venv util-linux >/dev/null 2>&1 || true
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet -r /autograder/source/requirements-autograder.txt
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. Paths come from the environment, quoted.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
python="${AUTOGRADER_PYTHON:-$root/venv/bin/python}"
mkdir -p "$root/results"
cd "$root/source"
exec "$python" -m tools.autograder.run \\
    --submission "$root/submission" \\
    --results "$root/results/results.json" \\
    --student-helpers "$root/source/student_helpers"
"""


def _copy_tree(source: Path, target: Path, suffixes: tuple[str, ...]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if path.is_file() and path.suffix in suffixes:
            shutil.copyfile(path, target / path.name)


def pinned_requirements(requirements: Path = REPO_ROOT / "requirements.txt") -> str:
    """The repository's pins of what grading imports (NumPy, SciPy, scikit-learn)."""
    lines = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        name = line.split("==", 1)[0].strip().lower()
        if name in PINNED and "==" in line:
            lines.append(line.split("#", 1)[0].strip())
    missing = set(PINNED) - {line.split("==")[0].lower() for line in lines}
    if missing:
        raise ValueError(f"requirements.txt pins none of: {', '.join(sorted(missing))}")
    return "\n".join(lines) + "\n"


def write_autograder_source(target: Path) -> None:
    """The unpacked autograder (what ``/autograder/source`` holds) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    (target / "tools").mkdir()
    shutil.copyfile(REPO_ROOT / "tools" / "__init__.py", target / "tools" / "__init__.py")
    _copy_tree(REPO_ROOT / "tools" / "autograder", target / "tools" / "autograder", (".py",))
    _copy_tree(REPO_ROOT / "tools" / "grading", target / "tools" / "grading", (".py", ".toml"))
    _copy_tree(REPO_ROOT / "helpers", target / "helpers", (".py", ".toml"))
    _copy_tree(REPO_ROOT / "results", target / "results", (".json",))
    write_helpers(target / "student_helpers_tmp")
    shutil.move(target / "student_helpers_tmp" / "helpers", target / "student_helpers")
    (target / "student_helpers_tmp").rmdir()
    (target / "requirements-autograder.txt").write_text(pinned_requirements(), encoding="utf-8")
    for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
        path = target / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o755)


def build_zip(zip_path: Path = AUTOGRADER_ZIP) -> Path:
    """``build/autograder.zip`` (entries at the zip's root, as Gradescope wants)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        write_autograder_source(source)
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        partial = zip_path.with_suffix(".zip.tmp")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    name = path.relative_to(source).as_posix()
                    info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    mode = 0o755 if name in ("setup.sh", "run_autograder") else 0o644
                    info.external_attr = mode << 16
                    archive.writestr(info, path.read_bytes())
        partial.replace(zip_path)
    return zip_path


def main() -> int:
    path = build_zip()
    print(f"wrote {relative(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
