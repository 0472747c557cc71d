"""``make verify`` and ``make verify-matrix``: nbval on the committed notebooks, explained.

``make verify`` prints the machine (CPU, BLAS library, kernel and threads, NumPy's SIMD
paths), runs nbval on every committed notebook, and sums up what was compared: the
outputs as text (trained digits masked, see ``.nbval-sanitize.cfg``) and, in each
notebook's last cell, every result exactly, numerically or within its measured tolerance
(``helpers/verify.py``, ``results/tolerances.json``).

``make verify-matrix`` does the same under other BLAS thread counts and without NumPy's
AVX paths, one nbval run each, and prints a table. It is slow (one full re-execution per
variant) and not part of ``make test``. OPENBLAS_CORETYPE is never changed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from helpers.paths import BUILD_DIR, NOTEBOOKS_DIR, REPO_ROOT, relative
from helpers.results import RESULTS_DIR_VARIABLE
from helpers.verify import VERDICT_LOG_VARIABLE, load_tolerances
from tools.pipeline import environment_record
from tools.tolerances import VARIANTS, blas_record, variant_dir

VERIFY_DIR = BUILD_DIR / "verify"
MATRIX_VARIANTS = ("threads-1", "threads-4", "numpy-no-avx")
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


def run_nbval(
    env: Mapping[str, str], log: Path, verbose: bool = True, notebooks: Sequence[str] = ()
) -> int:
    """nbval on the committed notebooks under ``env``; verdicts appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    targets = [str(p) for p in notebooks] or [relative(NOTEBOOKS_DIR)]
    command = [sys.executable, *NBVAL_ARGS, *(["-v"] if verbose else ["-q"]), *targets]
    full_env = {**os.environ, **env, VERDICT_LOG_VARIABLE: str(log)}
    return subprocess.run(command, cwd=REPO_ROOT, env=full_env).returncode


def read_verdicts(log: Path) -> dict[str, dict]:
    if not log.is_file():
        return {}
    verdicts = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        verdicts[entry["notebook"]] = entry
    return verdicts


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
    log = VERIFY_DIR / "verdicts.jsonl"
    code = run_nbval(env, log, verbose=verbose, notebooks=notebooks)
    print("\nWhat the notebooks' verification cells compared against the committed run:")
    print("\n".join(summary_lines(read_verdicts(log))))
    print(
        "Outputs compared as text by nbval: every cell's, except the digits after '≈' "
        "(trained numbers, compared in the table above)."
    )
    print("make verify: " + ("PASSED" if code == 0 else f"FAILED (pytest exit {code})"))
    return code


def matrix(variants: Sequence[str] = MATRIX_VARIANTS) -> int:
    results = []
    for variant in variants:
        # the run's results are kept where `make tolerances` looks for this variant's
        env = {
            **VARIANTS[variant]["env"],
            RESULTS_DIR_VARIABLE: str(variant_dir(variant) / "results"),
        }
        print(f"== {variant}: {VARIANTS[variant]['about']}", flush=True)
        print("\n".join(machine_lines(env)), flush=True)
        log = VERIFY_DIR / f"verdicts-{variant}.jsonl"
        start = time.perf_counter()
        code = run_nbval(env, log, verbose=False)
        verdicts = read_verdicts(log)
        results.append((variant, code, verdicts, time.perf_counter() - start))
    print("\n| variant | environment | nbval | verification cells | time |")
    print("|---|---|---|---|---|")
    for variant, code, verdicts, seconds in results:
        env = " ".join(f"{k}={v}" for k, v in VARIANTS[variant]["env"].items())  # as measured
        agree = sum(not v["failures"] for v in verdicts.values())
        print(
            f"| {variant} | `{env}` | {'passed' if code == 0 else 'FAILED'} | "
            f"{agree} of {len(verdicts)} agree | {seconds:.0f} s |"
        )
    return 0 if all(code == 0 for _, code, _, _ in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.verify",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--matrix", action="store_true", help="run the variant matrix")
    parser.add_argument("--quiet", action="store_true", help="one line per notebook")
    parser.add_argument(
        "--variants", nargs="+", default=list(MATRIX_VARIANTS), choices=list(VARIANTS)
    )
    parser.add_argument("notebooks", nargs="*", help="notebook paths (default: all)")
    args = parser.parse_args(argv)
    if args.matrix:
        return matrix(args.variants)
    return verify(notebooks=args.notebooks, verbose=not args.quiet)


if __name__ == "__main__":
    sys.exit(main())
