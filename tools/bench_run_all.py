"""`make run-all`, notebook by notebook, with the tasks serial and parallel, side by side.

``make bench-run-all`` runs ``python -m tools.bench_run_all``. Every notebook runs twice
in the same session, once per engine of :mod:`helpers.parallel`, back to back (which
engine goes first alternates from notebook to notebook, so a slow spell of the machine
does not always hit the same one):

* *serial* (the run option ``tasks="serial"``): every task in the notebook's kernel, one after the
  other, with the BLAS threads the machine gives it: how the notebooks ran before they
  had tasks.
* *parallel* (the default engine): the tasks on local processes, one BLAS thread each:
  how ``make run-all`` runs them now.

The runs write only ``build/bench-run-all/<engine>/`` (notebooks, results, verdicts),
never the committed notebooks or ``results/``. Their verification cells run in
``report`` mode, so the table also says whether each engine's numbers agree with the
committed run within the verification tolerances. Writes ``build/bench-run-all.json``
(with every cell's time) and prints a table with the speed-ups and the slowest cells.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from helpers import parallel
from helpers.paths import BUILD_DIR, relative
from helpers.profiles import get_profile
from tools import pipeline
from tools.tolerances import blas_record
from tools.verify import read_verdicts

OUT_DIR = BUILD_DIR / "bench-run-all"
ENGINES = ("serial", "parallel")
#: The task engine of each run (the run option ``tasks``, :mod:`helpers.run`).
ENGINE_TASKS = {"serial": "serial", "parallel": "processes"}
#: How many of each run's slowest cells the table names.
SLOWEST_CELLS = 3


def engine_order(index: int) -> tuple[str, str]:
    """The engines in the order notebook number ``index`` (0-based) runs them."""
    return ENGINES if index % 2 == 0 else ENGINES[::-1]


def engine_options(engine: str, out: Path) -> dict[str, str]:
    """The run options of one engine's runs, writing only under ``out``."""
    return {
        "tasks": ENGINE_TASKS[engine],
        "output_dir": str(out / engine / "results"),
        "verify": "report",
    }


def verdict_of(notebook: str, verdicts: Mapping[str, dict]) -> dict | None:
    """The verdict of ``notebook`` (``03_scratch_nn_activation_init.ipynb``): verdicts are
    named by results file (``03_scratch_nn``), which shares only the number."""
    prefix = notebook.split("_", 1)[0] + "_"
    matches = [entry for name, entry in verdicts.items() if name.startswith(prefix)]
    return matches[0] if len(matches) == 1 else None


def verdict_text(entry: Mapping | None) -> str:
    """``agrees``, ``N of M differ`` or ``-`` (no verification cell ran)."""
    if entry is None:
        return "-"
    compared = sum(entry["counts"].values())
    failures = len(entry["failures"])
    return "agrees" if not failures else f"{failures} of {compared} differ"


def slowest_cells(durations: Sequence[float], notebook: Path, n: int = SLOWEST_CELLS) -> list:
    """``[(cell index, seconds, first line of source)]`` of the ``n`` slowest cells.

    Indices count the cells of the executed notebook (papermill adds its parameters cell
    after the notebook's own ``parameters`` cell).
    """
    import nbformat

    cells = nbformat.read(notebook, as_version=4).cells
    ranked = sorted(range(len(durations)), key=lambda i: -durations[i])[:n]
    lines = []
    for i in ranked:
        source = cells[i].source.strip().splitlines() if i < len(cells) else []
        lines.append((i, round(durations[i], 1), source[0][:70] if source else ""))
    return lines


def run(notebooks: Sequence[Path], profile: str, out: Path = OUT_DIR) -> list[dict]:
    """Run every notebook under both engines; one row per notebook."""
    for engine in ENGINES:  # this run's verdicts only, not an earlier run's
        for stale in Path(engine_options(engine, out)["output_dir"]).glob("*.json"):
            stale.unlink()
    rows = []
    for index, notebook in enumerate(notebooks):
        row: dict = {"notebook": notebook.name}
        for engine in engine_order(index):
            options = engine_options(engine, out)
            target = out / engine / "notebooks" / notebook.name
            print(f"[{notebook.name}] {engine} ...", flush=True)
            start = time.perf_counter()
            durations = pipeline.execute(
                notebook,
                target,
                profile,
                options,
                failed_dir=out / engine / "failed",
                log_output=False,
            )
            seconds = time.perf_counter() - start
            print(f"[{notebook.name}] {engine} done in {seconds:.1f} s", flush=True)
            row[engine] = {
                "seconds": round(seconds, 1),
                "slowest_cells": slowest_cells(durations, target),
                "cell_seconds": [round(d, 2) for d in durations],
            }
        serial_s, parallel_s = row["serial"]["seconds"], row["parallel"]["seconds"]
        row["speedup"] = round(serial_s / parallel_s, 2) if parallel_s > 0 else None
        rows.append(row)
    for engine in ENGINES:
        verdicts = read_verdicts(Path(engine_options(engine, out)["output_dir"]))
        for row in rows:
            row[engine]["verdict"] = verdict_text(verdict_of(row["notebook"], verdicts))
    return rows


def _times(speedup: float | None) -> str:
    return "-" if speedup is None else f"{speedup:.2f}x"


def table(rows: Sequence[Mapping]) -> list[str]:
    """The rows as a Markdown table, with a total line."""
    lines = [
        "| notebook | serial (s) | parallel (s) | speed-up | serial verdict | parallel verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        serial, par = row["serial"], row["parallel"]
        lines.append(
            f"| {row['notebook']} | {serial['seconds']:.1f} | {par['seconds']:.1f} | "
            f"{_times(row['speedup'])} | {serial['verdict']} | {par['verdict']} |"
        )
    total_serial = sum(row["serial"]["seconds"] for row in rows)
    total_parallel = sum(row["parallel"]["seconds"] for row in rows)
    if rows:
        lines.append(
            f"| **total** | **{total_serial:.1f}** | **{total_parallel:.1f}** | "
            f"**{_times(total_serial / total_parallel if total_parallel else None)}** | | |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench_run_all", description=__doc__.splitlines()[0]
    )
    parser.add_argument("notebooks", nargs="*", help="paths or prefixes such as 03 (default: all)")
    parser.add_argument("--profile", default="default", help="smoke, default or full")
    parser.add_argument(
        "--json",
        default=str(BUILD_DIR / "bench-run-all.json"),
        help="where to write the results ('' for nowhere)",
    )
    args = parser.parse_args(argv)
    try:
        get_profile(args.profile)
    except ValueError as exc:
        parser.error(str(exc))
    if parallel.scheduler_address():
        parser.error(
            f"unset {parallel.SCHEDULER_VARIABLE}: this compares serial and local parallel runs"
        )
    notebooks = pipeline._resolve(args.notebooks) if args.notebooks else pipeline.list_notebooks()
    machine = pipeline.environment_record()
    print(
        f"machine: {machine['cpu']}, {machine['cores']} cores; profile {args.profile}; "
        f"{len(notebooks)} notebook(s), each serial and parallel",
        flush=True,
    )
    try:
        rows = run(notebooks, args.profile)
    except pipeline.NotebookFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print()
    print("\n".join(table(rows)))
    print("\nslowest cells (cell index in the executed notebook, seconds):")
    for row in rows:
        for engine in ENGINES:
            slowest = row[engine]["slowest_cells"]
            cells = "; ".join(f"{i}: {s:.1f} s `{src}`" for i, s, src in slowest)
            print(f"  {row['notebook']} {engine}: {cells}")
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "profile": args.profile,
            "machine": machine,
            # the kernel's BLAS (what serial tasks use); parallel tasks use TASK_BLAS_THREADS
            "kernel_blas": blas_record({}),
            "task_blas_threads": parallel.TASK_BLAS_THREADS,
            "rows": rows,
        }
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {relative(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
