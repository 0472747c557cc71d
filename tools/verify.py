"""``make verify`` and ``make verify-matrix``: nbval on the committed notebooks, explained.

``make verify`` prints the machine (CPU, BLAS library, kernel and threads, NumPy's SIMD
paths), runs nbval on every committed notebook, and sums up what was compared: the
outputs as text (trained digits masked, see ``.nbval-sanitize.cfg``) and, in each
notebook's last cell, every result exactly, numerically or within its measured tolerance
(``helpers/verify.py``, ``results/tolerances.json``).

``make verify-matrix`` does the same under other BLAS thread counts, other OpenBLAS kernel
families (``OPENBLAS_CORETYPE``) and without NumPy's AVX paths, one nbval run each, and
prints a table. It is slow (one full re-execution per variant) and not part of ``make
test``. Outside the matrix, OPENBLAS_CORETYPE is never set or changed. Each leg keeps its
results in ``build/tolerances/<variant>/results/``; ``--recheck`` compares those kept
results with the committed ones under the current ``results/tolerances.json`` (after
``make tolerances`` re-derived it) without re-running anything: the same comparison a
leg's verification cells make, so a leg whose nbval outputs matched passes again exactly
when its recheck does.

nbval executes the committed notebooks as they are (no parameters), so each run writes
its results and verdicts into ``build/default/results/`` (:mod:`helpers.run`): the
verdicts are read from there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from helpers.paths import BUILD_DIR, NOTEBOOKS_DIR, REPO_ROOT, relative
from helpers.results import committed_path, read_document, run_dir
from helpers.verify import compare, load_tolerances
from tools.pipeline import environment_record
from tools.tolerances import VARIANTS, blas_record, runnable, variant_dir

VERIFY_DIR = BUILD_DIR / "verify"
MATRIX_VARIANTS = (
    "threads-1",
    "threads-4",
    "numpy-no-avx",
    "openblas-sandybridge",
    "openblas-nehalem",
    "openblas-skylakex",
)
#: where nbval's runs of the committed notebooks write their results and verdicts
RUN_RESULTS = run_dir("default")

NBVAL_ARGS = (
    "-m",
    "pytest",
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    ".nbval-sanitize.cfg",
    "-p",
    "no:cacheprovider",
)


def machine_lines(env: Mapping[str, str]) -> list[str]:
    """What a grader needs to know about the machine the check ran on."""
    record = environment_record()
    lines = [
        f"machine: {record['cpu']}, {record['cores']} cores, Python {record['python']}, "
        f"numpy {record['packages']['numpy']}, scikit-learn "
        f"{record['packages']['scikit-learn']}"
    ]
    for pool in blas_record(env):
        if pool.get("internal_api") in ("openblas", "mkl", "blis", "accelerate"):
            lines.append(
                f"BLAS: {pool['internal_api']} {pool.get('version')} "
                f"({pool.get('prefix')}), kernel {pool.get('architecture')}, "
                f"{pool.get('num_threads')} threads"
            )
    settings = {
        k: v
        for k, v in os.environ.items() | env.items()
        if k
        in (
            "OPENBLAS_NUM_THREADS",
            "OPENBLAS_CORETYPE",
            "NPY_DISABLE_CPU_FEATURES",
            "OMP_NUM_THREADS",
        )
    }
    lines.append(
        "settings: "
        + (
            ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
            or "none of OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE, NPY_DISABLE_CPU_FEATURES set"
        )
    )
    return lines


def run_nbval(env: Mapping[str, str], verbose: bool = True, notebooks: Sequence[str] = ()) -> int:
    """nbval on the committed notebooks under ``env``; their verdicts land in
    :data:`RUN_RESULTS` (cleared first, so every verdict read afterwards is this run's)."""
    RUN_RESULTS.mkdir(parents=True, exist_ok=True)
    for stale in RUN_RESULTS.glob("*.json"):
        stale.unlink()
    targets = [str(p) for p in notebooks] or [relative(NOTEBOOKS_DIR)]
    command = [sys.executable, *NBVAL_ARGS, *(["-v"] if verbose else ["-q"]), *targets]
    return subprocess.run(command, cwd=REPO_ROOT, env={**os.environ, **env}).returncode


def read_verdicts(folder: Path | None = None) -> dict[str, dict]:
    """``{notebook: {"counts", "failures"}}`` from the verdict files of the last run
    (in ``folder``, default :data:`RUN_RESULTS`)."""
    verdicts = {}
    for path in sorted((folder or RUN_RESULTS).glob("*.verdict.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        verdicts[entry["notebook"]] = entry
    return verdicts


def results_files(folder: Path) -> list[Path]:
    """The results files of ``folder``, in name order, without the verdicts beside them."""
    return sorted(p for p in folder.glob("*.json") if not p.name.endswith(".verdict.json"))


def keep_results(target: Path) -> None:
    """Copy the last run's results files (not its verdicts) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for path in results_files(RUN_RESULTS):
        shutil.copyfile(path, target / path.name)


def summary_lines(verdicts: Mapping[str, dict]) -> list[str]:
    rows = [
        "| notebook | exact | numerical (1e-9) | trained (tolerance) | choices | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for name, entry in sorted(verdicts.items()):
        c = entry["counts"]
        verdict = "agrees" if not entry["failures"] else f"{len(entry['failures'])} differ"
        rows.append(
            f"| {name} | {c['exact']} | {c['numerical']} | {c['abs']} | {c['one_of']} | {verdict} |"
        )
    return rows


def verify(
    env: Mapping[str, str] | None = None, notebooks: Sequence[str] = (), verbose: bool = True
) -> int:
    env = dict(env or {})
    print("\n".join(machine_lines(env)), flush=True)
    rules = load_tolerances()
    n_rules = sum(len(leaves) for leaves in rules.values())
    print(
        f"tolerances: {n_rules} trained values in results/tolerances.json "
        f"(measured by make tolerances); a notebook's other trained values within the "
        f"tolerances its committed run measured from its own seeds (07), every other "
        f"value compared exactly",
        flush=True,
    )
    code = run_nbval(env, verbose=verbose, notebooks=notebooks)
    print("\nWhat the notebooks' verification cells compared against the committed run:")
    print("\n".join(summary_lines(read_verdicts())))
    print(
        "Outputs compared as text by nbval: every cell's, except the digits after '≈' "
        "(trained numbers, compared in the table above)."
    )
    print("make verify: " + ("PASSED" if code == 0 else f"FAILED (pytest exit {code})"))
    return code


def matrix(variants: Sequence[str] = MATRIX_VARIANTS) -> int:
    results = []
    for variant in variants:
        if not runnable(variant):
            flag = VARIANTS[variant]["requires_cpu_flag"]
            print(f"== {variant}: skipped, this CPU lacks {flag}", flush=True)
            continue
        env = dict(VARIANTS[variant].get("env", {}))
        print(f"== {variant}: {VARIANTS[variant]['about']}", flush=True)
        print("\n".join(machine_lines(env)), flush=True)
        start = time.perf_counter()
        code = run_nbval(env, verbose=False)
        verdicts = read_verdicts()
        keep_results(variant_dir(variant) / "results")  # where `make tolerances` looks
        results.append((variant, code, verdicts, time.perf_counter() - start))
    print("\n| variant | environment | nbval | verification cells | time |")
    print("|---|---|---|---|---|")
    for variant, code, verdicts, seconds in results:
        env = " ".join(f"{k}={v}" for k, v in VARIANTS[variant]["env"].items())
        agree = sum(not v["failures"] for v in verdicts.values())
        print(
            f"| {variant} | `{env}` | {'passed' if code == 0 else 'FAILED'} | "
            f"{agree} of {len(verdicts)} agree | {seconds:.0f} s |"
        )
    return 0 if all(code == 0 for _, code, _, _ in results) else 1


def recheck(variants: Sequence[str] = MATRIX_VARIANTS) -> int:
    """Compare each leg's kept results with the committed results under the current
    tolerances; print one row per leg and every value that disagrees. 1 if any does."""
    rules = load_tolerances()
    print("| variant | notebooks | values compared | disagree |")
    print("|---|---|---|---|")
    failed = False
    for variant in variants:
        kept = results_files(variant_dir(variant) / "results")
        if not kept:
            print(f"| {variant} | no kept results: run `make verify-matrix` first | | |")
            continue
        compared, failures = 0, []
        for path in kept:
            rerun = read_document(path)
            committed = read_document(committed_path(rerun["notebook"]))
            verdict = compare(rerun["notebook"], committed["results"], rerun["results"], rules)
            compared += verdict.compared
            failures += [f"{rerun['notebook']}: {line}" for line in verdict.failures]
        failed |= bool(failures)
        print(f"| {variant} | {len(kept)} | {compared} | {len(failures)} |")
        for line in failures:
            print(f"    {line}")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.verify",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--matrix", action="store_true", help="run the variant matrix")
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="compare the matrix legs' kept results under the current tolerances",
    )
    parser.add_argument("--quiet", action="store_true", help="one line per notebook")
    parser.add_argument(
        "--variants", nargs="+", default=list(MATRIX_VARIANTS), choices=list(VARIANTS)
    )
    parser.add_argument("notebooks", nargs="*", help="notebook paths (default: all)")
    args = parser.parse_args(argv)
    if args.matrix:
        return matrix(args.variants)
    if args.recheck:
        return recheck(args.variants)
    return verify(notebooks=args.notebooks, verbose=not args.quiet)


if __name__ == "__main__":
    sys.exit(main())
