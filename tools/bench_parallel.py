"""Serial against parallel: the notebooks' independent tasks, timed side by side.

``make bench-parallel`` runs ``python -m tools.bench_parallel``. Each workload runs both
ways in the same session, alternating, and the best of ``--rounds`` rounds counts (other
processes only ever slow a run down):

* ``scratch study`` (notebook 03): the twelve configurations for ``--epochs`` epochs on
  the default profile's 8,000 MNIST training images. *Serial*: one process, the BLAS
  threads the machine gives it (how notebook 03 trained before). *Parallel*:
  ``run_study(n_jobs=-1)``, one task per configuration, one BLAS thread per task.
* ``activation study`` (notebook 04): four ``MLPClassifier`` runs, ``--epochs`` epochs
  each. *Serial*: ``n_jobs=1``; *parallel*: ``n_jobs=-1``.
* ``grid search`` (notebook 05): 6 of the 18 candidates x 3 folds at ``--epochs`` epochs.
  *Serial*: ``n_jobs=1``; *parallel*: ``n_jobs=-1``.

The scratch study also runs a third way, *one thread*: serially with 1 BLAS thread
(``t_1``). ``P`` one-thread processes (``P`` = the cores ``n_jobs=-1`` uses) can at best
share ``t_1`` evenly, so the parallel study takes at least ``t_1 / P``
(:func:`scratch_ceiling`), as long as a process runs no faster beside another than alone
and the tasks do the same work as the serial run. Against a serial run of ``T`` seconds
the speed-up is then at most ``P * T / t_1``: the network spends most of its time in
matrix products, which the serial run's BLAS already spreads over the cores.

Writes ``build/bench-parallel.json`` (``--json``) and prints a table with the speed-ups.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import joblib
import numpy as np
from threadpoolctl import threadpool_limits

from helpers.parallel import (
    SCHEDULER_VARIABLE,
    TASK_BLAS_THREADS,
    task_engine,
)
from helpers.paths import BUILD_DIR, relative

SCRATCH_WORKLOAD = "scratch study (12 configurations)"


def _time(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _workloads(epochs: int) -> dict[str, dict[str, Callable[[], object]]]:
    """``name -> {mode: run}`` (``serial``, ``parallel`` and, for the scratch study,
    ``one thread``), each run a no-argument callable."""
    from sklearn.model_selection import ParameterGrid

    from helpers import scratch_study, seeds
    from helpers.data import load_mnist_pool
    from helpers.fashion import load_fashion_splits
    from helpers.mlp_study import PARAM_GRID, run_activation_study, score_candidates

    images, labels = load_mnist_pool("default")
    mnist = scratch_study.split_80_10_10(images, labels, seed=seeds.MNIST_SPLIT_SEED)
    fashion = load_fashion_splits("default")
    X_cv = np.concatenate([fashion.X_train, fashion.X_val])
    y_cv = np.concatenate([fashion.y_train, fashion.y_val])
    candidates = list(range(0, len(ParameterGrid(PARAM_GRID)), 3))  # 6 of the 18

    def scratch(n_jobs):
        return lambda: scratch_study.run_study(
            mnist, epochs, log_every=0, n_jobs=n_jobs, stream=io.StringIO()
        )

    def scratch_one_thread():  # serially, with the thread limit of a parallel task
        with threadpool_limits(limits=TASK_BLAS_THREADS):
            scratch(None)()

    def activations(n_jobs):
        return lambda: run_activation_study(fashion.eval_sets(), epochs, n_jobs=n_jobs)

    def grid(n_jobs):
        return lambda: score_candidates(candidates, X_cv, y_cv, 3, epochs, n_jobs=n_jobs)

    return {
        SCRATCH_WORKLOAD: {
            "serial": scratch(None),
            "parallel": scratch(-1),
            "one thread": scratch_one_thread,
        },
        "activation study (4 networks)": {"serial": activations(1), "parallel": activations(-1)},
        "grid search (6 candidates x 3 folds)": {"serial": grid(1), "parallel": grid(-1)},
    }


def run(epochs: int, rounds: int, names: Sequence[str] | None = None) -> list[dict]:
    """Time every workload ``rounds`` times each way, alternating; best round counts."""
    workloads = _workloads(epochs)
    rows = []
    for name, modes in workloads.items():
        if names and not any(part in name for part in names):
            continue
        times = {mode: [] for mode in modes}
        for round_number in range(1, rounds + 1):
            for mode, function in modes.items():
                seconds = _time(function)
                times[mode].append(seconds)
                print(
                    f"  {name}: round {round_number}/{rounds}, {mode} {seconds:.1f} s", flush=True
                )
        best = {mode: min(values) for mode, values in times.items()}
        rows.append(
            {
                "workload": name,
                "serial_s": best["serial"],
                "parallel_s": best["parallel"],
                "speedup": best["serial"] / best["parallel"],
                **({"one_thread_s": best["one thread"]} if "one thread" in best else {}),
                "rounds": times,
            }
        )
    return rows


def scratch_ceiling(row: dict, cores: int) -> dict:
    """What the scratch study's ``row`` of :func:`run` says about its ``cores`` processes.

    ``parallel_floor_s = t_1 / cores``: the least time one-thread processes can take.
    ``share_of_floor``: that floor over the measured parallel time (1 = no room left).
    ``ceiling = cores * T / t_1``: the largest speed-up over the best serial run ``T``.
    """
    floor = row["one_thread_s"] / cores
    return {
        "cores": cores,
        "parallel_floor_s": floor,
        "share_of_floor": floor / row["parallel_s"],
        "ceiling": row["serial_s"] / floor,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench_parallel", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--epochs", type=int, default=10, help="epochs per run (default 10)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds each way (default 2)")
    parser.add_argument("--only", nargs="*", help="workloads whose name contains one of these")
    parser.add_argument(
        "--json",
        default=str(BUILD_DIR / "bench-parallel.json"),
        help="where to write the results ('' for nowhere)",
    )
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.rounds < 1:
        parser.error("--epochs and --rounds must be at least 1")
    if task_engine() == "dask":  # the parallel runs would not be local processes
        parser.error(f"unset {SCHEDULER_VARIABLE}: this compares local serial and parallel runs")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{args.epochs} epochs, best of {args.rounds} rounds",
        flush=True,
    )
    rows = run(args.epochs, args.rounds, args.only)
    scratch = next((row for row in rows if row["workload"] == SCRATCH_WORKLOAD), None)
    ceiling = scratch_ceiling(scratch, joblib.cpu_count()) if scratch else None
    print(f"\n{'workload':<40} {'serial':>9} {'parallel':>9} {'speed-up':>9}")
    for row in rows:
        print(
            f"{row['workload']:<40} {row['serial_s']:>8.1f}s {row['parallel_s']:>8.1f}s "
            f"{row['speedup']:>8.2f}x"
        )
    if ceiling:
        print(
            f"\nscratch study serially with 1 BLAS thread: {scratch['one_thread_s']:.1f} s. "
            f"{ceiling['cores']} one-thread processes need at least "
            f"{ceiling['parallel_floor_s']:.1f} s; the parallel run took "
            f"{scratch['parallel_s']:.1f} s ({100 * ceiling['share_of_floor']:.0f} % of the "
            f"way there). Against the best serial run the ceiling is "
            f"{ceiling['cores']} x {scratch['serial_s']:.1f} / {scratch['one_thread_s']:.1f} "
            f"= {ceiling['ceiling']:.2f}x (measured: {scratch['speedup']:.2f}x)."
        )
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "epochs": args.epochs,
                    "rounds": args.rounds,
                    "cores": os.cpu_count(),
                    "rows": rows,
                    "scratch_ceiling": ceiling,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {relative(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
