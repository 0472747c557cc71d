"""Execute the notebooks with papermill, incrementally, and strip run-varying metadata.

``make run-all [PROFILE=...]`` calls ``python -m tools.pipeline run --profile ...``.

* The default profile runs the committed notebooks in place; other profiles write
  ``build/<profile>/notebooks/`` so the committed outputs are never overwritten.
* A notebook runs again only when its fingerprint changed: its cells' sources, the
  ``helpers`` modules it imports (transitively), the data files those modules read
  (``helpers/ledger.toml``), ``requirements.txt`` and the profile.
  Fingerprints of the committed notebooks live in ``notebooks/.run-stamps.json``.
* A notebook receives its settings as papermill parameters: ``profile`` and
  ``run_options`` (:mod:`helpers.run`); a default-profile run needs none, so the
  committed notebooks carry no injected cell.
* Every run writes its results into ``build/<profile>/results/``. For the default profile
  the pipeline then copies a notebook's results file into ``results/`` (the committed
  reference), only after the whole notebook, its verification included, succeeded.
* A failing notebook is reported with its cell and error; its partial output goes to
  ``build/failed/``, and every other notebook's outputs and ``results/`` stay as they were.
* Papermill's timestamps/durations and nbclient's execution timestamps are removed,
  so re-running an unchanged notebook gives the same bytes.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import nbformat

from helpers.files import atomic_write
from helpers.paths import BUILD_DIR, MPL_CONFIG_DIR, NOTEBOOKS_DIR, REPO_ROOT, RESULTS_DIR, relative
from helpers.profiles import get_profile
from helpers.results import promote, run_dir

KERNEL_NAME = "nn-svm-coursework"
KERNELSPEC = {
    "name": KERNEL_NAME,
    "display_name": "Python (nn-svm-coursework)",
    "language": "python",
}
NOTEBOOK_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
#: A notebook names its results file in its setup cell: ``start_run("03_scratch_nn", ...)``.
RESULTS_NAME = re.compile(r"""\bstart_run\(\s*["']([0-9a-z_]+)["']""")
INJECTED_TAG = "injected-parameters"
HELPERS_DIR = REPO_ROOT / "helpers"
#: Data files a helpers module reads, by module file: they determine outputs too.
HELPERS_DATA = {"ledger.py": ("ledger.toml",)}
FINGERPRINT_FILES = (REPO_ROOT / "requirements.txt",)
# Keys that change on every run and carry nothing a reader needs.
_VOLATILE_NOTEBOOK_KEYS = ("papermill", "widgets")
_VOLATILE_CELL_KEYS = ("papermill", "execution", "ExecuteTime", "collapsed", "scrolled")


def list_notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks of ``folder`` in run order."""
    return sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK_PATTERN.match(p.name))


# ----------------------------------------------------------------------------- stripping


def strip_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove metadata that differs between otherwise identical runs (in place).

    Execution counts and outputs stay: nbval needs them. Consecutive stream outputs of
    the same name (stdout, stderr) are merged into one, since how the kernel happens to
    chunk a cell's printing depends on timing, not on what was printed.
    """
    for key in _VOLATILE_NOTEBOOK_KEYS:
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        for key in _VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill draws a random id on every run
            # papermill ends the cell with a newline, ruff format (make lint) without one
            cell.source = cell.source.rstrip("\n")
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    return nb


def coalesce_streams(outputs: list) -> list:
    """``outputs`` with every run of consecutive same-name stream outputs merged."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = _text(previous["text"]) + _text(output["text"])
        else:
            merged.append(output)
    return merged


def _text(text) -> str:
    return text if isinstance(text, str) else "".join(text)


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` atomically (temporary file + rename)."""
    text = nbformat.writes(nb)
    atomic_write(path, text if text.endswith("\n") else text + "\n")  # as nbformat.write


# --------------------------------------------------------------------------- fingerprint


def _code_without_magics(source: str) -> str:
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def imported_helpers(source: str, helpers_dir: Path = HELPERS_DIR) -> set[Path]:
    """Files of ``helpers`` modules that ``source`` imports (directly, not transitively)."""
    try:
        tree = ast.parse(_code_without_magics(source))
    except SyntaxError:
        return set(helpers_dir.glob("*.py"))  # cannot tell: depend on all of them
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] != "helpers":
                continue
            for depth in range(1, len(parts) + 1):
                sub = parts[1:depth]
                module = helpers_dir.joinpath(*sub).with_suffix(".py") if sub else None
                if module is not None and module.is_file():
                    found.add(module)
    found.add(helpers_dir / "__init__.py")
    return found


def helper_closure(sources: Iterable[str], helpers_dir: Path = HELPERS_DIR) -> list[Path]:
    """All ``helpers`` files the sources import, following imports between helpers."""
    todo = set()
    for source in sources:
        todo |= imported_helpers(source, helpers_dir)
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        todo |= imported_helpers(path.read_text(encoding="utf-8"), helpers_dir) - seen
    return sorted(seen)


def _authored_cells(nb: nbformat.NotebookNode) -> list:
    return [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]


def fingerprint(
    notebook: Path,
    profile: str,
    helpers_dir: Path = HELPERS_DIR,
    extra_files: Sequence[Path] = FINGERPRINT_FILES,
) -> str:
    """SHA-256 over what determines a notebook's outputs (see the module docstring)."""
    nb = nbformat.read(notebook, as_version=4)
    cells = _authored_cells(nb)
    digest = hashlib.sha256()
    digest.update(f"profile={profile}\n".encode())
    for cell in cells:
        digest.update(f"--cell {cell.cell_type}\n{cell.source}\n".encode())
    code = [c.source for c in cells if c.cell_type == "code"]
    modules = helper_closure(code, helpers_dir)
    # data files that helpers read: the ledger (the original's numbers and the reasons)
    data = [helpers_dir / name for m in modules for name in HELPERS_DATA.get(m.name, ())]
    for path in [*modules, *data, *extra_files]:
        if path.is_file():
            digest.update(f"--file {path.name}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# ------------------------------------------------------------------------------ running


def output_path(notebook: Path, profile: str) -> Path:
    """Where the executed notebook goes: in place for default, else build/<profile>/."""
    if profile == "default":
        return notebook
    return BUILD_DIR / profile / "notebooks" / notebook.name


def stamps_path(profile: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
    if profile == "default":
        return notebooks_dir / ".run-stamps.json"
    return BUILD_DIR / profile / "run-stamps.json"


def _read_stamps(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_stamps(path: Path, stamps: dict) -> None:
    atomic_write(path, json.dumps(stamps, indent=2, sort_keys=True) + "\n")


RUN_RECORD_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "matplotlib",
    "papermill",
    "nbval",
    "ipykernel",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def environment_record() -> dict:
    """Python, package versions, CPU and core count of this machine (for the report)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    packages = {}
    for name in RUN_RECORD_PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = "not installed"
    return {
        "python": platform.python_version(),
        "packages": packages,
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
    }


def run_record_path(profile: str) -> Path:
    """``results/run.json`` (default profile) or ``build/<profile>/results/run.json``."""
    return RESULTS_DIR / "run.json" if profile == "default" else run_dir(profile) / "run.json"


def record_run(profile: str, notebook: Path, wall_time_s: float) -> None:
    """Add one notebook's run (UTC date, wall time) and this machine's facts to run.json.

    Written only when a notebook really ran, so an up-to-date re-run changes nothing.
    """
    path = run_record_path(profile)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        record = {}
    record.update(environment_record())
    record["profile"] = profile
    record.setdefault("notebooks", {})[notebook.name] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "wall_time_s": round(wall_time_s, 1),
    }
    _write_stamps(path, record)


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the notebook, the cell and the error."""


def results_name(notebook: Path) -> str:
    """The name a notebook saves its results under (its ``start_run`` call)."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            match = RESULTS_NAME.search(cell.source)
            if match:
                return match.group(1)
    raise ValueError(f'{relative(notebook)} has no start_run("<name>", ...) call')


def without_injected_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` without papermill's injected-parameters cell, execution counts renumbered.

    Used for the committed notebooks: what a default-profile run is given (``verify:
    accept`` under ``make run-all ACCEPT=1``) decides only what the run is compared with,
    never what it shows.
    """
    nb.cells = [c for c in nb.cells if INJECTED_TAG not in c.metadata.get("tags", [])]
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            count += 1
            cell.execution_count = count
            for output in cell.get("outputs", []):
                if "execution_count" in output:
                    output["execution_count"] = count
    return nb


def kernel_environment() -> dict[str, str]:
    """What the kernels get on top of this process's environment: matplotlib's cache
    inside build/ (a stale cache in the home folder makes figures warn on stderr)."""
    return {"MPLCONFIGDIR": str(MPL_CONFIG_DIR)}


def execute(
    notebook: Path,
    output: Path,
    profile: str,
    run_options: Mapping[str, object] | None = None,
    failed_dir: Path | None = None,
    log_output: bool = True,
    env: Mapping[str, str] | None = None,
) -> list[float]:
    """Run ``notebook`` with papermill into ``output`` (atomically), stripped.

    Parameters: ``profile`` (unless it is the default) and ``run_options`` (unless
    empty; :func:`helpers.run.start_run` takes them). ``env``: variables the machine's
    libraries read (``OPENBLAS_*``, ``NPY_DISABLE_CPU_FEATURES``), added to this
    process's environment and :func:`kernel_environment` for the kernel only. The
    kernel runs in the notebook's own folder, as nbval's does. Returns each cell's run
    time in seconds (papermill's, before stripping; 0 for Markdown cells).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    get_profile(profile)
    parameters: dict[str, object] = {}
    if profile != "default":
        parameters["profile"] = profile
    if run_options:
        parameters["run_options"] = dict(run_options)
    failed_dir = failed_dir or BUILD_DIR / "failed"
    work_dir = BUILD_DIR / "tmp"
    work_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=work_dir, prefix=notebook.stem + ".", suffix=".ipynb")
    os.close(fd)
    tmp = Path(tmp_name)
    kernel_env = {**kernel_environment(), **(env or {})}
    try:
        with _kernel_env(kernel_env):
            papermill.execute_notebook(
                str(notebook),
                str(tmp),
                parameters=parameters or None,
                kernel_name=KERNEL_NAME,
                cwd=str(notebook.parent),
                log_output=log_output,
                progress_bar=False,
            )
    except PapermillExecutionError as exc:
        failed_dir.mkdir(parents=True, exist_ok=True)
        kept = failed_dir / notebook.name
        os.replace(tmp, kept)
        raise NotebookFailed(
            f"{notebook.name}: cell {exc.cell_index} (execution count {exc.exec_count}) "
            f"raised {exc.ename}: {exc.evalue}\n  partial output kept in {relative(kept)}; "
            f"{relative(output)} was left unchanged"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    nb = nbformat.read(tmp, as_version=4)
    durations = [
        float(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
        for cell in nb.cells
    ]
    tmp.unlink(missing_ok=True)
    nb = strip_notebook(nb)
    if profile == "default" and output.resolve().parent == NOTEBOOKS_DIR.resolve():
        nb = without_injected_cell(nb)
    write_notebook(nb, output)
    return durations


@contextlib.contextmanager
def _kernel_env(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` updated with ``values`` inside the block: papermill's kernel
    inherits this process's environment (it takes none of its own)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_all(
    profile: str,
    notebooks: Sequence[Path] | None = None,
    force: bool = False,
    log_output: bool = True,
    accept: bool = False,
) -> int:
    """Run the (given or all) notebooks for ``profile``; return the number that failed.

    ``accept``: the runs become the new reference of ``make verify`` (``make run-all
    ACCEPT=1``, a deliberate change of results).
    """
    get_profile(profile)
    notebooks = list(notebooks) if notebooks else list_notebooks()
    stamps_file = stamps_path(profile)
    stamps = _read_stamps(stamps_file)
    options = {"verify": "accept"} if accept else {}
    failures = []
    total_start = time.perf_counter()
    for i, notebook in enumerate(notebooks, 1):
        out = output_path(notebook, profile)
        stamp = fingerprint(notebook, profile)
        head = f"[{i}/{len(notebooks)}] {notebook.name} (profile {profile})"
        if not force and stamps.get(notebook.name) == stamp and out.exists():
            print(f"{head}: up to date", flush=True)
            continue
        print(f"{head}: running ...", flush=True)
        start = time.perf_counter()
        name = results_name(notebook)
        run_file = run_dir(profile) / f"{name}.json"
        run_file.unlink(missing_ok=True)  # only this run's file may be promoted
        try:
            execute(notebook, out, profile, options, log_output=log_output)
        except NotebookFailed as exc:
            print(f"{head}: FAILED\n  {exc}\n  results/ was left as it was", flush=True)
            failures.append(notebook.name)
            continue
        if profile == "default":
            if not run_file.is_file():
                print(f"{head}: FAILED\n  it saved no {relative(run_file)}", flush=True)
                failures.append(notebook.name)
                continue
            promote(name, run_file)
        wall_time = time.perf_counter() - start
        stamps[notebook.name] = stamp
        _write_stamps(stamps_file, stamps)
        record_run(profile, notebook, wall_time)
        print(f"{head}: done in {wall_time:.1f} s -> {relative(out)}", flush=True)
    elapsed = time.perf_counter() - total_start
    if failures:
        print(
            f"{len(failures)} notebook(s) failed: {', '.join(failures)} "
            f"(the others' outputs are kept); total {elapsed:.1f} s",
            flush=True,
        )
    else:
        print(f"all {len(notebooks)} notebook(s) up to date; total {elapsed:.1f} s", flush=True)
    return len(failures)


def _resolve(names: Sequence[str]) -> list[Path]:
    """Notebook paths from paths or bare names/prefixes like ``03``."""
    available = list_notebooks()
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.exists():
            chosen.append(path.resolve())
            continue
        matches = [p for p in available if p.name.startswith(name)]
        if len(matches) != 1:
            raise SystemExit(
                f"error: {name!r} matches {len(matches)} notebooks; "
                f"choose from {', '.join(p.name for p in available)}"
            )
        chosen.append(matches[0])
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.pipeline", description="Run or strip the coursework notebooks."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run_cmd = sub.add_parser("run", help="execute notebooks (incrementally)")
    run_cmd.add_argument("--profile", default="default")
    run_cmd.add_argument("--force", action="store_true", help="run even if up to date")
    run_cmd.add_argument("--quiet", action="store_true", help="do not stream cell output")
    run_cmd.add_argument(
        "--accept", action="store_true", help="the runs become the new committed reference"
    )
    run_cmd.add_argument("notebooks", nargs="*", help="paths or prefixes such as 03")
    strip_cmd = sub.add_parser("strip", help="strip run-varying metadata in place")
    strip_cmd.add_argument("notebooks", nargs="+")
    args = parser.parse_args(argv)

    if args.command == "strip":
        for name in args.notebooks:
            path = Path(name)
            write_notebook(strip_notebook(nbformat.read(path, as_version=4)), path)
        return 0
    try:
        get_profile(args.profile)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        logging.basicConfig(level=logging.INFO, format="    %(message)s", stream=sys.stdout)
        logging.getLogger("papermill").setLevel(logging.INFO)
    failed = run_all(
        args.profile,
        _resolve(args.notebooks),
        force=args.force,
        log_output=not args.quiet,
        accept=args.accept,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
